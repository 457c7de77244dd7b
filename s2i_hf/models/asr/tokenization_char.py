"""A character tokenizer for LJSpeech-style normalized English text, as a transformers tokenizer.

    tok = CharTokenizer()                       # the default alphabet: a-z, space and . , ? ! ' - ; : "
    tok("The bird.").input_ids                  # [..., eos]: one id per character, then </s>
    tok.save_pretrained(d); AutoTokenizer.from_pretrained(d)   # after `import s2i_hf` (or trust_remote_code=True)

Text is normalized before lookup: Unicode compatibility form, accents stripped, curly quotes and dashes made
ASCII, lower case (LJSpeech's normalized_text keeps case; the model need not). A character still outside the
alphabet becomes <unk>; `unknown_characters` counts them and the first one is reported once, not per call.
Special ids follow Speech2Text: <s>=0, <pad>=1, </s>=2 (also the decoder start), <unk>=3.
This file imports nothing from s2i_hf, so it can be copied beside a saved model for `trust_remote_code` loading.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import unicodedata

import torch
from transformers import BatchEncoding, PreTrainedTokenizer

logger = logging.getLogger(__name__)

DEFAULT_ALPHABET = " abcdefghijklmnopqrstuvwxyz.,?!'-;:\""
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>")
_ASCII_FOR = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "[": "(",
              "]": ")"}

_ASCII_TABLE = str.maketrans(_ASCII_FOR)


def normalize_text(text: str) -> str:
    """NFKD, accents dropped, curly punctuation made ASCII, lower case, runs of spaces collapsed."""
    if not text.isascii():  # ASCII text has nothing to decompose (most text: the fast path)
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.translate(_ASCII_TABLE).lower().split())


class CharTokenizer(PreTrainedTokenizer):
    vocab_files_names = {"vocab_file": "vocab.json"}
    model_input_names = ["input_ids", "attention_mask"]

    def __init__(self, vocab_file: str | None = None, alphabet: str = DEFAULT_ALPHABET, **kwargs):
        if vocab_file is not None:
            with open(vocab_file, encoding="utf-8") as f:
                self.vocab = json.load(f)
        else:
            self.vocab = {tok: i for i, tok in enumerate(list(SPECIAL_TOKENS) + list(dict.fromkeys(alphabet)))}
        self.ids_to_tokens = {i: t for t, i in self.vocab.items()}
        self.unknown_characters: collections.Counter = collections.Counter()
        kwargs.setdefault("special_tokens_pattern", "eos")
        for name, token in zip(("bos_token", "pad_token", "eos_token", "unk_token"), SPECIAL_TOKENS):
            kwargs.setdefault(name, token)
        super().__init__(**kwargs)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def get_vocab(self) -> dict[str, int]:
        return dict(self.vocab)

    def _tokenize(self, text: str, **kwargs) -> list[str]:
        chars = list(normalize_text(text))
        unknown = [c for c in chars if c not in self.vocab]
        if unknown:
            if not self.unknown_characters:
                logger.warning("characters outside the tokenizer's alphabet become <unk> (first: %r in %r); "
                               "see tokenizer.unknown_characters for the counts", unknown[0], text[:80])
            self.unknown_characters.update(unknown)
        return chars

    def encode_batch(self, texts: list[str], max_length: int) -> BatchEncoding:
        """What `self(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")` returns
        (right padding, `</s>` kept last), an id per character straight from the vocabulary: the generic path
        costs about 0.3 ms a text in Python bookkeeping, more than the text encoder's own step takes per text."""
        if max_length < 2:
            raise ValueError(f"max_length must leave room for a character and </s>, got {max_length}")
        unk, eos, pad = self.vocab["<unk>"], self.vocab["</s>"], self.vocab["<pad>"]
        rows = [[self.vocab.get(c, unk) for c in self._tokenize(text)][: max_length - 1] + [eos] for text in texts]
        longest = max(map(len, rows), default=0)
        input_ids = [row + [pad] * (longest - len(row)) for row in rows]
        attention_mask = [[1] * len(row) + [0] * (longest - len(row)) for row in rows]
        shape = (len(rows), longest)  # also for no texts at all
        return BatchEncoding({"input_ids": torch.tensor(input_ids, dtype=torch.long).reshape(shape),
                              "attention_mask": torch.tensor(attention_mask, dtype=torch.long).reshape(shape)})

    def _convert_token_to_id(self, token: str) -> int:
        return self.vocab.get(token, self.vocab["<unk>"])

    def _convert_id_to_token(self, index: int) -> str:
        return self.ids_to_tokens.get(index, "<unk>")

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        return "".join(tokens)

    def save_vocabulary(self, save_directory: str, filename_prefix: str | None = None) -> tuple[str]:
        path = os.path.join(save_directory, (filename_prefix + "-" if filename_prefix else "") + "vocab.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.vocab, f, ensure_ascii=False, indent=0)
        return (path,)
