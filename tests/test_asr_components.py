import subprocess
import sys

import numpy as np
import pytest
import torch

import s2i_hf  # noqa: F401  (registers the tokenizer)
from s2i_hf.metrics import load_metric
from s2i_hf.models.asr import CharTokenizer, build_model, build_processor, normalize_text
from s2i_hf.training.asr import DecoderInputNoise, SpecAugment, SpeechSeq2SeqCollator, VocalTractWarp


def test_tokenizer_round_trip_and_special_ids():
    tok = CharTokenizer()
    ids = tok("This bird has a red belly.").input_ids
    assert ids[-1] == tok.eos_token_id == 2 and len(ids) == len("this bird has a red belly.") + 1
    assert tok.decode(ids, skip_special_tokens=True) == "this bird has a red belly."
    assert (tok.bos_token_id, tok.pad_token_id, tok.unk_token_id) == (0, 1, 3)
    assert normalize_text("Café “naïve”  —  Mr.") == 'cafe "naive" - mr.'


def test_unknown_characters_become_unk_counted_and_reported_once(caplog):
    tok = CharTokenizer()
    assert tok("a€b").input_ids == [tok.convert_tokens_to_ids("a"), 3, tok.convert_tokens_to_ids("b"), 2]
    tok("€€ and ¥")
    assert tok.unknown_characters == {"€": 3, "¥": 1}
    assert caplog.text.count("outside the tokenizer's alphabet") == 1


def test_processor_and_model_reload_through_auto_classes(tmp_path):
    from transformers import AutoModelForSpeechSeq2Seq, AutoProcessor

    processor = build_processor()
    model = build_model(processor, d_model=16, encoder_layers=1, decoder_layers=1, attention_heads=2, ffn_dim=32,
                        conv_channels=16)
    model.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").is_file() and (tmp_path / "tokenization_char.py").is_file()
    again = AutoProcessor.from_pretrained(tmp_path)
    assert type(again.tokenizer).__name__ == "CharTokenizer" and again.tokenizer.get_vocab() == processor.tokenizer.get_vocab()
    assert again.feature_extractor.num_mel_bins == 80 and again.feature_extractor.sampling_rate == 16000
    reloaded = AutoModelForSpeechSeq2Seq.from_pretrained(tmp_path)
    for (name, a), b in zip(model.state_dict().items(), reloaded.state_dict().values()):
        assert torch.equal(a, b), name
    assert reloaded.generation_config.decoder_start_token_id == 2


