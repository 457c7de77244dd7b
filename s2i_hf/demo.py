"""`s2i demo`: the whole toolkit on the synthetic corpora, from nothing to a report a person can look at.

    s2i demo --output_dir outputs/demo        # D/report.html, D/report.png, D/bundle/

Steps (each a recipe run as users run it, each skipped when its output is complete, each training resumable, so
an interrupted demo continues where it stopped when rerun), stated as a schedule of lanes in `run_demo`:
 0. each part's precision: bf16 where the CPU runs it natively and the part's step, timed here, is faster in it
    (D/precision.json, `choose_precisions`);
 1. spoken captions and requests (LJSpeech format; eSpeak NG, flite and festival voices), synthetic birds (CUB
    format);
 2. the text encoder (text_encoder_demo.yaml); then, side by side on a core each of two cores, the ASR
    (asr_demo.yaml), the report's judges (recipes/train_judges.py: they learn from the real renders only) and three
    speech test sets of what training never hears (other eSpeak voices; other sentence shapes; other engines'
    voices) in one lane, and in the other StackGAN Stage I (demo preset, trained on the text encoder's embeddings of
    the captions), the choice of its checkpoint (recipes/choose_stackgan_checkpoint.py) and Stage II on it;
 3. the bundle (recipes/build_pipeline.py), with the checkpoint choice's judge (an attribute classifier trained on
    the real renders) as the critic that draws each image from the best of 16 drafts for the colours named, each
    draft with its own draw of the conditioning noise;
 4. the report (s2i_hf/demo_report.py): the speech-to-image pipeline on speech about unseen bird classes by the
    held-out voice, the same sentences and the unseen classes' captions as text, and the two test sets: transcript
    CER/WER, colours, realism and diversity of the images, written as report.json/html/png and realism.png.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .demo_report import write_report

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "recipes" / "configs"
UNSEEN_ENGINES = "flite,festival,festival-hts"  # their unseen voices; eSpeak's have a test set of their own
CHOICE_FROM_STEP = {"demo": 3000, "tiny": 0}  # Stage I's checkpoints the choice weighs: the last 1,000 steps
BUNDLE_DRAFTS, BUNDLE_CONDITION_NOISE = 16, 1.0  # each image the critic's best of 16 drafts, conditioning sampled


def _run(step: str, cmd: list, log_dir: Path, say=print, threads: int | None = None):
    """Run one recipe in a subprocess, its output to D/logs/<step>.log; fail naming the step and the log.
    `threads`: torch's intra-op threads for it (OMP_NUM_THREADS), when it shares the CPU with another step."""
    log = log_dir / f"{step}.log"
    say(f"[s2i demo] {step}: {' '.join(str(c) for c in cmd[1:4])} ... (log: {log})")
    # datasets' cache of every step (features, embeddings) inside the demo's folder: it goes when the folder goes,
    # where many demos would otherwise fill the global cache without bound
    env = {**os.environ, "HF_DATASETS_CACHE": str(log_dir.parent / "datasets_cache")}
    if threads is not None:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    with open(log, "a") as f:
        done = subprocess.run([str(c) for c in cmd], cwd=REPO, stdout=f, stderr=subprocess.STDOUT, env=env)
    if done.returncode:
        tail = log.read_text()[-2000:]
        raise RuntimeError(f"demo step {step!r} failed (exit {done.returncode}); see {log}:\n{tail}")


def cpu_has_fast_bf16() -> bool:
    """Whether oneDNN runs bf16 natively here (AVX-512 BF16 or AMX). Elsewhere bf16 is emulated and many times
    slower than fp32; where it is native the demo still times each part in both (`choose_precisions`)."""
    import torch

    return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())


def cpu_description() -> dict:
    """The CPU the demo ran on and the flags that change its speed (bf16 natively or not), for the report."""
    import os
    import platform

    info = {"name": platform.processor() or platform.machine(), "cores": os.cpu_count()}
    try:
        text = Path("/proc/cpuinfo").read_text()
        names = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")]
        flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
        info["name"] = names[0] if names else info["name"]
        info.update({flag: flag in flags for flag in ("avx2", "avx512f", "avx512_bf16", "amx_bf16")})
    except OSError:
        pass
    info["native_bf16"] = cpu_has_fast_bf16()
    return info


