"""The speech-to-image bundle and its transformers pipelines: installed-package and remote-code loading, every
kind of audio input, and the bad ones."""

import io
import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from recipe_helpers import run_recipe
from safetensors.torch import load_file
from transformers import AutoModel, pipeline

import s2i_hf  # noqa: F401  (registers the tasks)
from s2i_hf.data.caption_attributes import colours_named
from s2i_hf.data.errors import AudioDecodeError
from s2i_hf.models.stackgan import StackGANConfig, StackGANStage1Discriminator, StackGANStage1Generator
from s2i_hf.models.stackgan.candidates import choose_noise, colour_log_likelihood
from s2i_hf.models.text_encoder import CharCNNRNNConfig, CharCNNRNNModel, build_text_tokenizer
from s2i_hf.pipelines import SpeechToImageConfig, SpeechToImageModel

from conftest import TINY_GAN  # the tiny bundle `parts` is a session fixture in conftest


def _tone(seconds=1.5, rate=16000):
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.float32)


@pytest.fixture(scope="module")
def pipe(parts):
    return pipeline("speech-to-image", model=str(parts / "bundle"))


def test_bundle_layout_and_card(parts):
    bundle = parts / "bundle"
    for path in ("config.json", "asr/model.safetensors", "asr/processor_config.json", "text_encoder/model.safetensors",
                 "text_encoder/vocab.json", "generator/model.safetensors", "pipeline_speech_to_image.py",
                 "modeling_speech_to_image.py", "audio.py", "decoding.py", "char_lm.py", "asr/ctc_head.safetensors",
                 "asr/char_lm.json", "README.md", "critic/model.safetensors", "candidates.py", "caption_attributes.py"):
        assert (bundle / path).is_file(), path
    config = json.loads((bundle / "config.json").read_text())
    assert set(config["custom_pipelines"]) == {"speech-to-image", "text-to-image"}
    assert config["asr_lm_weight"] == 0.3
    assert config["critic_subfolder"] == "critic" and config["num_candidates"] == 4
    assert ("| critic (an attribute classifier trained on the real renders: each image is the best of 4 drafts"
            in (bundle / "README.md").read_text())
    assert (parts / "published" / "generator" / "model.safetensors").is_file()  # --push_to_hub file://


def test_every_audio_input_form_gives_a_transcript_and_images(pipe, parts, tmp_path):
    tone = _tone()
    sf.write(tmp_path / "a.wav", np.stack([tone, tone], 1), 16000, subtype="PCM_24")  # stereo, 24-bit
    sf.write(tmp_path / "b.flac", _tone(rate=22050), 22050)
    buffer = io.BytesIO()
    sf.write(buffer, tone, 16000, format="WAV")
    inputs = [str(tmp_path / "a.wav"), tmp_path / "b.flac", buffer.getvalue(), {"array": tone, "sampling_rate": 16000},
              {"raw": _tone(rate=8000), "sampling_rate": 8000}, tone]
    outputs = pipe(inputs, num_images_per_prompt=2, seed=0)
    assert len(outputs) == len(inputs)
    for out in outputs:
        assert isinstance(out["text"], str) and out["text"]
        assert len(out["images"]) == 2 and out["images"][0].size == (256, 256)
    a, b = pipe(tone, seed=3)["images"][0], pipe(tone, seed=3)["images"][0]
    assert np.array_equal(np.asarray(a), np.asarray(b))  # a seed repeats the image
    assert pipe(tone, height=64, seed=0)["images"][0].size == (64, 64)


def test_bad_audio_is_refused_naming_it_and_silence_draws_nothing(pipe, tmp_path, caplog):
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "text.wav").write_text("not audio at all")
    sf.write(tmp_path / "full.wav", _tone(), 16000)
    (tmp_path / "cut.wav").write_bytes((tmp_path / "full.wav").read_bytes()[:5000])
    for name, message in (("empty.wav", "empty audio file"), ("text.wav", "not a readable audio file"),
                          ("cut.wav", "truncated WAV"), ("missing.wav", "not found")):
        with pytest.raises(AudioDecodeError, match=message) as info:
            pipe(str(tmp_path / name))
        assert name in str(info.value)
    with pytest.raises(ValueError, match=r"45\.0 s of audio; .* at most 30\.0 s"):
        pipe(np.zeros(45 * 16000, np.float32) + 0.1)
    with pytest.raises(ValueError, match="needs its 'sampling_rate'"):
        pipe({"array": _tone()})
    out = pipe(np.zeros(16000, np.float32))
    assert out == {"text": "", "images": []} and "silence" in caplog.text


