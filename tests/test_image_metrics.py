"""Fréchet distance, Inception-style score, the attribute classifier and the evaluation recipe."""

import json
import sys

import pytest
import torch
from PIL import Image
from conftest import TINY_CRITIC
from recipe_helpers import run_recipe

import numpy as np

from s2i_hf.data.caption_attributes import colours_named
from s2i_hf.data.cub import load_cub
from s2i_hf.data.cub_attributes import CUBAttributes
from s2i_hf.data.synthetic import domain
from s2i_hf.metrics.attribute_classifier import AttributeClassifier, real_images, train_attribute_classifier
from s2i_hf.metrics.bird_quality import (
    _train_class_rate,
    captions_naming,
    train_combinations,
    validation_captions,
    wilson_interval,
)

GROUPS = ["has_belly_color", "has_wing_color"]
from s2i_hf.metrics.image_metrics import frechet_distance, inception_score
from s2i_hf.models.stackgan import StackGANConfig, StackGANStage1Discriminator, StackGANStage1Generator


def test_frechet_distance_matches_the_closed_form_for_diagonal_gaussians():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(200_000, 3, generator=g) * torch.tensor([1.0, 2.0, 3.0])
    b = torch.randn(200_000, 3, generator=g) * torch.tensor([2.0, 2.0, 1.0]) + torch.tensor([1.0, 0.0, 0.0])
    # |mu_a - mu_b|^2 + sum (sigma_a - sigma_b)^2 = 1 + (1 + 0 + 4)
    assert frechet_distance(a, b) == pytest.approx(6.0, abs=0.1)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match=r"\(200000, 3\) and \(4, 2\)"):
        frechet_distance(a, torch.zeros(4, 2))


def test_inception_score_is_the_number_of_classes_used_evenly_and_one_for_a_single_class():
    assert inception_score(torch.eye(5).repeat(4, 1), splits=2)[0] == pytest.approx(5.0)
    assert inception_score(torch.tensor([[1.0, 0.0]]).repeat(8, 1), splits=2)[0] == pytest.approx(1.0)


def test_attribute_classifier_learns_cub_colour_groups_and_round_trips(bird_corpus, tmp_path):
    train = load_cub(bird_corpus, "train")
    values, targets = CUBAttributes.from_folder(bird_corpus).group_targets(
        np.asarray(train["attribute_present"]), np.asarray(train["attribute_certainty"]), GROUPS)
    classifier = train_attribute_classifier(train, values, targets, epochs=25, batch_size=8, lr=3e-3)
    images = real_images(train)
    assert images.shape == (len(train), 3, 64, 64)
    predicted = classifier.predict(images)
    assert classifier.config.attributes == values and len(values["has_belly_color"]) == 15
    drawn = [[domain.CUB_COLOUR[c] for c in domain.class_colours(cid)] for cid in train["class_id"]]
    for k, group in enumerate(GROUPS):  # judged against what was drawn, not the noisy labels it learnt from
        read = [values[group][i] for i in predicted[group].tolist()]
        assert np.mean([r == d[k] for r, d in zip(read, drawn)]) >= 0.8, group
    assert predicted["features"].shape == (len(train), 128 * 16)
    assert classifier.predict(torch.nn.functional.interpolate(images, size=256))["has_belly_color"].shape == \
        (len(train),)
    classifier.save_pretrained(tmp_path)
    again = AttributeClassifier.from_pretrained(tmp_path)
    torch.testing.assert_close(again.predict(images[:4])["features"], classifier.predict(images[:4])["features"])


def test_every_scored_caption_names_belly_and_wing(bird_corpus):
    test = load_cub(bird_corpus, "test")
    pairs = captions_naming(test, GROUPS)
    assert len(pairs) == len(test)  # ten captions, each naming both with probability 1/2: all but certain
    for i, c in pairs:
        belly, wing = (domain.CUB_COLOUR[x] for x in domain.class_colours(test[i]["class_id"]))
        assert colours_named(test[i]["captions"][c]) == {**colours_named(test[i]["captions"][c]),
                                                         "has_belly_color": [belly], "has_wing_color": [wing]}


def test_training_combinations_are_the_classes_majority_colours(bird_corpus):
    train = load_cub(bird_corpus, "train")
    expected = {tuple(domain.CUB_COLOUR[c] for c in domain.class_colours(cid)) for cid in train["class_id"]}
    got = train_combinations(bird_corpus, train, GROUPS)
    # one vote per class per image: with a bird or two per class here, a noisy label can still win a class
    assert len(got & expected) >= 0.8 * len(expected) and len(got - expected) <= 0.2 * len(expected)


