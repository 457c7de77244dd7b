"""What the ASR's slips cost the picture: the same sentences drawn from their speech (through the ASR) and from
their text, with the same seeds, judged alike. Compare bundles side by side in one run.

    python recipes/benchmarks/bench_speech_vs_text.py --bundles outputs/demo/bundle \
        --dataset_dir outputs/demo/speech --classifier outputs/demo/attribute_classifier

The clips are the held-out voice's (`--test_speaker`) of the unseen classes (the birds' test classes), all of them
unless `--max_clips`; the judge is the attribute classifier the demo's report uses. For each bundle: both colours
right (belly and wing as the sentence names them) from speech and from the spoken text at 256 px, with 95 %
intervals, over the clips whose sentence names both, and the transcripts' CER. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch
from transformers import pipeline

import s2i_hf  # noqa: F401  (registers the pipeline tasks)
from s2i_hf.data.caption_attributes import colours_named
from s2i_hf.data.ljspeech import load_ljspeech
from s2i_hf.data.synthetic.domain import class_split
from s2i_hf.metrics import load_metric
from s2i_hf.metrics.attribute_classifier import AttributeClassifier
from s2i_hf.metrics.bird_quality import wilson_interval

GROUPS = ("has_belly_color", "has_wing_color")


def both_right(judge, images, texts) -> list[bool | None]:
    """Per image: whether the judge reads both colours the text names (None when it does not name both)."""
    pixels = torch.stack([torch.from_numpy(np.asarray(im.convert("RGB"), np.float32)).permute(2, 0, 1)
                          for im in images]) / 127.5 - 1
    predicted = judge.predict(pixels)
    out = []
    for k, text in enumerate(texts):
        named = colours_named(text)
        out.append(all(judge.config.attributes[g][int(predicted[g][k])] in named[g] for g in GROUPS)
                   if all(g in named for g in GROUPS) else None)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundles", nargs="+", required=True)
    parser.add_argument("--dataset_dir", required=True, help="the demo's speech corpus (LJSpeech format)")
    parser.add_argument("--classifier", required=True, help="attribute classifier (the demo's report judge)")
    parser.add_argument("--test_speaker", default="en-us+f4")
    parser.add_argument("--max_clips", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    judge = AttributeClassifier.from_pretrained(args.classifier)
    test_classes = set(class_split()[1])
    clips = load_ljspeech(args.dataset_dir, test_speaker=args.test_speaker)["test"]
    clips = clips.filter(lambda row: row["class_id"] in test_classes)
    if args.max_clips:
        clips = clips.select(range(min(args.max_clips, len(clips))))
    if len(clips) == 0:
        raise SystemExit(f"--dataset_dir {args.dataset_dir}: no clips of {args.test_speaker} of unseen classes")
    refs = clips["normalized_text"]
    result = {"dataset_dir": args.dataset_dir, "clips": len(clips), "bundles": {}}
    for bundle in args.bundles:
        speech_pipe = pipeline("speech-to-image", model=bundle)
        text_pipe = pipeline("text-to-image", model=bundle)
        heard, from_speech, from_text = [], [], []
        for i, row in enumerate(clips):
            out = speech_pipe(row["audio"]["path"], seed=args.seed + i)
            heard.append(out["text"])
            from_speech.append(out["images"][0])
            from_text.append(text_pipe(row["normalized_text"], seed=args.seed + i)["images"][0])
        speech_right, text_right = both_right(judge, from_speech, refs), both_right(judge, from_text, refs)
        kept = [k for k, r in enumerate(speech_right) if r is not None]
        n, s, t = len(kept), sum(speech_right[k] for k in kept), sum(text_right[k] for k in kept)
        result["bundles"][bundle] = {
            "clips_naming_both": n,
            "both_right_from_speech": round(s / n, 4), "from_speech_interval_95": wilson_interval(s, n),
            "both_right_from_spoken_text": round(t / n, 4), "from_text_interval_95": wilson_interval(t, n),
            "transcript_cer": round(load_metric("cer").compute(predictions=heard, references=refs), 4),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
