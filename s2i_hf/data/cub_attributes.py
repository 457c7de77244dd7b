"""CUB-200-2011's attribute files: the 312 part attributes (colours, patterns, shapes) of every image.

    attrs = CUBAttributes.from_folder("data/birds")          # the folder holding CUB_200_2011/
    attrs.groups["has_belly_color"]                         # ['blue', 'brown', 'iridescent', ..., 'buff']
    values, targets = attrs.group_targets(present, certainty, ["has_belly_color", "has_wing_color"])

The files, as the real download lays them out (and as the synthetic birds write them):
    attributes.txt                      beside CUB_200_2011/ (also looked for in CUB_200_2011/attributes/):
                                        312 lines `<attribute_id> <group>::<value>`
    CUB_200_2011/attributes/image_attribute_labels.txt
                                        one line per (image, attribute):
                                        `<image_id> <attribute_id> <is_present 0|1> <certainty_id 1-4> <time_ms>`;
                                        a few lines of the real file carry a sixth field, which is ignored
    CUB_200_2011/attributes/certainties.txt
                                        `1 not visible`, `2 guessing`, `3 probably`, `4 definitely`
    CUB_200_2011/attributes/class_attribute_labels_continuous.txt
                                        one line per class: 312 percentages of its images showing each attribute

Labels are multi-label and noisy (crowd workers): a part may be marked with two colours, or none. Training and
evaluation turn them into one soft target per group: each present value weighted by how sure the annotator was
(`CERTAINTY_WEIGHTS`: definitely 1, probably 0.75, guessing 0.5, not visible 0), normalised over the group. A
group with no present value, or present only where not visible, has no target for that image and is left out of
the loss.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataFormatError

NUM_CUB_ATTRIBUTES = 312
CERTAINTIES = {1: "not visible", 2: "guessing", 3: "probably", 4: "definitely"}
CERTAINTY_WEIGHTS = np.array([0.0, 0.0, 0.5, 0.75, 1.0], np.float32)  # indexed by certainty id (0 unused)
# CUB's own list, shipped with the package: the synthetic birds write it, and it is the reference a real
# attributes.txt is checked against.
CUB_ATTRIBUTE_NAMES: tuple[str, ...] = tuple(
    line.split(" ", 1)[1] for line in (Path(__file__).with_name("cub_attributes.txt")).read_text().splitlines()
    if line.strip()
)


def group_values(names) -> dict[str, list[str]]:
    """`has_belly_color::blue`-style names -> {group: [values in file order]}."""
    groups: dict[str, list[str]] = {}
    for name in names:
        group, _, value = name.partition("::")
        groups.setdefault(group, []).append(value)
    return groups


def attribute_files(root: Path) -> tuple[Path | None, Path]:
    """(attributes.txt or None when absent, image_attribute_labels.txt) of a folder holding CUB_200_2011/."""
    root = Path(root)
    labels = root / "CUB_200_2011" / "attributes" / "image_attribute_labels.txt"
    for candidate in (root / "attributes.txt", root / "CUB_200_2011" / "attributes" / "attributes.txt",
                      root / "CUB_200_2011" / "attributes.txt"):
        if candidate.is_file():
            return candidate, labels
    return None, labels


def has_attribute_files(root) -> bool:
    names, labels = attribute_files(Path(root))
    return names is not None and labels.is_file()


def read_attribute_names(path: Path) -> list[str]:
    """attributes.txt -> the names in id order; ids must run 1..N without gaps."""
    names = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 2 or "::" not in fields[1] or not fields[0].isdigit():
            raise DataFormatError(f"{path}:{line_no}: expected '<id> <group>::<value>', found {line!r}")
        if int(fields[0]) != len(names) + 1:
            raise DataFormatError(f"{path}:{line_no}: attribute id {fields[0]} out of order (expected {len(names) + 1})")
        names.append(fields[1])
    if not names:
        raise DataFormatError(f"{path}: no attributes listed")
    return names


def _labels_slow(path: Path, num_attributes: int) -> np.ndarray:
    """Line-by-line reading of image_attribute_labels.txt, for the error message naming the bad line."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) < 4 or not all(v.lstrip("-").isdigit() for v in fields[:4]):
                raise DataFormatError(f"{path}:{line_no}: expected '<image_id> <attribute_id> <is_present> "
                                      f"<certainty_id> <time>', found {line.rstrip()!r}")
            rows.append([int(v) for v in fields[:4]])
    return np.asarray(rows, np.int64).reshape(-1, 4)


