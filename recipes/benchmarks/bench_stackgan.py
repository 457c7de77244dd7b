"""StackGAN speed and memory at the reference sizes: training throughput of Stage I (fp32 and bf16, NCHW and
channels-last, side by side), Stage II, and generation latency per image. Prints one JSON object.

    python recipes/benchmarks/bench_stackgan.py --repeats 3

Each measurement runs in its own process (its own peak RSS, a fresh autocast/oneDNN state), and the variants take
turns within each repeat so that drift in the machine's speed hits all of them alike; figures are medians. The
training step is the recipe's own (`s2i_hf.training.stackgan.training_step`, built by s2i_hf/benchmarking/steps.py)
on random data of the real shapes, with the reference optimizers; bf16 is autocast, as accelerate's
`--mixed_precision bf16`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from s2i_hf import benchmarking

VARIANTS = {"fp32": ("fp32", False), "fp32_channels_last": ("fp32", True), "bf16": ("bf16", False),
            "bf16_channels_last": ("bf16", True)}  # name: (precision, channels-last)


def measure(spec: dict) -> dict:
    """One measurement (in its own process): images/s of `steps` training steps, or ms per generated image."""
    import torch

    from s2i_hf.benchmarking.steps import build_gan, gan_step

    torch.manual_seed(0)
    precision, channels_last = VARIANTS[spec["variant"]]
    n, stage = spec["batch"], spec["stage"]
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
        if spec["task"] == "generate":
            g = build_gan(stage, {}, {}, channels_last)[0].eval()
            embeds = torch.randn(n, 1024)
            with torch.no_grad():
                seconds = benchmarking.timed(lambda: g(embeds, generator=torch.Generator().manual_seed(0)),
                                             spec["steps"])
            return {"ms_per_image": 1000 * statistics.median(seconds) / n, "peak_rss_mb": benchmarking.peak_rss_mb()}
        step = gan_step(stage, {}, {}, n, channels_last)
        step()  # warms up oneDNN and the allocator
        seconds, losses = [], []
        for _ in range(spec["steps"]):
            start = time.perf_counter()
            losses.append({k: round(v, 4) for k, v in step().items()})
            seconds.append(time.perf_counter() - start)
    return {"images_per_s": n / statistics.median(seconds), "losses": losses,
            "peak_rss_mb": benchmarking.peak_rss_mb()}


def median_of(variant: str, repeats: int, key: str, **spec) -> tuple[float, float]:
    """(median of `key`, peak RSS) over `repeats` measurements of one variant, each in its own process."""
    runs = [benchmarking.in_own_process(__file__, {"variant": variant, **spec}) for _ in range(repeats)]
    return statistics.median(r[key] for r in runs), max(r["peak_rss_mb"] for r in runs)


def main():
    parser = benchmarking.parser(__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--stage1_batch", type=int, default=64, help="the reference batch")
    parser.add_argument("--stage1_steps", type=int, default=2, help="timed steps per measurement")
    parser.add_argument("--stage2_batch", type=int, default=4)
    parser.add_argument("--skip_stage2", action="store_true")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated subset of " + ", ".join(VARIANTS))
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return benchmarking.emit(measure(json.loads(args.measure)))

    variants = [v for v in VARIANTS if v in args.variants.split(",")]
    train = {"task": "train", "stage": 1, "batch": args.stage1_batch, "steps": args.stage1_steps}
    runs = {v: [] for v in variants}
    for _ in range(args.repeats):  # the variants take turns, so drift hits all alike
        for v in variants:
            runs[v].append(benchmarking.in_own_process(__file__, {"variant": v, **train}))
    stage1 = {v: {"images_per_s": round(statistics.median(r["images_per_s"] for r in rs), 2),
                  "runs": [round(r["images_per_s"], 2) for r in rs],
                  "peak_rss_mb": round(max(r["peak_rss_mb"] for r in rs)), "losses_first_repeat": rs[0]["losses"]}
              for v, rs in runs.items()}
    best = max(stage1, key=lambda v: stage1[v]["images_per_s"])
    result = {"stage1_train_batch": args.stage1_batch, "stage1_train": stage1, "fastest": best}
    if "fp32" in stage1:
        result["speedup_fastest_vs_fp32"] = round(stage1[best]["images_per_s"] / stage1["fp32"]["images_per_s"], 2)
    generate = {"task": "generate", "batch": 1}
    result["generate_ms_per_image_stage1_batch1"] = {
        v: round(median_of(v, args.repeats, "ms_per_image", stage=1, steps=20, **generate)[0], 2)
        for v in variants if v in ("fp32", best)}
    if not args.skip_stage2:
        speed, rss = median_of(best, args.repeats, "images_per_s", task="train", stage=2, batch=args.stage2_batch,
                               steps=1)
        result["stage2_train"] = {"variant": best, "batch": args.stage2_batch, "images_per_s": round(speed, 3),
                                  "peak_rss_mb": round(rss)}
        ms, rss = median_of(best, args.repeats, "ms_per_image", stage=2, steps=5, **generate)
        result["generate_ms_per_image_stage2_batch1"] = {"variant": best, "ms": round(ms, 1), "peak_rss_mb": round(rss)}
    benchmarking.emit(result)


if __name__ == "__main__":
    main()
