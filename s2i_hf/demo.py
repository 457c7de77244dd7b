"""`s2i demo`: the whole toolkit on the synthetic corpora, from nothing to a report a person can look at.

    s2i demo --output_dir outputs/demo        # D/report.html, D/report.png, D/bundle/

Steps (each a recipe run as users run it, each skipped when its output is complete, each training resumable, so
an interrupted demo continues where it stopped when rerun):
 1. spoken captions and requests (LJSpeech format), synthetic birds (CUB format), and two speech test sets of what
    training never hears (other voices reading captions; requests in other sentence shapes);
 2. the text encoder (text_encoder_demo.yaml); then, side by side on a core each of two cores, the ASR
    (asr_demo.yaml) in one lane and StackGAN Stage I then Stage II in the other (demo presets, StackGAN trained on
    the text encoder's embeddings of the captions);
 3. the bundle (recipes/build_pipeline.py);
 4. the speech-to-image pipeline on speech about unseen bird classes by the held-out voice, the same sentences as
    text, and the two test sets: transcript CER/WER, attribute accuracy of the images, written as report.html/png.
"""

from __future__ import annotations

import html
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "recipes" / "configs"


def _run(step: str, cmd: list, log_dir: Path, say=print, threads: int | None = None):
    """Run one recipe in a subprocess, its output to D/logs/<step>.log; fail naming the step and the log.
    `threads`: torch's intra-op threads for it (OMP_NUM_THREADS), when it shares the CPU with another step."""
    log = log_dir / f"{step}.log"
    say(f"[s2i demo] {step}: {' '.join(str(c) for c in cmd[1:4])} ... (log: {log})")
    env = None if threads is None else {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    with open(log, "a") as f:
        done = subprocess.run([str(c) for c in cmd], cwd=REPO, stdout=f, stderr=subprocess.STDOUT, env=env)
    if done.returncode:
        tail = log.read_text()[-2000:]
        raise RuntimeError(f"demo step {step!r} failed (exit {done.returncode}); see {log}:\n{tail}")


def cpu_has_fast_bf16() -> bool:
    """Whether oneDNN runs bf16 natively here (AVX-512 BF16 or AMX): then the demo trains every part in bf16,
    which makes a step 1.2-2x faster with the same figures (docs/benchmarks.md). Elsewhere bf16 is emulated and
    many times slower than fp32."""
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


def _done(marker: Path) -> bool:
    return marker.is_file()


def run_demo(output_dir: str, speech_clips: int = 6000, birds: int = 4000, seed: int = 0, report_clips: int = 64,
             stage1_minutes: float | None = None, stage2_minutes: float | None = None, scale: str = "demo") -> dict:
    """`scale="tiny"` uses the test presets (a smoke run of every step in a few minutes)."""
    if not (REPO / "recipes").is_dir():
        raise FileNotFoundError(f"{REPO / 'recipes'}: the demo runs the repository's recipes; install s2i_hf from a "
                                "clone (pip install -e .)")
    out = Path(output_dir)
    logs, marks = out / "logs", out / ".done"
    logs.mkdir(parents=True, exist_ok=True)
    marks.mkdir(exist_ok=True)
    # minutes per step, and the demo's own wall-clock minutes (two steps run side by side), over every resumed run
    saved = json.loads((out / "timings.json").read_text()) if (out / "timings.json").is_file() else {}
    timings: dict[str, float] = saved.get("steps", {} if "wall_minutes" in saved else saved)
    threads: dict[str, int] = saved.get("threads", {})
    wall_before, wall_start = saved.get("wall_minutes", 0.0), time.perf_counter()
    py, launch = sys.executable, [sys.executable, "-m", "accelerate.commands.launch", "--config_file",
                                  str(REPO / "accelerate_configs" / "cpu.yaml")]

    from tqdm.auto import tqdm

    progress = tqdm(total=10, desc="s2i demo", unit="step")

    say = progress.write  # above the bar, on stdout

    timings_lock = threading.Lock()  # two steps finish side by side: one writer at a time

    def save_timings():
        with timings_lock:
            wall = round(wall_before + (time.perf_counter() - wall_start) / 60, 2)
            staging = out / "timings.json.tmp"  # renamed when whole: a resumed demo never reads half a file
            staging.write_text(json.dumps({"steps": timings, "threads": threads, "wall_minutes": wall}, indent=2))
            os.replace(staging, out / "timings.json")
            return wall

    def step(name: str, cmd: list, step_threads: int | None = None):
        progress.set_postfix_str(name)
        if _done(marks / name):
            say(f"[s2i demo] {name}: done already")
        else:
            start = time.perf_counter()
            _run(name, cmd, logs, say, step_threads)
            timings[name] = round(timings.get(name, 0.0) + (time.perf_counter() - start) / 60, 2)
            if step_threads:
                threads[name] = step_threads
            save_timings()
            (marks / name).touch()
        progress.update(1)

    def side_by_side(*lanes: list[tuple[str, list]]):
        """Lanes of steps at once, each lane on an equal share of the cores, its steps one after the other. At these
        sizes a step on one core takes 0.57-0.81 of its time on two (docs/benchmarks.md), so two lanes on one core
        each finish sooner than everything on two. The thread counts are fixed per step, not taken from what is
        free, so that a rerun trains the same models."""
        cores = os.cpu_count() or 1
        if cores < 2:
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

    # 1. Corpora (synthesis writes OUT.staging and renames it when complete)
    step("speech", [py, "-m", "s2i_hf", "synth", "speech", out / "speech", "--n", speech_clips, "--seed", seed,
                    "--overwrite"])
    step("birds", [py, "-m", "s2i_hf", "synth", "birds", out / "birds", "--n", birds, "--seed", seed, "--overwrite"])
    # test sets of what training never heard: other voices reading captions, and requests in other sentence shapes
    # (spoken in the GAN's lane below, on its core, while the ASR still trains: only the report reads them)
    unseen_sets = [
        ("speech_unseen_voices", [py, "-m", "s2i_hf", "synth", "speech", out / "speech_unseen_voices", "--n",
                                  report_clips, "--seed", seed + 1, "--voices", "unseen", "--phrasing", "captions",
                                  "--num_workers", 1, "--overwrite"]),
        ("speech_unseen_phrasing", [py, "-m", "s2i_hf", "synth", "speech", out / "speech_unseen_phrasing", "--n",
                                    report_clips, "--seed", seed + 2, "--voices", "unseen", "--phrasing", "unseen",
                                    "--num_workers", 1, "--overwrite"]),
    ]

    # 2. The four models: a fixed number of steps each (the same model on any CPU), in bf16 only where the CPU
    # runs it natively (elsewhere it is emulated and far slower): the Trainer recipes through `--bf16`, the GAN
    # loop through accelerate's mixed precision.
    bf16 = cpu_has_fast_bf16()
    trainer_bf16 = ["--bf16", "true"] if bf16 else []
    resume = ["--resume_from_checkpoint", "latest"]
    asr = [*launch, REPO / "recipes/train_asr.py", "--config", CONFIGS / f"asr_{scale}.yaml", "--dataset_dir",
           out / "speech", "--test_speaker", "en-us+f4", "--output_dir", out / "asr", *resume, *trainer_bf16]
    step("text_encoder", [*launch, REPO / "recipes/train_text_encoder.py", "--config",
                          CONFIGS / f"text_encoder_{scale}.yaml", "--dataset_dir", out / "birds", "--output_dir",
                          out / "text_encoder", *resume, *trainer_bf16])
    gan_launch = [*launch, "--mixed_precision", "bf16"] if bf16 else launch
    s1_extra = ["--max_train_minutes", stage1_minutes] if stage1_minutes else []
    # StackGAN learns the text encoder's embeddings of the captions: what the pipeline will feed it
    text_space = ["--text_encoder", out / "text_encoder"]
    stage1 = [*gan_launch, REPO / "recipes/train_stackgan.py", "--stage", 1, "--config",
              CONFIGS / f"stackgan_stage1_{scale}.yaml", "--dataset_dir", out / "birds", "--output_dir",
              out / "stage1", *text_space, *resume, *s1_extra]
    s2_extra = ["--max_train_minutes", stage2_minutes] if stage2_minutes else []
    stage2 = [*gan_launch, REPO / "recipes/train_stackgan.py", "--stage", 2, "--config",
              CONFIGS / f"stackgan_stage2_{scale}.yaml", "--dataset_dir", out / "birds", "--stage1_model",
              out / "stage1", "--output_dir", out / "stage2", *text_space, *resume, *s2_extra]
    # The ASR needs nothing of the GAN: it trains on one lane while Stage I and then Stage II train on the other,
    # half the cores each (the ASR, the longest step, gets the time that Stage II takes), then the test sets
    side_by_side([("asr", asr)], [("stage1", stage1), ("stage2", stage2), *unseen_sets])

    # 3. The bundle
    step("bundle", [py, REPO / "recipes/build_pipeline.py", "--asr", out / "asr", "--text_encoder",
                    out / "text_encoder", "--stage1", out / "stage1", "--stage2", out / "stage2", "--output_dir",
                    out / "bundle"])

    # 4. The report
    progress.set_postfix_str("report")
    start = time.perf_counter()
    figures = write_report(out, report_clips, seed)
    progress.update(1)
    progress.close()
    timings["report"] = round((time.perf_counter() - start) / 60, 2)
    figures["mixed_precision"] = "bf16" if bf16 else "no"
    figures["cpu"] = cpu_description()
    figures["minutes"] = timings
    figures["threads"] = threads
    figures["total_minutes"] = save_timings()
    (out / "report.json").write_text(json.dumps(figures, indent=2))
    return figures


def write_report(out: Path, report_clips: int, seed: int, report_captions: int = 400) -> dict:
    """Speech of unseen classes by the held-out voice through the bundle (`report_clips` clips naming both colours), and
    `report_captions` unseen-class captions of the birds' test split as text: transcript CER/WER, and for the 64 px
    Stage-I drafts and the 256 px images the share whose colours the judge reads as the caption names them."""
    from diffusers.utils import make_image_grid
    from PIL import Image, ImageDraw

    import s2i_hf  # noqa: F401  (registers the pipeline tasks)
    from transformers import pipeline

    from .data.caption_attributes import colours_named
    from .data.cub import load_cub
    from .data.ljspeech import load_ljspeech, read_synthesis
    from .data.synthetic.domain import class_split
    from .metrics import load_metric
    from .metrics.bird_quality import captions_naming, fit_judge, pil_to_pixels, wilson_interval

    groups = ["has_belly_color", "has_wing_color"]
    splits = load_ljspeech(out / "speech", test_speaker="en-us+f4")
    test_classes = set(class_split()[1])
    unseen = splits["test"].filter(lambda row: row["class_id"] in test_classes)
    # the clips whose sentence names both colours, so that all of them count towards "both right" (a small corpus
    # may hold none: then any held-out-voice clip of an unseen class, or any at all; reported)
    naming_both = unseen.filter(lambda row: all(g in colours_named(row["normalized_text"]) for g in groups))
    clips = naming_both if len(naming_both) else unseen if len(unseen) else splits["test"]
    clips = clips.select(range(min(report_clips, len(clips))))
    if len(clips) == 0:
        raise RuntimeError(f"{out / 'speech'}: no clips of the held-out voice en-us+f4")
    speech_pipe = pipeline("speech-to-image", model=str(out / "bundle"))
    text_pipe = pipeline("text-to-image", model=str(out / "bundle"))

    # 1. Speech: transcript, the 256 px image, and the 64 px draft of the same transcript and seed
    rows, speech_images, speech_drafts, text_images, text_drafts = [], [], [], [], []
    for i, row in enumerate(clips):
        heard = speech_pipe(row["audio"]["path"], seed=seed + i)
        rows.append({"id": row["id"], "reference": row["normalized_text"], "transcript": heard["text"]})
        speech_images.append(heard["images"][0] if heard["images"] else Image.new("RGB", (256, 256)))
        speech_drafts.append(text_pipe(heard["text"], seed=seed + i, height=64)["images"][0] if heard["text"]
                             else Image.new("RGB", (64, 64)))
        if i < 16:  # shown beside the clip in the report
            text_images.append(text_pipe(row["normalized_text"], seed=seed + i)["images"][0])
            text_drafts.append(text_pipe(row["normalized_text"], seed=seed + i, height=64)["images"][0])
    cer, wer = load_metric("cer"), load_metric("wer")
    refs, hyps = [r["reference"] for r in rows], [r["transcript"] for r in rows]
    figures = {"clips": len(rows), "clips_of_unseen_classes": min(len(unseen), len(rows)),
               "cer": round(cer.compute(predictions=hyps, references=refs), 4),
               "wer": round(wer.compute(predictions=hyps, references=refs), 4)}
    # the same clips by what was said: CUB-style captions alone, and the rest (requests, plain English added)
    kinds = {clip: row.get("phrasing", "caption") for clip, row in read_synthesis(out / "speech").items()}
    for label, keep in (("captions", lambda kind: kind == "caption"), ("requests", lambda kind: kind != "caption")):
        chosen = [k for k, r in enumerate(rows) if keep(kinds.get(r["id"], "caption"))]
        if chosen:
            figures[f"{label}_clips"] = len(chosen)
            for name, metric in (("cer", cer), ("wer", wer)):
                figures[f"{label}_{name}"] = round(metric.compute(predictions=[hyps[k] for k in chosen],
                                                                  references=[refs[k] for k in chosen]), 4)

    # 2. Text: unseen-class captions of the birds' test split that name both colours, at 64 and 256 px
    test = load_cub(out / "birds", "test", attributes=False)
    pairs = captions_naming(test, groups)[:report_captions]
    captions = [test[i]["captions"][c] for i, c in pairs]
    caption_images, caption_drafts = [], []
    for k, caption in enumerate(captions):
        caption_images.append(text_pipe(caption, seed=seed + k)["images"][0])
        caption_drafts.append(text_pipe(caption, seed=seed + k, height=64)["images"][0])

    # 3. The judge: attribute accuracy of every image set against the colours each caption names (CUB groups)
    judge_dir = out / "attribute_classifier"
    if (judge_dir / "config.json").is_file():
        from .metrics.attribute_classifier import AttributeClassifier

        judge = AttributeClassifier.from_pretrained(judge_dir)
    else:
        judge = fit_judge(out / "birds", groups, seed=seed)
        judge.save_pretrained(judge_dir)

    def accuracy(images, texts):
        predicted = judge.predict(pil_to_pixels(images))
        right = {g: [] for g in groups}
        both = []
        for k, text in enumerate(texts):
            named = colours_named(text)
            read = {g: judge.config.attributes[g][int(predicted[g][k])] for g in groups}
            for g in groups:
                if g in named:
                    right[g].append(read[g] in named[g])
            if all(g in named for g in groups):
                both.append(all(read[g] in named[g] for g in groups))
        result = {g.removeprefix("has_").removesuffix("_color"): round(sum(v) / len(v), 4) if v else None
                  for g, v in right.items()}
        result["both"] = round(sum(both) / len(both), 4) if both else None
        result["both_interval_95"] = wilson_interval(sum(both), len(both))
        result["captions_naming_both"] = len(both)
        return result

    figures["attribute_accuracy"] = {
        "speech_64px_draft": accuracy(speech_drafts, refs), "speech_256px": accuracy(speech_images, refs),
        "text_64px_draft": accuracy(caption_drafts, captions), "text_256px": accuracy(caption_images, captions)}
    figures["text_captions"] = len(captions)

    # 4. What training never heard: captions read by unseen voices, requests phrased in unseen sentence shapes
    # (birds of every class: these sets measure the ASR, and the picture from what it heard)
    for name in ("unseen_voices", "unseen_phrasing"):
        folder = out / f"speech_{name}"
        if not (folder / "metadata.csv").is_file():
            continue
        data = load_ljspeech(folder, validation_fraction=0.0, test_fraction=1.0)["test"]
        data = data.select(range(min(report_clips, len(data))))
        heard = [speech_pipe(row["audio"]["path"], seed=seed + i) for i, row in enumerate(data)]
        set_refs, set_hyps = data["normalized_text"], [h["text"] for h in heard]
        drawn = [h["images"][0] if h["images"] else Image.new("RGB", (256, 256)) for h in heard]
        figures[f"speech_{name}"] = {
            "clips": len(data), "cer": round(cer.compute(predictions=set_hyps, references=set_refs), 4),
            "wer": round(wer.compute(predictions=set_hyps, references=set_refs), 4),
            "attribute_accuracy_256px": accuracy(drawn, set_refs),
            "examples": [{"reference": r, "transcript": h} for r, h in list(zip(set_refs, set_hyps))[:3]]}

    # 5. A few of these clips go with the bundle as examples (the web app offers them), and the bundle's model
    # card gets the measured figures and sample images
    examples = out / "bundle" / "examples"
    examples.mkdir(exist_ok=True)
    for row in clips.select(range(min(4, len(clips)))):
        shutil.copyfile(row["audio"]["path"], examples / Path(row["audio"]["path"]).name)
    from .training.model_card import render_bundle_card

    shown = min(16, len(rows))
    columns = min(8, shown)  # a row from speech above a row from text
    make_image_grid([im.resize((128, 128)) for im in speech_images[:columns] + text_images[:columns]], rows=2,
                    cols=columns).save(out / "bundle" / "samples.png")
    render_bundle_card(out / "bundle", speech_pipe.model, {k: json.dumps(v) if isinstance(v, dict) else v
                                                           for k, v in figures.items()}, samples="samples.png")

    # 6. report.png (the first clips: from speech at 256 px, from the reference text at 256 px, its 64 px draft)
    # and report.html
    grid = make_image_grid([im.resize((128, 128)) for im in speech_images[:shown] + text_images + text_drafts],
                           rows=3, cols=shown)
    canvas = Image.new("RGB", (grid.width, grid.height + 20), "white")
    canvas.paste(grid, (0, 20))
    ImageDraw.Draw(canvas).text((4, 4), "rows: from speech (held-out voice, 256 px); from the reference text (256 px); "
                                "the Stage-I draft of the latter (64 px)", fill="black")
    canvas.save(out / "report.png")
    images_dir = out / "report_images"
    images_dir.mkdir(exist_ok=True)
    table = []
    for k, r in enumerate(rows[:shown]):
        speech_images[k].save(images_dir / f"{r['id']}_speech.png")
        text_images[k].save(images_dir / f"{r['id']}_text.png")
        text_drafts[k].save(images_dir / f"{r['id']}_draft64.png")
        table.append(
            f"<tr><td>{html.escape(r['id'])}<br><audio controls src='speech/wavs/{html.escape(r['id'])}.wav'></audio>"
            f"</td><td>{html.escape(r['reference'])}</td><td>{html.escape(r['transcript'])}</td>"
            f"<td><img src='report_images/{r['id']}_speech.png' width=160></td>"
            f"<td><img src='report_images/{r['id']}_text.png' width=160></td>"
            f"<td><img src='report_images/{r['id']}_draft64.png' width=160></td></tr>")
    figure_rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(json.dumps(v))}</td></tr>"
                          for k, v in figures.items() if k != "attribute_accuracy")
    acc = figures["attribute_accuracy"]

    def cells(a):
        return "".join(f"<td>{a[part]}</td>" for part in ("belly", "wing", "both")) + \
            f"<td>{a['both_interval_95']}</td>"

    accuracy_rows = "".join(
        f"<tr><td>{label}</td><td>{acc[f'{source}_64px_draft']['captions_naming_both']}</td>"
        f"{cells(acc[f'{source}_64px_draft'])}{cells(acc[f'{source}_256px'])}</tr>"
        for source, label in (("speech", "speech (held-out voice)"), ("text", "text (test captions)")))
    (out / "report.html").write_text(f"""<!doctype html><meta charset="utf-8"><title>s2i_hf demo report</title>
<style>body{{font-family:sans-serif;margin:2em}}td{{border-bottom:1px solid #ddd;padding:4px;vertical-align:top}}</style>
<h1>s2i_hf demo: speech to image</h1>
<p>Spoken captions of bird classes never seen in training, by a voice never heard in training, through
<code>pipeline("speech-to-image", model="bundle")</code>, and captions of the same unseen classes as text.</p>
<h2>Colours right: 64 px drafts and 256 px images, side by side</h2>
<p>Share of images whose belly and wing colours, as the attribute classifier reads them, are those the caption
names (CUB groups has_belly_color, has_wing_color), with the 95 % interval of "both".</p>
<table><tr><th></th><th></th><th colspan=4>64 px (Stage I draft)</th><th colspan=4>256 px (Stage II)</th></tr>
<tr><th>from</th><th>captions naming both</th><th>belly</th><th>wing</th><th>both</th><th>95 %</th><th>belly</th>
<th>wing</th><th>both</th><th>95 %</th></tr>
{accuracy_rows}</table>
<h2>Figures</h2><table>{figure_rows}</table>
<h2>Clips</h2><table><tr><th>clip</th><th>reference</th><th>transcript</th><th>from speech</th><th>from text</th><th>Stage-I draft (64 px)</th></tr>
{''.join(table)}</table>
""")
    return figures