def _write_json(path: Path, obj: dict) -> None:
    """Written beside and renamed when whole: a resumed demo never reads half a file."""
    staging = path.with_suffix(".json.tmp")
    staging.write_text(json.dumps(obj, indent=2))
    os.replace(staging, path)


def _done(marker: Path) -> bool:
    return marker.is_file()


class _Timings:
    """Minutes per step, the threads each ran on, and the demo's own wall-clock minutes, kept in D/timings.json over
    every resumed run; two steps finish side by side, so one writer at a time."""

    def __init__(self, out: Path):
        self.path = out / "timings.json"
        saved = json.loads(self.path.read_text()) if self.path.is_file() else {}
        self.steps: dict[str, float] = saved.get("steps", {} if "wall_minutes" in saved else saved)
        self.threads: dict[str, int] = saved.get("threads", {})
        self.wall_before, self.wall_start = saved.get("wall_minutes", 0.0), time.perf_counter()
        self.lock = threading.Lock()

    def add(self, step: str, minutes: float, threads: int | None = None) -> float:
        with self.lock:
            self.steps[step] = round(self.steps.get(step, 0.0) + minutes, 2)
            if threads:
                self.threads[step] = threads
        return self.save()

    def save(self) -> float:
        with self.lock:
            wall = round(self.wall_before + (time.perf_counter() - self.wall_start) / 60, 2)
            _write_json(self.path, {"steps": self.steps, "threads": self.threads, "wall_minutes": wall})
            return wall


PRECISIONS = ("auto", "fp32", "bf16")


def choose_precisions(out: Path, requested: str, scale: str) -> dict:
    """Each trained part's precision, kept in D/precision.json so that a resumed demo trains on as it began.

    "auto": bf16 for a part only where the CPU runs bf16 natively and that part's training step, timed here in
    both (s2i_hf/benchmarking/precision.py, a few seconds), is clearly faster in it; fp32 elsewhere. Native is not
    enough: on an Intel Xeon with AVX-512 BF16 and no AMX every part steps slower in bf16. "fp32" / "bf16": every
    part so (bf16 is refused where it would be emulated, many times slower)."""
    from .benchmarking.precision import MIN_SPEEDUP, choose, probe
    from .benchmarking.steps import PARTS

    if requested not in PRECISIONS:
        raise ValueError(f"--precision {requested!r}: must be one of {', '.join(PRECISIONS)}")
    native = cpu_has_fast_bf16()
    if requested == "bf16" and not native:
        raise ValueError("--precision bf16: this CPU has no native bf16 (no AVX-512 BF16 or AMX); emulated, it trains "
                         "many times slower than fp32. Pass --precision fp32 or auto")
    path = out / "precision.json"
    if path.is_file():
        saved = json.loads(path.read_text())
        if requested not in ("auto", saved["requested"]):
            raise ValueError(f"--precision {requested}: {out} was begun with --precision {saved['requested']} "
                             f"({path}); resume with that, or start in a new --output_dir")
        return saved
    if requested == "auto" and native:
        step_ms = probe(scale)
        parts = choose(step_ms, native)
    else:
        step_ms, parts = None, dict.fromkeys(PARTS, "bf16" if requested == "bf16" else "fp32")
    chosen = {"requested": requested, "native_bf16": native, "parts": parts, "min_speedup": MIN_SPEEDUP,
              "step_ms_one_thread": step_ms}
    _write_json(path, chosen)
    return chosen


