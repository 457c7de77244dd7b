"""docs/training-on-real-data.md, run as written on tiny folders in the real formats: the guide's own commands,
with the data folders pointed at the test corpora, the GPU accelerate configurations swapped for the CPU one, and
step counts and batches made small. Marked `guide` (about two minutes); `make test-guide` and CI run it."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image
from recipe_helpers import run_recipe
from test_docs import shell_commands

pytestmark = pytest.mark.guide
GUIDE = Path(__file__).resolve().parents[1] / "docs" / "training-on-real-data.md"

# per recipe, what makes one run take a step or two on a CPU in seconds (appended; later flags win)
SMALL = {
    "recipes/train_asr.py": ["--max_steps", "1", "--per_device_train_batch_size", "2", "--max_train_samples", "2",
                             "--max_eval_samples", "1", "--eval_strategy", "no", "--save_strategy", "no",
                             "--load_best_model_at_end", "false", "--report_to", "none", "--dataloader_num_workers",
                             "0", "--preprocessing_num_workers", "1", "--warmup_steps", "1",
                             "--generation_max_length", "5", "--use_cpu", "true"],
    "recipes/evaluate_asr.py": ["--max_samples", "2"],
    "recipes/train_text_encoder.py": ["--max_steps", "1", "--per_device_train_batch_size", "4", "--save_strategy",
                                      "no", "--report_to", "none", "--dataloader_num_workers", "0", "--use_cpu",
                                      "true"],
    "recipes/train_stackgan.py": ["--max_steps", "1", "--train_batch_size", "2", "--num_samples", "1",
                                  "--dataloader_num_workers", "0", "--report_to", "none",
                                  "--checkpoints_total_limit", "1"],  # full-size GAN checkpoints are ~1.5 GB each
    "recipes/evaluate_stackgan.py": ["--max_images", "2"],
}


def _localize(tokens: list[str], speech: Path, birds: Path, out: Path) -> list[str]:
    text = shlex.join(tokens)
    for gpu in ("single_gpu", "multi_gpu", "multi_node", "fsdp"):
        text = text.replace(f"accelerate_configs/{gpu}.yaml", "accelerate_configs/cpu.yaml")
    text = (text.replace("data/LJSpeech-1.1", str(speech)).replace("data/birds", str(birds))
            .replace("outputs/", f"{out}/").replace("your-name/s2i-cub", f"file://{out}/hub")
            .replace(" bird.png", f" {out}/bird.png"))
    tokens = shlex.split(text)
    if tokens[:2] == ["accelerate", "launch"]:
        tokens = [sys.executable, "-m", "accelerate.commands.launch", *tokens[2:]]
    elif tokens[0] == "python":
        tokens = [sys.executable, *tokens[1:]]
    elif tokens[0] == "s2i":
        tokens = [sys.executable, "-m", "s2i_hf", *tokens[1:]]
    script = next((t for t in tokens if t.startswith("recipes/")), None)
    extra = list(SMALL.get(script, []))
    if "--resume_from_checkpoint" in tokens:
        extra[extra.index("--max_steps") + 1] = "2"  # one step more than the run it resumes
    return tokens + extra


def test_every_command_of_the_guide_runs_on_real_format_folders(speech_corpus, bird_corpus, tmp_path):
    commands = [c for c in shell_commands(GUIDE.read_text()) if c[0] in ("accelerate", "python", "s2i")]
    assert len(commands) == 14
    outputs = []
    for tokens in commands:
        done = run_recipe(_localize(tokens, speech_corpus, bird_corpus, tmp_path))
        outputs.append(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "")
    # the full-size presets were built and trained
    asr = json.loads((tmp_path / "asr_ljspeech" / "config.json").read_text())
    assert (asr["d_model"], asr["encoder_layers"], asr["decoder_layers"]) == (256, 12, 6)
    assert "cer" in json.loads(outputs[1])
    assert json.loads(outputs[2])["contexts"] > 0 and (tmp_path / "asr_ljspeech" / "char_lm.json").is_file()
    assert json.loads(outputs[3])["decoding"].endswith("character LM weight 0.3")
    stage1 = json.loads((tmp_path / "stage1_cub" / "config.json").read_text())
    assert (stage1["generator_width"], stage1["discriminator_width"], stage1["condition_dim"]) == (128, 64, 128)
    stage2 = json.loads((tmp_path / "stage2_cub" / "train_results.json").read_text())
    assert stage2["steps"] == 2 and torch.isfinite(torch.tensor(stage2["last_logs"]["g_loss"]))  # 1, resumed to 2
    conditioned = json.loads((tmp_path / "stage1_cub_ac" / "config.json").read_text())
    assert list(conditioned["auxiliary_attributes"]) == ["has_breast_color", "has_wing_color"]
    in_text_space = json.loads((tmp_path / "stage1_cub_te" / "config.json").read_text())
    assert in_text_space["text_embeddings_from_encoder"] is True and in_text_space["text_embedding_dim"] == 1024
    evaluation = json.loads(outputs[10])
    assert evaluation["stage"] == 2 and "has_breast_color_accuracy" in evaluation["generated"]
    assert "has_breast_color_accuracy" in evaluation["stage1_drafts_generated"]  # the drafts it refined
    assert (tmp_path / "bundle_cub" / "generator" / "model.safetensors").is_file()
    assert (tmp_path / "hub" / "config.json").is_file()  # published
    with Image.open(tmp_path / "bird.png") as image:
        assert image.size == (256, 256)
