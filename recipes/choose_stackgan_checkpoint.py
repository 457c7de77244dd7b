"""Choose a trained Stage I among its checkpoints by how often it draws the colours asked for, on validation captions
of the training classes, and write the chosen one as a model folder.

    python recipes/choose_stackgan_checkpoint.py --model outputs/stage1 --dataset_dir outputs/birds \
        --text_encoder outputs/text_encoder --judge outputs/choice_judge --output_dir outputs/stage1_chosen

A GAN's generator wanders between checkpoints: on the demo's Stage I, how often both named colours are drawn moves by
0.05-0.1 between checkpoints 500 steps apart, and the last one is the best in only some runs. This picks, among the
complete checkpoints from --from_step on, the one whose EMA generator draws best:
- on validation captions: training captions with their colour words exchanged into a combination no training class
  shows (`bird_quality.validation_captions`), which is what the unseen test classes ask for, built from the training
  split alone (the test split is never read);
- as read by a judge trained on the real train renders only (--judge: loaded, or trained with --judge_seed and
  saved); the demo trains one with another seed than its report's judge, so that the choice is not fitted to the
  judge that later scores it;
- each image the best of --num_candidates noises as that checkpoint's own discriminator reads them, as a bundle
  built with it draws (`--critic`);
- an earlier checkpoint replaces the last only where it draws better by more than --min_gain_z standard errors of
  the paired difference (the same captions, the same noises): two judges trained with different seeds disagree on
  generated birds by a few hundredths, and the last checkpoint stays unless the evidence is clear.

Writes --output_dir as a Stage-I folder (the generator in save_pretrained form, its discriminator/ beside it, for
Stage II's --stage1_model and build_pipeline.py's --critic) with checkpoint_choice.json, the score of every
candidate. The folder is written aside and renamed when whole. Prints the choice as JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
from pathlib import Path

import torch
from transformers import AutoModel

import s2i_hf  # noqa: F401  (registers the StackGAN models with AutoModel)
from s2i_hf.data.caption_attributes import colours_named
from s2i_hf.data.cub import load_cub
from s2i_hf.data.cub_attributes import attribute_files, has_attribute_files
from s2i_hf.metrics.attribute_classifier import AttributeClassifier
from s2i_hf.metrics.bird_quality import (
    accuracy_against_captions,
    all_right,
    fit_judge,
    generate,
    train_combinations,
    validation_captions,
)
from s2i_hf.training.checkpoints import checkpoint_step, complete_checkpoints
from s2i_hf.training.text_encoder import embed_caption_lists

logger = logging.getLogger(__name__)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="a Stage-I output folder of train_stackgan.py, with checkpoints")
    parser.add_argument("--dataset_dir", required=True, help="its CUB folder, with CUB's attribute files")
    parser.add_argument("--text_encoder", required=True, help="the text encoder the Stage I was trained on")
    parser.add_argument("--judge", required=True, help="attribute classifier folder: loaded, or trained and saved")
    parser.add_argument("--judge_seed", type=int, default=1, help="seed of a judge trained here")
    parser.add_argument("--output_dir", required=True)
    parser.add_argument("--from_step", type=int, default=0, help="the earliest checkpoint to consider")
    parser.add_argument("--num_candidates", type=int, default=8, help="noises per image for the critic to choose among")
    parser.add_argument("--num_captions", type=int, default=1200)
    parser.add_argument("--min_gain_z", type=float, default=2.0, help="how many standard errors of the paired "
                        "difference an earlier checkpoint must draw better by to replace the last")
    parser.add_argument("--attributes", nargs="+", default=["has_belly_color", "has_wing_color"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for name in ("num_candidates", "num_captions"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} ({getattr(args, name)}) must be at least 1")
    if args.from_step < 0 or args.min_gain_z < 0:
        parser.error(f"--from_step ({args.from_step}) and --min_gain_z ({args.min_gain_z}) must be >= 0")
    return args


def generator_folder(checkpoint: Path) -> Path:
    """A checkpoint's generator: its EMA weights where kept."""
    return checkpoint / "generator_ema" if (checkpoint / "generator_ema").is_dir() else checkpoint / "generator"


