"""CUB-200-2011 with StackGAN's birds metadata as a `datasets.Dataset`, and StackGAN's image preprocessing.

    from s2i_hf.data.cub import load_cub, StackGANImageTransform
    train = load_cub("data/birds", split="train")          # the folder holding CUB_200_2011/, train/, test/, text_c10/
    train.set_transform(StackGANImageTransform(64, train=True).for_batch)

Columns: `image_id` (CUB id), `filename` ("001.Class/Name_0001_1"), `image` (`Image(decode=False)`: {"path"}),
`bbox` ([x, y, width, height], CUB pixels), `class_id`, `embeddings` (n_captions x dim float32, the
char-CNN-RNN rows of the pickle), `captions` (text_c10, one per embedding).

Where the folder has CUB's attribute files (`attributes.txt` beside CUB_200_2011/ and
`CUB_200_2011/attributes/image_attribute_labels.txt`; see `s2i_hf.data.cub_attributes`), also:
`attribute_present` and `attribute_certainty` (312 values each, in attributes.txt order: 0/1, and 1 not visible,
2 guessing, 3 probably, 4 definitely), and one column per attribute group named as CUB names it
(`has_belly_color`, `has_wing_color`, `has_size`, ...) listing the values marked present for the image (none, one
or several: the labels are crowd-sourced). `CUBAttributes.from_folder(path).group_targets(...)` turns the two
312-long columns into certainty-weighted soft targets per group.
"""

from __future__ import annotations

import logging
import os
import random
from pathlib import Path

import datasets
import numpy as np
from PIL import Image

from .cub_attributes import CUBAttributes, has_attribute_files
from .errors import DataFormatError
from .safe_pickle import safe_load

logger = logging.getLogger(__name__)

def _read_index(path: Path) -> dict[str, list[str]]:
    """`<id> <fields...>` lines of a CUB text file, keyed by id, with errors naming the line."""
    if not path.is_file():
        raise DataFormatError(f"{path}: file not found")
    table = {}
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) < 2:
            raise DataFormatError(f"{path}:{line_no}: expected '<id> <value>...', found {line!r}")
        table[fields[0]] = fields[1:]
    return table


def read_bounding_boxes(cub_dir: Path) -> dict[str, list[float]]:
    """image key ("001.Class/Name") -> [x, y, width, height], joined through images.txt as StackGAN does."""
    images, boxes = _read_index(cub_dir / "images.txt"), _read_index(cub_dir / "bounding_boxes.txt")
    result = {}
    for image_id, (relpath, *_) in images.items():
        box = boxes.get(image_id)
        if box is None or len(box) != 4:
            raise DataFormatError(f"{cub_dir / 'bounding_boxes.txt'}: no 4-number box for image id {image_id}")
        result[relpath.rsplit(".", 1)[0]] = [float(v) for v in box] + [int(image_id)]
    return result


def _load_split_pickles(root: Path, split: str, embedding_file: str) -> tuple[list[str], np.ndarray, list[int]]:
    folder = root / split
    names = safe_load(folder / "filenames.pickle")
    embeddings = safe_load(folder / embedding_file)
    class_info = safe_load(folder / "class_info.pickle")
    if isinstance(embeddings, list):
        shapes = {np.shape(e) for e in embeddings}
        if len(shapes) > 1:
            raise DataFormatError(f"{folder / embedding_file}: embeddings of differing shapes {sorted(shapes)[:3]}")
    embeddings = np.asarray(embeddings, dtype=np.float32)
    if embeddings.ndim == 2:  # one embedding per image
        embeddings = embeddings[:, None, :]
    if embeddings.ndim != 3:
        raise DataFormatError(f"{folder / embedding_file}: expected images x captions x dim, found shape {embeddings.shape}")
    lengths = {"filenames.pickle": len(names), embedding_file: len(embeddings), "class_info.pickle": len(class_info)}
    if len(set(lengths.values())) != 1:
        raise DataFormatError(f"{folder}: the pickles disagree on the number of images: {lengths}")
    return [str(n) for n in names], embeddings, [int(c) for c in class_info]


