"""The full-size presets on one GPU, in one prepared run of a few minutes: every recipe with its `*_ljspeech` /
`*_cub` preset and accelerate_configs/single_gpu.yaml for a fixed few steps, one of them resumed from its
checkpoint, a bundle built from the four parts and `pipeline("speech-to-image", device="cuda")` on a few clips.
Prints one JSON object: per part the training step time and samples per second (from the recipe's own
train_results.json / train_results), its peak GPU memory (polled from nvidia-smi while it runs), and the share of
the GPU's measured bf16 matmul peak it reaches (FLOPs per sample from bench_flops.py); the pipeline's latency.

    python recipes/benchmarks/gpu_check.py --output_dir outputs/gpu_check            # on a GPU (under 8 minutes)
    python recipes/benchmarks/gpu_check.py --output_dir outputs/gpu_smoke --cpu_smoke

`--cpu_smoke` runs the same sequence on the CPU with the tiny presets and two steps (the test suite runs it, so
that the script cannot rot); its times are not GPU figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import torch

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


class GPUMemory:
    """The peak of nvidia-smi's used memory (MiB) while a block runs, polled every 0.2 s; None without a GPU."""

    def __enter__(self):
        self.peak, self._stop = None, threading.Event()
        if torch.cuda.is_available():
            self._thread = threading.Thread(target=self._poll, daemon=True)
            self._thread.start()
        return self

    def _poll(self):
        while not self._stop.is_set():
            try:
                used = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                                      capture_output=True, text=True, timeout=5).stdout.split()
                self.peak = max(self.peak or 0, int(used[0]))
            except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
                pass
            self._stop.wait(0.2)

    def __exit__(self, *exc):
        self._stop.set()


def run(cmd: list, log: Path) -> float:
    """Run a command, its output to `log`; fail naming it and the log's tail. Returns the wall seconds."""
    start = time.perf_counter()
    with open(log, "w") as f:
        done = subprocess.run([str(c) for c in cmd], cwd=ROOT, stdout=f, stderr=subprocess.STDOUT)
    if done.returncode:
        raise SystemExit(f"{' '.join(str(c) for c in cmd[:6])} ... failed (exit {done.returncode}); {log}:\n"
                         f"{log.read_text()[-3000:]}")
    return time.perf_counter() - start


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


def preset_batch(part: str, smoke: bool) -> int:
    import yaml

    if smoke:
        return 2
    preset = yaml.safe_load((CONFIGS / f"{PARTS[part][1]}.yaml").read_text())
    return int(preset.get("per_device_train_batch_size", preset.get("train_batch_size", 1)))


def flops_per_sample() -> dict:
    """Training FLOPs per sample of each part at its full-size preset (bench_flops.py's count, on a batch of 2)."""
    sys.path.insert(0, str(ROOT / "recipes" / "benchmarks"))
    import bench_flops
    import yaml

    presets = {p: yaml.safe_load((CONFIGS / f"{PARTS[p][1]}.yaml").read_text()) for p in PARTS}
    return {p: bench_flops.count_flops(bench_flops.make_step(p, presets, 2)) / 2 for p in PARTS}


def bf16_peak_tflops(n: int = 8192, repeats: int = 20) -> float | None:
    if not torch.cuda.is_available():
        return None
    a, b = (torch.randn(n, n, device="cuda", dtype=torch.bfloat16) for _ in range(2))
    torch.mm(a, b)
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b)
    torch.cuda.synchronize()
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e12


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    config = ROOT / "accelerate_configs" / ("cpu.yaml" if smoke else "single_gpu.yaml")
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", config]
    report = {"device": torch.cuda.get_device_name(0) if not smoke else "cpu (smoke: tiny presets)", "steps": steps}

    # 1. Small corpora in the real formats
    data = {"speech": out / "speech", "birds": out / "birds"}
    for corpus, n in (("speech", 27 if smoke else 96), ("birds", 40 if smoke else 400)):
        if not (data[corpus] / ".complete").exists():
            run([sys.executable, "-m", "s2i_hf", "synth", corpus, data[corpus], "--n", n, "--seed", 0, "--overwrite"],
                out / "logs" / f"synth_{corpus}.log")
            (data[corpus] / ".complete").touch()

    # 2. Every part at its preset for a few steps; Stage I once more, resumed from its checkpoint, before Stage II
    peak = bf16_peak_tflops()
    flops = flops_per_sample() if not smoke else {}
    report["bf16_matmul_peak_tflops"] = round(peak, 1) if peak else None
    parts = {}
    for part in PARTS:
        with GPUMemory() as memory:
            wall = run(train_command(part, out, data, steps, smoke, launch), out / "logs" / f"{part}.log")
        figures = {"wall_seconds": round(wall, 1), "peak_memory_mib": memory.peak,
                   **throughput(part, out / part, preset_batch(part, smoke))}
        if peak and part in flops:
            figures["share_of_bf16_peak"] = round(flops[part] * figures["samples_per_second"] / (peak * 1e12), 4)
        parts[part] = figures
        if part == "stage1":  # resumed before Stage II refines it
            resumed = train_command(part, out, data, 2 * steps, smoke, launch) + ["--resume_from_checkpoint", "latest"]
            log = out / "logs" / "stage1_resumed.log"
            run(resumed, log)
            if f"(step {steps})" not in log.read_text():
                raise SystemExit(f"the resumed Stage-I run did not start from step {steps}: {log}")
            figures["resumed_from_step"] = steps
    report["parts"] = parts

    # 3. The bundle, and the pipeline on the device
    run([sys.executable, ROOT / "recipes" / "build_pipeline.py", "--asr", out / "asr", "--text_encoder",
         out / "text_encoder", "--stage1", out / "stage1", "--stage2", out / "stage2", "--output_dir", out / "bundle"],
        out / "logs" / "bundle.log")
    clips = sorted(str(p) for p in (data["speech"] / "wavs").glob("*.wav"))[:4]
    report["pipeline"] = pipeline_latency(out / "bundle", clips, "cpu" if smoke else "cuda")
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
