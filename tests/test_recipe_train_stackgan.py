"""recipes/train_stackgan.py end to end: both stages under accelerate launch, exact resume, half-written
checkpoints, the checkpoint limit, Auto-class reload, two processes, the full cub presets."""

import json
import sys

import pytest
import torch
from recipe_helpers import run_recipe
from safetensors.torch import load_file

LAUNCH = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", "accelerate_configs/cpu.yaml",
          "recipes/train_stackgan.py"]
STAGE1_TINY = ["--stage", "1", "--config", "recipes/configs/stackgan_stage1_tiny.yaml"]


def _weights_equal(a, b):
    a, b = load_file(a), load_file(b)
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture(scope="module")
def stage1_run(bird_corpus, tmp_path_factory):
    """4 steps of the tiny Stage I without interruption."""
    out = tmp_path_factory.mktemp("stackgan") / "stage1"
    done = run_recipe([*LAUNCH, *STAGE1_TINY, "--dataset_dir", bird_corpus, "--output_dir", out])
    return out, json.loads(done.stdout.strip().splitlines()[-1])


def test_stage1_trains_checkpoints_and_writes_samples_and_card(stage1_run):
    out, summary = stage1_run
    assert summary["steps"] == 4 and summary["stage"] == 1
    # checkpoints_total_limit 2 with a checkpoint every 2 steps: 2 and 4 kept
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-4"]
    assert (out / "checkpoint-4" / "generator" / "model.safetensors").is_file()
    assert (out / "checkpoint-4" / "discriminator" / "model.safetensors").is_file()
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["step-000002.png", "step-000004.png"]
    assert "StackGAN" in (out / "README.md").read_text()
    for key in ("d_loss", "g_loss", "kl", "d_attributes", "g_attributes"):
        assert torch.isfinite(torch.tensor(summary["last_logs"][key])), key


def test_the_model_is_the_mean_of_the_checkpoints_ema_weights(stage1_run):
    out, summary = stage1_run
    assert summary["averaged_checkpoints"] == 2  # average_from_step 2: the EMA weights at steps 2 and 4
    assert "weights averaged over the checkpoints from step 2" in (out / "README.md").read_text()
    first, last = (load_file(out / f"checkpoint-{s}" / "generator_ema" / "model.safetensors") for s in (2, 4))
    model = load_file(out / "model.safetensors")
    assert not torch.equal(first["fc.0.weight"], last["fc.0.weight"])
    for key, value in model.items():
        expected = (first[key].float() + last[key].float()) / 2 if value.is_floating_point() else last[key]
        torch.testing.assert_close(value, expected.to(value.dtype), msg=key)


def test_interrupted_run_resumes_exactly_and_ignores_half_written_checkpoints(stage1_run, bird_corpus, tmp_path):
    out = tmp_path / "resumed"
    run_recipe([*LAUNCH, *STAGE1_TINY, "--dataset_dir", bird_corpus, "--output_dir", out, "--max_steps", "2"])
    # a run killed while writing checkpoint-3 leaves this behind; it must be neither resumed from nor kept
    partial = out / "checkpoint-3.partial"
    (partial / "generator").mkdir(parents=True)
    done = run_recipe([*LAUNCH, *STAGE1_TINY, "--dataset_dir", bird_corpus, "--output_dir", out,
                       "--resume_from_checkpoint", "latest"])
    assert "resumed from" in done.stderr and "checkpoint-2 (step 2)" in done.stderr
    assert not partial.exists()
    # same data order and the same noise: the resumed run ends bit for bit where the uninterrupted one did
    assert _weights_equal(out / "model.safetensors", stage1_run[0] / "model.safetensors")
    assert _weights_equal(out / "discriminator" / "model.safetensors",
                          stage1_run[0] / "discriminator" / "model.safetensors")


def test_stage2_trains_on_stage1_and_every_part_reloads_through_automodel(stage1_run, bird_corpus, tmp_path):
    out = tmp_path / "stage2"
    done = run_recipe([*LAUNCH, "--stage", "2", "--config", "recipes/configs/stackgan_stage2_tiny.yaml",
                       "--dataset_dir", bird_corpus, "--stage1_model", stage1_run[0], "--output_dir", out])
    assert json.loads(done.stdout.strip().splitlines()[-1])["steps"] == 2
    code = f"""
import torch, s2i_hf
from transformers import AutoModel
classes = []
for folder in {[str(stage1_run[0]), str(out), str(out / "discriminator")]!r}:
    model, info = AutoModel.from_pretrained(folder, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    classes.append(type(model).__name__)
g2 = AutoModel.from_pretrained({str(out)!r}).eval()
images = g2(torch.zeros(2, g2.config.text_embedding_dim), generator=torch.Generator().manual_seed(0)).images
print(classes, tuple(images.shape))
"""
    done = run_recipe([sys.executable, "-c", code])
    assert done.stdout.strip() == ("['StackGANStage1Generator', 'StackGANStage2Generator', "
                                   "'StackGANStage2Discriminator'] (2, 3, 256, 256)")
    # Stage II kept the trained Stage I frozen inside it
    stage1 = load_file(stage1_run[0] / "model.safetensors")
    stage2 = load_file(out / "model.safetensors")
    assert all(torch.equal(stage2[f"stage1.{k}"], v) for k, v in stage1.items())


