"""What the benchmarks in recipes/benchmarks/ share: their parser, the median of timed runs, the machine they ran on,
and the one JSON object each prints (the last line of its output, with the machine beside the figures); commands run
with their output to a log, and measurements run each in a process of its own.

`steps` builds each part's training step at a preset (and counts its FLOPs); `hardware` measures the machine's
matmul peak and a GPU's peak memory.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable


def parser(doc: str) -> argparse.ArgumentParser:
    """A benchmark's parser, its module docstring (the command first) as the help text."""
    return argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)


def timed(fn: Callable[[], object], repeats: int, warmup: int = 1) -> list[float]:
    """Seconds of each of `repeats` calls of `fn`, after `warmup` calls (oneDNN picks its kernels on the first)."""
    for _ in range(warmup):
        fn()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return seconds


def median_seconds(fn: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    """Machines are noisy: the median of `repeats` timed calls."""
    return statistics.median(timed(fn, repeats, warmup))


def machine() -> dict:
    """The CPU (name, cores, AVX-512 BF16 or not) and torch's threads: every figure is stated beside its machine."""
    import torch

    from ..demo import cpu_description

    return {**cpu_description(), "torch_threads": torch.get_num_threads(), "torch": torch.__version__}


def emit(result: dict, indent: int | None = None) -> dict:
    """Print `result` with the machine as one JSON object (the last thing on stdout) and return it."""
    result = {**result, "machine": machine()}
    print(json.dumps(result, indent=indent))
    return result


def run_logged(cmd: list, log: Path, cwd: Path | None = None) -> float:
    """Run a command with its output to `log`; fail naming it and the log's tail. Returns its wall seconds."""
    start = time.perf_counter()
    with open(log, "w") as f:
        done = subprocess.run([str(c) for c in cmd], cwd=cwd, stdout=f, stderr=subprocess.STDOUT)
    if done.returncode:
        raise SystemExit(f"{' '.join(str(c) for c in cmd[:6])} ... failed (exit {done.returncode}); {log}:\n"
                         f"{Path(log).read_text()[-3000:]}")
    return time.perf_counter() - start


def in_own_process(script: str, spec: dict) -> dict:
    """`script --measure SPEC` in a fresh interpreter (its own peak RSS, a fresh oneDNN and autocast state); the
    script prints one JSON object, returned here. The script answers `--measure` before anything else."""
    done = subprocess.run([sys.executable, script, "--measure", json.dumps(spec)], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{script} --measure {json.dumps(spec)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def peak_rss_mb() -> float:
    """This process's peak resident memory so far."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
