"""The Speech-Transformer, assembled from transformers' Speech2Text classes.

Why Speech2Text and not a SpeechEncoderDecoderModel: it *is* the Speech-Transformer recipe (a strided conv front
end on log-mel filterbanks, sinusoidal positions, a Transformer encoder-decoder trained with cross-entropy), it is
small enough to train from scratch on a CPU, and as a stock class it keeps every transformers tool working on our
checkpoints: `AutoModelForSpeechSeq2Seq`, `generate`, and the built-in automatic-speech-recognition pipeline
(which recognises seq2seq models by class). A SpeechEncoderDecoderModel would pair two pretrained halves we
cannot download here. What we add is the character tokenizer and the presets (recipes/configs/asr_*.yaml).
"""

from __future__ import annotations

import torch
from transformers import Speech2TextConfig, Speech2TextFeatureExtractor, Speech2TextForConditionalGeneration, Speech2TextProcessor

from .decoding import joint_ctc_attention_beam_search
from .tokenization_char import DEFAULT_ALPHABET, CharTokenizer


def build_processor(num_mel_bins: int = 80, sampling_rate: int = 16000, alphabet: str = DEFAULT_ALPHABET) -> Speech2TextProcessor:
    """80-dim Kaldi log-mel filterbanks (25 ms windows, 10 ms hop) with per-utterance mean/variance
    normalization, and the character tokenizer."""
    feature_extractor = Speech2TextFeatureExtractor(
        feature_size=num_mel_bins, num_mel_bins=num_mel_bins, sampling_rate=sampling_rate,
        do_ceptral_normalize=True, normalize_means=True, normalize_vars=True,
    )
    return Speech2TextProcessor(feature_extractor=feature_extractor, tokenizer=CharTokenizer(alphabet=alphabet))


def build_model(
    processor: Speech2TextProcessor,
    d_model: int = 256,
    encoder_layers: int = 12,
    decoder_layers: int = 6,
    attention_heads: int = 4,
    ffn_dim: int = 2048,
    conv_channels: int = 1024,
    conv_kernel_sizes: tuple[int, ...] = (5, 5),
    dropout: float = 0.1,
    attention_dropout: float | None = None,
    activation_dropout: float | None = None,
    max_source_positions: int = 6000,
    max_target_positions: int = 1024,
    generation_max_length: int = 300,
) -> Speech2TextForConditionalGeneration:
    """A freshly initialised Speech2Text model whose vocabulary and special ids match `processor.tokenizer`.
    The defaults are facebook/s2t-small's shape (about 30 M parameters with a character vocabulary)."""
    tok = processor.tokenizer
    if d_model % attention_heads:
        raise ValueError(f"d_model ({d_model}) must be divisible by attention_heads ({attention_heads})")
    config = Speech2TextConfig(
        vocab_size=len(tok),
        d_model=d_model,
        encoder_layers=encoder_layers,
        decoder_layers=decoder_layers,
        encoder_attention_heads=attention_heads,
        decoder_attention_heads=attention_heads,
        encoder_ffn_dim=ffn_dim,
        decoder_ffn_dim=ffn_dim,
        conv_channels=conv_channels,
        conv_kernel_sizes=list(conv_kernel_sizes),
        num_conv_layers=len(conv_kernel_sizes),
        input_feat_per_channel=processor.feature_extractor.num_mel_bins,
        input_channels=1,
        dropout=dropout,
        attention_dropout=dropout if attention_dropout is None else attention_dropout,
        activation_dropout=dropout if activation_dropout is None else activation_dropout,
        max_source_positions=max_source_positions,
        max_target_positions=max_target_positions,
        pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        decoder_start_token_id=tok.eos_token_id,
        scale_embedding=True,
    )
    model = Speech2TextForConditionalGeneration(config)
    gen = model.generation_config
    gen.max_length = generation_max_length
    gen.num_beams = 1
    gen.decoder_start_token_id = tok.eos_token_id
    gen.bos_token_id, gen.eos_token_id, gen.pad_token_id = tok.bos_token_id, tok.eos_token_id, tok.pad_token_id
    return model


SILENCE_RMS = 1e-4  # about -80 dBFS: below this a clip holds no speech (16-bit dither is about -100 dBFS)


def is_silent(waveform, threshold: float = SILENCE_RMS) -> bool:
    import numpy as np

    waveform = np.asarray(waveform, np.float32)
    return waveform.size == 0 or float(np.sqrt(np.mean(waveform**2))) < threshold


@torch.inference_mode()
def transcribe(model, processor, waveforms: list, sampling_rate: int = 16000, ctc_head: torch.nn.Module | None = None,
               beam_size: int = 8, ctc_weight: float = 0.4, lm=None, lm_weight: float = 0.0,
               ctc_strict_repeats: bool = False, **generate_kwargs) -> list[str]:
    """Transcripts of 16 kHz mono float waveforms (see s2i_hf.data.audio.load_audio), batched as given.

    With the model's `ctc_head` (decoding.load_ctc_head), joint CTC/attention beam search (decoding.py); without,
    the model's own `generate` (greedy attention decoding; `generate_kwargs` go there); `ctc_strict_repeats`:
    decoding.CTCPrefixScorer. `lm` (char_lm.CharNGramLM)
    at `lm_weight` joins the joint beam search (shallow fusion).
    A silent or empty waveform gets an empty transcript without running the model: an attention decoder
    would otherwise hallucinate a fluent sentence from nothing.
    """
    fe = processor.feature_extractor
    if sampling_rate != fe.sampling_rate:
        raise ValueError(f"waveforms are at {sampling_rate} Hz, the feature extractor expects {fe.sampling_rate} Hz")
    texts = [""] * len(waveforms)
    speech = [i for i, w in enumerate(waveforms) if not is_silent(w)]
    if not speech:
        return texts
    inputs = fe([waveforms[i] for i in speech], sampling_rate=sampling_rate, padding=True, return_attention_mask=True,
                return_tensors="pt")
    features, mask = inputs.input_features.to(model.device), inputs.attention_mask.to(model.device)
    if ctc_head is not None:
        ids = joint_ctc_attention_beam_search(model, ctc_head, features, mask, beam_size=beam_size,
                                              ctc_weight=ctc_weight, max_length=generate_kwargs.get("max_length"),
                                              lm=lm, lm_weight=lm_weight,
                                              ctc_strict_repeats=ctc_strict_repeats)
    else:
        ids = model.generate(features, attention_mask=mask, **generate_kwargs)
    for i, text in zip(speech, processor.tokenizer.batch_decode(ids, skip_special_tokens=True)):
        texts[i] = text
    return texts
