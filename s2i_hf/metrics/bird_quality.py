"""How well generated birds follow their captions, judged by the attribute classifier.

For each test image (an unseen class) the first of its captions that names a colour for every judged CUB group
(belly and wing by default) is embedded, one image is generated from it, and the classifier's reading is right
when it is a colour the caption names for that group. The same classifier on the real test images gives the
ceiling; captions shuffled across images give chance.
"""

from __future__ import annotations

import math
import random

import numpy as np
import torch

from ..data.caption_attributes import colours_named
from ..data.caption_recoloring import colours_used, random_permutation, recolor
from ..data.cub import load_cub
from ..data.cub_attributes import CUBAttributes
from ..models.stackgan.candidates import choose_noise
from .attribute_classifier import AttributeClassifier, real_images, train_attribute_classifier
from .image_metrics import frechet_distance, inception_score


def captions_naming(split, groups: list[str]) -> list[tuple[int, int]]:
    """(image index, caption index) of the first caption of each image that names a colour for every group."""
    chosen = []
    for i, captions in enumerate(split["captions"]):
        for c, caption in enumerate(captions):
            if all(g in colours_named(caption) for g in groups):
                chosen.append((i, c))
                break
    return chosen


def wilson_interval(successes: float, n: int, z: float = 1.96) -> list[float]:
    """95 % Wilson score interval of a proportion."""
    if n == 0:
        return [0.0, 1.0]
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)]


def pil_to_pixels(images) -> torch.Tensor:
    """PIL images as the judge's input: (n, 3, H, W) in [-1, 1], at their own size (the judge resizes them as
    evaluate_stackgan.py has it do, antialiased bilinear)."""
    return torch.stack([torch.from_numpy(np.asarray(im.convert("RGB"), np.float32)).permute(2, 0, 1)
                        for im in images]) / 127.5 - 1


def all_right(predicted: dict, wanted: list[dict], groups: list[str], values: dict) -> list[bool]:
    """Per caption that names every group (in order, the others skipped): is every group's predicted colour one the
    caption names for it?"""
    return [all(values[g][int(predicted[g][k])] in named[g] for g in groups)
            for k, named in enumerate(wanted) if all(g in named for g in groups)]


def accuracy_against_captions(predicted: dict, wanted: list[dict], groups: list[str], values: dict) -> dict:
    """Per group the share of images whose predicted colour is one the caption names for it (over the captions
    that name the group), and `all_accuracy` over captions naming every group, with its 95 % interval."""
    result, every = {}, all_right(predicted, wanted, groups, values)
    for g in groups:
        right = [values[g][int(predicted[g][k])] in named[g] for k, named in enumerate(wanted) if g in named]
        result[f"{g}_accuracy"] = sum(right) / len(right) if right else None
    result["all_accuracy"] = sum(every) / len(every) if every else None
    result["all_accuracy_interval"] = wilson_interval(sum(every), len(every))
    return result


def fit_judge(dataset_dir, groups: list[str], seed: int = 0, train=None) -> AttributeClassifier:
    """Train the attribute classifier on the real train images of a CUB folder, labelled by its attribute files
    (`train`: its train split, when the caller has loaded it already)."""
    train = train if train is not None else load_cub(dataset_dir, "train", attributes=True)
    values, targets = CUBAttributes.from_folder(dataset_dir).group_targets(
        np.asarray(train["attribute_present"]), np.asarray(train["attribute_certainty"]), groups)
    return train_attribute_classifier(train, values, targets, seed=seed)


def train_combinations(dataset_dir, train, groups: list[str]) -> set[tuple]:
    """The colour combinations of the training classes: per class, each group's most often marked value (the
    class-level majority vote that denoises CUB's crowd labels)."""
    values, targets = CUBAttributes.from_folder(dataset_dir).group_targets(
        np.asarray(train["attribute_present"]), np.asarray(train["attribute_certainty"]), groups)
    class_ids = np.asarray(train["class_id"])
    combos = set()
    for cid in np.unique(class_ids):
        summed = targets[class_ids == cid].sum(0)
        offset, read = 0, {}
        for g, group_values in values.items():  # the targets' order (sorted), not necessarily `groups`'
            read[g] = group_values[int(summed[offset:offset + len(group_values)].argmax())]
            offset += len(group_values)
        combos.add(tuple(read[g] for g in groups))
    return combos


def validation_captions(train, groups: list[str], train_classes: set[tuple], n: int = 400,
                        seed: int = 0) -> list[str]:
    """`n` training captions with their colour words exchanged into a combination of `groups`' colours that no
    training class shows (`train_classes`, as `train_combinations` reads them), one colour named per group: what the
    unseen test classes ask for, built from the training split alone. The stream ("validation", `seed`) is not the
    one training recolours with, so the texts are new to the generator. Fewer than `n` where the split has fewer."""
    rng = random.Random(f"validation-{seed}")
    captions = train["captions"]
    colours = colours_used(c for image_captions in captions for c in image_captions)
    order = [(i, c) for i, image_captions in enumerate(captions) for c in range(len(image_captions))]
    rng.shuffle(order)
    chosen = []
    for i, c in order:
        caption = recolor(captions[i][c], random_permutation(colours, rng))
        named = colours_named(caption)
        if all(len(named.get(g, [])) == 1 for g in groups) and tuple(named[g][0] for g in groups) not in train_classes:
            chosen.append(caption)
            if len(chosen) == n:
                break
    return chosen