def test_stage2_refuses_a_stage1_of_another_embedding_size(bird_corpus, tmp_path):
    from s2i_hf.models.stackgan import StackGANConfig, StackGANStage1Generator

    StackGANStage1Generator(StackGANConfig(text_embedding_dim=32, condition_dim=8, noise_dim=10, generator_width=16,
                                           discriminator_width=4)).save_pretrained(tmp_path / "s1")
    done = run_recipe([sys.executable, "recipes/train_stackgan.py", "--stage", "2", "--config",
                       "recipes/configs/stackgan_stage2_tiny.yaml", "--dataset_dir", bird_corpus, "--stage1_model",
                       tmp_path / "s1", "--output_dir", tmp_path / "out"], expect_failure=True)
    assert "takes 32-d text embeddings" in done.stderr and "1024-d" in done.stderr


def test_stage1_learns_the_text_encoders_space_and_stage2_must_too(parts, bird_corpus, tmp_path):
    """--text_encoder: the captions are embedded by the trained encoder (here the tiny 32-d one), which the saved
    generator records, and so are the recoloured captions (`--recolored_loss_weight`); a Stage II or an evaluation
    without it is refused, naming the option, and so is recolouring without an encoder."""
    out = tmp_path / "s1"
    done = run_recipe([*LAUNCH, *STAGE1_TINY, "--dataset_dir", bird_corpus, "--output_dir", out,
                       "--text_encoder", parts / "te", "--recolored_loss_weight", "1"])
    config = json.loads((out / "config.json").read_text())
    assert config["text_embedding_dim"] == 32 and config["text_embeddings_from_encoder"] is True
    logs = json.loads(done.stdout.strip().splitlines()[-1])["last_logs"]
    assert logs["g_recolored"] > 0 and logs["g_recolored_attributes"] > 0
    card = (out / "README.md").read_text()  # the card names what the run used beyond the reference
    assert f"captions embedded by the text encoder {parts / 'te'}" in card and "recoloured captions weight 1.0" in card
    done = run_recipe([sys.executable, "recipes/train_stackgan.py", *STAGE1_TINY, "--dataset_dir", bird_corpus,
                       "--output_dir", tmp_path / "refused", "--recolored_loss_weight", "1"], expect_failure=True)
    assert "recolored_loss_weight" in done.stderr and "--text_encoder" in done.stderr
    done = run_recipe([sys.executable, "recipes/train_stackgan.py", "--stage", "2", "--config",
                       "recipes/configs/stackgan_stage2_tiny.yaml", "--dataset_dir", bird_corpus, "--stage1_model",
                       out, "--output_dir", tmp_path / "s2"], expect_failure=True)
    assert "trained on a text encoder's embeddings" in done.stderr and "--text_encoder" in done.stderr
    done = run_recipe([sys.executable, "recipes/evaluate_stackgan.py", "--model", out, "--dataset_dir", bird_corpus],
                      expect_failure=True)
    assert "pass it as --text_encoder" in done.stderr

    # the choice among its checkpoints (2 and 4), by a judge trained here, on recoloured training captions
    choose = [sys.executable, "recipes/choose_stackgan_checkpoint.py", "--model", out, "--dataset_dir", bird_corpus,
              "--text_encoder", parts / "te", "--judge", tmp_path / "judge", "--num_candidates", "2",
              "--num_captions", "16", "--output_dir", tmp_path / "chosen"]
    choice = json.loads(run_recipe(choose).stdout.strip().splitlines()[-1])
    written = json.loads((tmp_path / "chosen" / "checkpoint_choice.json").read_text())
    assert [s["step"] for s in written["scores"]] == [2, 4] and written["num_captions"] == 16
    last = written["scores"][-1]
    for score in written["scores"]:  # each against the last, caption by caption
        assert abs(score["gain_over_last"] - (score["all_accuracy"] - last["all_accuracy"])) < 1e-3
    clear = [s for s in written["scores"] if s is last or s["gain_z"] > 2.0]  # the last unless clearly beaten
    best = max(clear, key=lambda s: (s["all_accuracy"], s["step"]))
    assert choice["chosen"] == best["checkpoint"] == f"checkpoint-{choice['step']}"
    source = out / choice["chosen"]
    assert _weights_equal(tmp_path / "chosen" / "model.safetensors", source / "generator_ema" / "model.safetensors")
    assert _weights_equal(tmp_path / "chosen" / "discriminator" / "model.safetensors",
                          source / "discriminator" / "model.safetensors")
    assert (tmp_path / "judge" / "config.json").is_file() and not (tmp_path / "chosen.partial").exists()
    done = run_recipe([*choose[:-1], tmp_path / "none", "--from_step", "6"], expect_failure=True)
    assert f"--model {out}: no complete checkpoint-<step>" in done.stderr and "from step 6" in done.stderr


