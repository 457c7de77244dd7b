"""The realism judges: each one separates real renders from blurred or noised ones, and the diversity figure is
near 0 for a generator that ignores its noise."""

import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from s2i_hf.data.cub_attributes import CUB_ATTRIBUTE_NAMES, CUBAttributes
from s2i_hf.data.synthetic import domain
from s2i_hf.data.synthetic.birds import draw_bird
from s2i_hf.data.synthetic.cub_labels import LabelNoise, annotate
from s2i_hf.metrics.realism import (
    FEATURE_GROUPS,
    BirdFeatureNet,
    diversity_ratio,
    fit_feature_net,
    train_feature_net,
    frechet_report,
    periodic_artefact_db,
    resize,
    two_sample_test,
)
from s2i_hf.models.stackgan import StackGANConfig, StackGANStage1Generator


def draw_renders(n: int, seed: int, size: int = 128):
    """`n` synthetic birds drawn in memory at `size` px, in [-1, 1], with their CUB labels (no label noise)."""
    rng = random.Random(seed)
    images, labels = [], []
    for _ in range(n):
        bird = domain.sample_bird(rng)
        image, _ = draw_bird(bird, rng, np.random.default_rng(rng.getrandbits(32)))
        images.append(torch.from_numpy(np.asarray(image.resize((size, size)), np.float32)).permute(2, 0, 1))
        labels.append(annotate(bird, rng, LabelNoise(0, 0, 0, (0, 0, 1))))
    present, certainty = (np.stack(x) for x in zip(*labels))
    return torch.stack(images) / 127.5 - 1, present, certainty


@pytest.fixture(scope="module")
def renders():
    return draw_renders(384, seed=0, size=64)[0]


def blurred(images):
    return resize(resize(images, images.shape[-1] // 4), images.shape[-1])


def noised(images, amount=0.3):
    return (images + amount * torch.randn(images.shape, generator=torch.Generator().manual_seed(0))).clamp(-1, 1)


@pytest.fixture(scope="module")
def feature_net():
    """The realism feature net at 64 px, trained on 768 other renders (about 20 s): trained on fewer, its features
    do not yet tell blur or noise from sampling noise."""
    images, present, certainty = draw_renders(768, seed=1, size=64)
    labels = CUBAttributes(CUB_ATTRIBUTE_NAMES, np.arange(len(images)), present, certainty)
    values, targets = labels.group_targets(present, certainty, FEATURE_GROUPS)
    return train_feature_net(images, values, targets, epochs=8, batch_size=32, seed=0)


def test_feature_net_reads_the_labelled_groups_and_round_trips(feature_net, renders, tmp_path):
    assert set(feature_net.config.attributes) == set(FEATURE_GROUPS)
    features = feature_net.features(resize(renders[:8], 128))  # resized to the net's 64 px
    assert features.shape == (8, 2 * (16 + 32 + 64 + 128))  # mean and spread of a 64 px net's blocks
    feature_net.save_pretrained(tmp_path)
    reloaded = BirdFeatureNet.from_pretrained(tmp_path)
    torch.testing.assert_close(reloaded.features(resize(renders[:8], 128)), features)
    # the heads' logit blocks are read in the reloaded config's group order: it must be the order they were trained in
    assert list(reloaded.config.attributes) == list(feature_net.config.attributes)


def test_frechet_report_puts_blurred_and_noised_renders_far_above_the_real_floor(feature_net, renders):
    real, other = renders[:256], renders[256:]
    clean = frechet_report(feature_net, other, real)
    assert clean["times_floor"] < 2.0, clean
    for degraded in (blurred(other), noised(other, 0.5)):
        report = frechet_report(feature_net, degraded, real, baseline=other)
        assert report["real_vs_real_floor"] == clean["real_vs_real_floor"]
        assert report["generated"] > 2 * report["baseline"] and report["times_floor"] > 4, report
    with pytest.raises(ValueError, match="at least 4 real"):
        frechet_report(feature_net, other, real[:3])


def test_the_feature_net_is_trained_by_the_folder_helper_on_real_renders(bird_corpus, tmp_path):
    net = fit_feature_net(bird_corpus, image_size=64, epochs=1, batch_size=8)
    assert net.config.image_size == 64 and set(net.config.attributes) == set(FEATURE_GROUPS)


def test_two_sample_test_tells_blurred_renders_apart_and_not_real_ones(renders):
    real, other = renders[:128], renders[128:256]
    assert two_sample_test(real, blurred(other), epochs=10)["accuracy"] >= 0.85
    assert two_sample_test(real, noised(other), epochs=10)["accuracy"] >= 0.85
    same = two_sample_test(real, other, epochs=10)
    assert same["accuracy"] < 0.65, same  # near chance: two sets of real renders
    assert same["images"] == 256 and same["crop_px"] == 64
    large = two_sample_test(resize(real[:16], 256), resize(blurred(other[:16]), 256), epochs=4)
    assert large["crop_px"] == 64 and large["images"] == 32  # 256 px images are judged on 64 px crops
    with pytest.raises(ValueError, match="at least 4 images"):
        two_sample_test(real[:3], other)


def test_diversity_is_near_zero_for_a_generator_that_ignores_its_noise(feature_net, renders):
    torch.manual_seed(0)
    config = StackGANConfig(text_embedding_dim=16, condition_dim=8, noise_dim=10, generator_width=16,
                            discriminator_width=4, condition_noise_scale=0.0)
    generator = StackGANStage1Generator(config).eval()
    embeds = torch.randn(6, 16, generator=torch.Generator().manual_seed(1))

    def per_seed_features():
        images = torch.stack([generator(embeds, generator=torch.Generator().manual_seed(s)).images for s in range(4)],
                             dim=1)  # (captions, seeds, 3, 64, 64)
        return feature_net.features(images.flatten(0, 1).detach()).view(6, 4, -1)

    real = feature_net.features(renders[:24]).view(6, 4, -1)
    with torch.no_grad():
        generator.fc[0].weight[:, :config.noise_dim] *= 50  # at the N(0, 0.02) init the image barely moves at all
    varied = diversity_ratio(per_seed_features(), real)
    with torch.no_grad():
        generator.fc[0].weight[:, :config.noise_dim] = 0  # the noise z no longer reaches the image
    ignored = diversity_ratio(per_seed_features(), real)
    assert ignored["ratio"] < 0.01 and ignored["interval_95"][1] < 0.01, ignored
    assert varied["ratio"] > 20 * max(ignored["ratio"], 1e-4), varied
    assert diversity_ratio(real, real)["ratio"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="captions, k >= 2"):
        diversity_ratio(real[:, :1], real[:, :1])


def test_periodic_artefact_peak_finds_a_grid_of_dots_and_not_the_renders(renders):
    images = F.interpolate(renders[:32], size=256, mode="bilinear", align_corners=False)
    real = periodic_artefact_db(images)
    grid = images.clone()
    grid[:, :, ::4, ::4] += 0.3  # a dot every 4 pixels, as a block-wise correction leaves
    dotted = periodic_artefact_db(grid.clamp(-1, 1))
    assert dotted["peak_db"] > real["peak_db"] + 10, (dotted, real)
    assert dotted["period_px"] in (4.0, 2.83), dotted  # 1/4 cycles per pixel along an axis or the diagonal
    streaks = images.clone()
    streaks[:, :, :, ::8] -= 0.3  # vertical streaks every 8 pixels
    assert periodic_artefact_db(streaks.clamp(-1, 1))["peak_db"] > real["peak_db"] + 10
