"""What the text-encoder recipe needs: (caption, target embedding) pairs, their collator, and the evaluation.

StackGAN's birds data pairs caption j of `text_c10/<image>.txt` with row j of the image's entry in
`char-CNN-RNN-embeddings.pickle`; regressing onto those rows teaches a new encoder the embedding space StackGAN
was trained in, so a trained StackGAN accepts the new encoder's embeddings of sentences it never saw.
"""

from __future__ import annotations

import datasets
import numpy as np
import torch
import torch.nn.functional as F


def caption_pairs(split: datasets.Dataset) -> datasets.Dataset:
    """One row per (image, caption): `text`, `target_embeds` (that caption's embedding), `class_id`."""
    embeddings = split.with_format("numpy")["embeddings"][:]
    texts, targets, classes = [], [], []
    for i, (captions, class_id) in enumerate(zip(split["captions"], split["class_id"])):
        for j, caption in enumerate(captions):
            texts.append(caption)
            targets.append(embeddings[i, j])
            classes.append(class_id)
    return datasets.Dataset.from_dict({"text": texts, "target_embeds": np.stack(targets), "class_id": classes})


class TextEmbeddingCollator:
    """Tokenizes a batch of pairs (dynamic padding, truncated at the encoder's max_length)."""

    def __init__(self, tokenizer, max_length: int):
        self.tokenizer, self.max_length = tokenizer, max_length

    def __call__(self, rows: list[dict]) -> dict:
        batch = self.tokenizer([r["text"] for r in rows], padding=True, truncation=True, max_length=self.max_length,
                               return_tensors="pt")
        batch["target_embeds"] = torch.tensor(np.stack([r["target_embeds"] for r in rows]), dtype=torch.float32)
        return batch


@torch.no_grad()
def embed_texts(model, tokenizer, texts: list[str], batch_size: int = 256) -> torch.Tensor:
    model.eval()
    out = []
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(texts[start : start + batch_size], padding=True, truncation=True,
                          max_length=model.config.max_length, return_tensors="pt").to(model.device)
        out.append(model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).text_embeds.float().cpu())
    return torch.cat(out)


def class_retrieval_r_at_1(embeds: torch.Tensor, class_ids: torch.Tensor, class_embeds: torch.Tensor,
                           class_order: torch.Tensor) -> float:
    """Share of captions whose nearest class (cosine to the class's mean target embedding) is their own: Reed et
    al.'s zero-shot caption-to-class retrieval, over the test classes."""
    sims = F.normalize(embeds, dim=-1) @ F.normalize(class_embeds, dim=-1).T
    return float((class_order[sims.argmax(1)] == class_ids).float().mean())


def evaluate_text_encoder(model, tokenizer, pairs: datasets.Dataset) -> dict:
    """Cosine to the target embeddings, and class R@1 of the new embeddings next to the targets' own (the ceiling)."""
    predicted = embed_texts(model, tokenizer, pairs["text"])
    targets = torch.tensor(pairs.with_format("numpy")["target_embeds"][:], dtype=torch.float32)
    class_ids = torch.tensor(pairs["class_id"])
    classes = class_ids.unique()
    class_embeds = torch.stack([targets[class_ids == c].mean(0) for c in classes])
    return {
        "cosine_to_target": float(F.cosine_similarity(predicted, targets, dim=-1).mean()),
        "relative_distance": float(((predicted - targets).norm(dim=-1) / targets.norm(dim=-1)).mean()),
        "class_r_at_1": class_retrieval_r_at_1(predicted, class_ids, class_embeds, classes),
        "class_r_at_1_of_targets": class_retrieval_r_at_1(targets, class_ids, class_embeds, classes),
        "num_captions": len(pairs),
        "num_classes": len(classes),
    }
