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
the classifier's feature space; realism (`realism`): in the space of a feature network trained on the real train
images (`--feature_net`), the Fréchet distance to the real test renders beside its real-vs-real floor (and, for a
Stage II, beside its drafts upsampled), a classifier two-sample test's held-out accuracy (0.5: indistinguishable)
and the strongest periodic peak of the spectrum, at 256 px and for the 64 px drafts; the diversity of 4 seeds per
caption against real renders of the class (1.0: as varied as the data), with a grid of them beside the model
(evaluation_seeds.png: a real render of each caption's class, then four seeds); and with `--checkpoints` the same accuracy for every checkpoint-<step>/generator_ema,
with its training minutes (the learning curve). Writes a sample grid next to the model: a row of real test renders, then rows
of images generated from their captions. The classifier is trained on the real train-class images
the first time (about a minute) and kept in --classifier. With `--critic STAGE1/discriminator --num_candidates K`
every image (the learning curve's aside) is drawn from the best of K noises, as a bundle built with that critic
draws it.

Inception Score and FID in the standard Inception space need the Inception weights, which cannot be downloaded
here; they are reported as not computed rather than replaced silently.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from diffusers.utils import make_image_grid
from diffusers.utils.pil_utils import pt_to_pil
from transformers import AutoModel

import s2i_hf  # noqa: F401  (registers the StackGAN models with AutoModel)
from s2i_hf.data.caption_attributes import colours_named
from s2i_hf.data.cub import load_cub
from s2i_hf.data.cub_attributes import attribute_files, has_attribute_files
from s2i_hf.metrics.attribute_classifier import AttributeClassifier, real_images
from s2i_hf.metrics.bird_quality import captions_naming, fit_judge, generate, score_generator, train_combinations
from s2i_hf.metrics.realism import (
    BirdFeatureNet,
    diversity_ratio,
    fit_feature_net,
    realism_report,
    resize,
    same_class_renders,
)
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
                "model's config.condition_noise_scale (with --critic, each candidate has its own draw of it)"})
    realism: bool = field(default=True, metadata={
        "help": "also judge realism (Fréchet distance with its floor, two-sample test, periodic artefacts) and "
                "diversity, in the space of --feature_net"})
    feature_net: str | None = field(default=None, metadata={
        "help": "the realism judge's feature network folder: loaded, or trained on the real train images and saved"})
    critic: str | None = field(default=None, metadata={
        "help": "an attribute classifier folder or Stage I's discriminator (STAGE1/discriminator): with "
                "--num_candidates above 1, each image is drawn from the best of that many noises, as the critic reads "
                "the colours the caption names (as a bundle built with --critic draws)"})
    num_candidates: int = field(default=1, metadata={"help": "noises per image for --critic to choose among"})
    diversity_captions: int = field(default=100, metadata={"help": "captions for the diversity figure (4 seeds each)"})
    seed: int = 0


def load_or_train_feature_net(args, train) -> BirdFeatureNet | None:
    if args.feature_net and (Path(args.feature_net) / "config.json").is_file():
        return BirdFeatureNet.from_pretrained(args.feature_net).eval()
    if not has_attribute_files(args.dataset_dir):
        return None
    logger.info("training the realism judge's feature network on the real train-class images")
    net = fit_feature_net(args.dataset_dir, train=train, seed=args.seed)
    if args.feature_net:
        net.save_pretrained(args.feature_net)
    return net


