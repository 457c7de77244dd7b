"""A character n-gram language model for the ASR's beam search (shallow fusion).

Why: the demo's small decoder learned the spelling of the words its corpus says; a voice it never heard makes it
write what the audio sounds like ("a bely that is grenen"). An n-gram model counted over much more English text than
the speech corpus holds knows that "bely" is not a word, and costs nothing to train: counting is seconds.

    lm = CharNGramLM.from_texts(sentences, tokenizer, order=7)   # the ASR's character tokenizer
    lm.save_pretrained(asr_dir)                    # char_lm.json, beside model.safetensors
    lm = CharNGramLM.from_pretrained(asr_dir)      # None when the folder has none
    lm.log_probs(context_ids)                      # log p(next label | context) for every label, (vocab,)

Smoothing is interpolated Witten-Bell (Witten & Bell 1991): each order gives way to the one below in proportion to
the number of different labels seen after its context, so rare contexts lean on shorter ones. The file is plain
JSON (counts, no code), so loading an untrusted one runs nothing. This file imports nothing from s2i_hf, so it can
be copied beside a saved model for `trust_remote_code` loading.
"""

from __future__ import annotations

import collections
import functools
import json
import os

import numpy as np

CHAR_LM_FILE = "char_lm.json"
_START = "\x02"  # the context before a sentence's first character (never a label)


class CharNGramLM:
    """p(label | previous order-1 characters), over a tokenizer's characters and its end-of-sentence id."""

    def __init__(self, counts: dict[str, dict[str, int]], vocab: dict[str, int], order: int, eos_token: str = "</s>"):
        if order < 1:
            raise ValueError(f"order must be at least 1, got {order}")
        self.order, self.vocab, self.eos_token = order, vocab, eos_token
        self.counts = counts  # context (0 to order-1 characters) -> {next label: count}
        self._chars = {i: t for t, i in vocab.items() if len(t) == 1}  # id -> character, for contexts
        self._column = {t: i for t, i in vocab.items() if len(t) == 1 or t == eos_token}  # label -> id
        self._probs = functools.lru_cache(maxsize=200_000)(self._compute)  # beams share their contexts

    @classmethod
    def from_texts(cls, texts, tokenizer, order: int = 7) -> "CharNGramLM":
        """Count every context of 0 to order-1 characters in `texts` (one sentence each), split into characters as
        the ASR's `tokenizer` splits them (its normalization); a character outside its vocabulary ends the context,
        as its <unk> would."""
        vocab, eos_token = tokenizer.get_vocab(), tokenizer.eos_token
        counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        for text in texts:
            chars = [c if c in vocab else None for c in tokenizer.tokenize(text)]
            if not chars:
                continue
            history = _START
            for label in chars + [eos_token]:
                if label is None:  # unknown character: nothing is counted across it
                    history = _START
                    continue
                for n in range(min(len(history), order - 1) + 1):
                    counts[history[len(history) - n:] if n else ""][label] += 1
                history = (history + label)[-(order - 1):] if order > 1 and label != eos_token else history
        return cls({context: dict(following) for context, following in counts.items()}, vocab, order, eos_token)

    def _compute(self, context: str) -> np.ndarray:
        if context:
            lower = self._probs(context[1:])
        else:  # below the unigram: every label equally likely
            lower = np.full(len(self.vocab), 1.0 / len(self._column))
            unused = np.ones(len(self.vocab), bool)
            unused[list(self._column.values())] = False
            lower[unused] = 0.0
        following = self.counts.get(context)
        if not following:
            return lower
        total, types = sum(following.values()), len(following)
        probs = lower * (types / (total + types))
        for label, count in following.items():
            probs[self._column[label]] += count / (total + types)
        return probs

    def log_probs(self, context_ids) -> np.ndarray:
        """log p(next label | the labels so far), (vocab,): -inf for the tokenizer's ids that are no label."""
        if self.order == 1:
            context = ""
        else:
            context = (_START + "".join(self._chars.get(int(i), "") for i in context_ids[-(self.order - 1):]))
            context = context[-(self.order - 1):]
        with np.errstate(divide="ignore"):
            return np.log(self._probs(context))

    def save_pretrained(self, directory) -> None:
        """char_lm.json in `directory`, written under a temporary name and then renamed (never half a file)."""
        path = os.path.join(directory, CHAR_LM_FILE)
        with open(path + ".partial", "w", encoding="utf-8") as f:
            json.dump({"order": self.order, "eos_token": self.eos_token, "vocab": self.vocab,
                       "counts": self.counts}, f, ensure_ascii=True, separators=(",", ":"))
        os.replace(path + ".partial", path)

    @classmethod
    def from_pretrained(cls, directory) -> "CharNGramLM | None":
        path = os.path.join(directory, CHAR_LM_FILE)
        if not os.path.isfile(path):
            return None
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        try:
            return cls(data["counts"], data["vocab"], int(data["order"]), data.get("eos_token", "</s>"))
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{path}: not a character language model written by CharNGramLM ({e})") from e