def read_image_attribute_labels(path: Path, num_attributes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """image_attribute_labels.txt -> (image ids, present (images x attributes, uint8), certainty (same, uint8)).

    The fifth field (annotation time) and any sixth are ignored. An image listed with fewer than all attributes
    keeps 0 ("absent", certainty 0) for those it lacks."""
    if not path.is_file():
        raise DataFormatError(f"{path}: file not found")
    try:  # numpy's C reader: about 10 million lines a second; a ragged tail of extra fields is fine with usecols
        table = np.loadtxt(path, usecols=(0, 1, 2, 3), dtype=np.int64, ndmin=2)
    except ValueError:
        table = _labels_slow(path, num_attributes)  # raises naming the line
    if not len(table):
        raise DataFormatError(f"{path}: no labels")
    image_col, attr_col, present_col, certainty_col = table.T
    for name, column, low, high in (("attribute_id", attr_col, 1, num_attributes), ("is_present", present_col, 0, 1),
                                    ("certainty_id", certainty_col, 1, 4), ("image_id", image_col, 1, None)):
        bad = np.flatnonzero((column < low) | ((column > high) if high is not None else False))
        if len(bad):
            line = bad[0] + 1  # the table holds the non-empty lines in order
            raise DataFormatError(f"{path}: {name} {column[bad[0]]} outside {low}..{high or 'N'} "
                                  f"(line {line}, counting non-empty lines)")
    image_ids = np.unique(image_col)
    row = np.searchsorted(image_ids, image_col)
    present = np.zeros((len(image_ids), num_attributes), np.uint8)
    certainty = np.zeros((len(image_ids), num_attributes), np.uint8)
    present[row, attr_col - 1] = present_col
    certainty[row, attr_col - 1] = certainty_col
    return image_ids, present, certainty


@dataclass
class CUBAttributes:
    """The attribute files of one CUB folder: names (attributes.txt order), groups, and per-image labels."""

    names: list[str]
    image_ids: np.ndarray  # sorted
    present: np.ndarray  # (images, attributes) uint8
    certainty: np.ndarray  # (images, attributes) uint8, 1-4 (0 where an image lacks a line)

    @property
    def groups(self) -> dict[str, list[str]]:
        return group_values(self.names)

    @classmethod
    def from_folder(cls, root) -> "CUBAttributes":
        root = Path(root)
        names_path, labels_path = attribute_files(root)
        if names_path is None:
            raise DataFormatError(f"{root}: no attributes.txt (CUB lays it beside CUB_200_2011/); the attribute "
                                  "labels cannot be read without it")
        names = read_attribute_names(names_path)
        image_ids, present, certainty = read_image_attribute_labels(labels_path, len(names))
        return cls(names, image_ids, present, certainty)

    def rows_of(self, image_ids) -> np.ndarray:
        """Row index of each CUB image id; an id without labels is an error naming it."""
        image_ids = np.asarray(image_ids)
        rows = np.searchsorted(self.image_ids, image_ids).clip(0, len(self.image_ids) - 1)
        missing = image_ids[self.image_ids[rows] != image_ids]
        if len(missing):
            raise DataFormatError(f"image_attribute_labels.txt has no labels for image id {int(missing[0])} "
                                  f"({len(missing)} such images)")
        return rows

    def require_groups(self, groups, where: str = "") -> None:
        """A clear error for a group that is not in attributes.txt (e.g. a typo in a preset)."""
        missing = [g for g in groups if g not in self.groups]
        if missing:
            raise DataFormatError(f"attribute group(s) {missing} are not in attributes.txt{where}; it has: "
                                  f"{', '.join(self.groups)}")

    def group_targets(self, present: np.ndarray, certainty: np.ndarray, groups: list[str]
                      ) -> tuple[dict[str, list[str]], np.ndarray]:
        """Soft targets of `groups` for rows of 312-long label vectors: ({group: values}, (rows, sum of values)
        float32), each present value weighted by its certainty; rows of a group without a visible present value
        are all zero there (no target). The groups come in sorted order, whatever order they are named in: a model
        config saves its {group: values} with sorted keys (transformers writes config.json with sort_keys), so a
        model trained on these targets reads its logit blocks in the order its saved config reloads them."""
        self.require_groups(groups)
        weights = np.asarray(present, np.float32) * CERTAINTY_WEIGHTS[np.asarray(certainty, np.int64)]
        values, blocks = {}, []
        for group in sorted(groups):
            columns = [i for i, name in enumerate(self.names) if name.partition("::")[0] == group]
            values[group] = [self.names[i].partition("::")[2] for i in columns]
            blocks.append(weights[:, columns])
        return values, np.concatenate(blocks, axis=1) if blocks else np.zeros((len(weights), 0), np.float32)


def read_class_attribute_percentages(root) -> np.ndarray:
    """class_attribute_labels_continuous.txt -> (classes, attributes) float32 percentages, class-id order."""
    path = Path(root) / "CUB_200_2011" / "attributes" / "class_attribute_labels_continuous.txt"
    if not path.is_file():
        raise DataFormatError(f"{path}: file not found")
    rows = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append([float(v) for v in line.split()])
        except ValueError as e:
            raise DataFormatError(f"{path}:{line_no}: not a line of numbers ({e})") from None
        if len(rows[-1]) != len(rows[0]):
            raise DataFormatError(f"{path}:{line_no}: {len(rows[-1])} values, line 1 has {len(rows[0])}")
    return np.asarray(rows, np.float32)
