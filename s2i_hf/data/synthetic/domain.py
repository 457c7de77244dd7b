"""The synthetic bird domain of `docs/synthetic-data.md`: attributes, colours, classes, split, captions.

Everything that images, captions and speech must agree on lives here, so that a caption can always be checked
against the image it describes. A `Bird` is one draw of the attributes; `caption(bird, rng)` writes one CUB-style
sentence about it.
"""

from __future__ import annotations

import dataclasses
import random
import re

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (200, 30, 35),
    "orange": (240, 130, 20),
    "yellow": (240, 220, 40),
    "green": (40, 150, 50),
    "blue": (40, 80, 210),
    "purple": (130, 50, 170),
    "brown": (120, 75, 35),
    "black": (25, 25, 25),
    "white": (240, 240, 240),
    "gray": (128, 128, 128),
}
BACKGROUNDS: dict[str, tuple[int, int, int]] = {
    "sky": (170, 210, 245),
    "grass": (120, 170, 90),
    "sand": (225, 205, 160),
    "snow": (250, 250, 252),
}
SIZES = ("small", "medium", "large")
BEAK_LENGTHS = ("short", "long")
BEAK_COLOURS = ("black", "yellow", "orange", "gray")
COLOUR_NAMES = tuple(COLOURS)

# How the drawing maps onto CUB's attribute groups (the synthetic corpus writes CUB's attribute files from this).
CUB_COLOUR = {c: ("grey" if c == "gray" else c) for c in COLOURS}  # CUB spells it grey
PART_GROUPS = {
    # the body ellipse and the lower half of the head are drawn in the belly colour
    "belly": ("has_belly_color", "has_breast_color", "has_underparts_color", "has_throat_color"),
    # the wing, and the tail drawn in a darker wing colour
    "wing": ("has_wing_color", "has_primary_color", "has_upper_tail_color"),
    # the top half of the head
    "crown": ("has_crown_color", "has_forehead_color"),
    "beak_colour": ("has_bill_color",),
}
CUB_SIZE = {"small": "small_(5_-_9_in)", "medium": "medium_(9_-_16_in)", "large": "large_(16_-_32_in)"}
CUB_BILL_LENGTH = {"short": "shorter_than_head", "long": "longer_than_head"}
LEG_COLOUR = "brown"  # the legs are always drawn dark brown

NUM_CLASSES = len(COLOURS) ** 2  # class = (belly colour, wing colour)
NUM_TRAIN_CLASSES = 75
# The class split is part of the domain, not of a corpus: every corpus, whatever its --seed, holds out the same
# 25 (belly, wing) combinations, so speech and bird corpora made apart still agree on what is "unseen".
SPLIT_SEED = 2017


@dataclasses.dataclass(frozen=True)
class Bird:
    size: str
    belly: str
    wing: str
    crown: str
    beak_length: str
    beak_colour: str
    background: str

    @property
    def class_id(self) -> int:
        """1-based, like CUB's class ids."""
        return class_id(self.belly, self.wing)

    @property
    def class_name(self) -> str:
        return class_name(self.class_id)


def cub_colours(bird: Bird) -> dict[str, str]:
    """The CUB colour groups the drawing of `bird` shows, with their colour in CUB's spelling."""
    return {group: CUB_COLOUR[getattr(bird, part)] for part, groups in PART_GROUPS.items() for group in groups}


def class_id(belly: str, wing: str) -> int:
    return COLOUR_NAMES.index(belly) * len(COLOUR_NAMES) + COLOUR_NAMES.index(wing) + 1


def class_colours(cid: int) -> tuple[str, str]:
    """(belly, wing) of a 1-based class id."""
    if not 1 <= cid <= NUM_CLASSES:
        raise ValueError(f"class id {cid} is outside 1..{NUM_CLASSES}")
    belly, wing = divmod(cid - 1, len(COLOUR_NAMES))
    return COLOUR_NAMES[belly], COLOUR_NAMES[wing]


def class_name(cid: int) -> str:
    """CUB-style folder name: `001.Red_belly_Red_wing`."""
    belly, wing = class_colours(cid)
    return f"{cid:03d}.{belly.capitalize()}_belly_{wing.capitalize()}_wing"


def class_split() -> tuple[list[int], list[int]]:
    """(train class ids, test class ids), fixed for the domain.

    Redrawn until every colour is seen in training both as a belly and as a wing colour, so that each test class
    is a new *combination* of seen colours, as CUB's test classes are new species made of seen parts.
    """
    rng = random.Random(SPLIT_SEED)
    ids = list(range(1, NUM_CLASSES + 1))
    while True:
        rng.shuffle(ids)
        train = sorted(ids[:NUM_TRAIN_CLASSES])
        bellies = {class_colours(c)[0] for c in train}
        wings = {class_colours(c)[1] for c in train}
        if len(bellies) == len(wings) == len(COLOUR_NAMES):
            return train, sorted(ids[NUM_TRAIN_CLASSES:])


def sample_bird(rng: random.Random, class_ids: list[int] | None = None) -> Bird:
    belly, wing = class_colours(rng.choice(class_ids)) if class_ids else (rng.choice(COLOUR_NAMES), rng.choice(COLOUR_NAMES))
    return Bird(
        size=rng.choice(SIZES),
        belly=belly,
        wing=wing,
        crown=rng.choice(COLOUR_NAMES),
        beak_length=rng.choice(BEAK_LENGTHS),
        beak_colour=rng.choice(BEAK_COLOURS),
        background=rng.choice(tuple(BACKGROUNDS)),
    )


# Caption grammar. Phrases name one attribute each; a caption joins a random subset of them that always holds the
# belly or the wing colour, in the varied word orders CUB annotators use.
_SUBJECTS = ("this bird", "this {size} bird", "the bird", "a {size} bird", "this is a {size} bird that")
_PHRASES = {
    "belly": ("a {belly} belly", "a {belly} breast and belly", "a {belly} belly and underparts",
              "a belly that is {belly}"),
    "wing": ("{wing} wings", "{wing} wing feathers", "{wing} coverts and wings", "wings that are {wing}"),
    "crown": ("a {crown} crown", "a {crown} head", "a {crown} cap"),
    "beak": ("a {beak_length} {beak_colour} beak", "a {beak_length} {beak_colour} bill"),
}
_BACKGROUND_PHRASES = {
    "sky": ("flying in the sky", "against a blue sky"),
    "grass": ("standing in the grass", "on a grassy field"),
    "sand": ("standing on the sand", "on a sandy beach"),
    "snow": ("standing in the snow", "on a snowy ground"),
}


def caption(bird: Bird, rng: random.Random) -> str:
    """One lower-case CUB-style caption naming a random subset of the bird's attributes (belly or wing always)."""
    values = dataclasses.asdict(bird)
    named = [rng.choice(("belly", "wing"))]
    named += [k for k in _PHRASES if k not in named and rng.random() < 0.5]
    rng.shuffle(named)
    phrases = [rng.choice(_PHRASES[k]).format(**values) for k in named]
    body = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    sentence = f"{rng.choice(_SUBJECTS).format(**values)} has {body}"
    if rng.random() < 0.3:
        sentence += ", " + rng.choice(_BACKGROUND_PHRASES[bird.background])
    return re.sub(r"\ba (?=[aeiou])", "an ", sentence) + "."