def test_validation_captions_ask_for_combinations_no_training_class_shows(bird_corpus):
    train = load_cub(bird_corpus, "train")
    combos = train_combinations(bird_corpus, train, GROUPS)
    captions = validation_captions(train, GROUPS, combos, n=50, seed=0)
    assert len(captions) == 50 and captions == validation_captions(train, GROUPS, combos, n=50, seed=0)
    assert captions != validation_captions(train, GROUPS, combos, n=50, seed=1)
    originals = {c for image_captions in train["captions"] for c in image_captions}
    for caption in captions:
        named = colours_named(caption)
        assert all(len(named[g]) == 1 for g in GROUPS), caption
        assert tuple(named[g][0] for g in GROUPS) not in combos, caption  # disjoint from the training classes
    assert len(set(captions) - originals) >= 45  # recoloured, so (nearly) all new texts


def test_wilson_interval_brackets_the_proportion():
    assert wilson_interval(32, 64) == [0.381, 0.619]  # 0.5 +- 1.96 * 0.0644 / 1.06
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0


def test_evaluate_stackgan_prints_accuracies_and_distances(bird_corpus, tmp_path):
    torch.manual_seed(0)
    StackGANStage1Generator(StackGANConfig(condition_dim=8, noise_dim=10, generator_width=16)).save_pretrained(
        tmp_path / "g")
    critic = dict(condition_dim=8, discriminator_width=4, auxiliary_attributes=TINY_CRITIC["auxiliary_attributes"])
    StackGANStage1Discriminator(StackGANConfig(**critic)).save_pretrained(tmp_path / "d")
    done = run_recipe([sys.executable, "recipes/evaluate_stackgan.py", "--model", tmp_path / "g", "--dataset_dir",
                       bird_corpus, "--classifier", tmp_path / "judge", "--max_images", "8",
                       "--critic", tmp_path / "d", "--num_candidates", "3"])  # drawn as a bundle with a critic draws
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["num_images"] == 8 and result["stage"] == 1 and result["num_candidates"] == 3
    keys = {"has_belly_color_accuracy", "has_wing_color_accuracy", "all_accuracy", "all_accuracy_interval"}
    for group in ("generated", "real", "shuffled_captions"):
        assert set(result[group]) == keys
        assert all(0.0 <= result[group][k] <= 1.0 for k in keys - {"all_accuracy_interval"})
    assert result["fid_attribute_classifier"] > 0 and result["inception_score"] is None
    assert set(result["train_classes_generated"]) == keys
    assert set(result["train_class_rate"]) == {"generated", "real"}
    assert all(0.0 <= v <= 1.0 for v in result["train_class_rate"].values())
    assert (tmp_path / "judge" / "model.safetensors").is_file() and (tmp_path / "g" / "evaluation_samples.png").is_file()
    # the diversity figure beside what it measures: a real render per caption's class, then four seeds of each
    assert 0.0 <= result["realism"]["diversity"]["ratio"]
    with Image.open(result["realism"]["diversity"]["seed_grid"]) as grid:
        assert grid.size == (8 * 64, 5 * 64)


@pytest.mark.guide  # a real-format folder as the real-data guide meets it; CI runs the group (make test-guide)
def test_evaluate_stackgan_on_a_folder_without_attribute_files(bird_corpus, tmp_path):
    import shutil

    bare = tmp_path / "bare"
    shutil.copytree(bird_corpus, bare)
    (bare / "attributes.txt").unlink()
    shutil.rmtree(bare / "CUB_200_2011" / "attributes")
    torch.manual_seed(0)
    StackGANStage1Generator(StackGANConfig(condition_dim=8, noise_dim=10, generator_width=16)).save_pretrained(
        tmp_path / "g")
    done = run_recipe([sys.executable, "recipes/evaluate_stackgan.py", "--model", tmp_path / "g", "--dataset_dir",
                       bare, "--max_images", "8"])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "no CUB attribute files" in result["attribute_note"] and result["inception_score"] is None
    # with a judge trained on a folder that has them, the bare folder is scored in full
    train = load_cub(bird_corpus, "train")
    values, targets = CUBAttributes.from_folder(bird_corpus).group_targets(
        np.asarray(train["attribute_present"]), np.asarray(train["attribute_certainty"]), GROUPS)
    train_attribute_classifier(train, values, targets, epochs=1).save_pretrained(tmp_path / "judge")
    done = run_recipe([sys.executable, "recipes/evaluate_stackgan.py", "--model", tmp_path / "g", "--dataset_dir",
                       bare, "--classifier", tmp_path / "judge", "--max_images", "8"])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["num_images"] == 8 and result["fid_attribute_classifier"] > 0 and "train_class_rate" not in result


def test_train_class_rate_counts_images_read_as_a_training_combination():
    values = {"belly": ["blue", "red"], "wing": ["blue", "green", "red"]}
    predicted = {"belly": torch.tensor([0, 1, 1, 0]), "wing": torch.tensor([1, 1, 0, 2])}
    # read as (blue, green), (red, green), (red, blue), (blue, red); two of them are training classes
    train_classes = {("blue", "green"), ("red", "blue"), ("red", "red")}
    assert _train_class_rate(predicted, values, ["belly", "wing"], train_classes) == 0.5
