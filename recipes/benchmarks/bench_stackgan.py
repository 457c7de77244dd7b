"""StackGAN speed and memory at the reference sizes: training throughput of Stage I (fp32 and bf16, NCHW and
channels-last, side by side), Stage II, and generation latency per image. Prints one JSON object.

    python recipes/benchmarks/bench_stackgan.py --repeats 3

Each measurement runs in its own process (its own peak RSS, a fresh autocast/oneDNN state), and the variants take
turns within each repeat so that drift in the machine's speed hits all of them alike; figures are medians. The
training step is the recipe's own (`s2i_hf.training.stackgan.training_step`) on random data of the real shapes,
with the reference optimizers; bf16 is the autocast accelerate applies for `--mixed_precision bf16`.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

from s2i_hf import benchmarking

VARIANTS = [
    {"name": "fp32", "precision": "fp32", "channels_last": False},
    {"name": "fp32_channels_last", "precision": "fp32", "channels_last": True},
    {"name": "bf16", "precision": "bf16", "channels_last": False},
    {"name": "bf16_channels_last", "precision": "bf16", "channels_last": True},
]


def measure(spec: dict) -> dict:
    import torch

    from s2i_hf.models.stackgan import (
        StackGANConfig,
        StackGANStage1Discriminator,
        StackGANStage1Generator,
        StackGANStage2Discriminator,
        StackGANStage2Generator,
    )
    from s2i_hf.training.stackgan import StackGANLoss, training_step

    torch.manual_seed(0)
    config = StackGANConfig()
    stage1 = StackGANStage1Generator(config)
    if spec["stage"] == 1:
        g, d, size = stage1, StackGANStage1Discriminator(config), 64
    else:
        g, d, size = StackGANStage2Generator(config, stage1), StackGANStage2Discriminator(config), 256
    memory_format = torch.channels_last if spec["channels_last"] else torch.contiguous_format
    g.to(memory_format=memory_format), d.to(memory_format=memory_format)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=spec["precision"] == "bf16")
    n = spec["batch"]
    batch = {"pixel_values": torch.rand(n, 3, size, size) * 2 - 1, "text_embeds": torch.randn(n, 1024),
             "class_id": torch.arange(n) % 7}

    if spec["task"] == "generate":
        g.eval()
        times = []
        with torch.no_grad(), autocast:
            for i in range(spec["steps"] + 1):
                start = time.perf_counter()
                g(batch["text_embeds"], generator=torch.Generator().manual_seed(i))
                times.append(time.perf_counter() - start)
        return {"ms_per_image": 1000 * statistics.median(times[1:]) / n,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}

    # accelerate's mixed precision wraps the models' forward in autocast; do the same
    for model in (g, d):
        model.forward = autocast(model.forward)
    g_opt = torch.optim.Adam([p for p in g.parameters() if p.requires_grad], lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loss_fn = StackGANLoss()
    times, losses = [], []
    for i in range(spec["steps"] + 1):  # the first step warms up oneDNN and the allocator
        start = time.perf_counter()
        logs = training_step(g, d, g_opt, d_opt, loss_fn, batch, torch.Generator().manual_seed(i),
                             channels_last=spec["channels_last"])
        times.append(time.perf_counter() - start)
        losses.append({k: round(v, 4) for k, v in logs.items()})
    return {"images_per_s": n / statistics.median(times[1:]), "losses": losses,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run(spec: dict) -> dict:
    done = subprocess.run([sys.executable, __file__, "--measure", json.dumps(spec)], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = benchmarking.parser(__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--stage1_batch", type=int, default=64, help="the reference batch")
    parser.add_argument("--stage1_steps", type=int, default=2, help="timed steps per measurement")
    parser.add_argument("--stage2_batch", type=int, default=4)
    parser.add_argument("--skip_stage2", action="store_true")
    parser.add_argument("--variants", default=",".join(v["name"] for v in VARIANTS),
                        help="comma-separated subset of " + ", ".join(v["name"] for v in VARIANTS))
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(json.loads(args.measure))))  # read back by run(), in the parent
        return

    variants = [v for v in VARIANTS if v["name"] in args.variants.split(",")]
    runs = {v["name"]: [] for v in variants}
    for _ in range(args.repeats):
        for v in variants:
            runs[v["name"]].append(run({**v, "task": "train", "stage": 1, "batch": args.stage1_batch,
                                        "steps": args.stage1_steps}))
    stage1 = {}
    for name, results in runs.items():
        stage1[name] = {"images_per_s": round(statistics.median(r["images_per_s"] for r in results), 2),
                        "runs": [round(r["images_per_s"], 2) for r in results],
                        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in results)),
                        "losses_first_repeat": results[0]["losses"]}
    best = max(stage1, key=lambda k: stage1[k]["images_per_s"])
    result = {"stage1_train_batch": args.stage1_batch, "stage1_train": stage1, "fastest": best}
    if "fp32" in stage1:
        result["speedup_fastest_vs_fp32"] = round(stage1[best]["images_per_s"] / stage1["fp32"]["images_per_s"], 2)

    fastest = next(v for v in VARIANTS if v["name"] == best)
    result["generate_ms_per_image_stage1_batch1"] = {
        v["name"]: round(statistics.median(run({**v, "task": "generate", "stage": 1, "batch": 1, "steps": 20})
                                           ["ms_per_image"] for _ in range(args.repeats)), 2)
        for v in variants if v["name"] in ("fp32", best)}
    if not args.skip_stage2:
        s2 = [run({**fastest, "task": "train", "stage": 2, "batch": args.stage2_batch, "steps": 1})
              for _ in range(args.repeats)]
        result["stage2_train"] = {"variant": best, "batch": args.stage2_batch,
                                  "images_per_s": round(statistics.median(r["images_per_s"] for r in s2), 3),
                                  "peak_rss_mb": round(max(r["peak_rss_mb"] for r in s2))}
        g2 = [run({**fastest, "task": "generate", "stage": 2, "batch": 1, "steps": 5}) for _ in range(args.repeats)]
        result["generate_ms_per_image_stage2_batch1"] = {
            "variant": best, "ms": round(statistics.median(r["ms_per_image"] for r in g2), 1),
            "peak_rss_mb": round(max(r["peak_rss_mb"] for r in g2))}
    benchmarking.emit(result)


if __name__ == "__main__":
    main()
