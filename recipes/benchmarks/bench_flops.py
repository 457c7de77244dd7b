"""Training FLOPs of every part at a preset, counted by torch.utils.flop_counter.FlopCounterMode; with --time, the
step time at the preset's batch and the share of this machine's measured peak. Prints one JSON object.

    python recipes/benchmarks/bench_flops.py                         # full presets: FLOPs and run totals
    python recipes/benchmarks/bench_flops.py --scale demo --time     # demo presets: step time, share of peak

A step is the recipe's whole training step on random data of the real shapes (s2i_hf/benchmarking/steps.py).
FLOPs are counted on a batch of 2 and given per sample. `--time` runs `--steps` steps at the preset's batch after
one warm-up step and takes the median, in the precision the demo trains in (bf16 where the CPU runs it natively,
fp32 elsewhere; `--fp32` for fp32 everywhere); the peak is a 2048 x 2048 matmul in the same precision, timed in the
same run. For the full presets the run totals multiply the per-sample FLOPs by the samples a run sees (epochs x
the real data sets' sizes: LJSpeech 13,100 clips of 6.6 s mean less 10 % held out; CUB's 8,855 training images,
88,550 captions); GPU hours are then an estimate at an assumed sustained throughput, not a measurement.
"""

from __future__ import annotations

import contextlib

import torch

from s2i_hf import benchmarking
from s2i_hf.benchmarking import steps
from s2i_hf.benchmarking.hardware import matmul_peak_gflops
from s2i_hf.demo import cpu_has_fast_bf16

SAMPLES_SEEN_PER_EPOCH = {"asr": 13_100 * 0.9 * 6.6, "text_encoder": 88_550, "stage1": 8_855, "stage2": 8_855}


def timed_steps(presets: dict, repeats: int, bf16: bool) -> dict:
    """Per part: the median step time at the preset's batch and its share of the same precision's matmul peak."""
    precision = "bf16" if bf16 else "fp32"
    peak = matmul_peak_gflops(torch.bfloat16 if bf16 else torch.float32)
    result = {"peak_gflops": {precision: round(peak, 1)}, "threads": torch.get_num_threads(), "steps": {}}
    for part in steps.PARTS:
        batch = steps.batch_size_of(presets[part])
        step = steps.make_step(part, presets, batch)
        with torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext():
            flops = steps.count_flops(step)
            seconds = benchmarking.median_seconds(step, repeats)
        result["steps"][part] = {"batch": batch, "precision": precision, "step_ms": round(seconds * 1000, 1),
                                 "gflop_per_step": round(flops / 1e9, 2),
                                 "achieved_gflops": round(flops / seconds / 1e9, 1),
                                 "share_of_peak": round(flops / seconds / 1e9 / peak, 3)}
    return result


def main():
    parser = benchmarking.parser(__doc__)
    parser.add_argument("--scale", choices=sorted(steps.PRESETS), default="full")
    parser.add_argument("--time", action="store_true", help="also time steps at the preset's batch (share of peak)")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per part (median)")
    parser.add_argument("--fp32", action="store_true", help="time every part in fp32, even where bf16 is native")
    parser.add_argument("--sustained_tflops", type=float, default=60.0,
                        help="assumed sustained training throughput of one GPU, for the GPU-hour estimate")
    args = parser.parse_args()
    torch.manual_seed(0)
    presets = steps.load_presets(args.scale)
    per_sample = steps.flops_per_sample(presets)
    per_sample["asr"] /= 6.6  # the ASR's samples are seconds of audio (clips of 6.6 s), the others images or captions
    result = {"scale": args.scale, "presets": list(steps.PRESETS[args.scale]),
              "gflop_per_sample": {p: round(v / 1e9, 3) for p, v in per_sample.items()},
              "sample": {"asr": "second of audio", "text_encoder": "caption", "stage1": "image", "stage2": "image"}}
    if args.scale == "full":
        epochs = {p: presets[p]["num_train_epochs"] for p in steps.PARTS}
        totals = {p: per_sample[p] * SAMPLES_SEEN_PER_EPOCH[p] * epochs[p] for p in steps.PARTS}
        result["run_pflop"] = {p: round(v / 1e15, 1) for p, v in totals.items()}
        result["gpu_hours_estimate"] = {p: round(v / (args.sustained_tflops * 1e12) / 3600, 1)
                                        for p, v in totals.items()}
        result["assumed_sustained_tflops"] = args.sustained_tflops
    if args.time:
        result.update(timed_steps(presets, args.steps, cpu_has_fast_bf16() and not args.fp32))
    benchmarking.emit(result)


if __name__ == "__main__":
    main()
