"""Which voices an ASR hears: CER and WER of several ASR models side by side on the same test corpora, overall, per
engine, per eSpeak accent and variant and per voice of the other engines (read from the corpus's synthesis.csv,
which `s2i synth speech` writes).

    python recipes/benchmarks/bench_asr_voices.py --models outputs/demo/asr outputs/exp/asr_vtlp \
        --sets outputs/demo/speech_unseen_voices outputs/demo/speech_unseen_engines

Every clip of each set is scored (a test corpus), decoded as the bundle decodes (joint CTC/attention, beam 8, CTC
weight 0.4, doubled letters left to the decoder), or each way `--decodings` names (`0.5:strict 0.5 0.4`: the CTC
weight, `:strict` for exact CTC on doubled letters; with more than one, each model's figures are under
`MODEL @ DECODING`). `--recorded` plays every clip through a synthesized room, added noise (5-30 dB SNR) and a
microphone's band first (s2i_hf/data/augment.py, each effect on every clip, seeded by `--recorded_seed` and the
clip), as if the test set had been recorded rather than synthesized. Per accent and per variant with at least
--min_clips clips. Prints one JSON object, each set under
its path as given.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

import torch
from transformers import AutoModelForSpeechSeq2Seq, AutoProcessor

from s2i_hf import benchmarking
import s2i_hf  # noqa: F401  (registers the character tokenizer)
from s2i_hf.data.audio import load_audio
from s2i_hf.data.augment import RecordingAugment
from s2i_hf.data.ljspeech import load_ljspeech
from s2i_hf.data.synthetic.engines import engine_of
from s2i_hf.metrics import load_metric
from s2i_hf.models.asr import transcribe
from s2i_hf.models.asr.decoding import load_ctc_head


def parse_decoding(text: str) -> tuple[str, float, bool]:
    """"0.4" -> ("0.4", 0.4, False); "0.5:strict" -> ("0.5:strict", 0.5, True)."""
    weight, _, mode = text.partition(":")
    try:
        value = float(weight)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0 or mode not in ("", "strict"):
        raise SystemExit(f"--decodings {text!r}: expected a CTC weight between 0 and 1, optionally followed by "
                         "':strict' (e.g. 0.5:strict)")
    return text, value, mode == "strict"


def voices_of(folder: Path) -> dict[str, str]:
    path = folder / "synthesis.csv"
    if not path.is_file():
        raise SystemExit(f"{path}: not found; per-voice figures need the synthesis.csv of `s2i synth speech`")
    with open(path, newline="", encoding="utf-8") as f:
        return {row["id"]: row["voice"] for row in csv.DictReader(f, delimiter="|")}


def scores(refs: list[str], hyps: list[str]) -> dict:
    return {"n": len(refs), "cer": round(load_metric("cer").compute(predictions=hyps, references=refs), 4),
            "wer": round(load_metric("wer").compute(predictions=hyps, references=refs), 4)}


def main(argv=None) -> dict:
    parser = benchmarking.parser(__doc__)
    parser.add_argument("--models", nargs="+", required=True, help="ASR folders (recipes/train_asr.py outputs)")
    parser.add_argument("--sets", nargs="+", required=True, help="test corpora in LJSpeech format, scored whole")
    parser.add_argument("--batch_size", type=int, default=16)
    parser.add_argument("--min_clips", type=int, default=5, help="per accent or variant, at least this many clips")
    parser.add_argument("--recorded", action="store_true", help="every clip through a room, noise and a microphone")
    parser.add_argument("--recorded_seed", type=int, default=1234, help="not a training seed: other rooms and noise")
    parser.add_argument("--decodings", nargs="+", default=["0.4"],
                        help="CTC weights of the joint decoding, each WEIGHT or WEIGHT:strict (exact CTC repeats)")
    args = parser.parse_args(argv)
    decodings = [parse_decoding(d) for d in args.decodings]
    recorded = RecordingAugment(reverb=1.0, noise=1.0, band_limit=1.0, seed=args.recorded_seed) if args.recorded else None
    data = {}
    for folder in map(Path, args.sets):
        split = load_ljspeech(folder, validation_fraction=0.0, test_fraction=1.0)["test"]
        voice = voices_of(folder)
        waves = [load_audio(a, 16000) for a in split["audio"]]
        if recorded is not None:
            waves = [recorded(w, 16000, key=clip) for w, clip in zip(waves, split["id"])]
        data[str(folder)] = (split["normalized_text"], waves, [voice[Path(a["path"]).stem] for a in split["audio"]])
    result = {"decoding": "joint CTC/attention, beam 8", "decodings": args.decodings, "recorded": args.recorded,
              "models": {}}
    for model_dir, (label, weight, strict) in ((m, d) for m in args.models for d in decodings):
        model = AutoModelForSpeechSeq2Seq.from_pretrained(model_dir).eval()
        processor, ctc_head = AutoProcessor.from_pretrained(model_dir), load_ctc_head(model_dir, model)
        per_set = {}
        for name, (refs, waves, voices) in data.items():
            with torch.no_grad():
                hyps = [h for i in range(0, len(waves), args.batch_size)
                        for h in transcribe(model, processor, waves[i:i + args.batch_size], ctc_head=ctc_head,
                                            ctc_weight=weight, ctc_strict_repeats=strict)]
            groups = defaultdict(lambda: ([], []))
            for ref, hyp, voice in zip(refs, hyps, voices):
                engine = engine_of(voice)
                if engine == "espeak":
                    accent, _, variant = voice.partition("+")
                    keys = (f"engine {engine}", f"accent {accent}", f"variant {variant}")
                else:
                    keys = (f"engine {engine}", f"voice {voice}")
                for key in keys:
                    groups[key][0].append(ref)
                    groups[key][1].append(hyp)
            per_set[name] = {"all": scores(refs, hyps), **{key: scores(*group) for key, group in sorted(groups.items())
                                                            if len(group[0]) >= args.min_clips}}
        result["models"][model_dir if len(decodings) == 1 else f"{model_dir} @ {label}"] = per_set
    benchmarking.emit(result)
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
