"""Score a saved ASR model on an LJSpeech-format folder: WER, CER, real-time factor and peak memory, as JSON.

    python recipes/evaluate_asr.py --model outputs/asr_demo --dataset_dir outputs/speech --test_speaker en-us+f4
    python recipes/evaluate_asr.py --model outputs/asr_demo --dataset_dir outputs/speech_unseen_voices --split all

RTF = seconds spent turning waveforms into text (features + decoding) / seconds of audio, at --batch_size; audio
file decoding is not counted. Peak memory is the process's maximum resident set size. Decoding: joint
CTC/attention beam search when the model has a CTC head (ctc_head.safetensors), else greedy attention;
`--decoding attention` forces the latter.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import torch
from transformers import AutoModelForSpeechSeq2Seq, AutoProcessor

import s2i_hf  # noqa: F401  (registers the character tokenizer)
from s2i_hf.data.audio import load_audio
from s2i_hf.data.ljspeech import load_ljspeech
from s2i_hf.metrics import load_metric
from s2i_hf.models.asr import load_ctc_head, transcribe
from s2i_hf.models.asr.char_lm import CHAR_LM_FILE, CharNGramLM


def evaluate_asr(model_dir: str, dataset_dir: str, split: str = "test", test_speaker: str | None = None,
                 batch_size: int = 1, max_samples: int | None = None, validation_fraction: float = 0.05,
                 test_fraction: float = 0.05, decoding: str = "auto", beam_size: int = 8,
                 ctc_weight: float = 0.4, lm_dir: str | None = None, lm_weight: float = 0.0,
                 ctc_strict_repeats: bool = False) -> dict:
    model = AutoModelForSpeechSeq2Seq.from_pretrained(model_dir).eval()
    processor = AutoProcessor.from_pretrained(model_dir)
    ctc_head = None if decoding == "attention" else load_ctc_head(model_dir, model)
    if decoding == "joint" and ctc_head is None:
        raise SystemExit(f"--decoding joint: {model_dir} has no CTC head (ctc_head.safetensors)")
    lm = None
    if lm_weight > 0 and ctc_head is None:
        raise SystemExit(f"--lm_weight {lm_weight}: the LM joins the joint CTC/attention beam search, and {model_dir} "
                         "has no CTC head (ctc_head.safetensors)")
    if lm_weight > 0:
        lm = CharNGramLM.from_pretrained(lm_dir or model_dir)
        if lm is None:
            raise SystemExit(f"--lm_weight {lm_weight}: no {CHAR_LM_FILE} in {lm_dir or model_dir} "
                             "(recipes/train_char_lm.py writes one)")
    run = dict(ctc_head=ctc_head, beam_size=beam_size, ctc_weight=ctc_weight, lm=lm, lm_weight=lm_weight,
               ctc_strict_repeats=ctc_strict_repeats)
    if split == "all":  # every clip: a corpus made for testing
        validation_fraction, test_fraction, split = 0.0, 1.0, "test"
    data = load_ljspeech(dataset_dir, validation_fraction, test_fraction, test_speaker=test_speaker)[split]
    if max_samples:
        data = data.select(range(min(max_samples, len(data))))
    refs = data["normalized_text"]
    waves = [load_audio(a, 16000) for a in data["audio"]]
    transcribe(model, processor, waves[:1], **run)  # warm-up: first-call allocations are not the steady state
    hyps, busy = [], 0.0
    for i in range(0, len(waves), batch_size):
        start = time.perf_counter()
        hyps += transcribe(model, processor, waves[i : i + batch_size], **run)
        busy += time.perf_counter() - start
    audio_seconds = sum(len(w) for w in waves) / 16000
    return {
        "model": model_dir,
        "split": split if test_speaker is None or split != "test" else f"test (speaker {test_speaker})",
        "n": len(refs),
        "wer": round(load_metric("wer").compute(predictions=hyps, references=refs), 4),
        "cer": round(load_metric("cer").compute(predictions=hyps, references=refs), 4),
        "rtf": round(busy / audio_seconds, 4),
        "decoding": (f"joint CTC/attention, beam {beam_size}, CTC weight {ctc_weight}"
                     + (f", character LM weight {lm_weight}" if lm is not None else "") if ctc_head is not None
                     else "greedy attention"),
        "batch_size": batch_size,
        "audio_seconds": round(audio_seconds, 1),
        "threads": torch.get_num_threads(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "examples": [{"reference": r, "transcript": h} for r, h in list(zip(refs, hyps))[:3]],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="folder written by recipes/train_asr.py")
    parser.add_argument("--dataset_dir", required=True, help="LJSpeech-format folder or parquet export")
    parser.add_argument("--split", default="test", choices=["train", "validation", "test", "all"],
                        help="all: every clip of the folder (a test corpus such as --voices unseen)")
    parser.add_argument("--test_speaker", default=None, help="speaker held out as the test split (synthetic corpora)")
    parser.add_argument("--batch_size", type=int, default=1)
    parser.add_argument("--max_samples", type=int, default=None)
    parser.add_argument("--decoding", default="auto", choices=["auto", "joint", "attention"],
                        help="auto: joint CTC/attention when the model has a CTC head, else greedy attention")
    parser.add_argument("--beam_size", type=int, default=8)
    parser.add_argument("--ctc_weight", type=float, default=0.4, help="joint decoding: the CTC score's weight")
    parser.add_argument("--ctc_strict_repeats", action="store_true",
                        help="joint decoding: doubled letters by exact CTC (default: the decoder spells them)")
    parser.add_argument("--lm_weight", type=float, default=0.0,
                        help="joint decoding: the character LM's weight (shallow fusion); 0: no LM")
    parser.add_argument("--lm_dir", default=None, help="folder with char_lm.json (default: --model)")
    args = parser.parse_args(argv)
    print(json.dumps(evaluate_asr(args.model, args.dataset_dir, args.split, args.test_speaker, args.batch_size,
                                  args.max_samples, decoding=args.decoding, beam_size=args.beam_size,
                                  ctc_weight=args.ctc_weight, lm_dir=args.lm_dir, lm_weight=args.lm_weight,
                                  ctc_strict_repeats=args.ctc_strict_repeats)))


if __name__ == "__main__":
    main()