def load_cub(
    path: str | os.PathLike,
    split: str = "train",
    on_error: str = "raise",
    embedding_file: str = "char-CNN-RNN-embeddings.pickle",
    attributes: bool | None = None,
) -> datasets.Dataset:
    """Read one split ("train" or "test") of a StackGAN birds folder; see the module docstring.

    on_error: "raise" stops at the first listed image that is missing or lacks captions or a box, naming it;
    "skip" leaves such images out and logs how many.
    attributes: None reads CUB's attribute files where they exist; True requires them (an error names the missing
    file); False leaves them out.
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    root = Path(path)
    cub_dir = root / "CUB_200_2011"
    if not cub_dir.is_dir():
        raise DataFormatError(f"{root}: no CUB_200_2011 folder (point --dataset_dir at StackGAN's data/birds)")
    names, embeddings, class_info = _load_split_pickles(root, split, embedding_file)
    boxes = read_bounding_boxes(cub_dir)
    labels = None
    if attributes or (attributes is None and has_attribute_files(root)):
        labels = CUBAttributes.from_folder(root)

    rows, problems = [], []
    for index, (name, emb, cid) in enumerate(zip(names, embeddings, class_info)):
        image_path = cub_dir / "images" / f"{name}.jpg"
        caption_path = root / "text_c10" / f"{name}.txt"
        try:
            if name not in boxes:
                raise DataFormatError(f"{root / split / 'filenames.pickle'}[{index}]: {name} is not in images.txt")
            if not image_path.is_file():
                raise DataFormatError(f"{image_path}: image listed in {split}/filenames.pickle is missing")
            if not caption_path.is_file():
                raise DataFormatError(f"{caption_path}: captions of {name} are missing")
            captions = [c.strip() for c in caption_path.read_text(encoding="utf-8").splitlines() if c.strip()]
            if len(captions) < len(emb):
                raise DataFormatError(
                    f"{caption_path}: {len(captions)} captions for {len(emb)} embeddings of {name}"
                )
        except DataFormatError as e:
            if on_error == "raise":
                raise
            problems.append(str(e))
            continue
        *bbox, image_id = boxes[name]
        row = {"image_id": image_id, "filename": name, "image": {"path": str(image_path), "bytes": None},
               "bbox": bbox, "class_id": cid, "embeddings": emb, "captions": captions[: len(emb)]}
        rows.append(row)
    if problems:
        logger.warning("skipped %d of %d images of %s/%s; first: %s", len(problems), len(names), root, split,
                       "; ".join(problems[:3]))
    if not rows:
        raise DataFormatError(f"{root}: no usable images in split {split!r}")

    n_captions, dim = embeddings.shape[1:]
    features = {
        "image_id": datasets.Value("int32"),
        "filename": datasets.Value("string"),
        "image": {"bytes": datasets.Value("binary"), "path": datasets.Value("string")},
        "bbox": datasets.Sequence(datasets.Value("float32"), length=4),
        "class_id": datasets.Value("int32"),
        "embeddings": datasets.Array2D((n_captions, dim), "float32"),
        "captions": datasets.Sequence(datasets.Value("string")),
    }
    columns = {k: [r[k] for r in rows] for k in features}
    if labels is not None:
        at = labels.rows_of([r["image_id"] for r in rows])
        present, certainty = labels.present[at], labels.certainty[at]
        n = len(labels.names)
        features["attribute_present"] = datasets.Sequence(datasets.Value("uint8"), length=n)
        features["attribute_certainty"] = datasets.Sequence(datasets.Value("uint8"), length=n)
        columns["attribute_present"], columns["attribute_certainty"] = present, certainty
        for group, values in labels.groups.items():
            index = [labels.names.index(f"{group}::{v}") for v in values]
            features[group] = datasets.Sequence(datasets.Value("string"))
            columns[group] = [[values[k] for k in np.flatnonzero(row)] for row in present[:, index]]
    dataset = datasets.Dataset.from_dict(columns, features=datasets.Features(features))
    # Cast after building: Image.encode_example is not needed for a path and some versions import extras for it.
    return dataset.cast_column("image", datasets.Image(decode=False))


def crop_to_bbox(image: Image.Image, bbox) -> Image.Image:
    """StackGAN's crop: a square of half-side 0.75 * max(w, h) around the box centre, clipped to the image."""
    width, height = image.size
    r = int(max(bbox[2], bbox[3]) * 0.75)
    center_x = int((2 * bbox[0] + bbox[2]) / 2)
    center_y = int((2 * bbox[1] + bbox[3]) / 2)
    y1, y2 = max(0, center_y - r), min(height, center_y + r)
    x1, x2 = max(0, center_x - r), min(width, center_x + r)
    return image.crop((x1, y1, x2, y2))


class StackGANImageTransform:
    """Crop to the box, resize to size * 76 / 64 (76 for 64, 304 for 256), crop `size`, flip, scale to [-1, 1].

    As StackGAN-Pytorch's `TextDataset.get_img` with its RandomCrop + RandomHorizontalFlip; with `train=False`
    the crop is central and nothing is flipped, so evaluation is repeatable. `rng` makes the random choices
    repeatable too (pass a seeded `random.Random`).
    """

    def __init__(self, size: int = 64, train: bool = True, rng: random.Random | None = None):
        self.size = size
        self.load_size = int(size * 76 / 64)
        self.train = train
        self.rng = rng or random.Random()

    def __call__(self, image: Image.Image, bbox) -> np.ndarray:
        """PIL image + CUB box -> float32 array (3, size, size) in [-1, 1]."""
        image = crop_to_bbox(image.convert("RGB"), bbox).resize((self.load_size, self.load_size), Image.BILINEAR)
        return self.random_crop_and_flip(image)

    def random_crop_and_flip(self, image: Image.Image) -> np.ndarray:
        """The second half of `__call__`, for an image already cropped to its box and resized to `load_size`."""
        margin = self.load_size - self.size
        if self.train:
            x, y = self.rng.randint(0, margin), self.rng.randint(0, margin)
        else:
            x = y = margin // 2
        image = image.crop((x, y, x + self.size, y + self.size))
        if self.train and self.rng.random() < 0.5:
            image = image.transpose(Image.FLIP_LEFT_RIGHT)
        array = np.asarray(image, np.float32).transpose(2, 0, 1)
        return array / 127.5 - 1.0

    def for_batch(self, batch: dict) -> dict:
        """A `Dataset.set_transform` function: adds `pixel_values` and one random caption embedding per image
        (`text_embeds`, as StackGAN draws one of the 10 each time it meets an image; the first one when not training)."""
        pixels, text_embeds = [], []
        for image, bbox, embs in zip(batch["image"], batch["bbox"], batch["embeddings"]):
            path = image["path"] if isinstance(image, dict) else image
            with Image.open(path) as img:
                pixels.append(self(img, bbox))
            embs = np.asarray(embs, np.float32)
            text_embeds.append(embs[self.rng.randrange(len(embs))] if self.train else embs[0])
        batch["pixel_values"] = np.stack(pixels)
        batch["text_embeds"] = np.stack(text_embeds)
        return batch
