"""Fréchet distance, Inception-style score, the attribute classifier and the evaluation recipe."""

import json
import sys

import pytest
import torch
from recipe_helpers import run_recipe

from s2i_hf.data.cub import load_cub
from s2i_hf.metrics.attribute_classifier import AttributeClassifier, real_images, train_attribute_classifier
from s2i_hf.metrics.bird_quality import _train_class_rate, captions_naming
from s2i_hf.metrics.image_metrics import frechet_distance, inception_score
from s2i_hf.models.stackgan import StackGANConfig, StackGANStage1Generator


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


def test_attribute_classifier_learns_colours_and_round_trips(bird_corpus, tmp_path):
    train = load_cub(bird_corpus, "train")
    classifier = train_attribute_classifier(train, ["belly", "wing"], epochs=25, batch_size=8, lr=3e-3)
    images = real_images(train)
    assert images.shape == (len(train), 3, 64, 64)
    predicted = classifier.predict(images)
    values = classifier.config.attributes
    for name in ("belly", "wing"):
        truth = torch.tensor([values[name].index(v) for v in train[name]])
        assert (predicted[name] == truth).float().mean() >= 0.8, name
    assert predicted["features"].shape == (len(train), 128 * 16)
    assert classifier.predict(torch.nn.functional.interpolate(images, size=256))["belly"].shape == (len(train),)
    classifier.save_pretrained(tmp_path)
    again = AttributeClassifier.from_pretrained(tmp_path)
    torch.testing.assert_close(again.predict(images[:4])["features"], classifier.predict(images[:4])["features"])


def test_every_scored_caption_names_belly_and_wing(bird_corpus):
    test = load_cub(bird_corpus, "test")
    pairs = captions_naming(test, ["belly", "wing"])
    assert len(pairs) == len(test)  # ten captions, each naming both with probability 1/2: all but certain
    for i, c in pairs:
        caption = test[i]["captions"][c]
        assert test[i]["belly"] in caption and test[i]["wing"] in caption


def test_evaluate_stackgan_prints_accuracies_and_distances(bird_corpus, tmp_path):
    torch.manual_seed(0)
    StackGANStage1Generator(StackGANConfig(condition_dim=8, noise_dim=10, generator_width=16)).save_pretrained(
        tmp_path / "g")
    done = run_recipe([sys.executable, "recipes/evaluate_stackgan.py", "--model", tmp_path / "g", "--dataset_dir",
                       bird_corpus, "--classifier", tmp_path / "judge", "--max_images", "8"])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["num_images"] == 8 and result["stage"] == 1
    for group in ("generated", "real", "shuffled_captions"):
        assert set(result[group]) == {"belly_accuracy", "wing_accuracy", "all_accuracy"}
        assert all(0.0 <= v <= 1.0 for v in result[group].values())
    assert result["fid_attribute_classifier"] > 0 and result["inception_score"] is None
    assert set(result["train_classes_generated"]) == {"belly_accuracy", "wing_accuracy", "all_accuracy"}
    assert set(result["train_class_rate"]) == {"generated", "real"}
    assert all(0.0 <= v <= 1.0 for v in result["train_class_rate"].values())
    assert (tmp_path / "judge" / "model.safetensors").is_file() and (tmp_path / "g" / "evaluation_samples.png").is_file()


def test_train_class_rate_counts_images_read_as_a_training_combination():
    values = {"belly": ["blue", "red"], "wing": ["blue", "green", "red"]}
    predicted = {"belly": torch.tensor([0, 1, 1, 0]), "wing": torch.tensor([1, 1, 0, 2])}
    # read as (blue, green), (red, green), (red, blue), (blue, red); two of them are training classes
    train_classes = {("blue", "green"), ("red", "blue"), ("red", "red")}
    assert _train_class_rate(predicted, values, ["belly", "wing"], train_classes) == 0.5
