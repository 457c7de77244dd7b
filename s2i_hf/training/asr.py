"""The ASR data pipeline and trainer wiring shared by recipes/train_asr.py and recipes/evaluate_asr.py.

audio -> 16 kHz mono (s2i_hf.data.audio) -> [training clips: reverberation, noise, band limits... (s2i_hf.data.augment)]
      -> 80-dim log-mel (the processor's feature extractor) -> Speech2Text
text -> normalized characters -> label ids (the processor's CharTokenizer)
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import torch
import torchaudio.transforms as T
from transformers import Seq2SeqTrainer
from transformers.models.speech_to_text.modeling_speech_to_text import shift_tokens_right

from ..data.audio import load_audio
from ..data.augment import RecordingAugment
from ..metrics import load_metric
from ..models.asr import transcribe

logger = logging.getLogger(__name__)


def prepare_asr_splits(
    splits: datasets.DatasetDict,
    processor,
    min_duration: float = 0.0,
    max_duration: float = float("inf"),
    num_proc: int | None = None,
    augment: RecordingAugment | None = None,
    cache_dir: str | None = None,
) -> datasets.DatasetDict:
    """Filter by duration (seconds) and add `input_features` (frames x mels), `input_length` and `labels` (read back
    as numpy arrays). `augment` changes the train split's waveforms (each clip the same way in every run) before
    their features; validation and test stay as recorded.

    The features are cached as arrow files in `cache_dir` (a run's output folder: the cache goes with it) when
    given, else in datasets' cache beside the loaded corpus: a second run with the same data, processor and
    augmentation reads them back instead of decoding again.
    """
    fe, tok = processor.feature_extractor, processor.tokenizer
    kept = splits.filter(lambda d: [min_duration <= x <= max_duration for x in d], input_columns="duration",
                         batched=True, desc="duration filter")
    for name in splits:
        dropped = len(splits[name]) - len(kept[name])
        if dropped:
            logger.info("%s: %d of %d clips outside [%s, %s] s dropped", name, dropped, len(splits[name]),
                        min_duration, max_duration)

    def featurize(batch, augment=None):
        if num_proc and num_proc > 1:
            # one thread per worker process: torch's default (every core in each worker) oversubscribes the CPU
            # (the demo's 2,600 clips, two workers on two cores: 84 s before the first step; 9 s with one each)
            torch.set_num_threads(1)
        arrays = [load_audio(a, fe.sampling_rate) for a in batch["audio"]]
        if augment is not None:
            arrays = [augment(a, fe.sampling_rate, key) for a, key in zip(arrays, batch["id"])]
        feats = fe(arrays, sampling_rate=fe.sampling_rate, padding=False).input_features
        return {
            "input_features": [np.asarray(f, np.float32) for f in feats],
            "input_length": [len(f) for f in feats],
            "labels": tok(batch["normalized_text"]).input_ids,
        }

    first = next(iter(kept.values()))
    features = datasets.Features({
        **first.features,
        "input_features": datasets.Array2D((None, fe.feature_size), "float32"),
        "input_length": datasets.Value("int32"),
        "labels": datasets.Sequence(datasets.Value("int32")),
    })
    featurized = datasets.DatasetDict()
    for name, split in kept.items():
        fn_kwargs = {"augment": augment if name == "train" and augment is not None and augment.active else None}
        cache = None
        if cache_dir is not None:  # named by what decides the features: a changed option never reads stale ones
            key = hashlib.blake2b(f"{split._fingerprint}|{fn_kwargs['augment']}|{fe.to_json_string()}|"
                                  f"{tok.get_vocab()}".encode() + featurize.__code__.co_code,
                                  digest_size=8).hexdigest()
            Path(cache_dir).mkdir(parents=True, exist_ok=True)
            cache = str(Path(cache_dir) / f"{name}-{key}.arrow")
        featurized[name] = split.map(featurize, batched=True, batch_size=16, num_proc=num_proc, features=features,
                                     fn_kwargs=fn_kwargs, cache_file_name=cache, desc=f"log-mel features ({name})")
    # read back as arrays: the default Python-list rows cost a sixth of a CPU training step to build (an empty
    # split comes back from map without the new columns, and stays as it is)
    columns = ["input_features", "input_length", "labels"]
    return datasets.DatasetDict({
        name: split.with_format("numpy", columns=columns, output_all_columns=True)
        if set(columns) <= set(split.column_names) else split
        for name, split in featurized.items()})


@dataclass
class SpeechSeq2SeqCollator:
    """Pads features (with an attention mask) and labels (with -100, ignored by the loss), and adds the
    teacher-forcing `decoder_input_ids` (labels shifted right after the start token): with label smoothing the
    Trainer takes the labels away from the model, which then cannot derive them itself."""

    processor: Any
    decoder_start_token_id: int

    def __call__(self, examples: list[dict]) -> dict[str, torch.Tensor]:
        feats = [{"input_features": np.asarray(e["input_features"], np.float32)} for e in examples]
        batch = self.processor.feature_extractor.pad(feats, padding=True, return_attention_mask=True, return_tensors="pt")
        longest = max(len(e["labels"]) for e in examples)
        labels = torch.full((len(examples), longest), -100, dtype=torch.long)
        for i, e in enumerate(examples):
            labels[i, : len(e["labels"])] = torch.as_tensor(e["labels"])
        batch["labels"] = labels
        batch["decoder_input_ids"] = shift_tokens_right(labels, self.processor.tokenizer.pad_token_id,
                                                        self.decoder_start_token_id)
        return batch


class SpecAugment:
    """SpecAugment (Park et al. 2019) masking of the encoder's input features, active only in training mode.

    Installed as a forward pre-hook on the encoder, so nothing changes in the model class or its checkpoints
    (saved models stay stock Speech2Text) and evaluation/generation (eval mode) never sees masks.
    """

    def __init__(self, freq_mask: int = 27, time_mask: int = 40, num_freq_masks: int = 2, num_time_masks: int = 2,
                 max_time_fraction: float = 0.1):
        self.freq = T.FrequencyMasking(freq_mask, iid_masks=True)
        self.time = T.TimeMasking(time_mask, iid_masks=True, p=max_time_fraction)
        self.num_freq_masks, self.num_time_masks = num_freq_masks, num_time_masks

    def __call__(self, module, args, kwargs):
        if not module.training:
            return None
        features = args[0] if args else kwargs["input_features"]
        spec = features.transpose(1, 2).unsqueeze(1)  # (B, 1, mels, frames), torchaudio's layout
        for _ in range(self.num_freq_masks):
            spec = self.freq(spec)
        for _ in range(self.num_time_masks):
            spec = self.time(spec)
        features = spec.squeeze(1).transpose(1, 2)
        if args:
            return (features, *args[1:]), kwargs
        return args, {**kwargs, "input_features": features}

    def attach(self, model) -> torch.utils.hooks.RemovableHandle:
        return model.get_encoder().register_forward_pre_hook(self, with_kwargs=True)


class VocalTractWarp:
    """Vocal tract length perturbation (Jaitly & Hinton 2013) of the encoder's log-mel input, training mode only.

    A speaker with a shorter vocal tract (a child, many eSpeak variants) has every formant, and with the pitch every
    harmonic, higher by a factor; no number of adult-sounding voices in training teaches that shift. Each training
    clip's frequency axis is scaled by a factor drawn log-uniformly from `warp_range`: the output bin at frequency f
    reads the input at f / factor below a boundary, and the rest of the band is mapped linearly onto what remains
    up to the Nyquist frequency, so nothing is read from outside it. Bins follow Kaldi's mel scale, as the
    feature extractor's do. The factors come from torch's generator, which the Trainer checkpoints, and the hook
    sits on the encoder like SpecAugment: checkpoints stay stock Speech2Text and evaluation never sees a warp.
    """

    def __init__(self, warp_range: tuple[float, float] = (0.8, 1.5), num_mel_bins: int = 80,
                 sampling_rate: int = 16000, low_freq: float = 20.0, boundary: float = 4800.0):
        low, high = warp_range
        if not 0 < low <= high:
            raise ValueError(f"--vocal_tract_warp must be two factors 0 < low <= high, got {list(warp_range)}")
        self.log_range = (float(np.log(low)), float(np.log(high)))
        self.nyquist, self.boundary, self.num_mel_bins = sampling_rate / 2, boundary, num_mel_bins
        self.mel_low, mel_high = self._mel(torch.tensor(low_freq)), self._mel(torch.tensor(self.nyquist))
        self.mel_step = (mel_high - self.mel_low) / (num_mel_bins + 1)
        centres = self.mel_low + self.mel_step * torch.arange(1, num_mel_bins + 1)
        self.centres_hz = 700.0 * (torch.exp(centres / 1127.0) - 1.0)  # each bin's centre frequency

    @staticmethod
    def _mel(hz: torch.Tensor) -> torch.Tensor:
        return 1127.0 * torch.log1p(hz / 700.0)

    def source_bins(self, factors: torch.Tensor) -> torch.Tensor:
        """(B,) warp factors -> (B, bins) fractional input bin that each output bin reads."""
        f, half = self.centres_hz[None, :], self.nyquist
        knee = self.boundary * torch.clamp(factors, max=1.0)[:, None]  # where the warp bends, in output Hz
        below = f / factors[:, None]
        above = half - (half - f) * (half - knee / factors[:, None]) / (half - knee)
        source_hz = torch.where(f <= knee, below, above)
        return ((self._mel(source_hz) - self.mel_low) / self.mel_step - 1.0).clamp(0, self.num_mel_bins - 1)

    def __call__(self, module, args, kwargs):
        if not module.training:
            return None
        features = args[0] if args else kwargs["input_features"]
        factors = torch.exp(torch.empty(features.shape[0]).uniform_(*self.log_range))
        position = self.source_bins(factors).to(features.device)
        lower = position.floor().long().clamp(max=self.num_mel_bins - 2)
        weight = (position - lower).to(features.dtype)[:, None, :]
        index = lower[:, None, :].expand(-1, features.shape[1], -1)
        warped = features.gather(2, index) * (1 - weight) + features.gather(2, index + 1) * weight
        if args:
            return (warped, *args[1:]), kwargs
        return args, {**kwargs, "input_features": warped}

    def attach(self, model) -> torch.utils.hooks.RemovableHandle:
        return model.get_encoder().register_forward_pre_hook(self, with_kwargs=True)


class DecoderInputNoise:
    """Teacher forcing with a noisy history: each decoder input character after the start token is replaced, with
    `probability`, by one drawn uniformly from `token_ids`, training mode only.

    With the true history always given, the decoder learns to continue the sentences it knows from it and rewrites
    a word it never heard into one it did ("sketch a bird colored red" -> "scate a bird with a red belly",
    docs/studies/asr.md); with a history it cannot fully trust, it has to read the next character from the
    encoder. A forward pre-hook on the decoder like SpecAugment's on the encoder: checkpoints stay stock
    Speech2Text and generation never sees it; the draws come from torch's generator, which the Trainer checkpoints.
    """

    def __init__(self, probability: float, token_ids: list[int], pad_token_id: int):
        if not 0 <= probability < 1:
            raise ValueError(f"--decoder_input_noise must be in [0, 1), got {probability}")
        if not token_ids:
            raise ValueError("--decoder_input_noise needs a vocabulary of characters to draw from, got none")
        self.probability, self.pad_token_id = probability, pad_token_id
        self.token_ids = torch.as_tensor(token_ids, dtype=torch.long)

    def __call__(self, module, args, kwargs):
        ids = args[0] if args else kwargs.get("input_ids")
        if not module.training or ids is None or self.probability == 0:
            return None
        replace = (torch.rand(ids.shape) < self.probability).to(ids.device) & (ids != self.pad_token_id)
        replace[:, 0] = False  # the start token
        drawn = self.token_ids[torch.randint(len(self.token_ids), ids.shape)].to(ids.device)
        ids = torch.where(replace, drawn, ids)
        if args:
            return (ids, *args[1:]), kwargs
        return args, {**kwargs, "input_ids": ids}

    def attach(self, model) -> torch.utils.hooks.RemovableHandle:
        return model.get_decoder().register_forward_pre_hook(self, with_kwargs=True)


def build_compute_metrics(tokenizer):
    """`compute_metrics` for Seq2SeqTrainer(predict_with_generate=True): WER and CER from the package modules."""
    wer, cer = load_metric("wer"), load_metric("cer")

    def compute_metrics(pred) -> dict[str, float]:
        pred_ids = np.where(pred.predictions < 0, tokenizer.pad_token_id, pred.predictions)
        label_ids = np.where(pred.label_ids < 0, tokenizer.pad_token_id, pred.label_ids)
        hyps = tokenizer.batch_decode(pred_ids, skip_special_tokens=True)
        refs = tokenizer.batch_decode(label_ids, skip_special_tokens=True)
        return {"wer": wer.compute(predictions=hyps, references=refs), "cer": cer.compute(predictions=hyps, references=refs)}

    return compute_metrics


class HybridCTCSeq2SeqTrainer(Seq2SeqTrainer):
    """Seq2SeqTrainer with an auxiliary CTC loss on the encoder (hybrid CTC/attention, Watanabe et al. 2017;
    for the Speech-Transformer, Karita et al. 2019): loss = (1 - w) * attention loss + w * CTC loss.

    From scratch, an attention decoder first learns a language model and its cross-attention stays uniform for a
    long while; CTC forces the encoder to be monotonically aligned with the text from the first steps, which is
    what lets a small model learn to listen within a CPU budget. The CTC head (`model.ctc_head`, one Linear) lives
    on the model during training; `strip_ctc_head` takes it out before the final save, so the published model is
    a stock Speech2TextForConditionalGeneration, and the recipe writes the head beside it (ctc_head.safetensors)
    for joint CTC/attention decoding (models/asr/decoding.py). `predict_with_generate` evaluation during
    training decodes greedily with the attention decoder alone.
    """

    def __init__(self, model=None, *args, ctc_weight: float = 0.3, ctc_head: torch.nn.Linear | None = None, **kwargs):
        # the head (a saved one when fine-tuning) joins the model before the Trainer moves it to its device and
        # builds the optimizer over it
        if ctc_weight > 0 and not hasattr(model, "ctc_head"):
            model.ctc_head = ctc_head if ctc_head is not None else torch.nn.Linear(model.config.d_model,
                                                                                   model.config.vocab_size)
            # The head runs inside the model's forward (an encoder hook), not after it: under DDP, parameters
            # used outside the wrapped forward break gradient synchronisation.
            def run_head(encoder, args, output):
                model._ctc_logits = model.ctc_head(output.last_hidden_state) if encoder.training else None

            model._ctc_hook = model.get_encoder().register_forward_hook(run_head)
        super().__init__(model, *args, **kwargs)
        self.ctc_weight = ctc_weight

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        labels, mask = inputs.get("labels"), inputs.get("attention_mask")
        loss, outputs = super().compute_loss(model, inputs, return_outputs=True, num_items_in_batch=num_items_in_batch)
        if self.ctc_weight > 0 and model.training and labels is not None:
            loss = (1 - self.ctc_weight) * loss + self.ctc_weight * self._ctc_loss(model, outputs, labels, mask)
        return (loss, outputs) if return_outputs else loss

    def _ctc_loss(self, model, outputs, labels, mask):
        core = self.accelerator.unwrap_model(model)
        logits = core._ctc_logits
        frames = logits.shape[1]
        if mask is not None:
            lengths = core._get_feat_extract_output_lengths(mask.sum(-1)).clamp(max=frames)
        else:
            lengths = torch.full((logits.shape[0],), frames, dtype=torch.long, device=logits.device)
        eos, blank = core.config.eos_token_id, core.config.pad_token_id  # <pad> never occurs in text: the blank
        keep = (labels >= 0) & (labels != eos)
        log_probs = logits.float().log_softmax(-1).transpose(0, 1)
        return torch.nn.functional.ctc_loss(log_probs, labels[keep], lengths, keep.sum(-1), blank=blank,
                                            reduction="mean", zero_infinity=True)


def strip_ctc_head(model) -> torch.nn.Linear | None:
    """Take the CTC head out of the model (returned, for `save_ctc_head`), so that the saved model is stock
    Speech2Text that every transformers tool loads; the head is saved beside it."""
    if not hasattr(model, "ctc_head"):
        return None
    head = model.ctc_head
    model._ctc_hook.remove()
    del model.ctc_head, model._ctc_hook, model._ctc_logits
    return head.eval()


def score_split(model, processor, ctc_head, split: datasets.Dataset, prefix: str = "test",
                batch_size: int = 16, max_length: int | None = None) -> dict[str, float]:
    """WER, CER and real-time factor of a split decoded the way users decode (`transcribe`: joint CTC/attention
    with a CTC head, greedy attention without), as `{prefix}_wer`, `{prefix}_cer`, `{prefix}_rtf`."""
    model.eval()
    sr = processor.feature_extractor.sampling_rate
    order = np.argsort(split["duration"])  # similar lengths per batch: less padding
    refs, hyps, busy, seconds = [], [], 0.0, 0.0
    for start in range(0, len(order), batch_size):
        rows = split.select(order[start : start + batch_size].tolist())
        waves = [load_audio(a, sr) for a in rows["audio"]]
        began = time.perf_counter()
        hyps += transcribe(model, processor, waves, sampling_rate=sr, ctc_head=ctc_head,
                           **({"max_length": max_length} if max_length else {}))
        busy += time.perf_counter() - began
        seconds += sum(len(w) for w in waves) / sr
        refs += rows["normalized_text"]
    wer, cer = load_metric("wer"), load_metric("cer")
    return {f"{prefix}_wer": wer.compute(predictions=hyps, references=refs),
            f"{prefix}_cer": cer.compute(predictions=hyps, references=refs),
            f"{prefix}_rtf": busy / max(seconds, 1e-9), f"{prefix}_samples": len(refs),
            f"{prefix}_decoding": "joint CTC/attention beam 8" if ctc_head is not None else "greedy attention"}
