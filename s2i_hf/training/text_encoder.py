"""What the text-encoder recipe needs: (caption, target embedding) pairs, their collator, and the evaluation.

StackGAN's birds data pairs caption j of `text_c10/<image>.txt` with row j of the image's entry in
`char-CNN-RNN-embeddings.pickle`; regressing onto those rows teaches a new encoder the embedding space StackGAN
was trained in, so a trained StackGAN accepts the new encoder's embeddings of sentences it never saw.
"""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import datasets
import numpy as np
import torch
import torch.nn.functional as F

from ..data.caption_requests import as_request
from ..data.distractors import with_distractors
from ..data.transcription_noise import transcription_noise


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


def encode_texts(tokenizer, texts: list[str], max_length: int):
    """Padded, truncated ids and mask as tensors: the character tokenizer's direct path where it has one (a tokenizer
    copied beside an older saved model may not)."""
    if hasattr(tokenizer, "encode_batch"):
        return tokenizer.encode_batch(texts, max_length)
    return tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")


class TextEmbeddingCollator:
    """Tokenizes a batch of pairs (dynamic padding, truncated at the encoder's max_length). With
    `request_augmentation` p, each caption is rewritten as a spoken request (`as_request`) with probability p, its
    target unchanged: the encoder learns to read requests as the captions they restate. With
    `distractor_augmentation` d, each text then gains a sentence of plain English or a word or two that name nothing
    (`with_distractors`) with probability d: the encoder learns to read past them. With `transcription_noise` q, each text then gets an ASR's slips (`transcription_noise`, 5 % of its characters) with
    probability q: the encoder learns to read a transcript as the sentence that was said."""

    def __init__(self, tokenizer, max_length: int, request_augmentation: float = 0.0, seed: int = 0,
                 transcription_noise: float = 0.0, distractor_augmentation: float = 0.0):
        self.tokenizer, self.max_length = tokenizer, max_length
        self.request_augmentation, self.rng = request_augmentation, random.Random(seed)
        self.transcription_noise, self.distractor_augmentation = transcription_noise, distractor_augmentation

    def __call__(self, rows: list[dict]) -> dict:
        texts = [as_request(r["text"], self.rng) if self.rng.random() < self.request_augmentation else r["text"]
                 for r in rows]
        texts = [with_distractors(t, self.rng, self.max_length) if self.rng.random() < self.distractor_augmentation
                 else t for t in texts]
        texts = [transcription_noise(t, self.rng) if self.rng.random() < self.transcription_noise else t
                 for t in texts]
        batch = encode_texts(self.tokenizer, texts, self.max_length)
        batch["target_embeds"] = torch.tensor(np.stack([r["target_embeds"] for r in rows]), dtype=torch.float32)
        return batch


@torch.no_grad()
def embed_texts(model, tokenizer, texts: list[str], batch_size: int = 256) -> torch.Tensor:
    model.eval()
    # in order of length, so that each batch pads to its own texts' length (each text's embedding is its own)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = []
    for start in range(0, len(texts), batch_size):
        chunk = [texts[i] for i in order[start : start + batch_size]]
        batch = encode_texts(tokenizer, chunk, model.config.max_length).to(model.device)
        out.append(model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).text_embeds.float().cpu())
    if not out:
        return torch.empty(0, model.config.text_embedding_dim)
    return torch.cat(out)[torch.argsort(torch.tensor(order))]


def class_retrieval_r_at_1(embeds: torch.Tensor, class_ids: torch.Tensor, class_embeds: torch.Tensor,
                           class_order: torch.Tensor) -> float:
    """Share of captions whose nearest class (cosine to the class's mean target embedding) is their own: Reed et
    al.'s zero-shot caption-to-class retrieval, over the test classes."""
    sims = F.normalize(embeds, dim=-1) @ F.normalize(class_embeds, dim=-1).T
    return float((class_order[sims.argmax(1)] == class_ids).float().mean())


def evaluate_text_encoder(model, tokenizer, pairs: datasets.Dataset, as_requests: bool = False,
                          as_transcripts: bool = False) -> dict:
    """Cosine to the target embeddings, and class R@1 of the new embeddings next to the targets' own (the ceiling).
    `as_requests`: each caption is first rewritten as a spoken request (seeded by its row), the target unchanged;
    `as_transcripts`: each text is then given an ASR's slips (`transcription_noise`, seeded by its row)."""
    texts = pairs["text"]
    if as_requests:
        texts = [as_request(text, random.Random(i)) for i, text in enumerate(texts)]
    if as_transcripts:
        texts = [transcription_noise(text, random.Random(f"slips-{i}")) for i, text in enumerate(texts)]
    predicted = embed_texts(model, tokenizer, texts)
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