def candidates(model: str, from_step: int) -> list[Path]:
    """The complete checkpoints from `from_step` on that hold a generator."""
    found = [c for c in complete_checkpoints(model)
             if checkpoint_step(c) >= from_step and generator_folder(c).is_dir()]
    if not found:
        raise SystemExit(f"--model {model}: no complete checkpoint-<step> with a generator from step {from_step} on "
                         "(train_stackgan.py writes them every --checkpointing_steps)")
    return found


def load_judge(args, train) -> AttributeClassifier:
    folder = Path(args.judge)
    if (folder / "config.json").is_file():
        judge = AttributeClassifier.from_pretrained(folder).eval()
        if list(judge.config.attributes) != list(args.attributes):
            raise SystemExit(f"--judge {folder} reads {list(judge.config.attributes)}, not --attributes "
                             f"{args.attributes}")
        return judge
    logger.info("training the choice's judge (seed %d) on the real train renders", args.judge_seed)
    judge = fit_judge(args.dataset_dir, args.attributes, seed=args.judge_seed, train=train)
    judge.save_pretrained(folder)
    return judge


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    if not has_attribute_files(args.dataset_dir):
        names, labels = attribute_files(Path(args.dataset_dir))
        raise SystemExit(f"--dataset_dir {args.dataset_dir}: the choice's judge learns from CUB's attribute files, "
                         f"but {labels if names else Path(args.dataset_dir) / 'attributes.txt'} is missing")
    found = candidates(args.model, args.from_step)
    train = load_cub(args.dataset_dir, "train", attributes=True)
    judge = load_judge(args, train)
    groups, values = list(args.attributes), judge.config.attributes
    captions = validation_captions(train, groups, train_combinations(args.dataset_dir, train, groups),
                                   args.num_captions, args.seed)
    if len(captions) < 2:
        raise SystemExit(f"--dataset_dir {args.dataset_dir}: only {len(captions)} training captions could be recoloured "
                         f"into a combination of {groups} that no training class shows")
    embeds = torch.from_numpy(embed_caption_lists([[c] for c in captions], args.text_encoder)[:, 0])
    wanted = [colours_named(c) for c in captions]

    # Score every candidate on the same captions and noises
    scores, right = [], []
    for folder in found:
        generator = AutoModel.from_pretrained(generator_folder(folder))
        critic = AutoModel.from_pretrained(folder / "discriminator").eval() if args.num_candidates > 1 else None
        images = generate(generator, embeds, args.seed, critic=critic, wanted=wanted,
                          num_candidates=args.num_candidates)
        predicted = judge.predict(images)
        right.append(torch.tensor(all_right(predicted, wanted, groups, values), dtype=torch.float64))
        accuracy = accuracy_against_captions(predicted, wanted, groups, values)
        scores.append({"checkpoint": folder.name, "step": checkpoint_step(folder), **accuracy})
    for k, score in enumerate(scores):  # each against the last, caption by caption
        gain = right[k] - right[-1]
        score["gain_over_last"] = round(gain.mean().item(), 4)
        score["gain_z"] = round(gain.mean().item() / max(gain.std().item() / len(gain) ** 0.5, 1e-12), 2) if k < len(
            scores) - 1 else 0.0
        logger.info("%s: both colours right %.3f (%+.3f over the last, z %.1f)", score["checkpoint"],
                    score["all_accuracy"], score["gain_over_last"], score["gain_z"])
    clear = [k for k in range(len(scores)) if k == len(scores) - 1 or scores[k]["gain_z"] > args.min_gain_z]
    best = max(clear, key=lambda k: (scores[k]["all_accuracy"], scores[k]["step"]))

    # Write the chosen generator and its discriminator aside, then rename: a half-written choice is never taken
    out = Path(args.output_dir)
    staging = out.with_name(f"{out.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    chosen = found[best]
    shutil.copytree(generator_folder(chosen), staging)
    shutil.copytree(chosen / "discriminator", staging / "discriminator")
    report = {"model": str(args.model), "chosen": chosen.name, "step": scores[best]["step"],
              "num_captions": len(captions), "num_candidates": args.num_candidates, "judge": str(args.judge),
              "min_gain_z": args.min_gain_z,
              "scores": scores, "last_checkpoint_score": scores[-1]["all_accuracy"]}
    (staging / "checkpoint_choice.json").write_text(json.dumps(report, indent=2))
    if out.exists():
        shutil.rmtree(out)
    os.replace(staging, out)
    print(json.dumps({k: v for k, v in report.items() if k != "scores"}))
    return report


if __name__ == "__main__":
    main()
