"""ASR benchmark: our Speech-Transformer against pocketsphinx on the same held-out clips, plus training speed.

    python recipes/benchmarks/bench_asr.py --model outputs/demo/asr --dataset_dir outputs/demo/speech \
        --test_speaker en-us+f4 --max_samples 100 --repeats 3 \
        --unseen_sets outputs/demo/speech_unseen_voices outputs/demo/speech_unseen_phrasing

Quality and speed of recognition (WER, CER, RTF at batch 1 and 16, peak RSS of the evaluation) for our model,
decoded jointly with its CTC head (the default) and greedily with the attention decoder alone, side by side;
and WER, CER, RTF of pocketsphinx (pip, with its bundled en-us model) on the same clips in the same run. Training
throughput, in seconds of speech per second, for the demo and ljspeech presets over --train_steps steps each, in
subprocesses whose peak RSS is reported. `--unseen_sets`: whole test corpora of what training never heard (other
voices, other sentence shapes), both systems on each. Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "recipes"))

from evaluate_asr import evaluate_asr  # noqa: E402

from s2i_hf import benchmarking
from s2i_hf.data.audio import load_audio  # noqa: E402
from s2i_hf.data.ljspeech import load_ljspeech  # noqa: E402
from s2i_hf.metrics import load_metric  # noqa: E402


def pocketsphinx_scores(dataset_dir, test_speaker, max_samples, every_clip: bool = False):
    from pocketsphinx import Decoder

    fractions = {"validation_fraction": 0.0, "test_fraction": 1.0} if every_clip else {}
    data = load_ljspeech(dataset_dir, test_speaker=test_speaker, **fractions)["test"]
    data = data.select(range(min(max_samples, len(data))))
    decoder = Decoder(samprate=16000)
    waves = [load_audio(a, 16000) for a in data["audio"]]
    hyps, busy = [], 0.0
    for wave in waves:
        pcm = (np.clip(wave, -1, 1) * 32767).astype(np.int16).tobytes()
        start = time.perf_counter()
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        hyps.append(decoder.hyp().hypstr if decoder.hyp() else "")
        busy += time.perf_counter() - start
    refs = data["normalized_text"]
    return {"wer": round(load_metric("wer").compute(predictions=hyps, references=refs), 4),
            "cer": round(load_metric("cer").compute(predictions=hyps, references=refs), 4),
            "rtf": round(busy / (sum(len(w) for w in waves) / 16000), 4), "n": len(refs)}


def training_throughput(config, dataset_dir, steps, extra):
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, str(ROOT / "recipes/train_asr.py"), "--config", str(ROOT / config), "--dataset_dir",
               dataset_dir, "--output_dir", out, "--max_steps", str(steps), "--eval_strategy", "no",
               "--save_strategy", "no", "--report_to", "none", "--max_eval_samples", "1", "--use_cpu", "true",
               "--warmup_steps", "1", "--logging_steps", "1", *extra]
        subprocess.run(cmd, check=True, capture_output=True, env=dict(os.environ, HF_HUB_OFFLINE="1"))
        # samples/s over all steps, the first (allocations, thread pools) included
        return json.loads((Path(out) / "train_results.json").read_text())


def main():
    parser = benchmarking.parser(__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--dataset_dir", required=True)
    parser.add_argument("--test_speaker", default="en-us+f4")
    parser.add_argument("--max_samples", type=int, default=100)
    parser.add_argument("--train_steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3, help="decoding runs per variant; RTFs are medians")
    parser.add_argument("--unseen_sets", nargs="*", default=[], help="test corpora scored whole, both systems (e.g. "
                        "s2i synth speech ... --voices unseen / --phrasing unseen)")
    args = parser.parse_args()

    ours = {}
    for decoding in ("joint", "attention"):
        runs = {batch: [evaluate_asr(args.model, args.dataset_dir, test_speaker=args.test_speaker, batch_size=batch,
                                     max_samples=args.max_samples, decoding=decoding) for _ in range(args.repeats)]
                for batch in (1, 16)}
        b1 = runs[1][0]  # transcripts are deterministic: every run scores the same
        ours[decoding] = {"decoding": b1["decoding"], "wer": b1["wer"], "cer": b1["cer"],
                          "rtf_batch1": float(np.median([r["rtf"] for r in runs[1]])),
                          "rtf_batch1_runs": [r["rtf"] for r in runs[1]],
                          "rtf_batch16": float(np.median([r["rtf"] for r in runs[16]])),
                          "eval_peak_rss_mb": max(r["peak_rss_mb"] for r in runs[16]), "threads": b1["threads"],
                          "examples": b1["examples"]}
    sphinx = pocketsphinx_scores(args.dataset_dir, args.test_speaker, args.max_samples)
    unseen = {}
    for folder in args.unseen_sets:
        mine = evaluate_asr(args.model, folder, split="all", max_samples=args.max_samples)
        unseen[Path(folder).name] = {
            "clips": mine["n"], "ours": {k: mine[k] for k in ("decoding", "wer", "cer", "rtf", "examples")},
            "pocketsphinx": pocketsphinx_scores(folder, None, args.max_samples, every_clip=True)}
    train = load_ljspeech(args.dataset_dir, test_speaker=args.test_speaker)["train"]
    mean_seconds = float(np.mean(train["duration"]))
    throughput = {}
    for name, config, extra in (
        ("demo", "recipes/configs/asr_demo.yaml", []),
        ("ljspeech", "recipes/configs/asr_ljspeech.yaml",
         ["--per_device_train_batch_size", "8", "--dataloader_num_workers", "0", "--load_best_model_at_end", "false",
          "--preprocessing_num_workers", "2"]),
    ):
        result = training_throughput(config, args.dataset_dir, args.train_steps, extra)
        throughput[name] = {
            "utterance_seconds_per_second": round(result["train_samples_per_second"] * mean_seconds, 1),
            "samples_per_second": result["train_samples_per_second"],
            "steps": args.train_steps,
            "peak_rss_mb_so_far": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        }
    benchmarking.emit({
        "test_clips": b1["n"], "held_out_voice": args.test_speaker,
        "ours": ours,
        "pocketsphinx": sphinx,
        "unseen_sets": unseen,
        "speedup_vs_pocketsphinx_batch1": round(sphinx["rtf"] / ours["joint"]["rtf_batch1"], 1),
        "training": throughput, "train_clip_mean_seconds": round(mean_seconds, 2),
    }, indent=2)


if __name__ == "__main__":
    main()