class ImageEncoder(torch.nn.Module):
    """A small CNN from a 64 x 64 image to the text embedding size: the image side of the joint objective."""

    def __init__(self, embedding_dim: int, width: int = 32):
        super().__init__()

        def block(i, o):
            return torch.nn.Sequential(torch.nn.Conv2d(i, o, 4, 2, 1), torch.nn.BatchNorm2d(o), torch.nn.ReLU(True))

        self.net = torch.nn.Sequential(block(3, width), block(width, 2 * width), block(2 * width, 4 * width),
                                       block(4 * width, 8 * width), torch.nn.Flatten(),
                                       torch.nn.Linear(8 * width * 16, embedding_dim))

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.net(pixel_values)


class JointTextImageModel(torch.nn.Module):
    """The text encoder trained against an image encoder with a symmetric contrastive loss (CLIP's; Reed et al.
    trained the char-CNN-RNN with a structured joint embedding of the same spirit): for data without target
    embeddings. Only `text_encoder` is kept; StackGAN is then trained on its embeddings."""

    def __init__(self, text_encoder, image_width: int = 32):
        super().__init__()
        self.text_encoder = text_encoder
        self.image_encoder = ImageEncoder(text_encoder.config.text_embedding_dim, image_width)
        self.logit_scale = torch.nn.Parameter(torch.tensor(2.659))  # log(1 / 0.07), as CLIP starts

    def forward(self, input_ids, attention_mask, pixel_values, class_id=None):
        text = F.normalize(self.text_encoder(input_ids=input_ids, attention_mask=attention_mask).text_embeds, dim=-1)
        image = F.normalize(self.image_encoder(pixel_values), dim=-1)
        logits = self.logit_scale.exp().clamp(max=100) * text @ image.T
        targets = torch.arange(len(logits), device=logits.device)
        if class_id is not None:  # two captions of one class are not negatives of each other's images
            same = class_id[:, None] == class_id[None, :]
            logits = logits.masked_fill(same & ~torch.eye(len(logits), dtype=torch.bool, device=logits.device),
                                        float("-inf"))
        loss = (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
        return {"loss": loss, "logits": logits}


def caption_image_pairs(split: datasets.Dataset) -> datasets.Dataset:
    """One row per (image, caption) with the image's index, for the joint objective."""
    rows = {"text": [], "image_index": [], "class_id": []}
    for i, (captions, class_id) in enumerate(zip(split["captions"], split["class_id"])):
        for caption in captions:
            rows["text"].append(caption)
            rows["image_index"].append(i)
            rows["class_id"].append(class_id)
    return datasets.Dataset.from_dict(rows)


class TextImageCollator:
    """Tokenizes captions and stacks their images (preloaded, 64 x 64, in [-1, 1])."""

    def __init__(self, tokenizer, max_length: int, images: torch.Tensor):
        self.tokenizer, self.max_length, self.images = tokenizer, max_length, images

    def __call__(self, rows: list[dict]) -> dict:
        batch = encode_texts(self.tokenizer, [r["text"] for r in rows], self.max_length)
        batch["pixel_values"] = self.images[torch.tensor([r["image_index"] for r in rows])]
        batch["class_id"] = torch.tensor([r["class_id"] for r in rows])
        return dict(batch)


@torch.no_grad()
def evaluate_joint(model: JointTextImageModel, tokenizer, pairs: datasets.Dataset, images: torch.Tensor) -> dict:
    """Caption-to-class R@1 with each class represented by the mean embedding of its images."""
    model.eval()
    texts = embed_texts(model.text_encoder, tokenizer, pairs["text"])
    image_embeds = torch.cat([model.image_encoder(chunk) for chunk in torch.split(images, 256)])
    index, class_ids = torch.tensor(pairs["image_index"]), torch.tensor(pairs["class_id"])
    image_classes = torch.zeros(len(images), dtype=torch.long)
    image_classes[index] = class_ids
    classes = class_ids.unique()
    class_embeds = torch.stack([image_embeds[image_classes == c].mean(0) for c in classes])
    return {"class_r_at_1_image": class_retrieval_r_at_1(texts, class_ids, class_embeds, classes),
            "num_captions": len(pairs), "num_classes": len(classes)}


def embed_caption_lists(captions: list[list[str]], text_encoder: str, batch_size: int = 256) -> np.ndarray:
    """(images x captions x dim) float32: every image's captions embedded by a trained text encoder (a folder
    written by recipes/train_text_encoder.py)."""
    from transformers import AutoModel, AutoTokenizer

    folder = Path(text_encoder)
    if not (folder / "config.json").is_file():
        raise SystemExit(f"--text_encoder {text_encoder}: not a trained text-encoder folder (no config.json)")
    per_image = {len(c) for c in captions}
    if len(per_image) != 1:
        raise ValueError(f"images have differing numbers of captions {sorted(per_image)[:5]}")
    flat = [caption for image_captions in captions for caption in image_captions]
    cache = _embedding_cache_path(folder, flat)
    if cache is not None and cache.is_file():
        embeds = np.load(cache, allow_pickle=False)  # what an earlier run embedded: Stage II asks what Stage I did
        os.utime(cache)  # recently used: the last to be pruned
    else:  # the encoder is loaded only when there is something to embed
        model, tokenizer = AutoModel.from_pretrained(folder), AutoTokenizer.from_pretrained(folder)
        embeds = embed_texts(model, tokenizer, flat, batch_size).numpy()
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            staging = cache.with_name(f"{cache.stem}.{os.getpid()}.tmp.npy")  # renamed when whole
            np.save(staging, embeds)
            os.replace(staging, cache)
            prune_embedding_cache(cache.parent, keep=cache)
    return embeds.reshape(len(captions), per_image.pop(), -1)


def prune_embedding_cache(folder: Path, keep: Path | None = None) -> list[Path]:
    """Bound the embedding cache: while its files together exceed S2I_HF_EMBEDDING_CACHE_MB (default 1024), the
    least recently used go (never `keep`, the entry just written). Every encoder trained and every caption set
    embedded adds an entry; without a bound, many runs fill the disk. Returns the files removed."""
    limit = float(os.environ.get("S2I_HF_EMBEDDING_CACHE_MB", "1024")) * 2**20
    entries = sorted(folder.glob("*.npy"), key=lambda f: f.stat().st_atime)  # least recently used first
    total, removed = sum(f.stat().st_size for f in entries), []
    for entry in entries:
        if total <= limit:
            break
        if entry != keep and not entry.name.endswith(".tmp.npy"):  # another process's file being written
            total -= entry.stat().st_size
            entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


def _embedding_cache_path(folder: Path, texts: list[str]) -> Path | None:
    """Where the embeddings of `texts` by the encoder in `folder` are kept: in the datasets cache, named by a hash
    of the encoder's weights and the texts, so that another encoder or other texts never read them. None when the
    weights are not one safetensors file (nothing to hash reliably) or S2I_HF_EMBEDDING_CACHE=0."""
    weights = folder / "model.safetensors"
    if os.environ.get("S2I_HF_EMBEDDING_CACHE", "1") == "0" or not weights.is_file():
        return None
    digest = hashlib.sha256(weights.read_bytes())
    for name in ("config.json", "vocab.json"):
        if (folder / name).is_file():
            digest.update((folder / name).read_bytes())
    digest.update("\n".join(texts).encode("utf-8"))
    return Path(datasets.config.HF_DATASETS_CACHE) / "s2i_hf_text_embeddings" / f"{digest.hexdigest()}.npy"


def embed_split_captions(split: datasets.Dataset, text_encoder: str, batch_size: int = 256) -> datasets.Dataset:
    """`split` with its `embeddings` recomputed from its `captions` by a trained text encoder.

    The pipeline feeds StackGAN this encoder's embeddings of the transcript, not the char-CNN-RNN rows the encoder
    was regressed onto; trained on the encoder's own embeddings of the training captions, StackGAN learns the space
    it is fed at inference, the encoder's errors included."""
    embeds = embed_caption_lists(split["captions"], text_encoder, batch_size)
    features = split.features.copy()
    features["embeddings"] = datasets.Array2D(embeds.shape[1:], "float32")
    return split.map(lambda _, index: {"embeddings": embeds[index]}, with_indices=True, batched=True,
                     features=features, desc="embedding captions")
