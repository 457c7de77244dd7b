"""Does the picture follow the words however they are phrased? The same unseen-class birds asked for three ways, as
text: a CUB-style caption, a request in the shapes the speech corpus trains on, and a request in the shapes no
training corpus has (`s2i_hf/data/synthetic/requests.py`, TRAIN and UNSEEN). Compare bundles side by side in one run.

    python recipes/benchmarks/bench_phrasing.py --bundles outputs/demo/bundle \
        --classifier outputs/demo/attribute_classifier --birds 400

No ASR: the sentences go straight to the bundle's text-to-image pipeline, so this isolates what the text encoder
and StackGAN make of the phrasing (`bench_speech_vs_text.py` adds the ASR). The birds are drawn from the domain's
test classes (colour combinations no training image has) with a fixed seed; each image is judged by the attribute
classifier the demo's report uses, against the bird's own belly and wing colours (every sentence names both: the
captions are drawn until they do, the requests always do).
For each bundle and phrasing: both colours right with its 95 % interval, and belly and wing alone. Prints JSON.
"""

from __future__ import annotations

import random

from transformers import pipeline

from s2i_hf import benchmarking
import s2i_hf  # noqa: F401  (registers the pipeline tasks)
from s2i_hf.data.caption_attributes import colours_named
from s2i_hf.data.synthetic import domain, requests
from s2i_hf.metrics.attribute_classifier import AttributeClassifier
from s2i_hf.metrics.bird_quality import accuracy_against_captions, pil_to_pixels

GROUPS = ["has_belly_color", "has_wing_color"]


def caption_naming_both(bird: domain.Bird, rng: random.Random) -> str:
    """A CUB-style caption of `bird` that names its belly and its wing colours (many captions name one part only)."""
    while True:
        text = domain.caption(bird, rng)
        if all(g in colours_named(text) for g in GROUPS):
            return text


def sentences(n: int, seed: int) -> tuple[list[dict], dict[str, list[str]]]:
    """`n` test-class birds' wanted colours, and per phrasing one sentence about each."""
    rng = random.Random(f"phrasing-{seed}")
    birds = [domain.sample_bird(rng, domain.class_split()[1]) for _ in range(n)]
    wanted = [{g: [domain.cub_colours(bird)[g]] for g in GROUPS} for bird in birds]
    texts = {"caption": [caption_naming_both(bird, rng) for bird in birds],
             "request_training_shapes": [requests.request(bird, rng, requests.TRAIN)[1] for bird in birds],
             "request_unseen_shapes": [requests.request(bird, rng, requests.UNSEEN)[1] for bird in birds]}
    return wanted, texts


def main(argv=None):
    parser = benchmarking.parser(__doc__)
    parser.add_argument("--bundles", nargs="+", required=True)
    parser.add_argument("--classifier", required=True, help="attribute classifier (the demo's report judge)")
    parser.add_argument("--birds", type=int, default=400, help="unseen-class birds, each asked for three ways")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    judge = AttributeClassifier.from_pretrained(args.classifier)
    wanted, texts = sentences(args.birds, args.seed)
    result = {"birds": args.birds, "examples": {kind: batch[:3] for kind, batch in texts.items()}, "bundles": {}}
    for bundle in args.bundles:
        draw = pipeline("text-to-image", model=bundle)
        figures = {}
        for kind, batch in texts.items():
            images = [draw(text, seed=args.seed + i)["images"][0] for i, text in enumerate(batch)]
            scored = accuracy_against_captions(judge.predict(pil_to_pixels(images)), wanted, GROUPS,
                                               judge.config.attributes)
            figures[kind] = {"both_right": round(scored["all_accuracy"], 4),
                             "both_right_interval_95": scored["all_accuracy_interval"],
                             **{g.removeprefix("has_").removesuffix("_color"): round(scored[f"{g}_accuracy"], 4)
                                for g in GROUPS}}
        result["bundles"][bundle] = figures
    benchmarking.emit(result)


if __name__ == "__main__":
    main()
