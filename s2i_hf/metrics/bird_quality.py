"""How well generated synthetic birds follow their captions, judged by the attribute classifier.

For each test image (an unseen class) the first of its captions that names both belly and wing colour is embedded,
one image is generated from it, and the classifier's reading is compared with the colours the caption asks for.
The same classifier on the real test images gives the ceiling; captions shuffled across images give chance.
"""

from __future__ import annotations

import torch

from ..data.synthetic.domain import attributes_named
from .attribute_classifier import AttributeClassifier, real_images
from .image_metrics import frechet_distance, inception_score


def captions_naming(split, attributes: list[str]) -> list[tuple[int, int]]:
    """(image index, caption index) of the first caption of each image that names every one of `attributes`."""
    chosen = []
    for i, captions in enumerate(split["captions"]):
        for c, caption in enumerate(captions):
            if all(a in attributes_named(caption) for a in attributes):
                chosen.append((i, c))
                break
    return chosen


def _accuracy(predicted: dict, wanted: dict, attributes: list[str]) -> dict:
    right = {a: predicted[a] == wanted[a] for a in attributes}
    result = {f"{a}_accuracy": float(right[a].float().mean()) for a in attributes}
    result["all_accuracy"] = float(torch.stack(list(right.values())).all(0).float().mean())
    return result


@torch.no_grad()
def generate(generator, text_embeds: torch.Tensor, seed: int = 0, batch_size: int = 64) -> torch.Tensor:
    """Images in [-1, 1] from a StackGAN generator, with one seeded noise stream, in batches."""
    generator.eval()
    rng = torch.Generator().manual_seed(seed)
    images = []
    for chunk in torch.split(text_embeds, batch_size):
        noise = torch.randn(len(chunk), generator.config.noise_dim, generator=rng)
        images.append(generator(chunk.to(generator.device), noise=noise.to(generator.device),
                                generator=rng).images.float().cpu())
    return torch.cat(images)


def _train_class_rate(predicted: dict, values: dict, attributes: list[str], train_classes: set[tuple]) -> float:
    """Share of images whose combination of attribute values, as the classifier reads it, is a training class."""
    read = zip(*(predicted[a].tolist() for a in attributes))
    combinations = [tuple(values[a][i] for a, i in zip(attributes, row)) for row in read]
    return sum(c in train_classes for c in combinations) / len(combinations)


def score_generator(generator, test_split, classifier: AttributeClassifier, seed: int = 0,
                    max_images: int | None = None, train_classes: set[tuple] | None = None) -> dict:
    """Attribute accuracy of generated, real and shuffled-caption images, and the Fréchet distance and
    Inception-style score in the classifier's space. Returns the figures and the generated images.

    `train_classes`, the attribute combinations of the training classes: also report how often the generated
    and the real images show one of them although the caption asks for an unseen one (a generator that falls back
    on the classes it was trained on, instead of composing the colours it is asked for)."""
    attributes = list(classifier.config.attributes)
    pairs = captions_naming(test_split, attributes)[:max_images]
    if len(pairs) < 2:
        raise ValueError(f"only {len(pairs)} test captions name all of {attributes}; need at least 2")
    images_idx = [i for i, _ in pairs]
    embeddings = torch.tensor([test_split[i]["embeddings"][c] for i, c in pairs])
    values = classifier.config.attributes
    def index(attribute, value):  # a value the classifier never learnt counts as wrong
        return values[attribute].index(value) if value in values[attribute] else -1

    wanted = {a: torch.tensor([index(a, attributes_named(test_split[i]["captions"][c])[a]) for i, c in pairs])
              for a in attributes}
    real = real_images(test_split.select(images_idx))
    real_pred = classifier.predict(real)
    fake = generate(generator, embeddings, seed)
    fake_pred = classifier.predict(fake)
    shuffled = torch.roll(torch.arange(len(pairs)), 1)
    shuffled_pred = classifier.predict(generate(generator, embeddings[shuffled], seed))
    train_class_rate = {}
    if train_classes is not None:
        train_class_rate = {
            "train_class_rate": {"generated": _train_class_rate(fake_pred, values, attributes, train_classes),
                                 "real": _train_class_rate(real_pred, values, attributes, train_classes)}}
    joint = lambda p: (p[f"{attributes[0]}_probabilities"][:, :, None] * p[f"{attributes[-1]}_probabilities"][:, None, :]).flatten(1)  # noqa: E731
    return {
        "num_images": len(pairs),
        "generated": _accuracy(fake_pred, wanted, attributes),
        "real": _accuracy(real_pred, wanted, attributes),
        "shuffled_captions": _accuracy(shuffled_pred, wanted, attributes),
        "fid_attribute_classifier": frechet_distance(real_pred["features"], fake_pred["features"]),
        "attribute_score_generated": inception_score(joint(fake_pred), splits=min(10, len(pairs) // 2))[0],
        "attribute_score_real": inception_score(joint(real_pred), splits=min(10, len(pairs) // 2))[0],
        **train_class_rate,
    }, fake
