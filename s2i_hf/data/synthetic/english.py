"""Plain English sentences beyond the bird domain, so that the ASR learns to spell English, not a template vocabulary.

The sentences come from the word-trigram Markov model that the `essential-generators` package ships (MIT licence;
its chain was built from Wikipedia text, CC BY-SA): about 300,000 word pairs with their possible next words. A
sentence starts at a pair whose first word is capitalized, follows the chain with this module's own seeded random
choices (so a corpus is the same for the same seed), and is kept when it ends with a full stop after 5-14 words
made only of letters (numbers, symbols and abbreviations would need LJSpeech's normalization rules to be spoken as
written). The result reads like English with real vocabulary and word order, not always with sense:
"The translation of the poem was published in the north of the country."
"""

from __future__ import annotations

import functools
import json
import random
import re
from pathlib import Path

_WORD = re.compile(r"^(?:[A-Za-z][a-z']*[a-z]|[aAI])[,]?$")  # "a" and "I" too: the commonest words
_LAST = re.compile(r"^[a-z][a-z']*[a-z]\.$")
_START = re.compile(r"^[A-Z][a-z]+ [a-z]+$")


@functools.lru_cache(maxsize=1)
def _chain() -> tuple[dict, list[str]]:
    try:
        import essential_generators
    except ImportError as e:  # a dependency of s2i_hf; say which
        raise ImportError("plain English sentences need the essential-generators package "
                          "(pip install essential-generators)") from e
    path = Path(essential_generators.__file__).parent / "markov_textgen.json"
    with open(path, encoding="utf-8") as f:
        chain = json.load(f)
    starts = sorted(pair for pair in chain if _START.match(pair))
    return chain, starts


@functools.lru_cache(maxsize=1)
def english_words() -> list[str]:
    """The lower-case words of the chain (letters only), sorted: a vocabulary of plain English."""
    chain, _ = _chain()
    return sorted({word for pair in chain for word in pair.split() if re.fullmatch(r"[a-z]+", word)})


def english_sentence(rng: random.Random, min_words: int = 5, max_words: int = 14) -> str:
    """One sentence of plain English, letters and commas only, ending with a full stop."""
    chain, starts = _chain()
    while True:
        words = rng.choice(starts).split()
        while len(words) < max_words:
            entry = chain.get(f"{words[-2]} {words[-1]}")
            if not entry or not entry.get("transitions"):
                break
            following = rng.choices(entry["transitions"], weights=entry["weights"])[0]
            if _LAST.match(following):
                words.append(following)
                break
            if not _WORD.match(following):
                break
            words.append(following)
        if min_words <= len(words) <= max_words and _LAST.match(words[-1]) and all(map(_WORD.match, words[:-1])):
            return " ".join(words)


def random_words(rng: random.Random, min_words: int = 3, max_words: int = 8, exclude: frozenset = frozenset()) -> str:
    """A run of words drawn uniformly from `english_words()` but `exclude`, as a sentence ("Harbour velvet
    ancestral."): rare words as often as common ones, and no word order a decoder could lean on, so only the sound
    tells the spelling."""
    vocabulary = _vocabulary_without(exclude)
    words = rng.sample(vocabulary, rng.randint(min_words, max_words))
    return " ".join(words).capitalize() + "."


@functools.lru_cache(maxsize=4)
def _vocabulary_without(exclude: frozenset) -> list[str]:
    return [word for word in english_words() if word not in exclude]
