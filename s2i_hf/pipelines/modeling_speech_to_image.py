"""A speech-to-image bundle as one transformers model: the ASR (with its processor), the text encoder (with its
tokenizer), the StackGAN generator and, optionally, the critic that chooses among its drafts, each kept in its own
subfolder in `save_pretrained` form.

    model = SpeechToImageModel.from_pretrained("outputs/demo/bundle")
    texts = model.transcribe([waveform_16k]); embeds = model.embed(texts); images = model.draw(embeds, seed=0)

This file imports nothing from s2i_hf (a bundle carries a copy for `trust_remote_code=True`); the parts load
through the Auto classes, which find them registered by `import s2i_hf`, or in their folders' own code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from transformers import (
    AutoModel,
    AutoModelForSpeechSeq2Seq,
    AutoProcessor,
    AutoTokenizer,
    PreTrainedModel,
)

from .candidates import choose_noise, is_attribute_classifier, reads_colours
from .caption_attributes import colours_named
from .char_lm import CharNGramLM
from .configuration_speech_to_image import SpeechToImageConfig
from .decoding import joint_ctc_attention_beam_search, load_ctc_head, save_ctc_head

PART_ATTRIBUTES = ("asr", "text_encoder", "generator")


class SpeechToImageModel(PreTrainedModel):
    config_class = SpeechToImageConfig
    base_model_prefix = "speech_to_image"
    main_input_name = "input_features"

    def __init__(self, config: SpeechToImageConfig):
        super().__init__(config)
        self.asr = self.text_encoder = self.generator = self.critic = None
        self.asr_processor = self.text_tokenizer = self.ctc_head = self.char_lm = None
        self.post_init()

    @classmethod
    def from_parts(cls, asr, asr_processor, text_encoder, text_tokenizer, generator,
                   config: SpeechToImageConfig | None = None, ctc_head: torch.nn.Linear | None = None,
                   char_lm: CharNGramLM | None = None, critic=None) -> "SpeechToImageModel":
        """`ctc_head`: the ASR's CTC head (`load_ctc_head(asr_dir)`), for joint CTC/attention decoding;
        `char_lm`: a character LM for its beam search (`CharNGramLM.from_pretrained(asr_dir)`), used when
        `config.asr_lm_weight` is above 0; `critic`: what reads the colours of `config.num_candidates` drafts per
        image, the Stage-I discriminator (its attribute head) or an attribute classifier trained on the real renders
        (saved under `config.critic_subfolder`, "critic" by default)."""
        if text_encoder.config.text_embedding_dim != generator.config.text_embedding_dim:
            raise ValueError(f"the text encoder makes {text_encoder.config.text_embedding_dim}-d embeddings but the "
                             f"generator takes {generator.config.text_embedding_dim}-d ones")
        model = cls(config or SpeechToImageConfig())
        if model.config.num_candidates > 1 and critic is None:
            raise ValueError(f"num_candidates {model.config.num_candidates} needs a critic to choose among drafts")
        model.asr, model.text_encoder, model.generator = asr.eval(), text_encoder.eval(), generator.eval()
        model.asr_processor, model.text_tokenizer = asr_processor, text_tokenizer
        if ctc_head is not None:
            model.ctc_head = ctc_head.eval()
        model.char_lm = char_lm
        if critic is not None:
            stage1 = generator.stage1 if hasattr(generator, "stage1") else generator
            if not reads_colours(critic):
                raise ValueError(f"critic {type(critic).__name__}: must be a Stage-I discriminator with an attribute "
                                 "head (trained with auxiliary_attributes) or an attribute classifier")
            if not is_attribute_classifier(critic) and critic.config.condition_dim != stage1.config.condition_dim:
                raise ValueError(f"critic: built for {critic.config.condition_dim}-d conditions, but the generator's "
                                 f"Stage I makes {stage1.config.condition_dim}-d ones: not the discriminator it was "
                                 "trained against")
            model.critic = critic.eval()
            model.config.critic_subfolder = model.config.critic_subfolder or "critic"
        if model.config.asr_lm_weight > 0 and (char_lm is None or ctc_head is None):
            raise ValueError(f"asr_lm_weight {model.config.asr_lm_weight}: the ASR needs its CTC head and a "
                             "character LM (char_lm.json, recipes/train_char_lm.py) for LM fusion")
        return model

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *args, config=None, trust_remote_code=None, **kwargs):
        root = Path(pretrained_model_name_or_path)
        if not root.is_dir():  # the caller named a hub repository: fetch it whole (the parts live in subfolders)
            from huggingface_hub import snapshot_download

            try:
                root = Path(snapshot_download(str(pretrained_model_name_or_path), revision=kwargs.get("revision"),
                                              token=kwargs.get("token")))
            except Exception as e:  # offline, or no such repository: say which input was at fault
                raise OSError(f"{pretrained_model_name_or_path}: not a local bundle folder, and fetching it as a "
                              f"hub repository failed ({type(e).__name__}: {e})") from None
        if not isinstance(config, SpeechToImageConfig):
            config = cls.config_class.from_pretrained(root)
        remote = {"trust_remote_code": True} if trust_remote_code else {}
        asr_dir, te_dir = root / config.asr_subfolder, root / config.text_encoder_subfolder
        parts = [asr_dir, te_dir, root / config.generator_subfolder]
        parts += [root / config.critic_subfolder] if config.critic_subfolder else []
        for part in parts:
            if not (part / "config.json").is_file():
                raise FileNotFoundError(f"{part}: missing part of the speech-to-image bundle {root} (no config.json)")
        asr = AutoModelForSpeechSeq2Seq.from_pretrained(asr_dir)
        return cls.from_parts(
            asr=asr, ctc_head=load_ctc_head(asr_dir, asr), char_lm=CharNGramLM.from_pretrained(asr_dir),
            asr_processor=AutoProcessor.from_pretrained(asr_dir, **remote),
            text_encoder=AutoModel.from_pretrained(te_dir, **remote),
            text_tokenizer=AutoTokenizer.from_pretrained(te_dir, **remote),
            generator=AutoModel.from_pretrained(root / config.generator_subfolder, **remote),
            critic=(AutoModel.from_pretrained(root / config.critic_subfolder, **remote) if config.critic_subfolder
                    else None),
            config=config,
        )

    def save_pretrained(self, save_directory, **kwargs):
        root = Path(save_directory)
        root.mkdir(parents=True, exist_ok=True)
        self._save_code(root)  # first: it adds the model's entry to config.auto_map
        self.config.save_pretrained(root)
        self.asr.save_pretrained(root / self.config.asr_subfolder, **kwargs)
        self.asr_processor.save_pretrained(root / self.config.asr_subfolder)
        if self.ctc_head is not None:
            save_ctc_head(self.ctc_head, root / self.config.asr_subfolder)
        if self.char_lm is not None:
            self.char_lm.save_pretrained(root / self.config.asr_subfolder)
        self.text_encoder.save_pretrained(root / self.config.text_encoder_subfolder, **kwargs)
        self.text_tokenizer.save_pretrained(root / self.config.text_encoder_subfolder)
        self.generator.save_pretrained(root / self.config.generator_subfolder, **kwargs)
        if self.critic is not None:
            self.critic.save_pretrained(root / self.config.critic_subfolder, **kwargs)

    def _save_code(self, root: Path):
        """The bundle's own code, for `trust_remote_code=True`: this file and its config (auto_map), the pipeline,
        the audio decoding it imports as `.audio` (in the package, s2i_hf/data/audio.py and errors.py), the
        ASR decoding it imports as `.decoding` and `.char_lm` (s2i_hf/models/asr/), and the choice among drafts,
        `.candidates` and `.caption_attributes` (s2i_hf/models/stackgan/, s2i_hf/data/)."""
        import shutil

        from transformers.dynamic_module_utils import custom_object_save

        custom_object_save(self, root, config=self.config)
        here = Path(__file__).resolve().parent
        data = here.parent / "data"
        sources = {"pipeline_speech_to_image.py": here / "pipeline_speech_to_image.py"}
        for name in ("audio.py", "errors.py", "caption_attributes.py"):
            sources[name] = data / name if (data / name).is_file() else here / name
        stackgan = here.parent / "models" / "stackgan" / "candidates.py"
        sources["candidates.py"] = stackgan if stackgan.is_file() else here / "candidates.py"
        for name in ("decoding.py", "char_lm.py"):
            source = here.parent / "models" / "asr" / name
            sources[name] = source if source.is_file() else here / name
        for name, source in sources.items():
            if source.resolve() != (root / name).resolve():
                shutil.copyfile(source, root / name)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("a bundle is used through transcribe/embed/draw or pipeline('speech-to-image')")

    @property
    def image_sizes(self) -> tuple[int, ...]:
        return (64, 256) if hasattr(self.generator, "stage1") else (64,)

    def is_silent(self, waveform: np.ndarray) -> bool:
        return waveform.size == 0 or float(np.sqrt(np.mean(np.square(waveform, dtype=np.float64)))) < self.config.silence_rms

    @torch.inference_mode()
    def transcribe(self, waveforms: list[np.ndarray]) -> list[str]:
        """Transcripts of 16 kHz mono waveforms: joint CTC/attention beam search when the ASR came with its CTC
        head (with the character LM at `config.asr_lm_weight` when above 0), greedy attention decoding otherwise.
        Silence gives "" without running the decoder (which would otherwise invent a fluent sentence from
        nothing)."""
        texts = [""] * len(waveforms)
        speech = [i for i, w in enumerate(waveforms) if not self.is_silent(w)]
        if speech:
            fe = self.asr_processor.feature_extractor
            inputs = fe([waveforms[i] for i in speech], sampling_rate=self.config.sampling_rate, padding=True,
                        return_attention_mask=True, return_tensors="pt")
            features, mask = inputs.input_features.to(self.device), inputs.attention_mask.to(self.device)
            if self.ctc_head is not None:
                ids = joint_ctc_attention_beam_search(self.asr, self.ctc_head, features, mask,
                                                      beam_size=self.config.asr_beam_size,
                                                      ctc_weight=self.config.asr_ctc_weight, lm=self.char_lm,
                                                      lm_weight=self.config.asr_lm_weight,
                                                      ctc_strict_repeats=self.config.asr_ctc_strict_repeats)
            else:
                ids = self.asr.generate(features, attention_mask=mask)
            for i, text in zip(speech, self.asr_processor.tokenizer.batch_decode(ids, skip_special_tokens=True)):
                texts[i] = text
        return texts

    @torch.inference_mode()
    def embed(self, texts: list[str]) -> torch.Tensor:
        """Caption embeddings (batch, text_embedding_dim) of any text: characters outside the alphabet become <unk>."""
        batch = self.text_tokenizer(texts, padding=True, truncation=True, max_length=self.text_encoder.config.max_length,
                                    return_tensors="pt").to(self.device)
        return self.text_encoder(input_ids=batch.input_ids, attention_mask=batch.attention_mask).text_embeds

    @torch.inference_mode()
    def draw(self, text_embeds: torch.Tensor, num_images_per_prompt: int = 1, height: int | None = None,
             generator: torch.Generator | None = None, condition_noise_scale: float | None = None,
             texts: list[str] | None = None, num_candidates: int | None = None) -> torch.Tensor:
        """Images in [-1, 1], (batch * num_images_per_prompt, 3, height, height); height 64 or 256.
        `condition_noise_scale`: the conditioning noise sampled, 0 (the mean) to 1 (as in training); by default the
        generator's `config.condition_noise_scale`. `texts` (one per embedding) and `num_candidates` (by default
        `config.num_candidates`): each image from the best of that many noises, as the critic reads the colours the
        text names (the same image at 64 and 256 px for one seed)."""
        height = height or self.image_sizes[-1]
        if height not in self.image_sizes:
            raise ValueError(f"height={height} is not one this bundle makes; it makes {self.image_sizes}")
        model = self.generator.stage1 if height == 64 and len(self.image_sizes) == 2 else self.generator
        stage1 = self.generator.stage1 if len(self.image_sizes) == 2 else self.generator
        k = self.config.num_candidates if num_candidates is None else num_candidates
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"num_candidates must be a whole number >= 1, got {k!r}")
        if k > 1 and self.critic is None:
            raise ValueError(f"num_candidates={k}: this bundle has no critic to choose among drafts")
        if k > 1 and texts is None:
            raise ValueError(f"num_candidates={k} needs the texts, to read the colours they name")
        scale = stage1.config.condition_noise_scale if condition_noise_scale is None else condition_noise_scale
        embeds = text_embeds.repeat_interleave(num_images_per_prompt, dim=0)
        device = generator.device if generator is not None else self.device
        noise = torch.randn(len(embeds), k, model.config.noise_dim, generator=generator, device=device).to(self.device)
        # with the conditioning sampled, each candidate has its own draw of it: the critic reads the draft drawn
        condition_noise = (torch.randn(len(embeds), k, stage1.config.condition_dim, generator=generator,
                                       device=device).to(self.device) if k > 1 and scale > 0 else None)
        wanted = [colours_named(t) for t in texts for _ in range(num_images_per_prompt)] if k > 1 else []
        noise, condition_noise = choose_noise(stage1, self.critic, embeds, noise, wanted, condition_noise, scale)
        same_device = generator is not None and generator.device == self.device
        return model(embeds, noise=noise.to(self.device), generator=generator if same_device else None,
                     condition_noise_scale=scale, condition_noise=condition_noise).images


__all__ = ["SpeechToImageModel", "PART_ATTRIBUTES"]
