"""What the benchmarks in recipes/benchmarks/ share: their parser, the median of timed runs, the machine they ran on,
and the one JSON object each prints (the last line of its output, with the machine beside the figures)."""

from __future__ import annotations

import argparse
import json
import statistics
import time
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

    from .demo import cpu_description

    return {**cpu_description(), "torch_threads": torch.get_num_threads(), "torch": torch.__version__}


def emit(result: dict, indent: int | None = None) -> dict:
    """Print `result` with the machine as one JSON object (the last thing on stdout) and return it."""
    result = {**result, "machine": machine()}
    print(json.dumps(result, indent=indent))
    return result
