"""The StackGAN recipe's parts: training samples, wrong pairs, losses, NaN detection, the checkpoint helpers."""

import pytest
import torch

from s2i_hf.data.cub import load_cub
from s2i_hf.models.stackgan.modeling_stackgan import StackGANDiscriminatorOutput
from s2i_hf.training import checkpoints
from s2i_hf.training.stackgan import (
    IGNORE_INDEX,
    StackGANLoss,
    StackGANTrainingData,
    check_finite,
    halving_schedule,
    complementary_pair_index,
    kl_loss,
    merge_attribute_labels,
    training_step,
    wrong_pair_index,
)


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


def test_attribute_loss_ignores_attributes_the_caption_does_not_name():
    loss = StackGANLoss(attribute_sizes=[2, 3])
    logits = torch.tensor([[10.0, -10.0, 0.0, 0.0, 0.0]])
    out = StackGANDiscriminatorOutput(logits=torch.zeros(1), attribute_logits=logits)
    named = loss.generator(out, torch.zeros(1, 2), torch.zeros(1, 2), torch.tensor([[0, IGNORE_INDEX]]))
    torch.testing.assert_close(named["g_attributes"], torch.tensor(0.0), atol=1e-4, rtol=0)
    both = loss.generator(out, torch.zeros(1, 2), torch.zeros(1, 2), torch.tensor([[0, 1]]))
    torch.testing.assert_close(both["g_attributes"], torch.log(torch.tensor(3.0)) / 2, atol=1e-4, rtol=0)


def test_interpolated_captions_ask_for_what_either_names_unless_they_disagree():
    first = torch.tensor([[3, IGNORE_INDEX], [3, 5], [IGNORE_INDEX, IGNORE_INDEX], [2, 4]])
    second = torch.tensor([[IGNORE_INDEX, 7], [4, 5], [IGNORE_INDEX, 1], [2, 6]])
    assert merge_attribute_labels(first, second).tolist() == [[3, 7], [IGNORE_INDEX, 5], [IGNORE_INDEX, 1],
                                                              [2, IGNORE_INDEX]]
    loss = StackGANLoss(attribute_sizes=[2, 3], interpolation_weight=0.5)
    out = StackGANDiscriminatorOutput(logits=torch.zeros(1), attribute_logits=torch.tensor([[10.0, -10.0, 0, 0, 0]]))
    term = loss.interpolated(out, torch.tensor([[0, IGNORE_INDEX]]))
    # 0.5 x (log 2 for "looks real" at logit 0 + about 0 for the belly it got right)
    torch.testing.assert_close(term["loss"], 0.5 * torch.log(torch.tensor(2.0)), atol=1e-4, rtol=0)


def test_complementary_partners_name_what_the_caption_does_not_and_are_of_another_class():
    classes = torch.tensor([0, 1, 2, 3, 0, 5])
    labels = torch.tensor([[1, IGNORE_INDEX], [IGNORE_INDEX, 2], [3, 4], [IGNORE_INDEX, 5], [IGNORE_INDEX, 6],
                           [7, IGNORE_INDEX]])
    # 0 (belly only) -> 1 (wing only, next); 1 -> 5 (belly only, nearer after it than 0); 2 (both) -> 3 (next
    # that names anything else); 4 (wing only, class 0) -> 5, not 0 of its own class; 5 -> 1 (0 names no wing)
    assert complementary_pair_index(classes, labels).tolist() == [1, 5, 3, 5, 5, 1]


def test_a_training_step_with_interpolation_trains_the_generator_on_mixed_captions():
    from s2i_hf.models.stackgan import StackGANConfig, StackGANStage1Discriminator, StackGANStage1Generator

    config = StackGANConfig(text_embedding_dim=32, condition_dim=8, noise_dim=10, generator_width=16,
                            discriminator_width=4, auxiliary_attributes={"belly": ["a", "b"], "wing": ["a", "b"]})
    batch = {"pixel_values": torch.rand(4, 3, 64, 64) * 2 - 1, "text_embeds": torch.randn(4, 32),
             "class_id": torch.tensor([0, 1, 2, 3]), "attribute_labels": torch.tensor([[0, 1]] * 4),
             "caption_attribute_labels": torch.tensor([[0, IGNORE_INDEX]] * 4)}
    logs = {}
    for weight in (0.0, 1.0):
        torch.manual_seed(0)
        g, d = StackGANStage1Generator(config), StackGANStage1Discriminator(config)
        opts = [torch.optim.Adam(m.parameters(), lr=2e-4) for m in (g, d)]
        logs[weight] = training_step(g, d, *opts, StackGANLoss(attribute_sizes=[2, 2], interpolation_weight=weight),
                                     batch, torch.Generator().manual_seed(0))
    assert "g_interpolated" not in logs[0.0] and logs[1.0]["g_interpolated"] > 0
    assert logs[1.0]["d_loss"] == logs[0.0]["d_loss"]  # the discriminator's step is untouched
    expected = logs[0.0]["g_loss"] + logs[1.0]["g_interpolated"] + logs[1.0]["g_interpolated_attributes"]
    assert logs[1.0]["g_loss"] == pytest.approx(expected, rel=1e-5)


def test_a_nan_loss_stops_training_naming_the_loss_and_the_step():
    check_finite({"d_loss": 1.0}, 5)
    with pytest.raises(FloatingPointError, match=r"step 17: loss g_loss is nan"):
        check_finite({"d_loss": 1.0, "g_loss": float("nan")}, 17)


def test_learning_rate_halves_on_schedule():
    schedule = halving_schedule(10)
    assert [schedule(s) for s in (0, 9, 10, 25, 30)] == [1.0, 1.0, 0.5, 0.25, 0.125]


def test_training_samples_are_repeatable_per_epoch_and_carry_caption_attributes(bird_corpus):
    train = load_cub(bird_corpus, "train")
    values = {"belly": sorted(set(train["belly"])), "wing": sorted(set(train["wing"]))}
    data = StackGANTrainingData(train, 64, seed=3, captions_per_sample=2, attributes=values)
    first = data[5]
    assert first["pixel_values"].shape == (3, 64, 64) and first["text_embeds"].shape == (1024,)
    assert -1.0 <= first["pixel_values"].min() and first["pixel_values"].max() <= 1.0
    assert torch.equal(data[5]["pixel_values"], first["pixel_values"])  # same (seed, epoch, index): same sample
    truth = [values["belly"].index(train[5]["belly"]), values["wing"].index(train[5]["wing"])]
    assert first["attribute_labels"].tolist() == truth
    assert all(c in (t, IGNORE_INDEX) for c, t in zip(first["caption_attribute_labels"].tolist(), truth))
    # captions always name belly or wing, so at least one target survives
    assert (first["caption_attribute_labels"] != IGNORE_INDEX).any()
    data.set_epoch(1)
    assert not torch.equal(data[5]["text_embeds"], first["text_embeds"]) or not torch.equal(
        data[5]["pixel_values"], first["pixel_values"])
    with pytest.raises(ValueError, match="crown_colour"):
        StackGANTrainingData(train, 64, attributes={"crown_colour": ["a", "b"]}, preload=False)


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
