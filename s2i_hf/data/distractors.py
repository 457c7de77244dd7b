"""Words and sentences that name nothing about the bird, added to a text: augmentation that teaches the text encoder
to read past what a speaker says around and inside a request.

    with_distractors("draw me a bird with a red belly and blue wings", random.Random(3), max_chars=201)
    -> "draw me a bird with a red belly and blue wings. The river was named after the town."
    -> "draw me a bird showing with a red belly and actually blue wings"

Why: people do not stop at the caption. They add a sentence ("It is for my sister."), or words the encoder never
read ("a bird sporting blue wings"). An encoder trained only on captions and their rewrites places such texts
away from the caption they restate, and the picture drawn from them is wrong more often
(`recipes/benchmarks/bench_phrasing.py`). Here the text keeps its target while it gains either a sentence of plain
English before or after it, or one or two English words at places where they cannot split a colour from the part
it colours (nor a part from what is said of it). The words and sentences come from the plain-English model the
speech corpus uses (`s2i_hf.data.synthetic.english`, the `essential-generators` package's word chain, MIT), never
from a test set.
"""

from __future__ import annotations

import functools
import random
import re

from .caption_attributes import CUB_COLOURS
from .synthetic.english import english_sentence, english_words

_COLOUR_WORDS = {*CUB_COLOURS, "gray"}
# no word goes right after these: a colour, a part, or the verb between a part and its colour ("wings are | blue")
_KEEP_NEXT_WORD = _COLOUR_WORDS | {"belly", "tummy", "front", "breast", "chest", "throat", "crown", "head", "cap",
                                   "nape", "wing", "wings", "tail", "back", "bill", "beak", "underparts", "feathers",
                                   "coverts", "is", "are", "be"}


@functools.lru_cache(maxsize=1)
def _plain_words() -> list[str]:
    """English words that name no colour (a distractor must not change what the text asks for)."""
    return [w for w in english_words() if w not in _COLOUR_WORDS and 3 <= len(w) <= 10]


def with_distractors(text: str, rng: random.Random, max_chars: int = 201) -> str:
    """`text` with a sentence of plain English before or after it (half the time, when both fit in `max_chars`
    characters, the encoder's input limit, so nothing the text names is cut off), else one or two English words
    inserted, never right after a colour or a part ("red river belly", "wings river are blue" would part them)."""
    if rng.random() < 0.5:
        sentence = english_sentence(rng)
        while _COLOUR_WORDS & set(sentence.lower().replace(",", " ").rstrip(".").split()):  # "a black layer": 0.6 %
            sentence = english_sentence(rng)
        joined = f"{sentence} {text}" if rng.random() < 0.5 else f"{text.rstrip(' .!?')}. {sentence}"
        if len(joined) <= max_chars:
            return joined
    words = text.split()
    # a place before word k is allowed when the word before it is no colour or part ("a red | belly" is not)
    places = [k for k in range(1, len(words) + 1)
              if re.sub(r"\W", "", words[k - 1].lower()) not in _KEEP_NEXT_WORD]
    for _ in range(rng.choice((1, 2))):
        if not places or len(" ".join(words)) >= max_chars - 12:
            break
        k = rng.choice(places)
        words.insert(k, rng.choice(_plain_words()))
        places = [p if p < k else p + 1 for p in places] + [k]  # both sides of the new word are open
    return " ".join(words)
