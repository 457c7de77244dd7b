"""The GPU check script runs its whole sequence on the CPU (tiny presets, two steps), so that it cannot rot before
a GPU is lent: every recipe, the resume from a checkpoint, the bundle and the pipeline."""

import json
import sys

from recipe_helpers import run_recipe


def test_gpu_check_runs_every_part_resumes_and_draws_on_the_cpu(tmp_path):
    done = run_recipe([sys.executable, "recipes/benchmarks/gpu_check.py", "--output_dir", tmp_path, "--cpu_smoke"])
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(report["parts"]) == {"asr", "text_encoder", "stage1", "stage2"}
    for part, figures in report["parts"].items():
        assert figures["step_seconds"] > 0 and figures["samples_per_second"] > 0, part
        assert figures["peak_memory_mib"] is None  # no GPU to poll
    assert report["parts"]["stage1"]["resumed_from_step"] == 2
    assert report["pipeline"]["clips"] == 4 and report["pipeline"]["device"] == "cpu"
    assert (tmp_path / "bundle" / "config.json").is_file()
    failed = run_recipe([sys.executable, "recipes/benchmarks/gpu_check.py", "--output_dir", tmp_path / "x"],
                        expect_failure=True)
    assert failed.returncode != 0 and "--cpu_smoke" in failed.stderr
