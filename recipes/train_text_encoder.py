"""Train the char-CNN-RNN text encoder to reproduce a birds folder's caption embeddings, with the transformers Trainer.

    accelerate launch recipes/train_text_encoder.py --config recipes/configs/text_encoder_demo.yaml \
        --dataset_dir outputs/birds --output_dir outputs/text_encoder

Pairs caption j of text_c10/<image>.txt with row j of char-CNN-RNN-embeddings.pickle and regresses onto it, so on
real CUB the encoder learns the space StackGAN was trained in. Any field can be overridden (`--max_steps 2`);
`--resume_from_checkpoint latest` continues from the newest checkpoint. Writes the model and its tokenizer to
--output_dir and prints the test-class figures (cosine to the targets, caption-to-class R@1) as JSON.
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
from s2i_hf.training.text_encoder import TextEmbeddingCollator, caption_pairs, evaluate_text_encoder

logger = logging.getLogger(__name__)


@dataclass
class ModelArguments:
    char_embedding_dim: int = 70
    conv_channels: list[int] = field(default_factory=lambda: [384, 512, 512], metadata={"help": "kernel 4, pool 3 each"})
    rnn_hidden_size: int = 512
    max_length: int = field(default=201, metadata={"help": "characters read per caption (Reed: 201)"})


@dataclass
class DataArguments:
    dataset_dir: str = field(default=None, metadata={"help": "StackGAN birds folder (text_c10/ + embeddings pickles)"})
    embedding_file: str = "char-CNN-RNN-embeddings.pickle"
    max_train_samples: int | None = field(default=None, metadata={"help": "images (each gives its 10 captions)"})
    max_eval_samples: int | None = None


def main(argv=None):
    # 1. Arguments and logging
    model_args, data_args, training_args = parse_args((ModelArguments, DataArguments, TrainingArguments), argv)
    if data_args.dataset_dir is None:
        raise SystemExit("--dataset_dir is required")
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        level=logging.INFO if training_args.should_log else logging.WARNING)
    transformers.set_seed(training_args.seed)
    resume = training_args.resume_from_checkpoint
    if resume == "latest":
        resume = get_last_checkpoint(training_args.output_dir) if os.path.isdir(training_args.output_dir) else None

    # 2. Data: (caption, its embedding) pairs of the train and the test classes
    splits = {}
    for name, limit in (("train", data_args.max_train_samples), ("test", data_args.max_eval_samples)):
        split = load_cub(data_args.dataset_dir, name, embedding_file=data_args.embedding_file)
        splits[name] = caption_pairs(split.select(range(min(limit, len(split)))) if limit else split)
    embedding_dim = len(splits["train"][0]["target_embeds"])

    # 3. Model and tokenizer
    tokenizer = build_text_tokenizer(model_args.max_length)
    model = CharCNNRNNModel(CharCNNRNNConfig(
        vocab_size=tokenizer.vocab_size, pad_token_id=tokenizer.pad_token_id, max_length=model_args.max_length,
        char_embedding_dim=model_args.char_embedding_dim, conv_channels=model_args.conv_channels,
        rnn_hidden_size=model_args.rnn_hidden_size, text_embedding_dim=embedding_dim))
    logger.info("text encoder: %.2f M parameters", sum(p.numel() for p in model.parameters()) / 1e6)

    # 4. Train
    training_args.remove_unused_columns = False  # the collator reads `text`
    trainer = Trainer(model=model, args=training_args, train_dataset=splits["train"],
                      data_collator=TextEmbeddingCollator(tokenizer, model_args.max_length), processing_class=tokenizer)
    result = trainer.train(resume_from_checkpoint=resume)
    trainer.save_model()
    trainer.save_metrics("train", result.metrics)

    # 5. Test classes: how close the new embeddings come to the targets
    metrics = evaluate_text_encoder(trainer.model, tokenizer, splits["test"])
    trainer.save_metrics("test", metrics)
    if trainer.is_world_process_zero():
        print(json.dumps(metrics))
    return metrics


if __name__ == "__main__":
    main()