def _commands(out: Path, precisions: dict[str, str], speech_clips: int, birds: int, seed: int, report_clips: int,
              scale: str, stage1_minutes: float | None, stage2_minutes: float | None) -> dict[str, list]:
    """Every step's command, as a user would type it. Every model trains a fixed number of steps (the same model on
    any CPU), each in the precision `choose_precisions` gave it: the Trainer recipes through `--bf16`, the GAN loop
    through accelerate's mixed precision. Each training resumes from its latest checkpoint."""
    py, launch = sys.executable, [sys.executable, "-m", "accelerate.commands.launch", "--config_file",
                                  str(REPO / "accelerate_configs" / "cpu.yaml")]

    def trainer_bf16(part: str) -> list:
        return ["--bf16", "true"] if precisions[part] == "bf16" else []

    def gan_launch(part: str) -> list:
        return [*launch, "--mixed_precision", "bf16"] if precisions[part] == "bf16" else launch

    resume = ["--resume_from_checkpoint", "latest"]
    text_space = ["--text_encoder", out / "text_encoder"]  # StackGAN learns what the pipeline will feed it
    synth = [py, "-m", "s2i_hf", "synth"]

    def test_speech(name: str, clips: int, seed_offset: int, *options) -> list:
        return [*synth, "speech", out / name, "--n", clips, "--seed", seed + seed_offset, "--voices", "unseen",
                *options, "--num_workers", 1, "--overwrite"]

    def stackgan(stage: int, minutes: float | None, *options) -> list:
        return [*gan_launch(f"stage{stage}"), REPO / "recipes/train_stackgan.py", "--stage", stage, "--config",
                CONFIGS / f"stackgan_stage{stage}_{scale}.yaml", "--dataset_dir", out / "birds", *options,
                "--output_dir", out / f"stage{stage}", *text_space, *resume,
                *(["--max_train_minutes", minutes] if minutes else [])]

    return {
        # corpora: synthesis writes OUT.staging and renames it when complete
        "speech": [*synth, "speech", out / "speech", "--n", speech_clips, "--seed", seed, "--overwrite"],
        "birds": [*synth, "birds", out / "birds", "--n", birds, "--seed", seed, "--overwrite"],
        # test sets of what training never heard: other voices reading captions, requests in other sentence shapes,
        # and the other engines' unseen voices, festival's HTS voice (an engine configuration training never hears)
        # among them: the report scores each engine
        "speech_unseen_voices": test_speech("speech_unseen_voices", report_clips, 1, "--phrasing", "captions"),
        "speech_unseen_phrasing": test_speech("speech_unseen_phrasing", report_clips, 2, "--phrasing", "unseen"),
        "speech_unseen_engines": test_speech("speech_unseen_engines", 2 * report_clips, 3, "--engines",
                                             UNSEEN_ENGINES, "--phrasing", "captions"),
        "text_encoder": [*launch, REPO / "recipes/train_text_encoder.py", "--config",
                         CONFIGS / f"text_encoder_{scale}.yaml", "--dataset_dir", out / "birds", "--output_dir",
                         out / "text_encoder", *resume, *trainer_bf16("text_encoder")],
        "asr": [*launch, REPO / "recipes/train_asr.py", "--config", CONFIGS / f"asr_{scale}.yaml", "--dataset_dir",
                out / "speech", "--test_speaker", "en-us+f4", "--output_dir", out / "asr", *resume, *trainer_bf16("asr")],
        "judges": [py, REPO / "recipes/train_judges.py", "--dataset_dir", out / "birds", "--output_dir", out,
                   "--seed", seed],
        "stage1": stackgan(1, stage1_minutes),
        # Stage I's checkpoint that draws the colours asked for best on recoloured training captions, read by a
        # judge of another seed than the report's; the last unless one is clearly better
        # (docs/studies/stackgan-realism.md, "Choosing Stage I's checkpoint")
        "stage1_choice": [py, REPO / "recipes/choose_stackgan_checkpoint.py", "--model", out / "stage1",
                          "--dataset_dir", out / "birds", *text_space, "--judge", out / "choice_judge",
                          "--judge_seed", seed + 1, "--from_step", CHOICE_FROM_STEP[scale], "--output_dir",
                          out / "stage1_chosen"],
        "stage2": stackgan(2, stage2_minutes, "--stage1_model", out / "stage1_chosen"),
        # each image from the best of 16 drafts, as an attribute classifier trained on the real renders reads their
        # colours (the checkpoint choice's judge, another seed than the report's): a reader the generator never met
        # (docs/studies/stackgan-conditioning.md, "Choosing among drafts"); each draft with its own draw of the
        # conditioning noise, sampled as in training: more varied drafts to choose among, for more variety, realism
        # and colours (docs/studies/stackgan-realism.md, "The conditioning noise at inference")
        "bundle": [py, REPO / "recipes/build_pipeline.py", "--asr", out / "asr", "--text_encoder",
                   out / "text_encoder", "--stage1", out / "stage1_chosen", "--stage2", out / "stage2",
                   "--output_dir", out / "bundle", "--critic", out / "choice_judge", "--num_candidates", BUNDLE_DRAFTS,
                   "--condition_noise_scale", BUNDLE_CONDITION_NOISE],
    }


