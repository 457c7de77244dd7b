"""The speech-to-image and text-to-image pipelines, as transformers `Pipeline`s.

    import s2i_hf
    from transformers import pipeline

    pipe = pipeline("speech-to-image", model="outputs/demo/bundle")
    out = pipe("clip.wav", num_images_per_prompt=2, seed=0)   # {"text": transcript, "images": [PIL.Image, ...]}
    pipeline("text-to-image", model="outputs/demo/bundle")("a small bird with a red belly and blue wings.")

Audio input: a path, the file's bytes, {"array": ..., "sampling_rate": ...} (also "raw" for "array", as the ASR
pipeline takes), a bare numpy array (taken to be at the bundle's 16 kHz), or a list of these. Any rate, channel
count and sample format soundfile reads (WAV, FLAC, OGG) is resampled and downmixed. Empty, truncated and non-audio
input is refused with an error naming it; audio longer than `config.max_audio_seconds` (30 s) is refused, not cut
(one caption is a few seconds); silence gives an empty transcript, a warning and no images.

This file imports nothing from s2i_hf (a bundle carries a copy for `trust_remote_code=True`).
"""

from __future__ import annotations

import logging
import os

import numpy as np
import torch
from transformers import Pipeline

from .audio import AudioDecodeError, load_audio_with_rate, resample

logger = logging.getLogger(__name__)


def _describe(inputs) -> str:
    if isinstance(inputs, (str, os.PathLike)):
        return str(inputs)
    if isinstance(inputs, (bytes, bytearray)):
        return f"audio bytes ({len(inputs)} bytes)"
    if isinstance(inputs, np.ndarray):
        return f"audio array of shape {inputs.shape}"
    return f"audio input of type {type(inputs).__name__}"


class _ImagePipelineBase(Pipeline):
    _load_processor = False
    _load_image_processor = False
    _load_feature_extractor = False
    _load_tokenizer = False
    _pipeline_calls_generate = False

    def _sanitize_parameters(self, num_images_per_prompt=None, height=None, seed=None, generator=None,
                             condition_noise_scale=None, num_candidates=None, **kwargs):
        forward = {"num_images_per_prompt": num_images_per_prompt, "height": height, "seed": seed,
                   "generator": generator, "condition_noise_scale": condition_noise_scale,
                   "num_candidates": num_candidates}
        return {}, {k: v for k, v in forward.items() if v is not None}, {}

    def _draw(self, text: str, num_images_per_prompt: int = 1, height: int | None = None, seed: int | None = None,
              generator: torch.Generator | None = None, condition_noise_scale: float | None = None,
              num_candidates: int | None = None) -> torch.Tensor:
        if generator is None and seed is not None:
            generator = torch.Generator(self.model.device).manual_seed(seed)
        embeds = self.model.embed([text])
        return self.model.draw(embeds, num_images_per_prompt, height, generator, condition_noise_scale, texts=[text],
                               num_candidates=num_candidates).float().cpu()

    def postprocess(self, model_outputs):
        from PIL import Image

        images = model_outputs["images"]
        arrays = ((images / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
        return {"text": model_outputs["text"], "images": [Image.fromarray(a) for a in arrays]}


class SpeechToImagePipeline(_ImagePipelineBase):
    """Audio -> transcript (Speech-Transformer) -> embedding (char-CNN-RNN) -> image (StackGAN)."""

    def preprocess(self, inputs):
        name = _describe(inputs)
        config = self.model.config
        if isinstance(inputs, dict) and "raw" in inputs and "array" not in inputs:
            inputs = {**inputs, "array": inputs["raw"]}
        if isinstance(inputs, np.ndarray):
            inputs = {"array": inputs, "sampling_rate": config.sampling_rate}
        if isinstance(inputs, dict) and inputs.get("array") is not None and "sampling_rate" not in inputs:
            raise ValueError(f"{name}: a dict with an array needs its 'sampling_rate'")
        if not isinstance(inputs, (str, os.PathLike, bytes, bytearray, dict)):
            raise TypeError(f"{name}: expected a path, bytes, a numpy array or a dict with 'array' and 'sampling_rate'")
        array, rate = load_audio_with_rate(inputs)
        array = np.asarray(array, np.float32)
        if array.ndim == 2:  # (samples, channels) from a dict
            array = array.mean(axis=1)
        if array.size == 0:
            raise AudioDecodeError(f"{name}: no audio samples")
        seconds = array.size / rate
        if seconds > config.max_audio_seconds:
            raise ValueError(f"{name}: {seconds:.1f} s of audio; this pipeline takes at most {config.max_audio_seconds} s "
                             "(one spoken caption). Split longer recordings into sentences first")
        return {"waveform": resample(array, rate, config.sampling_rate), "name": name}

    def _forward(self, model_inputs, **draw_kwargs):
        text = self.model.transcribe([model_inputs["waveform"]])[0]
        if not text.strip():
            logger.warning("%s: silence (or nothing the recognizer could read); no image drawn", model_inputs["name"])
            return {"text": "", "images": torch.zeros(0, 3, 1, 1)}
        return {"text": text, "images": self._draw(text, **draw_kwargs)}


class TextToImagePipeline(_ImagePipelineBase):
    """Text -> embedding (char-CNN-RNN) -> image (StackGAN). Any characters: unknown ones are embedded as <unk>."""

    def preprocess(self, inputs):
        if not isinstance(inputs, str):
            raise TypeError(f"text-to-image takes a string (or a list of strings), got {type(inputs).__name__}")
        return {"text": inputs}

    def _forward(self, model_inputs, **draw_kwargs):
        text = model_inputs["text"]
        if not text.strip():
            raise ValueError("text-to-image got an empty text")
        return {"text": text, "images": self._draw(text, **draw_kwargs)}


__all__ = ["SpeechToImagePipeline", "TextToImagePipeline"]
