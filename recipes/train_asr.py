"""Train the Speech-Transformer ASR on an LJSpeech-format folder with Seq2SeqTrainer.

    accelerate launch recipes/train_asr.py --config recipes/configs/asr_demo.yaml \
        --dataset_dir outputs/speech --output_dir outputs/asr

Any field of the config can be overridden on the command line (`--max_steps 2`); `--resume_from_checkpoint latest`
continues from the newest checkpoint-<step> in --output_dir. Writes the model (safetensors), its CTC head (ctc_head.safetensors), its processor, the
test metrics (test_results.json, joint CTC/attention decoding) and a model card (README.md) to --output_dir.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field

import transformers
from transformers import Seq2SeqTrainingArguments, Speech2TextForConditionalGeneration, Speech2TextProcessor
from transformers.trainer_utils import get_last_checkpoint

import s2i_hf  # noqa: F401  (registers the character tokenizer with the Auto classes)
from s2i_hf.data.augment import RecordingAugment
from s2i_hf.data.ljspeech import load_ljspeech
from s2i_hf.models.asr import build_model, build_processor, load_ctc_head, save_ctc_head
from s2i_hf.training.arguments import parse_args
from s2i_hf.training.asr import (
    DecoderInputNoise,
    HybridCTCSeq2SeqTrainer,
    SpecAugment,
    SpeechSeq2SeqCollator,
    VocalTractWarp,
    build_compute_metrics,
    prepare_asr_splits,
    score_split,
    strip_ctc_head,
)
from s2i_hf.training.model_card import render_asr_card
from s2i_hf.training.publish import publish

logger = logging.getLogger(__name__)


@dataclass
class ModelArguments:
    model_name_or_path: str | None = field(default=None, metadata={"help": "start from a saved model instead of a new one"})
    d_model: int = field(default=256, metadata={"help": "Transformer width"})
    encoder_layers: int = 12
    decoder_layers: int = 6
    attention_heads: int = 4
    ffn_dim: int = 2048
    conv_channels: int = 1024
    conv_kernel_sizes: list[int] = field(default_factory=lambda: [5, 5], metadata={"help": "one stride-2 conv each"})
    dropout: float = 0.1
    attention_dropout: float | None = field(default=None, metadata={
        "help": "dropout on attention weights (default: dropout); on a CPU its random draws cost more than the GEMMs"})
    activation_dropout: float | None = field(default=None, metadata={"help": "dropout inside the FFN (default: dropout)"})
    max_target_positions: int = 1024
    num_mel_bins: int = 80
    spec_augment: bool = field(default=True, metadata={"help": "SpecAugment masking during training only"})
    vocal_tract_warp: list[float] | None = field(default=None, metadata={
        "help": "two factors LOW HIGH: each training clip's frequency axis is scaled by one drawn log-uniformly "
                "between them (vocal tract length perturbation, e.g. 0.8 1.5), as voices with shorter or longer "
                "vocal tracts sound; training only"})
    ctc_weight: float = field(default=0.3, metadata={"help": "weight of the auxiliary encoder CTC loss (0: none)"})
    decoder_input_noise: float = field(default=0.0, metadata={
        "help": "share of the teacher-forced decoder input characters replaced by random ones in training, so that "
                "the decoder reads words from the sound rather than from the sentence so far (0: none)"})


@dataclass
class DataArguments:
    dataset_dir: str = field(default=None, metadata={"help": "LJSpeech-1.1 folder or parquet export"})
    test_speaker: str | None = field(default=None, metadata={"help": "hold this speaker out as the test split"})
    validation_fraction: float = 0.05
    test_fraction: float = 0.05
    min_duration: float = field(default=0.5, metadata={"help": "seconds; shorter clips are dropped"})
    max_duration: float = field(default=20.0, metadata={"help": "seconds; longer clips are dropped"})
    max_train_samples: int | None = None
    max_eval_samples: int | None = None
    preprocessing_num_workers: int | None = None
    features_cache_dir: str | None = field(default=None, metadata={
        "help": "where the log-mel features are cached (default: OUTPUT_DIR/features_cache, removed with the run)"})
    # What real recordings have (s2i_hf/data/augment.py): each training clip gets each effect with its probability,
    # the same way in every run
    augment_reverb: float = field(default=0.0, metadata={"help": "share of training clips in a synthesized room"})
    augment_noise: float = field(default=0.0, metadata={"help": "share with white, pink, brown noise or hum added"})
    augment_snr_db: list[float] = field(default_factory=lambda: [5.0, 30.0], metadata={
        "help": "LOW HIGH signal-to-noise ratio of the added noise, dB"})
    augment_band_limit: float = field(default=0.0, metadata={"help": "share through a microphone's pass band"})
    augment_gain: float = field(default=0.0, metadata={"help": "share at another level (-18 to +12 dB, clipped)"})
    augment_speed: float = field(default=0.0, metadata={"help": "share played 0.9-1.1x as fast (tempo and pitch)"})
    augment_pitch: float = field(default=0.0, metadata={"help": "share with the pitch moved by up to 3 semitones"})


def main(argv=None):
    # 1. Arguments and logging
    model_args, data_args, training_args = parse_args((ModelArguments, DataArguments, Seq2SeqTrainingArguments), argv, description=__doc__)
    if data_args.dataset_dir is None:
        raise SystemExit("--dataset_dir is required")
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
                        if training_args.should_log else logging.WARNING)
    transformers.set_seed(training_args.seed)
    # The Trainer would contact the Hub at start-up; we publish once, at the end (offline targets allowed).
    push_target = training_args.hub_model_id if training_args.push_to_hub else None
    if training_args.push_to_hub and not push_target:
        raise SystemExit("--push_to_hub needs --hub_model_id (a Hub repo id, or file://PATH for a local folder)")
    training_args.push_to_hub = False
    if training_args.ddp_find_unused_parameters is None:
        # Every parameter takes part in every step; DDP's search for unused ones would also miss the CTC head,
        # whose output leaves the forward through an attribute, and mark it ready twice.
        training_args.ddp_find_unused_parameters = False
    resume = training_args.resume_from_checkpoint
    if resume == "latest":
        resume = get_last_checkpoint(training_args.output_dir) if os.path.isdir(training_args.output_dir) else None
        logger.info("resuming from %s", resume or "scratch (no checkpoint yet)")

    # 2. Data: LJSpeech-format folder -> splits -> cached log-mel features and label ids
    splits = load_ljspeech(data_args.dataset_dir, data_args.validation_fraction, data_args.test_fraction,
                           test_speaker=data_args.test_speaker)
    if data_args.max_train_samples:
        splits["train"] = splits["train"].select(range(min(data_args.max_train_samples, len(splits["train"]))))
    if data_args.max_eval_samples:
        for name in ("validation", "test"):
            splits[name] = splits[name].select(range(min(data_args.max_eval_samples, len(splits[name]))))
    if model_args.model_name_or_path:
        processor = Speech2TextProcessor.from_pretrained(model_args.model_name_or_path)
    else:
        processor = build_processor(num_mel_bins=model_args.num_mel_bins)
    if len(data_args.augment_snr_db) != 2:
        raise SystemExit(f"--augment_snr_db takes two values LOW HIGH, got {data_args.augment_snr_db}")
    try:
        augment = RecordingAugment(
            reverb=data_args.augment_reverb, noise=data_args.augment_noise, band_limit=data_args.augment_band_limit,
            gain=data_args.augment_gain, speed=data_args.augment_speed, pitch=data_args.augment_pitch,
            snr_db=tuple(data_args.augment_snr_db), seed=training_args.seed)
    except ValueError as e:
        raise SystemExit(str(e)) from None
    with training_args.main_process_first(desc="features"):
        splits = prepare_asr_splits(splits, processor, data_args.min_duration, data_args.max_duration,
                                    num_proc=data_args.preprocessing_num_workers, augment=augment,
                                    cache_dir=data_args.features_cache_dir
                                    or os.path.join(training_args.output_dir, "features_cache"))

    # 3. Model: a new Speech2Text of the preset's shape, or a saved one
    if model_args.model_name_or_path:
        model = Speech2TextForConditionalGeneration.from_pretrained(model_args.model_name_or_path)
        saved_ctc_head = load_ctc_head(model_args.model_name_or_path, model)
    else:
        saved_ctc_head = None
        model = build_model(processor, d_model=model_args.d_model, encoder_layers=model_args.encoder_layers,
                            decoder_layers=model_args.decoder_layers, attention_heads=model_args.attention_heads,
                            ffn_dim=model_args.ffn_dim, conv_channels=model_args.conv_channels,
                            conv_kernel_sizes=tuple(model_args.conv_kernel_sizes), dropout=model_args.dropout,
                            attention_dropout=model_args.attention_dropout,
                            activation_dropout=model_args.activation_dropout,
                            max_target_positions=model_args.max_target_positions,
                            generation_max_length=training_args.generation_max_length or 300)
    if model_args.vocal_tract_warp:
        if len(model_args.vocal_tract_warp) != 2:
            raise SystemExit(f"--vocal_tract_warp takes two factors LOW HIGH, got {model_args.vocal_tract_warp}")
        VocalTractWarp(tuple(model_args.vocal_tract_warp), num_mel_bins=processor.feature_extractor.num_mel_bins,
                       sampling_rate=processor.feature_extractor.sampling_rate).attach(model)
        logger.info("vocal tract length perturbation: factors %s to %s", *model_args.vocal_tract_warp)
    if model_args.spec_augment:
        SpecAugment().attach(model)
    if model_args.decoder_input_noise:
        tokenizer = processor.tokenizer
        characters = sorted(set(tokenizer.get_vocab().values()) - set(tokenizer.all_special_ids))
        DecoderInputNoise(model_args.decoder_input_noise, characters, tokenizer.pad_token_id).attach(model)
        logger.info("decoder input noise: %s of the characters", model_args.decoder_input_noise)
    logger.info("model: %.2f M parameters", sum(p.numel() for p in model.parameters()) / 1e6)

    # 4. Train (evaluation generates, and is scored by WER/CER)
    trainer = HybridCTCSeq2SeqTrainer(
        ctc_weight=model_args.ctc_weight,
        ctc_head=saved_ctc_head,
        model=model,
        args=training_args,
        train_dataset=splits["train"] if training_args.do_train else None,
        eval_dataset=splits["validation"] if len(splits["validation"]) else None,
        data_collator=SpeechSeq2SeqCollator(processor, model.config.decoder_start_token_id),
        processing_class=processor,
        compute_metrics=build_compute_metrics(processor.tokenizer),
    )
    ctc_head = None
    if training_args.do_train:
        result = trainer.train(resume_from_checkpoint=resume)
        ctc_head = strip_ctc_head(model)
        trainer.save_model()
        if trainer.is_world_process_zero():
            processor.save_pretrained(training_args.output_dir)
            if ctc_head is not None:
                save_ctc_head(ctc_head, training_args.output_dir)
        trainer.log_metrics("train", result.metrics)
        trainer.save_metrics("train", result.metrics)
        trainer.save_state()
    else:
        ctc_head = saved_ctc_head

    # 5. Test split, decoded as users decode (joint CTC/attention when there is a CTC head), and model card
    metrics = {}
    if len(splits["test"]) and trainer.is_world_process_zero():
        metrics = score_split(model, processor, ctc_head, splits["test"], prefix="test",
                              max_length=training_args.generation_max_length)
        trainer.log_metrics("test", metrics)
        trainer.save_metrics("test", metrics)
    if trainer.is_world_process_zero():
        render_asr_card(training_args.output_dir, model, data_args, training_args, metrics)
        if push_target:
            logger.info("published to %s", publish(training_args.output_dir, push_target))
        print(json.dumps({k: v for k, v in metrics.items() if k in ("test_wer", "test_cer", "test_rtf")}))
    return metrics


if __name__ == "__main__":
    main()
