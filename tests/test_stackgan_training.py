"""The StackGAN recipe's parts: training samples, wrong pairs, losses, NaN detection, the checkpoint helpers."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from s2i_hf.data.cub import load_cub
from s2i_hf.data.cub_attributes import CUBAttributes
from s2i_hf.data.synthetic import domain
from s2i_hf.models.stackgan.modeling_stackgan import StackGANDiscriminatorOutput
from s2i_hf.training import checkpoints
from s2i_hf.training.stackgan import (
    StackGANLoss,
    StackGANTrainingData,
    caption_targets,
    check_finite,
    complementary_pair_index,
    draft_consistency_loss,
    halving_schedule,
    kl_loss,
    merge_attribute_targets,
    named_groups,
    training_step,
    wrong_pair_index,
)
from s2i_hf.training.weight_averaging import WeightAverage

_ = torch.zeros  # a block of zeros: no target for that group


def targets(*rows):
    """Soft-target rows from per-group lists of weights, e.g. ([1, 0], [0, 0, 0])."""
    return torch.tensor([[v for block in row for v in block] for row in rows], dtype=torch.float32)


def test_wrong_pairs_always_come_from_another_class_when_there_is_one():
    classes = torch.tensor([3, 3, 3, 7, 3, 9])
    index = wrong_pair_index(classes)
    assert torch.all(classes[index] != classes)
    assert index.tolist() == [3, 3, 3, 4, 5, 0]
    assert wrong_pair_index(torch.tensor([5, 5])).tolist() == [1, 0]  # one class: a shift is all there is


def test_losses_equal_the_reference_formulas():
    loss = StackGANLoss(kl_weight=2.0)
    zeros = torch.zeros(4)
    out = StackGANDiscriminatorOutput(logits=zeros, wrong_logits=zeros)
    d = loss.discriminator(out, StackGANDiscriminatorOutput(logits=zeros))
    ln2 = torch.log(torch.tensor(2.0))
    torch.testing.assert_close(d["loss"], ln2 * 2)  # real + (fake + wrong) / 2, each log 2 at logit 0
    stage2 = StackGANDiscriminatorOutput(logits=zeros, wrong_logits=zeros, unconditional_logits=zeros)
    torch.testing.assert_close(loss.discriminator(stage2, stage2)["loss"], ln2 * 2)  # (2 log2)/2 + (3 log2)/3
    mu, logvar = torch.ones(4, 3), torch.zeros(4, 3)
    torch.testing.assert_close(kl_loss(mu, logvar), torch.tensor(0.5))
    g = loss.generator(StackGANDiscriminatorOutput(logits=zeros), mu, logvar)
    torch.testing.assert_close(g["loss"], ln2 + 2.0 * 0.5)


def test_attribute_loss_is_soft_and_ignores_groups_without_a_target():
    loss = StackGANLoss(attribute_sizes=[2, 3])
    logits = torch.tensor([[10.0, -10.0, 0.0, 0.0, 0.0]])
    out = StackGANDiscriminatorOutput(logits=torch.zeros(1), attribute_logits=logits)
    named = loss.generator(out, torch.zeros(1, 2), torch.zeros(1, 2), targets(([1, 0], [0, 0, 0])))
    torch.testing.assert_close(named["g_attributes"], torch.tensor(0.0), atol=1e-4, rtol=0)
    both = loss.generator(out, torch.zeros(1, 2), torch.zeros(1, 2), targets(([1, 0], [0, 1, 0])))
    torch.testing.assert_close(both["g_attributes"], torch.log(torch.tensor(3.0)) / 2, atol=1e-4, rtol=0)
    # two colours marked (certainty 1 and 0.5): the target is 2/3, 1/3 of the group; uniform logits cost log 3
    two = loss.generator(out, torch.zeros(1, 2), torch.zeros(1, 2), targets(([0, 0], [1, 0.5, 0])))
    torch.testing.assert_close(two["g_attributes"], torch.log(torch.tensor(3.0)), atol=1e-4, rtol=0)


def test_interpolated_captions_ask_for_what_either_names_unless_they_disagree():
    first = targets(([1, 0], [0, 0, 0]), ([1, 0], [0, 1, 0]), ([0, 0], [0, 0, 0]), ([0, 1], [1, 0, 0]))
    second = targets(([0, 0], [0, 0, 1]), ([0, 1], [0, 1, 0]), ([0, 0], [1, 0, 0]), ([0, 1], [0, 1, 0]))
    expected = targets(([1, 0], [0, 0, 1]), ([0, 0], [0, 1, 0]), ([0, 0], [1, 0, 0]), ([0, 1], [0, 0, 0]))
    assert torch.equal(merge_attribute_targets(first, second, [2, 3]), expected)
    loss = StackGANLoss(attribute_sizes=[2, 3], interpolation_weight=0.5)
    out = StackGANDiscriminatorOutput(logits=torch.zeros(1), attribute_logits=torch.tensor([[10.0, -10.0, 0, 0, 0]]))
    term = loss.interpolated(out, targets(([1, 0], [0, 0, 0])))
    # 0.5 x (log 2 for "looks real" at logit 0 + about 0 for the belly it got right)
    torch.testing.assert_close(term["loss"], 0.5 * torch.log(torch.tensor(2.0)), atol=1e-4, rtol=0)


def test_complementary_partners_name_what_the_caption_does_not_and_are_of_another_class():
    classes = torch.tensor([0, 1, 2, 3, 0, 5])
    rows = targets(([1, 0], [0, 0]), ([0, 0], [0, 1]), ([1, 0], [0, 1]), ([0, 0], [1, 0]), ([0, 0], [1, 0]),
                   ([0, 1], [0, 0]))
    named = named_groups(rows, [2, 2])
    assert named.tolist() == [[True, False], [False, True], [True, True], [False, True], [False, True],
                              [True, False]]
    # 0 (belly only) -> 1 (wing only, next); 1 -> 5 (belly only, nearer after it than 0); 2 (both) -> 3 (next
    # that names anything else); 4 (wing only, class 0) -> 5, not 0 of its own class; 5 -> 1 (0 names no wing)
    assert complementary_pair_index(classes, named).tolist() == [1, 5, 3, 5, 5, 1]


def test_draft_consistency_compares_the_averaged_image_with_the_draft():
    draft = torch.rand(2, 3, 64, 64) * 2 - 1
    sharp = draft.repeat_interleave(4, -1).repeat_interleave(4, -2)
    checker = (torch.arange(256)[:, None] + torch.arange(256)[None, :]) % 2 * 0.2 - 0.1  # averages to zero
    assert draft_consistency_loss(sharp + checker, draft) < 1e-6  # added detail is free
    assert draft_consistency_loss(sharp + 0.5, draft) == pytest.approx(0.5, abs=1e-5)  # a shifted colour is not
    loss = StackGANLoss(draft_consistency_weight=3.0)
    out = StackGANDiscriminatorOutput(logits=torch.zeros(2))
    g = loss.generator(out, torch.zeros(2, 2), torch.zeros(2, 2), None, sharp + 0.5, draft)
    torch.testing.assert_close(g["loss"], torch.log(torch.tensor(2.0)) + 3.0 * 0.5, atol=1e-4, rtol=0)


def test_caption_targets_mark_the_colours_each_caption_names():
    values = {"has_belly_color": ["blue", "grey", "red"], "has_wing_color": ["blue", "grey", "red"]}
    rows = caption_targets(["a gray belly and wings that are red.", "a red-bellied bird.", "a long beak."], values)
    assert rows.tolist() == [[0, 1, 0, 0, 0, 1], [0, 0, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0]]


def _tiny_step_logs(batch: dict, **loss_options) -> dict:
    """The losses of one training step of a freshly seeded tiny Stage-I pair (two colour groups of two values)."""
    from s2i_hf.models.stackgan import StackGANConfig, StackGANStage1Discriminator, StackGANStage1Generator

    config = StackGANConfig(text_embedding_dim=32, condition_dim=8, noise_dim=10, generator_width=16,
                            discriminator_width=4,
                            auxiliary_attributes={"has_belly_color": ["a", "b"], "has_wing_color": ["a", "b"]})
    torch.manual_seed(0)
    g, d = StackGANStage1Generator(config), StackGANStage1Discriminator(config)
    opts = [torch.optim.Adam(m.parameters(), lr=2e-4) for m in (g, d)]
    return training_step(g, d, *opts, StackGANLoss(attribute_sizes=[2, 2], **loss_options), batch,
                         torch.Generator().manual_seed(0))


def _tiny_batch(**extra) -> dict:
    return {"pixel_values": torch.rand(4, 3, 64, 64) * 2 - 1, "text_embeds": torch.randn(4, 32),
            "class_id": torch.tensor([0, 1, 2, 3]), "attribute_targets": targets(*[([1, 0], [0, 1])] * 4),
            "caption_attribute_targets": targets(*[([1, 0], [0, 0])] * 4), **extra}


def test_a_training_step_with_interpolation_trains_the_generator_on_mixed_captions():
    batch = _tiny_batch()
    logs = {weight: _tiny_step_logs(batch, interpolation_weight=weight) for weight in (0.0, 1.0)}
    assert "g_interpolated" not in logs[0.0] and logs[1.0]["g_interpolated"] > 0
    assert logs[1.0]["d_loss"] == logs[0.0]["d_loss"]  # the discriminator's step is untouched
    expected = logs[0.0]["g_loss"] + logs[1.0]["g_interpolated"] + logs[1.0]["g_interpolated_attributes"]
    assert logs[1.0]["g_loss"] == pytest.approx(expected, rel=1e-5)


def test_a_training_step_with_recoloured_captions_asks_the_generator_for_their_colours():
    batch = _tiny_batch(recolored_embeds=torch.randn(4, 32),
                        recolored_attribute_targets=targets(*[([0, 1], [1, 0])] * 4))
    logs = {weight: _tiny_step_logs(batch, recolored_weight=weight) for weight in (0.0, 2.0)}
    assert "g_recolored" not in logs[0.0] and logs[2.0]["g_recolored"] > 0
    assert logs[2.0]["d_loss"] == logs[0.0]["d_loss"]  # the discriminator's step is untouched
    expected = logs[0.0]["g_loss"] + 2.0 * (logs[2.0]["g_recolored"] + logs[2.0]["g_recolored_attributes"])
    assert logs[2.0]["g_loss"] == pytest.approx(expected, rel=1e-5)


def test_a_nan_loss_stops_training_naming_the_loss_and_the_step():
    check_finite({"d_loss": 1.0}, 5)
    with pytest.raises(FloatingPointError, match=r"step 17: loss g_loss is nan"):
        check_finite({"d_loss": 1.0, "g_loss": float("nan")}, 17)


def test_learning_rate_halves_on_schedule():
    schedule = halving_schedule(10)
    assert [schedule(s) for s in (0, 9, 10, 25, 30)] == [1.0, 1.0, 0.5, 0.25, 0.125]


def test_training_samples_are_repeatable_per_epoch_and_carry_cub_attribute_targets(bird_corpus):
    train = load_cub(bird_corpus, "train")
    groups = ["has_belly_color", "has_wing_color"]
    values, real = CUBAttributes.from_folder(bird_corpus).group_targets(
        np.asarray(train["attribute_present"]), np.asarray(train["attribute_certainty"]), groups)
    assert values["has_belly_color"][5] == "grey" and len(values["has_wing_color"]) == 15  # CUB's 15 colours
    data = StackGANTrainingData(train, 64, seed=3, captions_per_sample=2, attribute_values=values,
                                real_attribute_targets=real)
    first = data[5]
    assert first["pixel_values"].shape == (3, 64, 64) and first["text_embeds"].shape == (1024,)
    assert -1.0 <= first["pixel_values"].min() and first["pixel_values"].max() <= 1.0
    assert torch.equal(data[5]["pixel_values"], first["pixel_values"])  # same (seed, epoch, index): same sample
    torch.testing.assert_close(first["attribute_targets"], torch.from_numpy(real[5]))
    # what the captions ask for is what was drawn (the synthetic captions are true), each in its group's block
    caption = first["caption_attribute_targets"]
    assert caption.shape == (30,) and caption.sum() >= 1  # captions always name belly or wing
    drawn = [domain.CUB_COLOUR[c] for c in domain.class_colours(train[5]["class_id"])]
    for k, block in enumerate((slice(0, 15), slice(15, 30))):
        if caption[block].sum():
            assert caption[block].sum() == 1 and values[groups[k]][int(caption[block].argmax())] == drawn[k]
    data.set_epoch(1)
    assert not torch.equal(data[5]["text_embeds"], first["text_embeds"]) or not torch.equal(
        data[5]["pixel_values"], first["pixel_values"])
    with pytest.raises(ValueError, match="real_attribute_targets"):
        StackGANTrainingData(train, 64, attribute_values=values, preload=False)
    # recoloured captions: one drawn per sample, with the colours it now names as its targets
    recolored = [[c.replace("red", "purple") for c in caps] for caps in train["captions"]]
    embeds = np.random.default_rng(0).normal(size=(len(train), len(recolored[0]), 1024)).astype(np.float32)
    data = StackGANTrainingData(train, 64, seed=3, attribute_values=values, real_attribute_targets=real,
                                preload=False, recolored_captions=recolored, recolored_embeddings=embeds)
    item = data[5]
    row = [i for i in range(len(embeds[5])) if np.array_equal(embeds[5][i], item["recolored_embeds"].numpy())]
    assert len(row) == 1
    expected = torch.from_numpy(caption_targets([recolored[5][row[0]]], values)[0])
    assert torch.equal(item["recolored_attribute_targets"], expected) and expected.sum() >= 1
    with pytest.raises(ValueError, match="recolored_captions"):
        StackGANTrainingData(train, 64, attribute_values=values, real_attribute_targets=real, preload=False,
                             recolored_embeddings=embeds)


def test_only_complete_checkpoints_are_resumed(tmp_path):
    for name in ("checkpoint-2", "checkpoint-10", "checkpoint-12.partial", "other"):
        (tmp_path / name).mkdir()
    assert [p.name for p in checkpoints.complete_checkpoints(tmp_path)] == ["checkpoint-2", "checkpoint-10"]
    assert checkpoints.resolve_checkpoint(tmp_path, "latest").name == "checkpoint-10"
    assert checkpoints.resolve_checkpoint(tmp_path / "empty", "latest") is None
    with pytest.raises(FileNotFoundError, match="checkpoint-12.partial"):
        checkpoints.resolve_checkpoint(tmp_path, str(tmp_path / "checkpoint-12.partial"))
    checkpoints.remove_partial_checkpoints(tmp_path)
    assert not (tmp_path / "checkpoint-12.partial").exists() and (tmp_path / "checkpoint-10").exists()


def test_diff_augment_shifts_and_cuts_repeatably_and_passes_gradients():
    from s2i_hf.training.stackgan import diff_augment

    images = torch.linspace(-1, 1, 64).repeat(2, 3, 64, 1).requires_grad_()  # a horizontal ramp
    shifted = diff_augment(images, ["translation"], torch.Generator().manual_seed(0))
    again = diff_augment(images, ["translation"], torch.Generator().manual_seed(0))
    torch.testing.assert_close(shifted, again)
    moved = (shifted[:, 0, 32] - images[:, 0, 32]).abs().amax(1)
    assert torch.all(moved <= 8 * 2 / 63 + 1e-5)  # at most 1/8 of the width
    cut = diff_augment(images, ["cutout"], torch.Generator().manual_seed(0))
    assert ((cut == 0) & (images != 0)).sum(dim=(1, 2, 3)).tolist() == [3 * 16 * 16 - 0] * 2 or \
        torch.all(((cut == 0).float().sum(dim=(1, 2, 3)) >= 3 * 16 * 15))  # a 16 x 16 square of a 64 px image
    diff_augment(images, ["translation", "cutout"]).sum().backward()
    assert images.grad is not None and images.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="'flip'"):
        diff_augment(images, ["flip"])


def test_mode_seeking_loss_is_largest_when_the_noise_is_ignored():
    from s2i_hf.training.stackgan import mode_seeking_loss

    z_a, z_b = torch.zeros(4, 10), torch.ones(4, 10)
    same = torch.zeros(4, 3, 8, 8)
    assert mode_seeking_loss(same, same, z_a, z_b) == pytest.approx(1e5)
    assert mode_seeking_loss(same, same + 0.5, z_a, z_b) == pytest.approx(2.0, rel=1e-3)


def test_a_training_step_with_realism_options_logs_their_terms_and_keeps_the_reference_without_them():
    batch = _tiny_batch()
    plain = _tiny_step_logs(batch)
    assert plain == _tiny_step_logs(batch, mode_seeking_weight=0.0, feature_matching_weight=0.0, augment=())
    logs = _tiny_step_logs(batch, mode_seeking_weight=1.0, feature_matching_weight=1.0,
                           augment=("translation", "cutout"))
    assert logs["g_mode_seeking"] > 0 and logs["g_feature_matching"] > 0
    assert logs["d_loss"] != plain["d_loss"]  # D saw augmented images


def _pair_config():
    from s2i_hf.models.stackgan import StackGANConfig

    return StackGANConfig(text_embedding_dim=32, condition_dim=8, noise_dim=10, generator_width=16,
                          discriminator_width=4, pair_logits=True,
                          auxiliary_attributes={"has_belly_color": ["a", "b"], "has_wing_color": ["a", "b"]})


def test_the_pair_head_is_symmetric_and_learns_to_tell_copies_from_two_birds():
    from s2i_hf.models.stackgan import StackGANStage1Discriminator

    torch.manual_seed(0)
    d = StackGANStage1Discriminator(_pair_config())
    images, others, condition = torch.rand(8, 3, 64, 64) * 2 - 1, torch.rand(8, 3, 64, 64) * 2 - 1, torch.randn(8, 8)
    d.eval()
    torch.testing.assert_close(d(images, condition, pair_with=others).pair_logits,
                               d(others, condition, pair_with=images).pair_logits)
    assert d(images, condition).pair_logits is None  # no partner, no pair logit
    d.train()
    optimizer = torch.optim.Adam(d.parameters(), lr=1e-3)
    for _ in range(40):  # real pairs: two different images; fake pairs: one image twice
        x, y = torch.rand(2, 8, 3, 64, 64) * 2 - 1
        loss = (StackGANLoss(pair_weight=1.0).pairs_discriminator(d(x, condition, pair_with=y).pair_logits,
                                                                  d(x, condition, pair_with=x).pair_logits)["loss"])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    d.eval()
    x, y = torch.rand(2, 8, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        assert (d(x, condition, pair_with=y).pair_logits > d(x, condition, pair_with=x).pair_logits).all()
    with pytest.raises(ValueError, match="pair_with holds 4 images for 8"):
        d(x, condition, pair_with=y[:4])
    from s2i_hf.models.stackgan import StackGANConfig

    plain = StackGANStage1Discriminator(StackGANConfig(**{**_pair_config().to_dict(), "pair_logits": False}))
    with pytest.raises(ValueError, match="config.pair_logits"):
        plain(x, condition, pair_with=y)


def test_class_mates_are_other_images_of_the_class_drawn_repeatably_without_changing_the_other_draws(bird_corpus):
    train = load_cub(bird_corpus, "train")
    plain, paired = (StackGANTrainingData(train, 64, seed=3, class_mates=mates) for mates in (False, True))
    classes = train["class_id"]
    for index in range(len(train)):
        item = paired[index]
        assert torch.equal(item["pixel_values"], plain[index]["pixel_values"])  # the other draws are untouched
        assert torch.equal(item["mate_pixel_values"], paired[index]["mate_pixel_values"])  # repeatable
        mates = [j for j in range(len(train)) if classes[j] == classes[index] and j != index]
        assert sorted(paired.mates[index]) == (mates or [index])
    assert "mate_pixel_values" not in plain[0]


def test_a_training_step_with_pairs_trains_both_players_on_them():
    batch = _tiny_batch(mate_pixel_values=torch.rand(4, 3, 64, 64) * 2 - 1)
    from s2i_hf.models.stackgan import StackGANStage1Discriminator, StackGANStage1Generator

    torch.manual_seed(0)
    g, d = StackGANStage1Generator(_pair_config()), StackGANStage1Discriminator(_pair_config())
    opts = [torch.optim.Adam(m.parameters(), lr=2e-4) for m in (g, d)]
    logs = training_step(g, d, *opts, StackGANLoss(attribute_sizes=[2, 2], pair_weight=2.0), batch,
                         torch.Generator().manual_seed(0))
    assert logs["d_pair_real"] > 0 and logs["d_pair_fake"] > 0 and logs["g_pair"] > 0
    assert "g_pair_attributes" not in logs
    torch.manual_seed(0)
    g, d = StackGANStage1Generator(_pair_config()), StackGANStage1Discriminator(_pair_config())
    opts = [torch.optim.Adam(m.parameters(), lr=2e-4) for m in (g, d)]
    asked = training_step(g, d, *opts, StackGANLoss(attribute_sizes=[2, 2], pair_weight=2.0, pair_attributes=True),
                          batch, torch.Generator().manual_seed(0))
    assert asked["g_pair_attributes"] > 0 and asked["d_loss"] == logs["d_loss"]  # D's step is the same
    assert asked["g_loss"] > logs["g_loss"]  # the pairs' colours are asked for on top
    assert "d_pair_real" not in _tiny_step_logs(batch)  # off by default, and the mates then go unused


def test_pair_head_only_keeps_the_pair_loss_out_of_the_shared_image_encoder():
    from s2i_hf.models.stackgan import StackGANStage1Discriminator

    torch.manual_seed(0)
    d = StackGANStage1Discriminator(_pair_config())
    x, y, condition = torch.rand(4, 3, 64, 64), torch.rand(4, 3, 64, 64), torch.randn(4, 8)
    for head_only in (True, False):
        d.zero_grad(set_to_none=True)
        d(x, condition, pair_with=y, pair_head_only=head_only).pair_logits.sum().backward()
        encoder_grads = [p.grad for p in d.encode_image.parameters()]
        assert all(p.grad is not None for p in d.pair_logits.parameters())
        assert all(g is None for g in encoder_grads) == head_only


def test_the_periodic_pattern_loss_sees_streaks_not_content_and_its_gradient_removes_them():
    from s2i_hf.metrics.realism import periodic_artefact_db
    from s2i_hf.training.stackgan import periodic_pattern_loss

    rng = torch.Generator().manual_seed(0)
    content = F.interpolate(torch.randn(8, 3, 8, 8, generator=rng), size=128, mode="bilinear").tanh()
    content = content + 0.05 * torch.randn(8, 3, 128, 128, generator=rng)  # shapes and grain: no peak
    streaks = 0.05 * torch.cos(2 * torch.pi * 0.375 * torch.arange(128.0))  # faint, the period of 2.67 px
    patterned = (content + streaks).requires_grad_(True)
    assert periodic_pattern_loss(patterned) > 50 * periodic_pattern_loss(content)
    before = periodic_artefact_db(patterned.detach())["peak_db"]
    optimizer = torch.optim.Adam([patterned], lr=0.003)
    for _ in range(50):
        optimizer.zero_grad()
        periodic_pattern_loss(patterned).backward()
        optimizer.step()
    after = periodic_artefact_db(patterned.detach())
    assert before > 25 and after["peak_db"] < periodic_artefact_db(content)["peak_db"] + 3, (before, after)
    change = patterned.detach() - content
    left = (change * streaks).sum() / (streaks.pow(2).sum() * 8 * 3 * 128)  # 1.0 before the steps
    kept = F.avg_pool2d(change, 8).abs().mean() / F.avg_pool2d(content, 8).abs().mean()  # the shapes
    assert left < 0.4 and kept < 0.05, (left, kept)


def test_weight_average_is_a_running_mean_kept_across_a_save(tmp_path):
    """What a resumed run continues from: the mean so far and its count, read back from the checkpoint folder."""
    first = {"w": torch.tensor([1.0, 2.0]), "steps": torch.tensor(3)}
    second = {"w": torch.tensor([3.0, 6.0]), "steps": torch.tensor(5)}
    average = WeightAverage()
    average.update(first)
    average.save(tmp_path)
    resumed = WeightAverage.load(tmp_path)
    resumed.update(second)
    assert resumed.count == 2 and torch.equal(resumed.mean["w"], torch.tensor([2.0, 4.0]))
    assert resumed.mean["steps"].item() == 5  # integer buffers: the last, not a mean
    like = resumed.state_dict_like({"w": torch.zeros(2, dtype=torch.bfloat16), "steps": torch.tensor(0)})
    assert like["w"].dtype == torch.bfloat16 and torch.equal(like["w"].float(), torch.tensor([2.0, 4.0]))
    assert WeightAverage.load(tmp_path / "elsewhere").count == 0  # before the window: nothing averaged yet
    with pytest.raises(ValueError, match="nothing has been averaged"):
        WeightAverage().state_dict_like(first)
