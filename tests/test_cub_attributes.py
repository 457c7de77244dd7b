"""CUB's attribute files: the synthetic corpus and a hand-written real-format folder parse with the same code;
malformed files and presets that ask for what the data lacks are refused, naming what is wrong."""

import shutil
import sys

import numpy as np
import pytest
from recipe_helpers import run_recipe
from test_cub import REAL_NAMES, cub_mini  # noqa: F401  (the real-layout fixture)

from s2i_hf.data.cub import load_cub
from s2i_hf.data.cub_attributes import (
    CUB_ATTRIBUTE_NAMES,
    CUBAttributes,
    read_class_attribute_percentages,
)
from s2i_hf.data.errors import DataFormatError
from s2i_hf.data.synthetic import domain

# Lines as the real image_attribute_labels.txt has them: five fields, a few with a sixth (the known quirk).
REAL_LINES = {
    (1, 15): "1 15 1 4 27.7080",  # has_wing_color::grey, definitely
    (1, 20): "1 20 1 2 10.5970 0",  # has_wing_color::orange, guessing, with a sixth field
    (1, 198): "1 198 1 3 3.4040",  # has_belly_color::blue, probably
    (2, 198): "2 198 0 1 0.0000 1",  # belly not visible, sixth field
    (2, 260): "2 260 1 4 8.1230",  # has_primary_color::black
}


@pytest.fixture
def cub_mini_attributes(cub_mini):  # noqa: F811
    """cub_mini with CUB's attribute files, written by hand in the real layout."""
    root, _ = cub_mini
    (root / "attributes.txt").write_text("".join(f"{i} {n}\n" for i, n in enumerate(CUB_ATTRIBUTE_NAMES, 1)))
    folder = root / "CUB_200_2011" / "attributes"
    folder.mkdir()
    lines = [REAL_LINES.get((image, a), f"{image} {a} 0 3 1.0000") for image in (1, 2) for a in range(1, 313)]
    (folder / "image_attribute_labels.txt").write_text("\n".join(lines) + "\n")
    (folder / "certainties.txt").write_text("1 not visible\n2 guessing\n3 probably\n4 definitely\n")
    (folder / "class_attribute_labels_continuous.txt").write_text(" ".join(["50.0"] * 312) + "\n")
    return root


def test_the_shipped_list_is_cubs(cub_mini_attributes):
    assert len(CUB_ATTRIBUTE_NAMES) == 312 and CUB_ATTRIBUTE_NAMES[197] == "has_belly_color::blue"
    groups = CUBAttributes.from_folder(cub_mini_attributes).groups
    assert len(groups) == 28 and groups["has_wing_color"][5] == "grey" and len(groups["has_eye_color"]) == 14


def test_real_format_files_with_the_sixth_field_quirk_load(cub_mini_attributes):
    ds = load_cub(cub_mini_attributes, "train")
    assert ds[0]["has_wing_color"] == ["grey", "orange"] and ds[0]["has_belly_color"] == ["blue"]
    assert ds[1]["has_belly_color"] == [] and ds[1]["has_primary_color"] == ["black"]
    assert ds[0]["attribute_certainty"][19] == 2 and ds[1]["attribute_certainty"][197] == 1
    labels = CUBAttributes.from_folder(cub_mini_attributes)
    values, targets = labels.group_targets(np.asarray(ds["attribute_present"]), np.asarray(ds["attribute_certainty"]),
                                           ["has_wing_color", "has_belly_color"])
    assert list(values) == ["has_belly_color", "has_wing_color"]  # sorted: the order a saved config reloads in
    belly, wing = targets[:, :15], targets[:, 15:]
    assert wing[0, values["has_wing_color"].index("grey")] == 1.0  # definitely
    assert wing[0, values["has_wing_color"].index("orange")] == 0.5  # guessing
    assert belly[0, 0] == 0.75 and not belly[1].any()  # probably; image 2's belly has no target
    assert read_class_attribute_percentages(cub_mini_attributes).shape == (1, 312)


def test_the_synthetic_corpus_parses_with_the_same_code_and_marks_what_was_drawn(bird_corpus):
    ds = load_cub(bird_corpus, "train")
    agree = {"has_belly_color": [], "has_breast_color": [], "has_wing_color": [], "has_primary_color": []}
    for row in ds:
        belly, wing = (domain.CUB_COLOUR[c] for c in domain.class_colours(row["class_id"]))
        for group, colour in (("has_belly_color", belly), ("has_breast_color", belly), ("has_wing_color", wing),
                              ("has_primary_color", wing)):
            agree[group].append(colour in row[group])
    for group, hits in agree.items():  # label noise: a few parts missed, never most
        assert np.mean(hits) >= 0.85, group
    assert (bird_corpus / "attributes.txt").read_text().splitlines()[197] == "198 has_belly_color::blue"
    percentages = read_class_attribute_percentages(bird_corpus)
    assert percentages.shape == (domain.NUM_CLASSES, 312) and 0 <= percentages.min() and percentages.max() <= 100
    assert not any(bird_corpus.rglob("*.jsonl"))  # nothing beyond CUB's own files


def test_malformed_lines_are_named(cub_mini_attributes):
    path = cub_mini_attributes / "CUB_200_2011" / "attributes" / "image_attribute_labels.txt"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:6] + ["1 7 yes 4 1.0"] + lines[7:]) + "\n")
    with pytest.raises(DataFormatError, match=r"image_attribute_labels.txt:7: expected .* found '1 7 yes 4 1.0'"):
        load_cub(cub_mini_attributes, "train")
    path.write_text("\n".join(lines[:6] + ["1 7 1 9 1.0"] + lines[7:]) + "\n")
    with pytest.raises(DataFormatError, match=r"certainty_id 9 outside 1..4 \(line 7"):
        load_cub(cub_mini_attributes, "train")
    (cub_mini_attributes / "attributes.txt").write_text("1 has_bill_shape::dagger\n3 has_wing_color::blue\n")
    with pytest.raises(DataFormatError, match=r"attributes.txt:2: attribute id 3 out of order"):
        load_cub(cub_mini_attributes, "train")


@pytest.mark.guide  # recipe runs on real-format folders: CI runs the group (make test-guide)
def test_presets_that_ask_for_what_the_data_lacks_fail_at_start(bird_corpus, tmp_path):
    base = [sys.executable, "recipes/train_stackgan.py", "--stage", "1", "--config",
            "recipes/configs/stackgan_stage1_tiny.yaml", "--output_dir", tmp_path / "out"]
    done = run_recipe([*base, "--dataset_dir", bird_corpus, "--auxiliary_attributes", "has_bely_color"],
                      expect_failure=True)
    assert "['has_bely_color'] are not in attributes.txt" in done.stderr and "has_belly_color" in done.stderr
    bare = tmp_path / "bare"
    shutil.copytree(bird_corpus, bare)
    (bare / "CUB_200_2011" / "attributes" / "image_attribute_labels.txt").unlink()
    done = run_recipe([*base, "--dataset_dir", bare], expect_failure=True)
    assert "image_attribute_labels.txt is missing" in done.stderr and "has_belly_color" in done.stderr
    assert not (tmp_path / "out" / "checkpoint-2").exists()