def test_two_data_parallel_processes_on_one_cpu(bird_corpus, tmp_path):
    out = tmp_path / "ddp"
    done = run_recipe([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                       "recipes/train_stackgan.py", *STAGE1_TINY, "--dataset_dir", bird_corpus, "--output_dir", out,
                       "--max_steps", "2"])
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    # 30 training images, batch 4 per process, 2 processes: 3 steps an epoch
    assert summary["steps"] == 2 and summary["epochs"] == pytest.approx(2 / 3, abs=0.01)
    assert (out / "checkpoint-2" / "generator" / "model.safetensors").is_file()


@pytest.mark.guide  # full-size presets, as the real-data guide runs them: CI runs the group (make test-guide)
@pytest.mark.parametrize("stage", [1, 2])
def test_full_cub_presets_build_and_take_a_step_on_a_batch_of_two(bird_corpus, tmp_path, stage):
    from s2i_hf.models.stackgan import StackGANConfig, StackGANStage1Generator

    extra = []
    if stage == 2:
        StackGANStage1Generator(StackGANConfig()).save_pretrained(tmp_path / "s1")
        extra = ["--stage1_model", tmp_path / "s1"]
    out = tmp_path / "out"
    done = run_recipe([sys.executable, "recipes/train_stackgan.py", "--stage", stage, "--config",
                       f"recipes/configs/stackgan_stage{stage}_cub.yaml", "--dataset_dir", bird_corpus, "--output_dir",
                       out, "--max_steps", "1", "--train_batch_size", "2", "--num_samples", "1",
                       "--dataloader_num_workers", "0", "--report_to", "none", *extra])
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["steps"] == 1 and torch.isfinite(torch.tensor(summary["last_logs"]["g_loss"]))
    config = json.loads((out / "config.json").read_text())
    assert (config["generator_width"], config["discriminator_width"], config["condition_dim"]) == (128, 64, 128)


@pytest.mark.parametrize("options, message", [
    (["--pair_loss_weight", "1", "--stage", "2"], "pair_loss_weight judges pairs of Stage I's draws"),
    (["--pair_loss_weight", "-1"], r"pair_loss_weight \(-1.0\) must be >= 0"),
    (["--pair_head_only", "true"], "pair_head_only sets how D learns the pair term: it needs pair_loss_weight"),
    (["--pair_attributes", "true", "--pair_loss_weight", "1"], "pair_attributes .* needs .* auxiliary_attributes"),
    (["--pair_loss_start_step", "100"], "pair_loss_start_step sets when the pair term joins: it needs pair_loss_w"),
    (["--pair_loss_weight", "1", "--pair_loss_start_step", "-5"], r"pair_loss_start_step \(-5\) must be >= 0"),
    (["--average_from_step", "-1"], r"average_from_step \(-1\) must be between 0 and max_steps"),
    (["--max_steps", "10", "--average_from_step", "20"],
     r"average_from_step \(20\) must be between 0 and max_steps \(10\)"),
])
def test_options_are_checked_before_training(bird_corpus, tmp_path, options, message):
    import importlib.util

    from s2i_hf.training.arguments import parse_args

    spec = importlib.util.spec_from_file_location("train_stackgan", "recipes/train_stackgan.py")
    recipe = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("train_stackgan", recipe)  # dataclasses look their module up
    spec.loader.exec_module(sys.modules["train_stackgan"])
    recipe = sys.modules["train_stackgan"]
    parsed = parse_args((recipe.ModelArguments, recipe.DataArguments, recipe.GANTrainingArguments),
                        ["--dataset_dir", str(bird_corpus), "--output_dir", str(tmp_path), *options])
    with pytest.raises(SystemExit, match=message):
        recipe.check_options(*parsed)


@pytest.mark.parametrize("start, judged", [(1, True), (2, False)])
def test_the_pair_term_joins_at_its_start_step(bird_corpus, tmp_path, start, judged):
    """Step 2 (index 1) is the last of the run: it judges pairs only where the term has joined by then."""
    done = run_recipe([*LAUNCH, *STAGE1_TINY, "--dataset_dir", bird_corpus, "--output_dir", tmp_path / "out",
                       "--max_steps", "2", "--pair_loss_weight", "1", "--pair_loss_start_step", start])
    last = json.loads(done.stdout.strip().splitlines()[-1])["last_logs"]
    assert ("g_pair" in last and "d_pair_real" in last) == judged
    assert torch.isfinite(torch.tensor(last["g_loss"]))