# The schedule: phases one after the other, each a list of lanes run side by side. The ASR needs nothing of the
# GAN: it trains in one lane, then the judges of the report learn from the real renders and the test sets are spoken
# (only the report reads them), while Stage I trains, its checkpoint is chosen and Stage II trains in the other.
SCHEDULE = [
    [["speech"]], [["birds"]], [["text_encoder"]],
    [["asr", "judges", "speech_unseen_voices", "speech_unseen_phrasing", "speech_unseen_engines"],
     ["stage1", "stage1_choice", "stage2"]],
    [["bundle"]],
]


def run_demo(output_dir: str, speech_clips: int = 6000, birds: int = 4000, seed: int = 0, report_clips: int = 64,
             stage1_minutes: float | None = None, stage2_minutes: float | None = None, scale: str = "demo",
             precision: str = "auto") -> dict:
    """`scale="tiny"` uses the test presets (a smoke run of every step in a few minutes); `precision`: see
    `choose_precisions`."""
    if not (REPO / "recipes").is_dir():
        raise FileNotFoundError(f"{REPO / 'recipes'}: the demo runs the repository's recipes; install s2i_hf from a "
                                "clone (pip install -e .)")
    out = Path(output_dir)
    logs, marks = out / "logs", out / ".done"
    logs.mkdir(parents=True, exist_ok=True)
    marks.mkdir(exist_ok=True)
    timings = _Timings(out)

    from tqdm.auto import tqdm

    progress = tqdm(total=1 + sum(len(lane) for phase in SCHEDULE for lane in phase), desc="s2i demo", unit="step")
    say = progress.write  # above the bar, on stdout

    def step(name: str, cmd: list, step_threads: int | None = None):
        progress.set_postfix_str(name)
        if _done(marks / name):
            say(f"[s2i demo] {name}: done already")
        else:
            start = time.perf_counter()
            _run(name, cmd, logs, say, step_threads)
            timings.add(name, (time.perf_counter() - start) / 60, step_threads)
            (marks / name).touch()
        progress.update(1)

    def run_phase(lanes: list[list[tuple[str, list]]]):
        """Lanes of steps at once, each lane on an equal share of the cores, its steps one after the other (one lane:
        all the cores). At these sizes a step on one core takes 0.57-0.81 of its time on two (docs/benchmarks.md), so
        two lanes on one core each finish sooner than everything on two. The thread counts are fixed per step, not
        taken from what is free, so that a rerun trains the same models."""
        cores = os.cpu_count() or 1
        if len(lanes) == 1 or cores < 2:
            for name, cmd in (s for lane in lanes for s in lane):
                step(name, cmd)
            return

        def run_lane(lane):
            for name, cmd in lane:
                step(name, cmd, max(1, cores // len(lanes)))

        with ThreadPoolExecutor(len(lanes)) as pool:
            running = [pool.submit(run_lane, lane) for lane in lanes]
            for future in running:  # the other lane keeps training if one fails: nothing it did is lost
                future.result()

    chosen = choose_precisions(out, precision, scale)
    say(f"[s2i demo] precision per part: {chosen['parts']} ({out / 'precision.json'})")
    commands = _commands(out, chosen["parts"], speech_clips, birds, seed, report_clips, scale, stage1_minutes,
                         stage2_minutes)
    for phase in SCHEDULE:
        run_phase([[(name, commands[name]) for name in lane] for lane in phase])

    # The report
    progress.set_postfix_str("report")
    start = time.perf_counter()
    figures = write_report(out, report_clips, seed)
    progress.update(1)
    progress.close()
    timings.steps["report"] = round((time.perf_counter() - start) / 60, 2)
    figures["precision"] = chosen
    figures["cpu"] = cpu_description()
    figures["minutes"] = timings.steps
    figures["threads"] = timings.threads
    figures["total_minutes"] = timings.save()
    (out / "report.json").write_text(json.dumps(figures, indent=2))
    return figures
