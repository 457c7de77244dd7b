"""CUB-200-2011's attribute files for the synthetic birds: what a crowd worker would have marked on each drawing.

Each drawn part sets the CUB groups it stands for (`domain.PART_GROUPS`: the belly colour also marks the breast,
underparts and throat, the wing colour the primary and upper-tail colours, ...), plus size, bill length and leg
colour. Like the real annotations, the labels are noisy (`LabelNoise`): certainty is mostly "definitely", sometimes
"probably" or "guessing"; now and then a part is marked "not visible", gets a second colour, or the wrong one.
Groups the drawing says nothing about (patterns, shapes) are left unmarked (absent, "not visible").
The images never change with the noise: it is in the labels only, as in CUB.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..cub_attributes import CERTAINTIES, CUB_ATTRIBUTE_NAMES, group_values
from . import domain

_INDEX = {name: i for i, name in enumerate(CUB_ATTRIBUTE_NAMES)}
_GROUPS = group_values(CUB_ATTRIBUTE_NAMES)


@dataclass(frozen=True)
class LabelNoise:
    not_visible: float = 0.02  # a part marked "not visible": no colour at all
    second_colour: float = 0.05  # a second colour marked present too (with less certainty)
    wrong_colour: float = 0.02  # another colour marked instead of the drawn one
    certainty: tuple[float, float, float] = (0.05, 0.15, 0.80)  # guessing, probably, definitely


def annotate(bird: domain.Bird, rng: random.Random, noise: LabelNoise = LabelNoise()) -> tuple[np.ndarray, np.ndarray]:
    """(is_present, certainty_id) rows of the 312 CUB attributes for one drawn bird."""
    present = np.zeros(len(CUB_ATTRIBUTE_NAMES), np.uint8)
    certainty = np.ones(len(CUB_ATTRIBUTE_NAMES), np.uint8)  # "not visible" for what the drawing does not show

    def mark(group: str, value: str, allow_noise: bool):
        values = _GROUPS[group]
        sure = rng.choices((2, 3, 4), weights=noise.certainty)[0]
        for v in values:
            certainty[_INDEX[f"{group}::{v}"]] = sure
        if allow_noise and rng.random() < noise.not_visible:
            for v in values:
                certainty[_INDEX[f"{group}::{v}"]] = 1
            return
        if allow_noise and rng.random() < noise.wrong_colour:
            value = rng.choice([v for v in values if v != value])
        present[_INDEX[f"{group}::{value}"]] = 1
        if allow_noise and rng.random() < noise.second_colour:
            other = rng.choice([v for v in values if v != value])
            present[_INDEX[f"{group}::{other}"]] = 1
            certainty[_INDEX[f"{group}::{other}"]] = min(sure, 3)

    for group, colour in domain.cub_colours(bird).items():
        mark(group, colour, allow_noise=True)
    mark("has_leg_color", domain.LEG_COLOUR, allow_noise=True)
    mark("has_size", domain.CUB_SIZE[bird.size], allow_noise=False)
    mark("has_bill_length", domain.CUB_BILL_LENGTH[bird.beak_length], allow_noise=False)
    return present, certainty


def write_attribute_files(root: Path, image_ids: list[int], class_ids: list[int], labels: list[tuple],
                          num_classes: int, seed: int) -> None:
    """attributes.txt beside CUB_200_2011/, and CUB_200_2011/attributes/{image_attribute_labels.txt,
    certainties.txt, class_attribute_labels_continuous.txt}, laid out as the real download."""
    (root / "attributes.txt").write_text("".join(f"{i} {name}\n" for i, name in enumerate(CUB_ATTRIBUTE_NAMES, 1)))
    folder = root / "CUB_200_2011" / "attributes"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "certainties.txt").write_text("".join(f"{k} {v}\n" for k, v in CERTAINTIES.items()))
    times = np.random.default_rng(seed).uniform(1.0, 30.0, (len(image_ids), len(CUB_ATTRIBUTE_NAMES)))
    with open(folder / "image_attribute_labels.txt", "w") as f:
        for image_id, (present, certainty), seconds in zip(image_ids, labels, times):
            f.write("".join(f"{image_id} {a} {p} {c} {t:.4f}\n" for a, p, c, t in
                            zip(range(1, len(present) + 1), present.tolist(), certainty.tolist(), seconds.tolist())))
    totals = np.zeros((num_classes, len(CUB_ATTRIBUTE_NAMES)), np.float64)
    counts = np.zeros(num_classes, np.float64)
    for class_id, (present, _) in zip(class_ids, labels):
        totals[class_id - 1] += present
        counts[class_id - 1] += 1
    percentages = 100 * totals / np.maximum(counts, 1)[:, None]
    (folder / "class_attribute_labels_continuous.txt").write_text(
        "".join(" ".join(f"{v:.12f}" for v in row) + "\n" for row in percentages))
