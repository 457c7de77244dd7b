"""Score a trained StackGAN generator (either stage) on the test classes of a CUB folder, as JSON.

    python recipes/evaluate_stackgan.py --model outputs/stage1 --dataset_dir outputs/birds \
        --classifier outputs/attribute_classifier

Works on the synthetic corpus and on a real CUB folder alike: the judge (an attribute classifier) is trained on the
real train images with their labels from CUB's attribute files, per configured colour group (`--attributes
has_belly_color has_wing_color`), and each caption's asked-for colours are read by the caption parser. A folder
without attribute files can be scored with a judge trained elsewhere (`--classifier DIR`); without one, the
attribute figures are reported as not computed, with the reason.

Prints one JSON object: attribute accuracy per group, and for all groups at once with a 95 % interval, of generated
images against the colours their captions ask for, of the real test images (the ceiling) and of images made from
shuffled captions (chance); for a Stage II, the same for the 64 px drafts it refined in the same pass
(`stage1_drafts_generated`); how often the generated images show a training class's colours instead of the unseen
combination asked for (`train_class_rate`); the accuracy on training-class captions (`train_classes_generated`: the
gap to the test classes is what the generator failed to compose); the Fréchet distance and Inception-style score in
the classifier's feature space; and with `--checkpoints` the same accuracy for every checkpoint-<step>/generator_ema,
with its training minutes (the learning curve). Writes a sample grid next to the model (Stage I: a row of real test
images, then rows of generated ones from test captions). The classifier is trained on the real train-class images
the first time (about a minute) and kept in --classifier.

Inception Score and FID in the standard Inception space need the Inception weights, which cannot be downloaded
here; they are reported as not computed rather than replaced silently.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import torch
from diffusers.utils import make_image_grid
from diffusers.utils.pil_utils import pt_to_pil
from transformers import AutoModel

import s2i_hf  # noqa: F401  (registers the StackGAN models with AutoModel)
from s2i_hf.data.cub import load_cub
from s2i_hf.data.cub_attributes import attribute_files, has_attribute_files
from s2i_hf.metrics.attribute_classifier import AttributeClassifier, real_images
from s2i_hf.metrics.bird_quality import fit_judge, score_generator, train_combinations
from s2i_hf.training.arguments import parse_args
from s2i_hf.training.checkpoints import checkpoint_step, complete_checkpoints
from s2i_hf.training.text_encoder import embed_split_captions

logger = logging.getLogger(__name__)


@dataclass
class EvaluationArguments:
    model: str = field(default=None, metadata={"help": "a trained generator folder (train_stackgan.py output)"})
    dataset_dir: str = field(default=None, metadata={"help": "CUB folder (CUB_200_2011/, train/, test/, text_c10/)"})
    classifier: str | None = field(default=None, metadata={"help": "attribute classifier folder: loaded, or trained and saved"})
    attributes: list[str] = field(default_factory=lambda: ["has_belly_color", "has_wing_color"], metadata={
        "help": "CUB colour groups to judge"})
    text_encoder: str | None = field(default=None, metadata={
        "help": "embed the captions with this trained text encoder, as the pipeline does (default: the dataset's "
                "embeddings); needed for a generator trained with --text_encoder"})
    max_images: int | None = field(default=None, metadata={"help": "score at most this many test captions"})
    checkpoints: bool = field(default=False, metadata={"help": "also score every checkpoint (the learning curve)"})
    condition_noise_scale: float | None = field(default=None, metadata={
        "help": "draw with this much of the conditioning noise, 0 (its mean) to 1 (as in training), instead of the "
                "model's config.condition_noise_scale"})
    seed: int = 0


def load_or_train_classifier(args, train) -> AttributeClassifier | None:
    if args.classifier and (Path(args.classifier) / "config.json").is_file():
        classifier = AttributeClassifier.from_pretrained(args.classifier).eval()
        if list(classifier.config.attributes) != list(args.attributes):
            raise SystemExit(f"{args.classifier} judges {list(classifier.config.attributes)}, not --attributes "
                             f"{args.attributes}; pass another --classifier folder")
        return classifier
    if not has_attribute_files(args.dataset_dir):
        return None
    logger.info("training the attribute classifier on the real train-class images")
    classifier = fit_judge(args.dataset_dir, args.attributes, seed=args.seed, train=train)
    if args.classifier:
        classifier.save_pretrained(args.classifier)
    return classifier


def main(argv=None):
    # 1. Arguments, data, the judge
    (args,) = parse_args((EvaluationArguments,), argv, description=__doc__)
    if args.model is None or args.dataset_dir is None:
        raise SystemExit("--model and --dataset_dir are required")
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    test = load_cub(args.dataset_dir, "test", attributes=False)
    train = load_cub(args.dataset_dir, "train")  # with CUB's labels where the folder has them
    generator = AutoModel.from_pretrained(args.model)
    if args.condition_noise_scale is not None:
        generator.config.condition_noise_scale = args.condition_noise_scale
    if getattr(generator.config, "text_embeddings_from_encoder", False) and not args.text_encoder:
        raise SystemExit(f"{args.model} was trained on a text encoder's embeddings: pass it as --text_encoder")
    classifier = load_or_train_classifier(args, train)
    if args.text_encoder:
        test = embed_split_captions(test, args.text_encoder)
        train = embed_split_captions(train, args.text_encoder)
    stage = 2 if hasattr(generator, "stage1") else 1
    result = {"model": args.model, "stage": stage, "text_encoder": args.text_encoder,
              "condition_noise_scale": generator.config.condition_noise_scale, "inception_score": None, "fid_inception": None,
        "inception_note": "not computed: the Inception weights are not available offline"}
    if classifier is None:
        names, labels = attribute_files(Path(args.dataset_dir))
        result["attribute_note"] = (
            f"not computed: {args.dataset_dir} has no CUB attribute files ({labels if names else 'attributes.txt'} "
            "missing), so no attribute classifier can be trained; pass --classifier with one trained on a folder "
            "that has them")
        print(json.dumps(result))
        (Path(args.model) / "evaluation.json").write_text(json.dumps(result, indent=2))
        return result

    # 2. The final generator, on the unseen test classes and, for the generalization gap, on the training classes
    train_classes = (train_combinations(args.dataset_dir, train, args.attributes)
                     if "attribute_present" in train.column_names else None)
    scores, images = score_generator(generator, test, classifier, seed=args.seed, max_images=args.max_images,
                                     train_classes=train_classes)
    seen, _ = score_generator(generator, train.shuffle(seed=args.seed), classifier, seed=args.seed,
                              max_images=args.max_images)
    result.update({**scores, "train_classes_generated": seen["generated"]})

    # 3. The learning curve over the kept checkpoints
    if args.checkpoints:
        curve = []
        for folder in complete_checkpoints(args.model):
            ema = folder / "generator_ema"
            progress = folder / "progress.json"
            if not ema.is_dir():
                continue
            minutes = json.loads(progress.read_text())["train_minutes"] if progress.is_file() else None
            checkpoint = AutoModel.from_pretrained(ema)
            checkpoint.config.condition_noise_scale = generator.config.condition_noise_scale
            step_scores, _ = score_generator(checkpoint, test, classifier, seed=args.seed, max_images=args.max_images)
            curve.append({"step": checkpoint_step(folder), "train_minutes": minutes, **step_scores["generated"]})
        result["curve"] = curve

    # 4. Sample grid: a row of real test images (Stage I), then rows of images generated from test captions
    columns = min(8, len(images))
    real = real_images(test.select(range(columns)))
    grid_images = [real] if images.shape[-1] == 64 else []
    grid = make_image_grid(pt_to_pil(torch.cat([*grid_images, images[: 3 * columns]])),
                           rows=len(grid_images) + min(3, len(images) // columns), cols=columns)
    grid_path = Path(args.model) / "evaluation_samples.png"
    grid.save(grid_path)
    result["sample_grid"] = str(grid_path)
    (Path(args.model) / "evaluation.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
