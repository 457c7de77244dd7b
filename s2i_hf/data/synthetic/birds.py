"""Procedural birds written as CUB_200_2011 plus the StackGAN birds metadata.

    s2i synth birds outputs/birds --n 4000 --seed 0

Layout (that of StackGAN's `data/birds/`, so `--dataset_dir` points at the same kind of folder for real CUB):
    attributes.txt                                   CUB's 312 attribute names (beside CUB_200_2011/, as CUB)
    CUB_200_2011/images.txt, bounding_boxes.txt, classes.txt, image_class_labels.txt, train_test_split.txt
    CUB_200_2011/attributes/image_attribute_labels.txt, certainties.txt, class_attribute_labels_continuous.txt
    CUB_200_2011/images/<class>/<image>.jpg          256 x 256 JPEG
    train/ and test/: filenames.pickle, char-CNN-RNN-embeddings.pickle (N x 10 x 1024 float32), class_info.pickle
    text_c10/<class>/<image>.txt                     10 captions
Nothing else: the drawn attributes reach training and evaluation only through CUB's attribute files (`cub_labels`).
Train and test classes are disjoint (75 / 25, `domain.class_split()`); pickles use protocol 2, like StackGAN's.
"""

from __future__ import annotations

import math
import os
import pickle
import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from . import domain
from .caption_embedding import embed_captions
from .cub_labels import annotate, write_attribute_files
from .writing import parallel_map, staged_output_dir

IMAGE_SIZE = 256
CAPTIONS_PER_IMAGE = 10
_BODY_SCALE = {"small": 0.26, "medium": 0.34, "large": 0.42}  # body width as a share of the frame


def _shade(rgb: tuple[int, int, int], rng: random.Random, spread: int = 18) -> tuple[int, int, int]:
    return tuple(min(255, max(0, c + rng.randint(-spread, spread))) for c in rgb)


def _darker(rgb, factor=0.7):
    return tuple(int(c * factor) for c in rgb)