def realism_and_diversity(args, generator, net, test, images: torch.Tensor, drafts: torch.Tensor | None,
                          critic=None) -> dict:
    """Realism of the images drawn from the scored test captions (and, for a Stage II, of the drafts it refined in
    the same pass), and the diversity of `diversity_captions` captions over 4 seeds, against
    real renders of their classes."""
    groups = list(args.attributes)
    pairs = captions_naming(test, groups)[: args.max_images]
    embeddings = torch.from_numpy(np.stack([test[i]["embeddings"][c] for i, c in pairs]).astype(np.float32))
    real = real_images(test, size=256)
    result = {f"{images.shape[-1]}px": realism_report(net, images, real, drafts=drafts, seed=args.seed)}
    if drafts is not None:
        result["64px_drafts"] = realism_report(net, drafts, real, seed=args.seed)
    few = embeddings[: args.diversity_captions]
    wanted = [colours_named(test[i]["captions"][c]) for i, c in pairs[: len(few)]]
    per_seed = torch.stack([generate(generator, few, seed, critic=critic, wanted=wanted,
                                     num_candidates=args.num_candidates)
                            for seed in range(args.seed, args.seed + 4)], dim=1)
    rows = same_class_renders(test["class_id"], [i for i, _ in pairs[: len(few)]], 4, args.seed)
    same_class = real[torch.tensor(rows).flatten()]
    result["diversity"] = diversity_ratio(net.features(per_seed.flatten(0, 1)).view(len(few), 4, -1),
                                          net.features(same_class).view(len(few), 4, -1), seed=args.seed)
    result["diversity"]["size_px"] = images.shape[-1]
    # what the figure measures, to look at: a real render of each caption's class, then the caption's four seeds
    columns = min(8, len(few))
    shown = torch.cat([resize(real[[i for i, _ in pairs[:columns]]], images.shape[-1]),
                       per_seed[:columns].transpose(0, 1).flatten(0, 1)])
    make_image_grid(pt_to_pil(shown), rows=5, cols=columns).save(Path(args.model) / "evaluation_seeds.png")
    result["diversity"]["seed_grid"] = str(Path(args.model) / "evaluation_seeds.png")
    return result


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
    if args.num_candidates < 1 or (args.num_candidates > 1 and not args.critic):
        raise SystemExit(f"--num_candidates {args.num_candidates}: must be 1, or above 1 with --critic")
    critic = AutoModel.from_pretrained(args.critic).eval() if args.critic else None
    classifier = load_or_train_classifier(args, train)
    if args.text_encoder:
        test = embed_split_captions(test, args.text_encoder)
        train = embed_split_captions(train, args.text_encoder)
    stage = 2 if hasattr(generator, "stage1") else 1
    result = {"model": args.model, "stage": stage, "text_encoder": args.text_encoder,
              "critic": args.critic, "num_candidates": args.num_candidates,
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
    choice = {"critic": critic, "num_candidates": args.num_candidates}
    scores, images, drafts = score_generator(generator, test, classifier, seed=args.seed, max_images=args.max_images,
                                             train_classes=train_classes, **choice)
    seen, *_ = score_generator(generator, train.shuffle(seed=args.seed), classifier, seed=args.seed,
                               max_images=args.max_images, **choice)
    result.update({**scores, "train_classes_generated": seen["generated"]})
    if args.realism:
        net = load_or_train_feature_net(args, train)
        if net is not None:
            result["realism"] = realism_and_diversity(args, generator, net, test, images, drafts, critic)

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
            step_scores, *_ = score_generator(checkpoint, test, classifier, seed=args.seed, max_images=args.max_images)
            curve.append({"step": checkpoint_step(folder), "train_minutes": minutes, **step_scores["generated"]})
        result["curve"] = curve

    # 4. Sample grid: real test renders of the first scored captions' images (their classes), then rows of
    # images generated from those captions
    columns = min(8, len(images))
    shown = [i for i, _ in captions_naming(test, list(args.attributes))[:columns]]
    real = real_images(test.select(shown), size=images.shape[-1])
    grid = make_image_grid(pt_to_pil(torch.cat([real, images[: 3 * columns]])),
                           rows=1 + min(3, len(images) // columns), cols=columns)
    grid_path = Path(args.model) / "evaluation_samples.png"
    grid.save(grid_path)
    result["sample_grid"] = str(grid_path)
    (Path(args.model) / "evaluation.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
