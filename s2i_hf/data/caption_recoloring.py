"""CUB captions with their colours exchanged: text for colour combinations no training image shows.

A caption of a red-bellied bird with blue wings, its colour words passed through a random permutation of the
colours ("red" -> "green", "blue" -> "yellow", every other colour to another), asks for a green belly and yellow
wings, in the annotator's own words and sentence shape. StackGAN's generator trained on such captions (embedded
by the text encoder, as the pipeline embeds what was said) is asked for whole new combinations of parts it has
seen, and the discriminator's attribute head, trained on the real images, judges whether it drew them: the
composition the test classes need, learnt from training captions alone. The permutation maps the colours the
training captions use onto themselves, so no caption asks for a colour the images never show.

    recolor("this bird has a red belly and gray wings.", {"red": "green", "gray": "blue"})
    # "this bird has a green belly and blue wings."
"""

from __future__ import annotations

import random
import re

from .caption_attributes import CUB_COLOURS

_WORD = re.compile(r"[a-z]+")
_COLOUR_WORDS = {*CUB_COLOURS, "gray"}  # CUB's colours as captions spell them


def colours_used(captions) -> list[str]:
    """The colour words (as written, "gray" and "grey" kept apart) that occur in `captions`, sorted."""
    used = set()
    for caption in captions:
        used.update(w for w in _WORD.findall(caption.lower()) if w in _COLOUR_WORDS)
    return sorted(used)


def random_permutation(colours: list[str], rng: random.Random) -> dict[str, str]:
    """A random map of `colours` onto themselves, one to one."""
    shuffled = list(colours)
    rng.shuffle(shuffled)
    return dict(zip(colours, shuffled))


def recolor(caption: str, mapping: dict[str, str]) -> str:
    """`caption` with every colour word in `mapping` replaced at once (so that red <-> blue swaps cleanly); the
    rest, "red-bellied" compounds and punctuation included, stays as written."""
    return _WORD.sub(lambda m: mapping.get(m.group(0), m.group(0)), caption)
