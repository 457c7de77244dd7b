"""A deterministic 1024-d caption encoder standing in for StackGAN's char-CNN-RNN embeddings.

The real `char-CNN-RNN-embeddings.pickle` holds, per image, the embeddings of its 10 captions by the text encoder
of Reed et al. (2016). The synthetic corpus needs embeddings with the same shape and role, made without training,
so every synthetic caption is embedded by a fixed random projection of its bag of words:

    features  = lower-case words, adjacent word pairs ("red belly") and pairs one word apart ("red and")
    vector(f) = a standard-normal 1024-vector drawn from a generator seeded by blake2b(f), divided by sqrt(1024)
    embed(t)  = sum of vector(f) over the features of t (pairs weigh 1, single words 0.5), scaled to unit L2 norm

Word pairs bind a colour to the part it names, which single words cannot. The result depends on nothing but the
text, on any machine, so a text encoder can be trained to reproduce it (as on real CUB it reproduces char-CNN-RNN).
"""

from __future__ import annotations

import functools
import hashlib
import re

import numpy as np

EMBEDDING_DIM = 1024
_WORD = re.compile(r"[a-z]+")


def caption_features(text: str) -> list[tuple[str, float]]:
    words = _WORD.findall(text.lower())
    features = [(w, 0.5) for w in words]
    features += [(f"{a} {b}", 1.0) for a, b in zip(words, words[1:])]
    features += [(f"{a} _ {b}", 1.0) for a, b in zip(words, words[2:])]
    return features


@functools.lru_cache(maxsize=65536)
def _feature_vector(feature: str, dim: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "little")
    return np.random.default_rng(seed).standard_normal(dim).astype(np.float32) / np.sqrt(dim, dtype=np.float32)


def embed_caption(text: str, dim: int = EMBEDDING_DIM) -> np.ndarray:
    """The (dim,) float32 embedding of one caption; an empty caption gives zeros."""
    total = np.zeros(dim, np.float32)
    for feature, weight in caption_features(text):
        total += weight * _feature_vector(feature, dim)
    norm = float(np.linalg.norm(total))
    return total / norm if norm > 0 else total


def embed_captions(texts: list[str], dim: int = EMBEDDING_DIM) -> np.ndarray:
    """(len(texts), dim) float32."""
    return np.stack([embed_caption(t, dim) for t in texts]) if texts else np.zeros((0, dim), np.float32)