def test_text_to_image_embeds_any_characters(parts):
    draw = pipeline("text-to-image", model=str(parts / "bundle"))
    out = draw("a r\u00e9d bird \u2603 with blue wings", seed=0, num_images_per_prompt=3)
    assert len(out["images"]) == 3 and out["text"].startswith("a r")
    with pytest.raises(ValueError, match="empty text"):
        draw("  ")


def test_the_conditioning_noise_is_the_presets_unless_the_call_says(parts):
    draw = pipeline("text-to-image", model=str(parts / "bundle"))
    assert draw.model.generator.config.condition_noise_scale == 0.0  # the conditioning's mean, as the demo's
    pixels = lambda **kwargs: np.asarray(draw("a bird with a red belly", seed=5, **kwargs)["images"][0], np.float32)  # noqa: E731
    default, mean = pixels(), pixels(condition_noise_scale=0.0)
    sampled = pixels(condition_noise_scale=1.0, num_candidates=1)
    assert np.array_equal(default, mean) and np.abs(default - sampled).mean() > 0.5
    with pytest.raises(ValueError, match="condition_noise_scale=2"):
        draw("a bird", condition_noise_scale=2, num_candidates=1)
    # with the conditioning sampled, each candidate has its own draw of it, and the image is the chosen draft's
    model, text = draw.model, "a bird with a red belly and blue wings"
    stage1, critic, embeds = model.generator.stage1, model.critic, model.embed([text]).clone()
    stream = torch.Generator().manual_seed(3)
    noise = torch.randn(1, 4, stage1.config.noise_dim, generator=stream)
    eps = torch.randn(1, 4, stage1.config.condition_dim, generator=stream)
    with torch.no_grad():
        drafts = stage1(embeds.repeat(4, 1), noise=noise[0], condition_noise_scale=0.5, condition_noise=eps[0]).images
    scores = colour_log_likelihood(critic(drafts).logits, critic.config.attributes, [colours_named(text)] * 4)
    got = np.asarray(draw(text, seed=3, height=64, condition_noise_scale=0.5)["images"][0])
    assert np.array_equal(got, to_uint8(drafts[int(scores.argmax())]))
    at_mean = np.asarray(draw(text, seed=3, height=64)["images"][0])
    assert np.abs(got.astype(np.float32) - at_mean).mean() > 0.5  # the sampled conditioning draws another bird
    with pytest.raises(ValueError, match=r"condition_noise has shape \(1, 3\)"):
        stage1(embeds, condition_noise=torch.zeros(1, 3))


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """An image in [-1, 1] (3, H, W) as the pipeline returns it, (H, W, 3) uint8."""
    return ((image / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()


@torch.no_grad()
def test_each_image_is_the_candidate_whose_draft_the_critic_reads_as_the_colours_named(parts):
    draw = pipeline("text-to-image", model=str(parts / "bundle"))
    model = draw.model
    stage1, critic = model.generator.stage1, model.critic
    text = "a bird with a red belly and blue wings"
    embeds = model.embed([text]).clone()  # out of inference mode
    chosen = []
    for seed in range(6):
        noise = torch.randn(1, 4, stage1.config.noise_dim, generator=torch.Generator().manual_seed(seed))
        drafts = stage1(embeds.repeat(4, 1), noise=noise[0], condition_noise_scale=0.0).images
        scores = colour_log_likelihood(critic(drafts).logits, critic.config.attributes, [colours_named(text)] * 4)
        best = int(scores.argmax())
        got = np.asarray(draw(text, seed=seed, height=64)["images"][0])
        assert np.array_equal(got, to_uint8(drafts[best])), seed  # the draft of the noise the critic scored highest
        chosen.append(best)
        if seed == 0:  # the 256 px image is Stage II's from the same noise
            image = model.generator(embeds, noise=noise[:, best], condition_noise_scale=0.0).images[0]
            assert np.array_equal(np.asarray(draw(text, seed=seed)["images"][0]), to_uint8(image))
    assert len(set(chosen)) > 1  # the choice follows the drafts, not a fixed position
    # Stage I's discriminator as the critic: its attribute head on its image code reads the drafts instead
    discriminator = AutoModel.from_pretrained(parts / "d1").eval()
    noise = torch.randn(2, 4, stage1.config.noise_dim, generator=torch.Generator().manual_seed(0))
    wanted = [colours_named(text), colours_named("a bird with a green belly")]
    drafts = stage1(embeds.repeat(8, 1), noise=noise.flatten(0, 1), condition_noise_scale=0.0).images
    scores = colour_log_likelihood(discriminator.attribute_head(discriminator.encode_image(drafts)),
                                   discriminator.config.auxiliary_attributes, [w for w in wanted for _ in range(4)])
    best = scores.view(2, 4).argmax(1)
    chosen_noise, no_condition_noise = choose_noise(stage1, discriminator, embeds.repeat(2, 1), noise, wanted)
    assert torch.equal(chosen_noise, noise[torch.arange(2), best]) and no_condition_noise is None
    # a text naming no colour keeps each image's first noise
    noise = torch.randn(1, 4, stage1.config.noise_dim, generator=torch.Generator().manual_seed(0))
    plain = stage1(model.embed(["a bird"]).clone(), noise=noise[:, 0], condition_noise_scale=0.0).images[0]
    assert np.array_equal(np.asarray(draw("a bird", seed=0, height=64)["images"][0]), to_uint8(plain))
    with pytest.raises(ValueError, match="num_candidates must be a whole number >= 1, got 0"):
        draw(text, num_candidates=0)


def test_colour_log_likelihood_adds_the_likeliest_named_colour_of_each_group():
    values = {"has_belly_color": ["red", "blue"], "has_wing_color": ["red", "blue", "black"]}
    logits = torch.tensor([[2.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 3.0], [5.0, 5.0, 5.0, 5.0, 5.0]])
    wanted = [{"has_belly_color": ["red"], "has_wing_color": ["blue"]},
              {"has_wing_color": ["blue", "black"], "has_crown_color": ["red"]},  # a group the critic does not read
              {"has_belly_color": ["purple"]}]  # a colour outside its values
    scores = colour_log_likelihood(logits, values, wanted)
    belly = -math.log(1 + math.exp(-2))  # log softmax([2, 0])[0]
    wing = -math.log(3)  # uniform over three
    wing_black = 3 - math.log(1 + math.e + math.exp(3))
    assert scores.tolist() == pytest.approx([belly + wing, wing_black, 0.0], abs=1e-5)
    with pytest.raises(ValueError, match="3 images but 2 texts"):
        colour_log_likelihood(logits, values, wanted[:2])


def test_a_new_process_loads_the_bundle_without_s2i_hf_through_remote_code(parts, tmp_path):
    code = f"""
import sys, numpy as np
from transformers import AutoModel, pipeline
pipe = pipeline("speech-to-image", model={str(parts / 'bundle')!r}, trust_remote_code=True)
t = np.arange(24000) / 16000
out = pipe({{"array": 0.3 * np.sin(2 * np.pi * 220 * t), "sampling_rate": 16000}}, seed=0)
print(type(pipe).__module__.split(".")[0], len(out["images"]), out["images"][0].size,
      any(m.startswith("s2i_hf") for m in sys.modules))
"""
    done = run_recipe([sys.executable, "-c", code])
    assert done.stdout.strip().splitlines()[-1] == "transformers_modules 1 (256, 256) False"


def test_bundle_parts_must_agree():
    torch.manual_seed(0)
    tokenizer = build_text_tokenizer()
    te = CharCNNRNNModel(CharCNNRNNConfig(vocab_size=tokenizer.vocab_size, char_embedding_dim=8, conv_channels=[8, 8, 8],
                                          rnn_hidden_size=8, text_embedding_dim=64))
    with pytest.raises(ValueError, match="makes 64-d embeddings but the generator takes 32-d"):
        SpeechToImageModel.from_parts(None, None, te, tokenizer, StackGANStage1Generator(StackGANConfig(**TINY_GAN)))


def test_lm_weight_without_a_character_lm_is_refused_naming_the_asr(parts, tmp_path):
    (tmp_path / "asr").mkdir()
    for f in (parts / "asr").iterdir():
        if f.name != "char_lm.json":
            (tmp_path / "asr" / f.name).write_bytes(f.read_bytes())
    done = run_recipe([sys.executable, "recipes/build_pipeline.py", "--asr", tmp_path / "asr", "--text_encoder",
                       parts / "te", "--stage1", parts / "s1", "--output_dir", tmp_path / "bundle",
                       "--asr_lm_weight", "0.5"], expect_failure=True)
    assert f"--asr {tmp_path / 'asr'}: asr_lm_weight 0.5" in done.stderr and "char_lm.json" in done.stderr


def test_candidates_without_a_critic_are_refused_naming_the_option(parts, tmp_path):
    done = run_recipe([sys.executable, "recipes/build_pipeline.py", "--asr", parts / "asr", "--text_encoder",
                       parts / "te", "--stage1", parts / "s1", "--output_dir", tmp_path / "bundle",
                       "--num_candidates", "3"], expect_failure=True)
    assert "--num_candidates 3 needs --critic" in done.stderr
    StackGANStage1Discriminator(StackGANConfig(**TINY_GAN)).save_pretrained(tmp_path / "plain")  # the reference's
    done = run_recipe([sys.executable, "recipes/build_pipeline.py", "--asr", parts / "asr", "--text_encoder",
                       parts / "te", "--stage1", parts / "s1", "--output_dir", tmp_path / "bundle",
                       "--critic", tmp_path / "plain", "--num_candidates", "3"], expect_failure=True)
    assert f"--critic {tmp_path / 'plain'}: a StackGANStage1Discriminator that reads no colours" in done.stderr
    done = run_recipe([sys.executable, "recipes/build_pipeline.py", "--asr", parts / "asr", "--text_encoder",
                       parts / "te", "--stage1", parts / "s1", "--output_dir", tmp_path / "bundle",
                       "--condition_noise_scale", "2"], expect_failure=True)
    assert "--condition_noise_scale 2.0: must be between 0" in done.stderr
    tokenizer = build_text_tokenizer()
    te = CharCNNRNNModel(CharCNNRNNConfig(vocab_size=tokenizer.vocab_size, char_embedding_dim=8, conv_channels=[8, 8, 8],
                                          rnn_hidden_size=8, text_embedding_dim=32))
    with pytest.raises(ValueError, match="num_candidates 2 needs a critic"):
        SpeechToImageModel.from_parts(None, None, te, tokenizer, StackGANStage1Generator(StackGANConfig(**TINY_GAN)),
                                      config=SpeechToImageConfig(num_candidates=2))
    with pytest.raises(ValueError, match="num_candidates must be a whole number >= 1, got 0"):
        SpeechToImageConfig(num_candidates=0)


def test_s2i_generate_from_audio_and_text(parts, tmp_path):
    sf.write(tmp_path / "clip.wav", _tone(), 16000)
    done = run_recipe([sys.executable, "-m", "s2i_hf", "generate", "--model", parts / "bundle", "--audio",
                       tmp_path / "clip.wav", "--out", tmp_path / "a.png", "--json"])
    assert json.loads(done.stdout.strip().splitlines()[-1])["images"] == 1
    from PIL import Image

    assert Image.open(tmp_path / "a.png").size == (256, 256)
    done = run_recipe([sys.executable, "-m", "s2i_hf", "generate", "--model", parts / "bundle", "--text",
                       "a blue bird.", "--num_images", "2", "--height", "64", "--out", tmp_path / "b.png"])
    assert done.stdout.strip() == "a blue bird." and Image.open(tmp_path / "b.png").size == (128, 64)
    sf.write(tmp_path / "quiet.wav", np.zeros(16000, np.float32), 16000)
    done = run_recipe([sys.executable, "-m", "s2i_hf", "generate", "--model", parts / "bundle", "--audio",
                       tmp_path / "quiet.wav"], expect_failure=True)
    assert done.returncode == 1 and "silent" in done.stderr
    done = run_recipe([sys.executable, "-m", "s2i_hf", "generate", "--model", parts / "bundle", "--audio",
                       tmp_path / "nope.wav"], expect_failure=True)
    assert done.returncode == 2 and "nope.wav" in done.stderr and "Traceback" not in done.stderr


def test_s2i_demo_runs_every_step_to_its_report_and_resumes(tmp_path):
    out = tmp_path / "demo"
    cmd = [sys.executable, "-m", "s2i_hf", "demo", "--output_dir", out, "--scale", "tiny", "--speech_clips", 27,
           "--birds", 40, "--report_clips", 3]
    global_cache = Path(os.environ["HF_DATASETS_CACHE"])
    before = sorted(global_cache.rglob("*"))
    done = run_recipe(cmd)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(global_cache.rglob("*")) == before and (out / "datasets_cache").is_dir()  # caches in the folder
    held_out = figures["held_out_voice"]
    assert held_out["clips"] >= 1 and 0.0 <= held_out["all_sentences"]["cer"] and set(figures["minutes"]) == {
        "speech", "birds", "speech_unseen_voices", "speech_unseen_phrasing", "speech_unseen_engines", "asr", "judges",
        "text_encoder", "stage1", "stage1_choice", "stage2", "bundle", "report"}
    assert "cer" not in figures and "wer" not in figures  # every figure is named by the set it is measured on
    for path in ("report.html", "report.png", "realism.png", "bundle/config.json",
                 "bundle/generator/model.safetensors", "bundle/samples.png", "report.json",
                 "feature_net/config.json", "attribute_classifier/config.json"):
        assert (out / path).is_file(), path
    report = (out / "report.html").read_text()
    assert "never heard in training" in report and "64 px drafts and 256 px images, side by side" in report
    assert "real vs real floor" in report and "two-sample accuracy" in report and "the same sentences typed" in report
    accuracy = figures["attribute_accuracy"]
    assert set(accuracy) == {"speech_64px_draft", "speech_256px", "spoken_text_256px", "text_64px_draft", "text_256px"}
    # every held-out-voice clip scored spoken and typed; a request always names both colours (its bird's class)
    assert accuracy["speech_256px"]["captions_naming_both"] == accuracy["spoken_text_256px"]["captions_naming_both"]
    assert accuracy["text_256px"]["captions_naming_both"] == figures["text_captions"] >= 1
    realism = figures["realism"]
    for size in ("256px", "64px_drafts"):  # every realism figure beside what it is compared with
        assert realism[size]["frechet"]["real_vs_real_floor"] >= 0 and realism[size]["frechet"]["generated"] >= 0
        assert 0.0 <= realism[size]["two_sample"]["accuracy"] <= 1.0
        assert "real" in realism[size]["periodic_artefact_db"]
    assert "baseline" in realism["256px"]["frechet"] and realism["diversity_256px"]["images_per_caption"] == 4
    assert figures["cpu"]["cores"] >= 1 and "native_bf16" in figures["cpu"]
    precision = figures["precision"]  # each part's, timed on this CPU where bf16 is native; fp32 elsewhere
    assert precision["requested"] == "auto" and set(precision["parts"]) == {"asr", "text_encoder", "stage1", "stage2"}
    assert figures["cpu"]["native_bf16"] or set(precision["parts"].values()) == {"fp32"}
    if figures["cpu"]["cores"] >= 2:  # the ASR and judges beside Stage I, Stage II and the test sets, half the cores
        half = figures["cpu"]["cores"] // 2
        assert figures["threads"] == {"asr": half, "judges": half, "stage1": half, "stage1_choice": half, "stage2": half,
                                      "speech_unseen_voices": half, "speech_unseen_phrasing": half,
                                      "speech_unseen_engines": half}
        assert figures["total_minutes"] < sum(figures["minutes"].values())
    for name in ("speech_unseen_voices", "speech_unseen_phrasing"):  # what training never heard, scored
        assert figures[name]["clips"] == 3 and 0.0 <= figures[name]["cer"], name
        assert "both" in figures[name]["attribute_accuracy_256px"]
        assert "both" in figures[name]["attribute_accuracy_256px_from_text"]  # the same sentences typed
    # every request names both colours (its bird's class), whatever shape the colour parser can or cannot read
    phrasing = figures["speech_unseen_phrasing"]
    assert phrasing["attribute_accuracy_256px"]["captions_naming_both"] == phrasing["clips"]
    assert phrasing["attribute_accuracy_256px_from_text"]["captions_naming_both"] == phrasing["clips"]
    engines = figures["speech_unseen_engines"]  # other engines' unseen voices, each engine scored on its own
    assert engines["clips"] == 6 and set(engines["by_engine"]) <= {"flite", "festival", "festival-hts"}
    assert sum(e["clips"] for e in engines["by_engine"].values()) == 6
    assert all(0.0 <= e["cer"] and "both" in e["attribute_accuracy_256px"] for e in engines["by_engine"].values())
    kinds = [held_out.get(k, {}).get("clips", 0) for k in ("captions", "requests")]
    assert sum(kinds) == held_out["clips"] == held_out["all_sentences"]["clips"]
    assert len(list((out / "bundle" / "examples").glob("*.wav"))) == min(4, held_out["clips"])  # for the web app
    card = (out / "bundle" / "README.md").read_text()
    assert "samples.png" in card and "| held_out_voice |" in card and "| realism |" in card
    choice = json.loads((out / "stage1_chosen" / "checkpoint_choice.json").read_text())  # Stage II's Stage I
    assert [s["step"] for s in choice["scores"]] == [2, 4] and choice["judge"] == str(out / "choice_judge")
    chosen, stage2 = (load_file(out / f / "model.safetensors") for f in ("stage1_chosen", "stage2"))
    assert all(torch.equal(stage2[f"stage1.{k}"], v) for k, v in chosen.items())  # Stage II refined the chosen
    again = run_recipe(cmd)  # rerun: every step is found complete, only the report is redone
    assert again.stdout.count("done already") == 12


def test_a_missing_bundle_is_named_in_the_error(tmp_path):
    with pytest.raises(OSError, match="no-such-bundle: not a local bundle folder"):
        SpeechToImageModel.from_pretrained(str(tmp_path / "no-such-bundle"))
