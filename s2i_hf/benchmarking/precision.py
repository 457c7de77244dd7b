"""Which precision trains each part faster on this CPU: the demo's choice, measured, not assumed.

    python -m s2i_hf.benchmarking.precision --scale demo      # {part: {fp32_ms, bf16_ms, speedup}} and the choice

"Native bf16" (AVX-512 BF16, AMX) is necessary for bf16 to pay on a CPU, not sufficient: on an AMD EPYC with
AVX-512 BF16 the GAN stages step 2.2x faster in bf16, on an Intel Xeon with AVX-512 BF16 and no AMX every part
steps *slower* in bf16 than in fp32 (docs/benchmarks.md, "Which precision"). So each part's own training step
(s2i_hf/benchmarking/steps.py: the recipe's step on random data of the preset's shapes) is timed in both, on one
thread as the demo's lanes train, and bf16 is chosen only where it is native and clearly faster.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys

MIN_SPEEDUP = 1.15  # below this, fp32: the models are then those any CPU trains, for nothing lost


def time_parts(scale: str, repeats: int = 3) -> dict[str, dict]:
    """{part: {"fp32_ms", "bf16_ms", "speedup"}}: the median of `repeats` steps at the preset's batch after one
    warm-up, fp32 and bf16 autocast (accelerate's `--mixed_precision bf16`, the Trainer's `--bf16`) in turns."""
    import torch

    from . import median_seconds
    from .steps import PARTS, batch_size_of, load_presets, make_step

    presets = load_presets(scale)
    result = {}
    for part in PARTS:
        torch.manual_seed(0)
        step = make_step(part, presets, batch_size_of(presets[part]))
        ms = {}
        for precision in ("fp32", "bf16"):
            autocast = torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16" else contextlib.nullcontext()
            with autocast:
                ms[precision] = 1000 * median_seconds(step, repeats)
        result[part] = {"fp32_ms": round(ms["fp32"], 1), "bf16_ms": round(ms["bf16"], 1),
                        "speedup": round(ms["fp32"] / ms["bf16"], 2)}
    return result


def choose(step_ms: dict[str, dict], native_bf16: bool, min_speedup: float = MIN_SPEEDUP) -> dict[str, str]:
    """{part: "bf16" or "fp32"}: bf16 where the CPU runs it natively and a step is at least `min_speedup` faster."""
    return {part: "bf16" if native_bf16 and t["speedup"] >= min_speedup else "fp32" for part, t in step_ms.items()}


def probe(scale: str, repeats: int = 3) -> dict[str, dict]:
    """`time_parts` in a fresh one-thread process (the demo's lanes train on one core each; the caller's own
    threads and oneDNN state are left alone)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "s2i_hf.benchmarking.precision", "--scale", scale, "--repeats",
                           str(repeats), "--times_only"], capture_output=True, text=True, env=env)
    if done.returncode:
        raise RuntimeError(f"timing the parts' steps in fp32 and bf16 (scale {scale!r}) failed:\n"
                           f"{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    from . import emit, parser

    args = parser(__doc__)
    args.add_argument("--scale", default="demo", help="the presets: demo, tiny or full")
    args.add_argument("--repeats", type=int, default=3, help="timed steps per part and precision (median)")
    args.add_argument("--times_only", action="store_true", help=argparse.SUPPRESS)
    args = args.parse_args(argv)
    times = time_parts(args.scale, args.repeats)
    if args.times_only:
        print(json.dumps(times))
        return
    from ..demo import cpu_has_fast_bf16

    native = cpu_has_fast_bf16()
    emit({"scale": args.scale, "native_bf16": native, "min_speedup": MIN_SPEEDUP, "steps": times,
          "choice": choose(times, native)})


if __name__ == "__main__":
    main()