@torch.no_grad()
def generate(generator, text_embeds: torch.Tensor, seed: int = 0, batch_size: int = 64,
             return_drafts: bool = False, critic=None, wanted: list[dict] | None = None, num_candidates: int = 1):
    """Images in [-1, 1] from a StackGAN generator, with one seeded noise stream, in batches; with
    `return_drafts`, also the Stage-I drafts a Stage II refined in the same pass (None for Stage I). With a
    `critic` and `num_candidates` above 1, each image from the best of that many noises for the colours `wanted`
    (one {group: [colours]} per embedding), as the speech-to-image bundle draws (`choose_noise`; where the model's
    `config.condition_noise_scale` samples the conditioning, each candidate with its own draw of it)."""
    if num_candidates > 1 and (critic is None or wanted is None or len(wanted) != len(text_embeds)):
        raise ValueError(f"num_candidates={num_candidates} needs a critic and the colours wanted for each embedding")
    generator.eval()
    stage1 = generator.stage1 if hasattr(generator, "stage1") else generator
    rng = torch.Generator().manual_seed(seed)
    images, drafts = [], []
    if critic is not None:
        critic.eval()
    scale = generator.config.condition_noise_scale  # the model's own, in eval mode (Stage I's draft follows it)
    for start, chunk in zip(range(0, len(text_embeds), batch_size), torch.split(text_embeds, batch_size)):
        noise = torch.randn(len(chunk), num_candidates, generator.config.noise_dim, generator=rng)
        condition_noise = (torch.randn(len(chunk), num_candidates, stage1.config.condition_dim, generator=rng)
                           if num_candidates > 1 and scale > 0 else None)
        noise, condition_noise = choose_noise(stage1, critic, chunk.to(generator.device), noise,
                                              wanted[start:start + len(chunk)] if wanted else [], condition_noise,
                                              scale)
        out = generator(chunk.to(generator.device), noise=noise.to(generator.device), generator=rng,
                        condition_noise_scale=scale, condition_noise=condition_noise)
        images.append(out.images.float().cpu())
        if out.stage1_images is not None:
            drafts.append(out.stage1_images.float().cpu())
    images = torch.cat(images)
    return (images, torch.cat(drafts) if drafts else None) if return_drafts else images


def _train_class_rate(predicted: dict, values: dict, groups: list[str], train_classes: set[tuple]) -> float:
    """Share of images whose combination of colours, as the classifier reads it, is a training class's."""
    read = zip(*(predicted[g].tolist() for g in groups))
    combinations = [tuple(values[g][i] for g, i in zip(groups, row)) for row in read]
    return sum(c in train_classes for c in combinations) / len(combinations)


def score_generator(generator, test_split, classifier: AttributeClassifier, seed: int = 0,
                    max_images: int | None = None, train_classes: set[tuple] | None = None, critic=None,
                    num_candidates: int = 1) -> dict:
    """Attribute accuracy of generated, real and shuffled-caption images, and the Fréchet distance and
    Inception-style score in the classifier's space. Returns the figures, the generated images and, for a Stage II,
    the Stage-I drafts it refined (None for a Stage I), for judges that read them too. `critic` and
    `num_candidates`: each image from the best of that many noises, as `generate` draws them.

    For a Stage II, `stage1_drafts_generated` scores the Stage-I drafts it refined in the same pass.
    `train_classes`, the attribute combinations of the training classes: also report how often the generated
    and the real images show one of them although the caption asks for an unseen one (a generator that falls back
    on the classes it was trained on, instead of composing the colours it is asked for)."""
    groups = list(classifier.config.attributes)
    pairs = captions_naming(test_split, groups)[:max_images]
    if len(pairs) < 2:
        raise ValueError(f"only {len(pairs)} test captions name a colour for each of {groups}; need at least 2")
    images_idx = [i for i, _ in pairs]
    embeddings = torch.from_numpy(np.stack([test_split[i]["embeddings"][c] for i, c in pairs]).astype(np.float32))
    values = classifier.config.attributes
    wanted = [colours_named(test_split[i]["captions"][c]) for i, c in pairs]
    real = real_images(test_split.select(images_idx))
    real_pred = classifier.predict(real)
    choice = {"critic": critic, "num_candidates": num_candidates}
    fake, drafts = generate(generator, embeddings, seed, return_drafts=True, wanted=wanted, **choice)
    fake_pred = classifier.predict(fake)
    shuffled = torch.roll(torch.arange(len(pairs)), 1)
    shuffled_pred = classifier.predict(generate(generator, embeddings[shuffled], seed,
                                                wanted=[wanted[i] for i in shuffled], **choice))
    train_class_rate = {}
    if train_classes is not None:
        train_class_rate = {
            "train_class_rate": {"generated": _train_class_rate(fake_pred, values, groups, train_classes),
                                 "real": _train_class_rate(real_pred, values, groups, train_classes)}}
    joint = lambda p: (p[f"{groups[0]}_probabilities"][:, :, None] * p[f"{groups[-1]}_probabilities"][:, None, :]).flatten(1)  # noqa: E731
    return {
        "num_images": len(pairs),
        "generated": accuracy_against_captions(fake_pred, wanted, groups, values),
        "real": accuracy_against_captions(real_pred, wanted, groups, values),
        "shuffled_captions": accuracy_against_captions(shuffled_pred, wanted, groups, values),
        # Stage II: the very drafts it refined (same captions, same noise), so that the two are paired
        **({"stage1_drafts_generated": accuracy_against_captions(classifier.predict(drafts), wanted, groups, values)}
           if drafts is not None else {}),
        "fid_attribute_classifier": frechet_distance(real_pred["features"], fake_pred["features"]),
        "attribute_score_generated": inception_score(joint(fake_pred), splits=min(10, len(pairs) // 2))[0],
        "attribute_score_real": inception_score(joint(real_pred), splits=min(10, len(pairs) // 2))[0],
        **train_class_rate,
    }, fake, drafts
