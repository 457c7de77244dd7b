"""The full-size presets on one GPU, in one prepared run of a few minutes: every recipe with its `*_ljspeech` /
`*_cub` preset and accelerate_configs/single_gpu.yaml for a fixed few steps, one of them resumed from its
checkpoint, a bundle built from the four parts and `pipeline("speech-to-image", device="cuda")` on a few clips.
Prints one JSON object: per part the training step time and samples per second (from the recipe's own
train_results.json / train_results), its peak GPU memory (polled from nvidia-smi while it runs), and the share of
the GPU's measured bf16 matmul peak it reaches (FLOPs per sample counted as bench_flops.py does); the pipeline's latency.

    python recipes/benchmarks/gpu_check.py --output_dir outputs/gpu_check            # on a GPU (under 8 minutes)
    python recipes/benchmarks/gpu_check.py --output_dir outputs/gpu_smoke --cpu_smoke

`--cpu_smoke` runs the same sequence on the CPU with the tiny presets and two steps (the test suite runs it, so
that the script cannot rot); its times are not GPU figures.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import torch

from s2i_hf import benchmarking
from s2i_hf.benchmarking.steps import batch_size_of, flops_per_sample, load_presets
from s2i_hf.benchmarking.hardware import GPUMemory, matmul_peak_gflops

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "recipes" / "configs"
# part: (recipe, full-size preset, tiny preset, data, batch-size flag)
PARTS = {
    "asr": ("train_asr.py", "asr_ljspeech", "asr_tiny", "speech", "--per_device_train_batch_size"),
    "text_encoder": ("train_text_encoder.py", "text_encoder_cub", "text_encoder_tiny", "birds",
                     "--per_device_train_batch_size"),
    "stage1": ("train_stackgan.py", "stackgan_stage1_cub", "stackgan_stage1_tiny", "birds", "--train_batch_size"),
    "stage2": ("train_stackgan.py", "stackgan_stage2_cub", "stackgan_stage2_tiny", "birds", "--train_batch_size"),
}
TRAINER_OPTIONS = ["--eval_strategy", "no", "--save_strategy", "steps", "--load_best_model_at_end", "false",
                   "--report_to", "none", "--dataloader_num_workers", "2"]


def train_command(part: str, out: Path, data: dict, steps: int, smoke: bool, launch: list) -> list:
    recipe, full, tiny, corpus, batch_flag = PARTS[part]
    cmd = [*launch, ROOT / "recipes" / recipe, "--config", CONFIGS / f"{tiny if smoke else full}.yaml",
           "--dataset_dir", data[corpus], "--output_dir", out / part, "--max_steps", steps]
    if part == "asr":
        cmd += ["--test_speaker", "en-us+f4", *TRAINER_OPTIONS, "--save_steps", steps, "--max_eval_samples", 4,
                "--generation_max_length", 20]
    elif part == "text_encoder":
        cmd += [*TRAINER_OPTIONS, "--save_steps", steps]
    else:
        cmd += ["--stage", part[-1], "--text_encoder", out / "text_encoder", "--report_to", "none",
                "--checkpointing_steps", steps, "--checkpoints_total_limit", 1, "--num_samples", 2]
        if part == "stage2":
            cmd += ["--stage1_model", out / "stage1"]
    if smoke:
        cmd += [batch_flag, 2]
    return cmd


def throughput(part: str, folder: Path, batch_size: int) -> dict:
    """Step time and samples per second from what the recipe wrote about its own training loop."""
    result = json.loads((folder / "train_results.json").read_text())
    if part in ("stage1", "stage2"):  # the GAN loop's own summary
        seconds = result["seconds_per_step_this_run"]
    else:  # the Trainer's metrics
        seconds = 1 / result["train_steps_per_second"]
    return {"step_seconds": round(seconds, 4), "samples_per_second": round(batch_size / seconds, 2)}


def pipeline_latency(bundle: Path, clips: list[str], device: str) -> dict:
    import s2i_hf  # noqa: F401  (registers the pipeline task)
    from transformers import pipeline

    pipe = pipeline("speech-to-image", model=str(bundle), device=device)
    pipe(clips[0], seed=0)  # warm-up
    times, texts = [], []
    for i, clip in enumerate(clips):
        start = time.perf_counter()
        out = pipe(clip, seed=i)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
        texts.append(out["text"])
        assert out["images"] and out["images"][0].size == (256, 256), clip
    return {"device": str(pipe.device), "clips": len(clips), "median_seconds": round(statistics.median(times), 4),
            "transcripts": texts[:2]}


def make_corpora(out: Path, smoke: bool) -> dict[str, Path]:
    """Small speech and bird corpora in the real formats (kept across reruns once complete)."""
    data = {"speech": out / "speech", "birds": out / "birds"}
    for corpus, n in (("speech", 27 if smoke else 96), ("birds", 40 if smoke else 400)):
        if not (data[corpus] / ".complete").exists():
            benchmarking.run_logged([sys.executable, "-m", "s2i_hf", "synth", corpus, data[corpus], "--n", n, "--seed",
                                     0, "--overwrite"], out / "logs" / f"synth_{corpus}.log", cwd=ROOT)
            (data[corpus] / ".complete").touch()
    return data


def train_parts(out: Path, data: dict, steps: int, smoke: bool, peak: float | None) -> dict:
    """Every part at its preset for `steps` steps, with its speed, peak GPU memory and share of the bf16 peak
    (`peak`, TFLOP/s); Stage I once more, resumed from its checkpoint, before Stage II refines it."""
    config = ROOT / "accelerate_configs" / ("cpu.yaml" if smoke else "single_gpu.yaml")
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", config]
    full = load_presets("full")
    flops = {} if smoke else flops_per_sample(full)
    parts = {}
    for part in PARTS:
        with GPUMemory() as memory:
            wall = benchmarking.run_logged(train_command(part, out, data, steps, smoke, launch),
                                           out / "logs" / f"{part}.log", cwd=ROOT)
        batch = 2 if smoke else batch_size_of(full[part])
        figures = parts[part] = {"wall_seconds": round(wall, 1), "peak_memory_mib": memory.peak,
                                 **throughput(part, out / part, batch)}
        if peak and part in flops:
            figures["share_of_bf16_peak"] = round(flops[part] * figures["samples_per_second"] / (peak * 1e12), 4)
        if part == "stage1":
            resumed = train_command(part, out, data, 2 * steps, smoke, launch) + ["--resume_from_checkpoint", "latest"]
            log = out / "logs" / "stage1_resumed.log"
            benchmarking.run_logged(resumed, log, cwd=ROOT)
            if f"(step {steps})" not in log.read_text():
                raise SystemExit(f"the resumed Stage-I run did not start from step {steps}: {log}")
            figures["resumed_from_step"] = steps
    return parts


def main(argv=None):
    parser = benchmarking.parser(__doc__)
    parser.add_argument("--output_dir", required=True)
    parser.add_argument("--steps", type=int, default=30, help="training steps per part (the resumed run adds as many)")
    parser.add_argument("--cpu_smoke", action="store_true", help="CPU, tiny presets, two steps: a check, not figures")
    args = parser.parse_args(argv)
    smoke = args.cpu_smoke
    if not smoke and not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU here: run with --cpu_smoke for the CPU check of this script")
    steps = 2 if smoke else args.steps
    out = Path(args.output_dir)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    report = {"device": torch.cuda.get_device_name(0) if not smoke else "cpu (smoke: tiny presets)", "steps": steps}
    data = make_corpora(out, smoke)
    peak = None if smoke else matmul_peak_gflops(torch.bfloat16, "cuda", repeats=20) / 1e3
    report["bf16_matmul_peak_tflops"] = round(peak, 1) if peak else None
    report["parts"] = train_parts(out, data, steps, smoke, peak)
    benchmarking.run_logged([sys.executable, ROOT / "recipes" / "build_pipeline.py", "--asr", out / "asr",
                             "--text_encoder", out / "text_encoder", "--stage1", out / "stage1", "--stage2",
                             out / "stage2", "--output_dir", out / "bundle"], out / "logs" / "bundle.log", cwd=ROOT)
    clips = sorted(str(p) for p in (data["speech"] / "wavs").glob("*.wav"))[:4]
    report["pipeline"] = pipeline_latency(out / "bundle", clips, "cpu" if smoke else "cuda")
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
