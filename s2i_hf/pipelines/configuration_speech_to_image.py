"""Configuration of a speech-to-image bundle: which subfolder holds which part, and the pipeline's limits.

This file imports nothing from s2i_hf: a bundle carries a copy, so that `trust_remote_code=True` loads it where
s2i_hf is not installed.
"""

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

# Written into every saved bundle's config.json: where a hub user without s2i_hf finds the pipeline code.
CUSTOM_PIPELINES = {
    task: {"impl": f"pipeline_speech_to_image.{cls}", "pt": ["AutoModel"], "tf": [], "type": "multimodal"}
    for task, cls in (("speech-to-image", "SpeechToImagePipeline"), ("text-to-image", "TextToImagePipeline"))
}


@strict
class SpeechToImageConfig(PreTrainedConfig):
    r"""
    asr_subfolder, text_encoder_subfolder, generator_subfolder (`str`): where the parts are, each in
        `save_pretrained` form (the ASR model with its processor, the text encoder with its tokenizer, the StackGAN
        generator: Stage II, which holds its Stage I, or Stage I alone).
    sampling_rate (`int`, defaults to 16000): the ASR's input rate; any other is resampled.
    max_audio_seconds (`float`, defaults to 30.0): longer audio is refused (one spoken caption is a few seconds).
    silence_rms (`float`, defaults to 1e-3): audio quieter than this (RMS) is silence: empty transcript, no image.
    asr_beam_size (`int`, defaults to 8), asr_ctc_weight (`float`, defaults to 0.4): joint CTC/attention decoding
        of an ASR saved with its CTC head (ctc_head.safetensors); an ASR without one decodes greedily.
    asr_ctc_strict_repeats (`bool`, defaults to False): True scores doubled letters by exact CTC (letter, blank,
        letter); False leaves them to the decoder, as the CTC head's 40 ms frames often cannot (decoding.py).
    asr_lm_weight (`float`, defaults to 0.0): above 0, the weight of the character LM saved with the ASR
        (char_lm.json) in that beam search. Off by default: an LM of the training corpus's sentences spells its
        sentence shapes better and freely phrased speech worse (docs/studies/asr.md).
    critic_subfolder (`str`, *optional*): a Stage-I discriminator with an attribute head (the one Stage I was
        trained against), which reads the colours of candidate drafts.
    num_candidates (`int`, defaults to 1): with a critic, each image is drawn from the best of this many noises:
        the one whose 64 x 64 draft the critic reads as most likely to show the colours the text names
        (docs/studies/stackgan-conditioning.md). 1: the first noise, no critic.
    """

    model_type = "speech_to_image"

    asr_subfolder: str = "asr"
    text_encoder_subfolder: str = "text_encoder"
    generator_subfolder: str = "generator"
    sampling_rate: int = 16000
    max_audio_seconds: float = 30.0
    silence_rms: float = 1e-3
    asr_beam_size: int = 8
    asr_ctc_weight: float = 0.4
    asr_ctc_strict_repeats: bool = False
    asr_lm_weight: float = 0.0
    critic_subfolder: str | None = None
    num_candidates: int = 1

    def __post_init__(self, **kwargs):
        # `custom_pipelines` sends `pipeline()` to the bundle's own copy of the pipeline code (and makes it demand
        # trust_remote_code). When this class is the installed package's, the tasks are registered in-process,
        # so the entry is dropped on load, and written back on save (to_dict).
        if not __name__.startswith("transformers_modules"):
            kwargs.pop("custom_pipelines", None)
        super().__post_init__(**kwargs)
        if not isinstance(self.num_candidates, int) or self.num_candidates < 1:
            raise ValueError(f"num_candidates must be a whole number >= 1, got {self.num_candidates!r}")
        if not 0.0 <= self.asr_ctc_weight <= 1.0:
            raise ValueError(f"asr_ctc_weight must be between 0 and 1, got {self.asr_ctc_weight!r}")

    def to_dict(self):
        return {**super().to_dict(), "custom_pipelines": CUSTOM_PIPELINES}

    def to_diff_dict(self):
        return {**super().to_diff_dict(), "custom_pipelines": CUSTOM_PIPELINES}


__all__ = ["SpeechToImageConfig"]