def test_saved_tokenizer_loads_with_remote_code_and_without_s2i_hf(tmp_path):
    build_processor().save_pretrained(tmp_path)
    code = ("import sys; from transformers import AutoProcessor; "
            f"p = AutoProcessor.from_pretrained({str(tmp_path)!r}, trust_remote_code=True); "
            "assert 's2i_hf' not in sys.modules; print(type(p.tokenizer).__name__, p.tokenizer('ab').input_ids)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert out.stdout.split()[0] == "CharTokenizer" and out.stdout.strip().endswith("[5, 6, 2]")


def test_wer_and_cer_modules_score_normalized_text():
    wer, cer = load_metric("wer"), load_metric("cer")
    assert wer.compute(predictions=["a red bird", "the cat"], references=["A red bird.", "the big cat"]) == pytest.approx(1 / 6)
    assert cer.compute(predictions=["a red bird"], references=["a red bord"]) == pytest.approx(0.1)
    assert wer.compute(predictions=["this bird's wing"], references=["This bird's wing!"]) == 0.0
    assert wer.compute(predictions=["extra"], references=[""]) == 1.0


def test_collator_pads_and_shifts_labels_for_teacher_forcing():
    processor = build_processor()
    examples = [{"input_features": np.ones((7, 80), np.float32), "labels": [5, 6, 2]},
                {"input_features": np.ones((4, 80), np.float32), "labels": [7, 2]}]
    batch = SpeechSeq2SeqCollator(processor, decoder_start_token_id=2)(examples)
    assert batch["input_features"].shape == (2, 7, 80)
    assert batch["attention_mask"].tolist() == [[1] * 7, [1] * 4 + [0] * 3]
    assert batch["labels"].tolist() == [[5, 6, 2], [7, 2, -100]]
    # as transformers.shift_tokens_right: the start token, then the labels but the last
    assert batch["decoder_input_ids"].tolist() == [[2, 5, 6], [2, 7, 2]]


def test_spec_augment_masks_only_in_training():
    processor = build_processor()
    model = build_model(processor, d_model=16, encoder_layers=1, decoder_layers=1, attention_heads=2, ffn_dim=32,
                        conv_channels=16, dropout=0.0)
    seen = []
    model.get_encoder().register_forward_pre_hook(lambda m, a, k: seen.append((a[0] if a else k["input_features"]).clone()),
                                                  with_kwargs=True)
    SpecAugment(freq_mask=20, time_mask=10, max_time_fraction=1.0).attach(model)
    # hooks run in registration order: our spy sees the input before SpecAugment, so spy on a second one after it
    after = []
    model.get_encoder().register_forward_pre_hook(lambda m, a, k: after.append((a[0] if a else k["input_features"]).clone()),
                                                  with_kwargs=True)
    features = torch.randn(2, 60, 80) + 5.0
    labels = torch.tensor([[5, 2], [6, 2]])
    torch.manual_seed(0)
    model.train()
    model(input_features=features, labels=labels)
    assert (after[-1] == 0).sum() > 0 and torch.equal(seen[-1], features)
    model.eval()
    with torch.no_grad():
        model(input_features=features, labels=labels)
    assert torch.equal(after[-1], features)


def test_decoder_input_noise_replaces_characters_in_training_only_and_keeps_start_and_padding():
    processor = build_processor()
    tokenizer = processor.tokenizer
    model = build_model(processor, d_model=16, encoder_layers=1, decoder_layers=1, attention_heads=2, ffn_dim=32,
                        conv_channels=16, dropout=0.0)
    characters = sorted(set(tokenizer.get_vocab().values()) - set(tokenizer.all_special_ids))
    DecoderInputNoise(0.3, characters, tokenizer.pad_token_id).attach(model)
    seen = []  # registered after the noise: sees what the decoder reads
    model.get_decoder().register_forward_pre_hook(lambda m, a, k: seen.append((a[0] if a else k["input_ids"]).clone()),
                                                  with_kwargs=True)
    start = model.config.decoder_start_token_id
    text = torch.tensor(tokenizer("a bird with red wings and a white belly")["input_ids"])
    ids = torch.cat([torch.tensor([start]), text, torch.full((10,), tokenizer.pad_token_id)]).repeat(64, 1)
    features = torch.randn(64, 60, 80)
    torch.manual_seed(0)
    model.train()
    model(input_features=features, decoder_input_ids=ids)
    noisy = seen[-1]
    changed = noisy != ids
    assert not changed[:, 0].any() and not changed[:, -10:].any()  # the start token and the padding kept
    assert 0.2 < changed[:, 1:len(text) + 1].float().mean() < 0.3  # 0.3 drawn, a few drawn as themselves
    assert set(noisy[changed].tolist()) <= set(characters)
    model.eval()
    with torch.no_grad():
        model(input_features=features, decoder_input_ids=ids)
    assert torch.equal(seen[-1], ids)
    with pytest.raises(ValueError, match="--decoder_input_noise"):
        DecoderInputNoise(1.0, characters, tokenizer.pad_token_id)


def test_vocal_tract_warp_moves_a_tone_where_a_shorter_vocal_tract_puts_it_in_training_only():
    from transformers import Speech2TextFeatureExtractor

    fe = Speech2TextFeatureExtractor(do_ceptral_normalize=False)  # the processor's log-mel, left unnormalized

    def peak_bins(features):
        return features[0].mean(0).argmax().item()

    def tone(hz):
        t = np.arange(16000) / 16000
        return torch.tensor(fe(np.sin(2 * np.pi * hz * t).astype(np.float32), sampling_rate=16000).input_features)

    encoder = torch.nn.Identity()
    spy = []
    encoder.register_forward_hook(lambda m, a, out: spy.append(out))
    warp = VocalTractWarp((1.3, 1.3))  # every clip's formants x 1.3, as a shorter vocal tract
    encoder.register_forward_pre_hook(warp, with_kwargs=True)
    encoder.train()
    encoder(tone(1000.0))
    assert abs(peak_bins(spy[-1]) - peak_bins(tone(1300.0))) <= 1 and peak_bins(tone(1000.0)) < peak_bins(spy[-1])
    encoder.eval()
    assert torch.equal(encoder(tone(1000.0)), tone(1000.0))
    same = VocalTractWarp((1.0, 1.0)).source_bins(torch.ones(1))
    assert torch.allclose(same, torch.arange(80.0)[None], atol=1e-3)  # a factor of 1 reads every bin in place
    edges = VocalTractWarp((0.8, 1.5)).source_bins(torch.tensor([0.8, 1.5]))
    assert edges.min() >= 0 and edges.max() <= 79 and (edges.diff(dim=1) >= 0).all()  # monotone, inside the band
    with pytest.raises(ValueError, match=r"--vocal_tract_warp must be two factors 0 < low <= high, got \[1.2, 0.9\]"):
        VocalTractWarp((1.2, 0.9))


def test_silence_and_empty_audio_give_empty_transcripts_and_speech_still_runs():
    from s2i_hf.models.asr import is_silent, transcribe

    processor = build_processor()
    model = build_model(processor, d_model=16, encoder_layers=1, decoder_layers=1, attention_heads=2, ffn_dim=32,
                        conv_channels=16).eval()
    noise = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    silence = np.zeros(16000, np.float32)
    assert is_silent(silence) and is_silent(np.zeros(0, np.float32)) and not is_silent(noise)
    texts = transcribe(model, processor, [silence, noise, np.zeros(0, np.float32)], max_length=5)
    assert texts[0] == "" and texts[2] == ""
    assert isinstance(texts[1], str) and len(texts[1]) <= 4
    with pytest.raises(ValueError, match="22050 Hz"):
        transcribe(model, processor, [noise], sampling_rate=22050)


def test_hybrid_ctc_loss_is_finite_trains_the_head_and_is_stripped(tmp_path):
    from transformers import Seq2SeqTrainingArguments

    from s2i_hf.training.asr import HybridCTCSeq2SeqTrainer, strip_ctc_head

    processor = build_processor()
    model = build_model(processor, d_model=16, encoder_layers=1, decoder_layers=1, attention_heads=2, ffn_dim=32,
                        conv_channels=16, dropout=0.0)
    args = Seq2SeqTrainingArguments(output_dir=str(tmp_path), report_to="none", use_cpu=True)
    trainer = HybridCTCSeq2SeqTrainer(model=model, args=args, ctc_weight=0.5)
    examples = [{"input_features": np.random.default_rng(i).standard_normal((80, 80)).astype(np.float32),
                 "labels": [5, 6, 7, 2]} for i in range(2)]
    batch = SpeechSeq2SeqCollator(processor, decoder_start_token_id=2)(examples)
    model.train()
    with_ctc = trainer.compute_loss(model, dict(batch))
    trainer.ctc_weight = 0.0
    without = trainer.compute_loss(model, dict(batch))
    assert torch.isfinite(with_ctc) and with_ctc.item() != pytest.approx(without.item())
    trainer.ctc_weight = 0.5
    trainer.compute_loss(model, dict(batch)).backward()
    assert model.ctc_head.weight.grad is not None and model.ctc_head.weight.grad.abs().sum() > 0
    strip_ctc_head(model)
    assert not any("ctc_head" in k for k in model.state_dict())