def draw_bird(bird: domain.Bird, rng: random.Random, np_rng: np.random.Generator) -> tuple[Image.Image, list[float]]:
    """Draw one bird; return the RGB image and its CUB bounding box [x, y, width, height] in pixels."""
    size = IMAGE_SIZE
    bg = np.array(domain.BACKGROUNDS[bird.background], np.float32)
    # Background: a vertical light gradient with coarse blotches, so it is a texture and not a flat colour.
    ramp = np.linspace(1.06, 0.92, size, dtype=np.float32)[:, None, None]
    coarse = Image.fromarray(np_rng.normal(0, 12, (size // 16, size // 16)).astype(np.float32), "F")
    blotches = np.asarray(coarse.resize((size, size), Image.BILINEAR), np.float32)[:, :, None]
    canvas = np.clip(bg * ramp + blotches, 0, 255).astype(np.uint8)
    image = Image.fromarray(canvas, "RGB")
    draw = ImageDraw.Draw(image)

    body_w = size * _BODY_SCALE[bird.size] * rng.uniform(0.9, 1.1)
    body_h = body_w * rng.uniform(0.62, 0.75)
    cx = size / 2 + rng.uniform(-0.12, 0.12) * size
    cy = size / 2 + rng.uniform(-0.08, 0.12) * size
    facing = rng.choice((-1, 1))  # -1: head on the left
    belly = _shade(domain.COLOURS[bird.belly], rng)
    wing = _shade(domain.COLOURS[bird.wing], rng)
    crown = _shade(domain.COLOURS[bird.crown], rng)
    beak = _shade(domain.COLOURS[bird.beak_colour], rng, 10)
    boxes = []

    def add(box):
        boxes.append(box)
        return box

    # legs
    leg_top = cy + body_h * 0.35
    leg_len = body_h * 0.55
    for dx in (-0.12, 0.1):
        x = cx + dx * body_w
        draw.line([(x, leg_top), (x - facing * 3, leg_top + leg_len)], fill=(60, 45, 30), width=max(2, int(body_w / 40)))
    add((cx - body_w * 0.2, leg_top, cx + body_w * 0.2, leg_top + leg_len))
    # tail, behind the body
    tail_x = cx - facing * body_w * 0.45
    tail = [(tail_x, cy - body_h * 0.1), (tail_x - facing * body_w * 0.5, cy - body_h * 0.35 + rng.uniform(-8, 8)),
            (tail_x - facing * body_w * 0.5, cy + body_h * 0.05 + rng.uniform(-8, 8))]
    draw.polygon(tail, fill=_darker(wing, 0.85))
    add((min(p[0] for p in tail), min(p[1] for p in tail), max(p[0] for p in tail), max(p[1] for p in tail)))
    # body (belly colour): the largest region
    draw.ellipse(add((cx - body_w / 2, cy - body_h / 2, cx + body_w / 2, cy + body_h / 2)), fill=belly)
    # wing over the body, towards the back
    wcx = cx - facing * body_w * 0.1
    wing_box = (wcx - body_w * 0.36, cy - body_h * 0.42, wcx + body_w * 0.36, cy + body_h * 0.22)
    draw.ellipse(wing_box, fill=wing, outline=_darker(wing), width=2)
    for k in range(3):  # feather lines
        y = wing_box[1] + (wing_box[3] - wing_box[1]) * (0.45 + 0.15 * k)
        draw.line([(wing_box[0] + 6, y), (wing_box[2] - 6, y + facing * 2)], fill=_darker(wing, 0.75), width=1)
    # head: belly colour below, crown colour on top
    head_r = body_h * rng.uniform(0.36, 0.42)
    hx = cx + facing * body_w * 0.48
    hy = cy - body_h * 0.45
    head_box = add((hx - head_r, hy - head_r, hx + head_r, hy + head_r))
    draw.ellipse(head_box, fill=belly)
    draw.chord(head_box, 180, 360, fill=crown)
    eye_x, eye_y, eye_r = hx + facing * head_r * 0.35, hy + head_r * 0.05, max(2.0, head_r * 0.16)
    draw.ellipse((eye_x - eye_r, eye_y - eye_r, eye_x + eye_r, eye_y + eye_r), fill=(250, 250, 250))
    draw.ellipse((eye_x - eye_r / 2, eye_y - eye_r / 2, eye_x + eye_r / 2, eye_y + eye_r / 2), fill=(10, 10, 10))
    # beak pointing out of the head
    beak_len = head_r * (0.8 if bird.beak_length == "short" else 2.4)  # CUB: shorter / longer than the head
    base_x = hx + facing * head_r * 0.85
    tip = (base_x + facing * beak_len, hy + head_r * 0.2)
    beak_pts = [(base_x, hy - head_r * 0.18), (base_x, hy + head_r * 0.45), tip]
    draw.polygon(beak_pts, fill=beak, outline=_darker(beak, 0.6))
    add((min(p[0] for p in beak_pts), min(p[1] for p in beak_pts), max(p[0] for p in beak_pts), max(p[1] for p in beak_pts)))

    # Camera noise over everything, so that no two pixels of a region are identical.
    pixels = np.asarray(image, np.int16) + np_rng.integers(-6, 7, (size, size, 3), dtype=np.int16)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")

    x1 = max(0.0, min(b[0] for b in boxes)); y1 = max(0.0, min(b[1] for b in boxes))
    x2 = min(size - 1.0, max(b[2] for b in boxes)); y2 = min(size - 1.0, max(b[3] for b in boxes))
    bbox = [float(math.floor(x1)), float(math.floor(y1)), float(math.ceil(x2 - x1)), float(math.ceil(y2 - y1))]
    return image, bbox


def _make_image(job: tuple) -> tuple[list[float], list[str], np.ndarray, tuple[np.ndarray, np.ndarray]]:
    path, bird, seed = job
    rng = random.Random(seed)
    image, bbox = draw_bird(bird, rng, np.random.default_rng(rng.getrandbits(64)))
    image.save(path, quality=92)
    captions = [domain.caption(bird, rng) for _ in range(CAPTIONS_PER_IMAGE)]
    return bbox, captions, embed_captions(captions), annotate(bird, rng)


def synthesize_bird_corpus(
    out_dir: str | os.PathLike, n: int, seed: int = 0, num_workers: int | None = None, overwrite: bool = False
) -> Path:
    """Write `n` synthetic birds (3/4 of train classes, 1/4 of test classes) in CUB + StackGAN form; return the path."""
    if n < 2:
        raise ValueError(f"--n must be at least 2 (one train and one test image), got {n}")
    rng = random.Random(seed)
    train_classes, test_classes = domain.class_split()
    n_train = max(1, min(n - 1, round(n * len(train_classes) / domain.NUM_CLASSES)))
    plan = []  # (image_id, split, bird, relative name)
    counts: dict[int, int] = {}
    for i in range(n):
        split = "train" if i < n_train else "test"
        bird = domain.sample_bird(rng, train_classes if split == "train" else test_classes)
        counts[bird.class_id] = counts.get(bird.class_id, 0) + 1
        species = bird.class_name.split(".", 1)[1].title()
        plan.append((i + 1, split, bird, f"{bird.class_name}/{species}_{counts[bird.class_id]:04d}_{i + 1}"))

    with staged_output_dir(out_dir, overwrite) as root:
        cub = root / "CUB_200_2011"
        for cid in range(1, domain.NUM_CLASSES + 1):
            (cub / "images" / domain.class_name(cid)).mkdir(parents=True)
            (root / "text_c10" / domain.class_name(cid)).mkdir(parents=True)
        jobs = [(str(cub / "images" / f"{name}.jpg"), bird, rng.getrandbits(64)) for _, _, bird, name in plan]
        workers = num_workers or min(os.cpu_count() or 1, 8)
        results = list(parallel_map(_make_image, jobs, workers, desc="drawing birds"))

        def write_lines(path, lines):
            path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")

        write_lines(cub / "images.txt", [f"{i} {name}.jpg" for i, _, _, name in plan])
        write_lines(cub / "bounding_boxes.txt", [f"{i} {' '.join(map(str, r[0]))}" for (i, *_), r in zip(plan, results)])
        write_lines(cub / "classes.txt", [f"{c} {domain.class_name(c)}" for c in range(1, domain.NUM_CLASSES + 1)])
        write_lines(cub / "image_class_labels.txt", [f"{i} {bird.class_id}" for i, _, bird, _ in plan])
        write_lines(cub / "train_test_split.txt", [f"{i} {int(split == 'train')}" for i, split, _, _ in plan])
        for (_, _, _, name), (_, captions, *_) in zip(plan, results):
            write_lines(root / "text_c10" / f"{name}.txt", captions)
        for split in ("train", "test"):
            rows = [(name, bird, r[2]) for (_, s, bird, name), r in zip(plan, results) if s == split]
            (root / split).mkdir()
            # Protocol 2, the Python 2 era format of StackGAN's files; readers load them with encoding="latin1".
            for filename, obj in (
                ("filenames.pickle", [name for name, _, _ in rows]),
                ("char-CNN-RNN-embeddings.pickle", np.stack([emb for _, _, emb in rows])),
                ("class_info.pickle", [bird.class_id for _, bird, _ in rows]),
            ):
                with open(root / split / filename, "wb") as f:
                    pickle.dump(obj, f, protocol=2)
        write_attribute_files(root, [i for i, *_ in plan], [bird.class_id for _, _, bird, _ in plan],
                              [r[3] for r in results], domain.NUM_CLASSES, seed)
    return Path(out_dir)
