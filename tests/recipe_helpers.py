"""Running recipes as users do, in a subprocess (in-process training after torch has started threads can deadlock
on fork), offline, one thread each so that two-process runs fit two cores."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def recipe_env() -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
    env.pop("CUDA_VISIBLE_DEVICES", None)
    return env


def run_recipe(cmd: list, expect_failure: bool = False) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], cwd=ROOT, capture_output=True, text=True, env=recipe_env())
    if expect_failure:
        assert done.returncode != 0, done.stdout[-2000:]
    else:
        assert done.returncode == 0, done.stderr[-3000:]
    return done
