import pickle
import random

import numpy as np
import pytest
from PIL import Image

from fixtures.py2_pickle import py2_list_of_int, py2_list_of_str, py2_ndarray
from s2i_hf.data.cub import StackGANImageTransform, crop_to_bbox, load_cub
from s2i_hf.data.errors import DataFormatError, UnsafePickleError
from s2i_hf.data.synthetic import domain

REAL_NAMES = ["001.Black_footed_Albatross/Black_Footed_Albatross_0046_18",
              "001.Black_footed_Albatross/Black_Footed_Albatross_0009_34"]


@pytest.fixture
def cub_mini(tmp_path):
    """Two images in the real CUB + StackGAN layout, with Python 2 pickles and real-sized 500 x 375 JPEGs."""
    root = tmp_path / "birds"
    cub = root / "CUB_200_2011"
    (cub / "images" / "001.Black_footed_Albatross").mkdir(parents=True)
    (root / "text_c10" / "001.Black_footed_Albatross").mkdir(parents=True)
    (cub / "images.txt").write_text("".join(f"{i + 1} {n}.jpg\n" for i, n in enumerate(REAL_NAMES)))
    (cub / "bounding_boxes.txt").write_text("1 60.0 27.0 325.0 304.0\n2 139.0 30.0 153.0 264.0\n")
    gradient = np.tile(np.linspace(0, 255, 500, dtype=np.float32), (375, 1))
    for name in REAL_NAMES:
        Image.fromarray(np.stack([gradient] * 3, -1).astype(np.uint8)).save(cub / "images" / f"{name}.jpg", quality=95)
        (root / "text_c10" / f"{name}.txt").write_text(
            "".join(f"this bird has a white belly and dark brown wings {k}.\n" for k in range(10)))
    (root / "train").mkdir()
    (root / "train" / "filenames.pickle").write_bytes(py2_list_of_str(REAL_NAMES))
    embeddings = np.random.default_rng(0).standard_normal((2, 10, 1024)).astype(np.float32)
    (root / "train" / "char-CNN-RNN-embeddings.pickle").write_bytes(py2_ndarray(embeddings))
    (root / "train" / "class_info.pickle").write_bytes(py2_list_of_int([1, 1]))
    return root, embeddings


def test_real_format_fixture_loads(cub_mini):
    root, embeddings = cub_mini
    ds = load_cub(root, "train")
    assert len(ds) == 2 and ds.column_names == ["image_id", "filename", "image", "bbox", "class_id", "embeddings", "captions"]
    assert ds[0]["filename"] == REAL_NAMES[0] and ds[0]["image_id"] == 1 and ds[0]["class_id"] == 1
    assert ds[1]["bbox"] == [139.0, 30.0, 153.0, 264.0]
    np.testing.assert_array_equal(np.asarray(ds[1]["embeddings"], np.float32), embeddings[1])
    assert ds[0]["captions"][9] == "this bird has a white belly and dark brown wings 9."


def test_stackgan_crop_matches_the_reference_arithmetic(cub_mini):
    root, _ = cub_mini
    image = Image.open(root / "CUB_200_2011" / "images" / f"{REAL_NAMES[0]}.jpg")
    # R = int(325 * .75) = 243, centre (222, 179): x 0..465, y 0..375 after clipping to the 500 x 375 image
    assert crop_to_bbox(image, [60.0, 27.0, 325.0, 304.0]).size == (465, 375)
    # second box: R = int(264 * .75) = 198, centre (215, 162): x 17..413, y 0..360
    assert crop_to_bbox(image, [139.0, 30.0, 153.0, 264.0]).size == (396, 360)


@pytest.mark.parametrize("size,load_size", [(64, 76), (256, 304)])
def test_transform_shapes_range_and_flip(cub_mini, size, load_size):
    root, _ = cub_mini
    image = Image.open(root / "CUB_200_2011" / "images" / f"{REAL_NAMES[1]}.jpg")
    evaluation = StackGANImageTransform(size, train=False)
    assert evaluation.load_size == load_size
    out = evaluation(image, [139.0, 30.0, 153.0, 264.0])
    assert out.shape == (3, size, size) and out.dtype == np.float32
    assert -1.0 <= out.min() and out.max() <= 1.0
    row = out[0, size // 2]
    assert row[-1] - row[0] > 0.5  # the gradient runs left to right
    np.testing.assert_array_equal(out, evaluation(image, [139.0, 30.0, 153.0, 264.0]))
    flips = [StackGANImageTransform(size, train=True, rng=random.Random(s))(image, [139.0, 30.0, 153.0, 264.0])
             for s in range(8)]
    directions = {bool(f[0, size // 2, -1] > f[0, size // 2, 0]) for f in flips}
    assert directions == {True, False}  # some crops flipped, some not


def test_set_transform_gives_pixels_and_one_caption_embedding(bird_corpus):
    ds = load_cub(bird_corpus, "train")
    assert len(ds) == 30 and len(ds[0]["attribute_present"]) == 312 and ds[0]["has_wing_color"]
    stored = np.asarray(ds[0]["embeddings"], np.float32)
    ds.set_transform(StackGANImageTransform(64, train=True, rng=random.Random(0)).for_batch)
    batch = ds[:5]
    assert batch["pixel_values"].shape == (5, 3, 64, 64) and batch["text_embeds"].shape == (5, 1024)
    assert any(np.allclose(batch["text_embeds"][0], e) for e in stored)
    test = load_cub(bird_corpus, "test")
    assert set(test["class_id"]).isdisjoint(set(load_cub(bird_corpus, "train")["class_id"]))


def test_absent_image_raises_naming_it_or_is_skipped(cub_mini, caplog):
    root, _ = cub_mini
    (root / "CUB_200_2011" / "images" / f"{REAL_NAMES[1]}.jpg").unlink()
    with pytest.raises(DataFormatError, match=r"Black_Footed_Albatross_0009_34.jpg: image listed in train/filenames.pickle is missing"):
        load_cub(root, "train")
    ds = load_cub(root, "train", on_error="skip")
    assert ds["filename"] == [REAL_NAMES[0]]
    assert "skipped 1 of 2 images" in caplog.text


def test_pickles_that_disagree_on_length_are_refused(cub_mini):
    root, _ = cub_mini
    (root / "train" / "class_info.pickle").write_bytes(py2_list_of_int([1, 1, 1]))
    with pytest.raises(DataFormatError, match=r"disagree on the number of images: .*'filenames.pickle': 2.*'class_info.pickle': 3"):
        load_cub(root, "train")


def test_missing_box_and_captions_name_the_image(cub_mini):
    root, _ = cub_mini
    (root / "text_c10" / f"{REAL_NAMES[0]}.txt").unlink()
    with pytest.raises(DataFormatError, match=r"Black_Footed_Albatross_0046_18.txt: captions of .* are missing"):
        load_cub(root, "train")
    (root / "CUB_200_2011" / "bounding_boxes.txt").write_text("1 60.0 27.0 325.0 304.0\n")
    with pytest.raises(DataFormatError, match="no 4-number box for image id 2"):
        load_cub(root, "train")


def test_a_pickle_that_would_run_code_is_refused(cub_mini, tmp_path):
    root, _ = cub_mini
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (root / "train" / "class_info.pickle").write_bytes(pickle.dumps([Evil(), Evil()], protocol=2))
    with pytest.raises(UnsafePickleError, match="class_info.pickle: refused to load"):
        load_cub(root, "train")
    assert not marker.exists()
