"""Train the char-CNN-RNN text encoder with the transformers Trainer: onto a birds folder's caption embeddings, or
jointly with images where there are none.

    accelerate launch recipes/train_text_encoder.py --config recipes/configs/text_encoder_demo.yaml \
        --dataset_dir outputs/birds --output_dir outputs/text_encoder

Pairs caption j of text_c10/<image>.txt with row j of char-CNN-RNN-embeddings.pickle and regresses onto it, so on
real CUB the encoder learns the space StackGAN was trained in. `--objective contrastive` instead trains it against
a small image encoder (symmetric contrastive loss, same-class pairs not counted as negatives), for data without
embeddings; StackGAN is then trained on its embeddings. Any field can be overridden (`--max_steps 2`);
`--resume_from_checkpoint latest` continues from the newest checkpoint. Writes the model and its tokenizer to
--output_dir and prints the test-class figures as JSON: cosine to the targets and caption-to-class R@1, also of
the test captions rewritten as spoken requests and of those with an ASR's slips (regression), caption-to-class
R@1 against the image embeddings (contrastive). `--request_augmentation 0.5` trains on such rewrites too,
`--distractor_augmentation 0.3` on texts with a sentence or words added that name nothing
(s2i_hf/data/distractors.py), `--transcription_noise 0.5` on texts with an ASR's slips
(s2i_hf/data/transcription_noise.py).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field

import transformers
from transformers import Trainer, TrainingArguments
from transformers.trainer_utils import get_last_checkpoint

import s2i_hf  # noqa: F401  (registers the text encoder with the Auto classes)
from s2i_hf.data.cub import load_cub
from s2i_hf.models.text_encoder import CharCNNRNNConfig, CharCNNRNNModel, build_text_tokenizer
from s2i_hf.training.arguments import parse_args
from s2i_hf.metrics.attribute_classifier import real_images
from s2i_hf.training.text_encoder import (
    JointTextImageModel,
    TextEmbeddingCollator,
    TextImageCollator,
    caption_image_pairs,
    caption_pairs,
    evaluate_joint,
    evaluate_text_encoder,
)

logger = logging.getLogger(__name__)


@dataclass
class ModelArguments:
    char_embedding_dim: int = 70
    conv_channels: list[int] = field(default_factory=lambda: [384, 512, 512], metadata={"help": "kernel 4, pool 3 each"})
    rnn_hidden_size: int = 512
    max_length: int = field(default=201, metadata={"help": "characters read per caption (Reed: 201)"})
    objective: str = field(default="regression", metadata={"help": "regression (onto the embeddings) or contrastive"})
    text_embedding_dim: int = field(default=1024, metadata={"help": "contrastive only (regression: the targets')"})
    image_encoder_width: int = field(default=32, metadata={"help": "contrastive only: the image CNN's width"})


@dataclass
class DataArguments:
    dataset_dir: str = field(default=None, metadata={"help": "StackGAN birds folder (text_c10/ + embeddings pickles)"})
    embedding_file: str = "char-CNN-RNN-embeddings.pickle"
    max_train_samples: int | None = field(default=None, metadata={"help": "images (each gives its 10 captions)"})
    max_eval_samples: int | None = None
    request_augmentation: float = field(default=0.0, metadata={
        "help": "share of training captions rewritten as spoken requests ('draw me a red-bellied bird ...'), the "
                "target unchanged (regression only)"})
    distractor_augmentation: float = field(default=0.0, metadata={
        "help": "share of training texts (after the request rewrites) given a sentence of plain English or a word or "
                "two that name nothing, the target unchanged (regression only): what speakers add is read past"})
    transcription_noise: float = field(default=0.0, metadata={
        "help": "share of training texts given an ASR's slips (a dropped, replaced or doubled character in 20, lower "
                "case), the target unchanged (regression only): transcripts then land where their sentences do"})


def main(argv=None):
    # 1. Arguments and logging
    model_args, data_args, training_args = parse_args((ModelArguments, DataArguments, TrainingArguments), argv, description=__doc__)
    if data_args.dataset_dir is None:
        raise SystemExit("--dataset_dir is required")
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        level=logging.INFO if training_args.should_log else logging.WARNING)
    transformers.set_seed(training_args.seed)
    resume = training_args.resume_from_checkpoint
    if resume == "latest":
        resume = get_last_checkpoint(training_args.output_dir) if os.path.isdir(training_args.output_dir) else None

    if model_args.objective not in ("regression", "contrastive"):
        raise SystemExit(f"--objective must be regression or contrastive, got {model_args.objective!r}")
    contrastive = model_args.objective == "contrastive"

    # 2. Data: (caption, its embedding) or (caption, its image) pairs of the train and the test classes
    splits, images = {}, {}
    for name, limit in (("train", data_args.max_train_samples), ("test", data_args.max_eval_samples)):
        split = load_cub(data_args.dataset_dir, name, embedding_file=data_args.embedding_file)
        split = split.select(range(min(limit, len(split)))) if limit else split
        if contrastive:
            splits[name], images[name] = caption_image_pairs(split), real_images(split)
        else:
            splits[name] = caption_pairs(split)
    embedding_dim = model_args.text_embedding_dim if contrastive else len(splits["train"][0]["target_embeds"])

    # 3. Model and tokenizer
    tokenizer = build_text_tokenizer(model_args.max_length)
    model = CharCNNRNNModel(CharCNNRNNConfig(
        vocab_size=tokenizer.vocab_size, pad_token_id=tokenizer.pad_token_id, max_length=model_args.max_length,
        char_embedding_dim=model_args.char_embedding_dim, conv_channels=model_args.conv_channels,
        rnn_hidden_size=model_args.rnn_hidden_size, text_embedding_dim=embedding_dim))
    logger.info("text encoder: %.2f M parameters", sum(p.numel() for p in model.parameters()) / 1e6)

    # 4. Train
    training_args.remove_unused_columns = False  # the collators read `text`
    if contrastive:
        trained = JointTextImageModel(model, model_args.image_encoder_width)
        collator = TextImageCollator(tokenizer, model_args.max_length, images["train"])
    else:
        trained = model
        collator = TextEmbeddingCollator(tokenizer, model_args.max_length, data_args.request_augmentation,
                                         seed=training_args.seed,
                                         transcription_noise=data_args.transcription_noise,
                                         distractor_augmentation=data_args.distractor_augmentation)
    trainer = Trainer(model=trained, args=training_args, train_dataset=splits["train"], data_collator=collator,
                      processing_class=tokenizer)
    result = trainer.train(resume_from_checkpoint=resume)
    if trainer.is_world_process_zero():
        model.save_pretrained(training_args.output_dir)  # the text encoder alone, also after the joint objective
        tokenizer.save_pretrained(training_args.output_dir)
    trainer.save_metrics("train", result.metrics)

    # 5. Test classes: how close the new embeddings come to the targets, or how well they find their images
    if contrastive:
        metrics = evaluate_joint(trained, tokenizer, splits["test"], images["test"])
    else:
        metrics = evaluate_text_encoder(model, tokenizer, splits["test"])
        requests = evaluate_text_encoder(model, tokenizer, splits["test"], as_requests=True)
        metrics.update({f"requests_{k}": v for k, v in requests.items() if k in ("cosine_to_target", "class_r_at_1")})
        # requests as an ASR writes them: lower case, a slip in every 20 characters
        heard = evaluate_text_encoder(model, tokenizer, splits["test"], as_requests=True, as_transcripts=True)
        metrics.update({f"transcribed_requests_{k}": v for k, v in heard.items()
                        if k in ("cosine_to_target", "class_r_at_1")})
    trainer.save_metrics("test", metrics)
    if trainer.is_world_process_zero():
        print(json.dumps(metrics))
    return metrics


if __name__ == "__main__":
    main()
