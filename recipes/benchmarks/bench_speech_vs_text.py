"""What the ASR's slips cost the picture: the same sentences drawn from their speech (through the ASR) and from
their text, with the same seeds, judged alike. Compare bundles side by side in one run.

    python recipes/benchmarks/bench_speech_vs_text.py --bundles outputs/demo/bundle \
        --dataset_dir outputs/demo/speech --classifier outputs/demo/attribute_classifier

The clips are the held-out voice's (`--test_speaker`) of the unseen classes (the birds' test classes), all of them
unless `--max_clips`; with `--whole`, every clip of a test corpus (the demo's `speech_unseen_*` sets: voices,
engines and sentence shapes training never heard). A request is scored against the colours its speaker asked for
(its bird's class, synthesis.csv), a caption against those it names. The judge is the attribute classifier the demo's report uses. For each bundle: both colours
right (belly and wing as the sentence names them) from speech and from the spoken text at 256 px, with 95 %
intervals, over the clips whose sentence names both, and the transcripts' CER; the same per kind of sentence
(`by_phrasing`: captions, requests, ... as the corpus's synthesis.csv records them). Prints one JSON object.
"""

from __future__ import annotations

from transformers import pipeline

from s2i_hf import benchmarking
import s2i_hf  # noqa: F401  (registers the pipeline tasks)
from s2i_hf.data.caption_attributes import colours_named
from s2i_hf.data.ljspeech import load_ljspeech, read_synthesis
from s2i_hf.data.synthetic.domain import class_split
from s2i_hf.demo_report import requested_colours
from s2i_hf.metrics import load_metric
from s2i_hf.metrics.attribute_classifier import AttributeClassifier
from s2i_hf.metrics.bird_quality import accuracy_against_captions, pil_to_pixels

GROUPS = ["has_belly_color", "has_wing_color"]


def main(argv=None):
    parser = benchmarking.parser(__doc__)
    parser.add_argument("--bundles", nargs="+", required=True)
    parser.add_argument("--dataset_dir", required=True, help="the demo's speech corpus (LJSpeech format)")
    parser.add_argument("--classifier", required=True, help="attribute classifier (the demo's report judge)")
    parser.add_argument("--test_speaker", default="en-us+f4")
    parser.add_argument("--whole", action="store_true", help="every clip of --dataset_dir (a test corpus)")
    parser.add_argument("--max_clips", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    judge = AttributeClassifier.from_pretrained(args.classifier)
    test_classes = set(class_split()[1])
    if args.whole:
        clips = load_ljspeech(args.dataset_dir, validation_fraction=0.0, test_fraction=1.0)["test"]
    else:
        clips = load_ljspeech(args.dataset_dir, test_speaker=args.test_speaker)["test"]
        clips = clips.filter(lambda row: row["class_id"] in test_classes)
    if args.max_clips:
        clips = clips.select(range(min(args.max_clips, len(clips))))
    if len(clips) == 0:
        raise SystemExit(f"--dataset_dir {args.dataset_dir}: no clips of {args.test_speaker} of unseen classes")
    recorded = read_synthesis(args.dataset_dir)
    meant = requested_colours(recorded, clips["id"])
    wanted = [m or colours_named(text) for m, text in zip(meant, clips["normalized_text"])]
    naming_both = sum(all(g in named for g in GROUPS) for named in wanted)
    if naming_both == 0:
        raise SystemExit(f"--dataset_dir {args.dataset_dir}: none of the {len(clips)} clips names both colours")
    kinds = [recorded.get(clip, {}).get("phrasing", "caption") for clip in clips["id"]]
    result = {"dataset_dir": args.dataset_dir, "clips": len(clips), "clips_naming_both": naming_both, "bundles": {}}
    for bundle in args.bundles:
        speech_pipe = pipeline("speech-to-image", model=bundle)
        text_pipe = pipeline("text-to-image", model=bundle)
        heard, from_speech, from_text = [], [], []
        for i, row in enumerate(clips):
            out = speech_pipe(row["audio"]["path"], seed=args.seed + i)
            heard.append(out["text"])
            from_speech.append(out["images"][0])
            from_text.append(text_pipe(row["normalized_text"], seed=args.seed + i)["images"][0])
        figures, by_phrasing = {}, {}
        for source, images in (("speech", from_speech), ("spoken_text", from_text)):
            predicted = judge.predict(pil_to_pixels(images))
            scored = accuracy_against_captions(predicted, wanted, GROUPS, judge.config.attributes)
            figures[f"both_right_from_{source}"] = round(scored["all_accuracy"], 4)
            figures[f"from_{source}_interval_95"] = scored["all_accuracy_interval"]
            for kind in sorted(set(kinds)):
                keep = [k for k, name in enumerate(kinds) if name == kind and all(g in wanted[k] for g in GROUPS)]
                if keep:
                    part = accuracy_against_captions({key: value[keep] for key, value in predicted.items()},
                                                     [wanted[k] for k in keep], GROUPS, judge.config.attributes)
                    by_phrasing.setdefault(kind, {"clips_naming_both": len(keep)})[f"both_right_from_{source}"] = \
                        round(part["all_accuracy"], 4)
        figures["by_phrasing"] = by_phrasing
        figures["transcript_cer"] = round(load_metric("cer").compute(predictions=heard,
                                                                      references=clips["normalized_text"]), 4)
        result["bundles"][bundle] = figures
    benchmarking.emit(result)


if __name__ == "__main__":
    main()
