"""What does choosing among drafts buy, and what does it cost? The unseen-class test captions through a bundle's
text-to-image pipeline with 1, 4, 8 and 16 candidate drafts per image (`num_candidates`), side by side, same seeds,
each drafted at every conditioning noise scale asked (`--condition_noise_scales 0 1`: the mean, or sampled, each
candidate with its own draw; default: the bundle's own).

    python recipes/train_judges.py --dataset_dir outputs/demo/birds --output_dir outputs/judges_seed1 --seed 1
    python recipes/benchmarks/bench_candidates.py --bundle outputs/demo/bundle --dataset_dir outputs/demo/birds \
        --classifiers outputs/demo/attribute_classifier outputs/judges_seed1/attribute_classifier

The critic that chooses (the bundle's: Stage I's discriminator, or an attribute classifier trained with another
seed than the judges) is not the judge; a second judge, trained with yet another seed, shows whether the gain is in
the images or in one judge's weights. For each K: both colours right at 256 px by
each judge, with its 95 % interval (and each judge on the real renders of the same captions: its ceiling), and the
median (p90) milliseconds of one 256 px image, batch 1, one thread (the first caption, repeated). Realism and
variety of the same choice: `recipes/evaluate_stackgan.py --critic STAGE1/discriminator --num_candidates K`.
Prints JSON.
"""

from __future__ import annotations

import json

import numpy as np
import torch
from transformers import pipeline

import s2i_hf  # noqa: F401  (registers the pipeline tasks)
from s2i_hf import benchmarking
from s2i_hf.data.caption_attributes import colours_named
from s2i_hf.data.cub import load_cub
from s2i_hf.metrics.attribute_classifier import AttributeClassifier, real_images
from s2i_hf.metrics.bird_quality import accuracy_against_captions, captions_naming, pil_to_pixels

GROUPS = ["has_belly_color", "has_wing_color"]


def both_right(judge: AttributeClassifier, images: torch.Tensor, wanted: list[dict]) -> dict:
    scores = accuracy_against_captions(judge.predict(images), wanted, GROUPS, judge.config.attributes)
    return {"both": round(scores["all_accuracy"], 4), "interval_95": scores["all_accuracy_interval"]}


def main(argv=None):
    parser = benchmarking.parser(__doc__)
    parser.add_argument("--bundle", required=True, help="a speech-to-image bundle built with --critic")
    parser.add_argument("--dataset_dir", required=True, help="the CUB folder whose test captions are drawn")
    parser.add_argument("--classifiers", nargs="+", required=True,
                        help="attribute classifiers (recipes/train_judges.py), each a judge of the colours")
    parser.add_argument("--candidates", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--max_images", type=int, default=400)
    parser.add_argument("--latency_images", type=int, default=30)
    parser.add_argument("--condition_noise_scales", type=float, nargs="+", default=[None],
                        help="conditioning noise scales to draft at, 0 (the mean) to 1 (default: the bundle's)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    draw = pipeline("text-to-image", model=args.bundle)
    if draw.model.critic is None and max(args.candidates) > 1:
        raise SystemExit(f"--bundle {args.bundle}: built without --critic, it cannot choose among drafts")
    judges = {path: AttributeClassifier.from_pretrained(path).eval() for path in args.classifiers}
    test = load_cub(args.dataset_dir, "test", attributes=False)
    pairs = captions_naming(test, GROUPS)[: args.max_images]
    captions = [test[i]["captions"][c] for i, c in pairs]
    wanted = [colours_named(c) for c in captions]
    real = real_images(test.select([i for i, _ in pairs]), size=256)
    result = {"bundle": args.bundle, "captions": len(captions),
              "real_renders": {path: both_right(judge, real, wanted) for path, judge in judges.items()}, "rows": []}
    for scale in args.condition_noise_scales:
        for k in args.candidates:
            options = {"num_candidates": k, "condition_noise_scale": scale}
            images = pil_to_pixels([draw(c, seed=i, **options)["images"][0] for i, c in enumerate(captions)])
            seconds = benchmarking.timed(lambda: draw(captions[0], seed=0, **options), args.latency_images)
            result["rows"].append({
                **options, "judges": {path: both_right(judge, images, wanted) for path, judge in judges.items()},
                "ms_per_image_median": round(1000 * float(np.median(seconds)), 1),
                "ms_per_image_p90": round(1000 * float(np.percentile(seconds, 90)), 1)})
            print(json.dumps(result["rows"][-1]), flush=True)
    benchmarking.emit(result)


if __name__ == "__main__":
    main()
