"""What the StackGAN recipe needs besides the models: its training data and its losses.

The losses are the reference's (hanzhanggit/StackGAN-Pytorch `code/miscc/utils.py`), on logits:
- discriminator, Stage I: real + (fake + wrong) / 2; Stage II: (real + real_uncond) / 2 + (fake + wrong +
  fake_uncond) / 3, where "wrong" pairs real images with the caption of an image of another class;
- generator: fake judged real (+ the unconditional term in Stage II) + kl_weight * KL(N(mu, sigma) || N(0, I)).
Options not in the reference: with `config.auxiliary_attributes` (CUB attribute groups such as
`has_belly_color`) the discriminator also classifies the real image's attribute labels from CUB's files, and the
generator is asked to make the colours its caption names recognisable (AC-GAN); with `interpolation_weight` the
generator also learns from the mean of two captions' embeddings (GAN-INT, Reed et al. 2016, the paper of the
char-CNN-RNN embeddings), asked for the colours either caption names, optionally pairing captions that name
complementary groups; with `recolored_weight` it also learns from training captions whose colour words were exchanged
(`data/caption_recoloring.py`), embedded by the text encoder, asked for the colours they now name; with
`draft_consistency_weight` Stage II's image, averaged down to 64 x 64, is held to the
Stage-I draft it refines, so that it sharpens the draft instead of redrawing it; with `pair_weight` the
discriminator also judges pairs (two renders of one class against two draws of one caption from two noises), so
that a generator ignoring its noise is seen (PacGAN's packing within a condition, Lin et al. 2018).

Attribute targets are soft: one block per group, a weight per value (CUB's certainty for real images, the colours
the caption names for the generator), normalised in the loss; a block of zeros has no target.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from ..data.caption_attributes import colours_named
from ..data.cub import StackGANImageTransform, crop_to_bbox
from ..metrics.attribute_classifier import soft_cross_entropy as attribute_loss


def caption_targets(captions: list[str], attribute_values: dict[str, list[str]]) -> np.ndarray:
    """Per caption, the soft attribute target it asks for: 1 for each colour it names for a group (in
    `attribute_values` order), 0 elsewhere; (captions, sum of values) float32."""
    sizes = [len(v) for v in attribute_values.values()]
    targets = np.zeros((len(captions), sum(sizes)), np.float32)
    for row, caption in enumerate(captions):
        named = colours_named(caption)
        offset = 0
        for group, values in attribute_values.items():
            for colour in named.get(group, []):
                if colour in values:
                    targets[row, offset + values.index(colour)] = 1.0
            offset += len(values)
    return targets


class StackGANTrainingData(torch.utils.data.Dataset):
    """A `load_cub` split as StackGAN's training samples: `pixel_values` (random crop and flip in [-1, 1]),
    `text_embeds` (the mean of `captions_per_sample` of the image's caption embeddings, drawn at random),
    `class_id`, and with `attribute_values` ({CUB group: values}) the soft targets `attribute_targets` (the
    image's labels, `real_attribute_targets` rows from `CUBAttributes.group_targets`) and
    `caption_attribute_targets` (the colours the drawn captions name).

    The random choices come from (seed, epoch, index), so a resumed run sees exactly the samples it would have seen.
    `preload=True` keeps every image cropped to the box and resized in memory as uint8 (76 x 76 x 3 bytes each for
    Stage I): JPEG decoding then happens once, not every epoch.

    `recolored_captions` (per image, captions with their colours exchanged) and their `recolored_embeddings`
    (images x captions x dim) add `recolored_embeds` and `recolored_attribute_targets` (one such caption drawn at
    random, and the colours it names).

    `class_mates=True` adds `mate_pixel_values`: another image of the same class, drawn at random (the image
    itself, cropped and flipped anew, where its class has no other), the real half of the pair discriminator's
    pairs.
    """

    def __init__(self, dataset, image_size: int, seed: int = 0, captions_per_sample: int = 1,
                 attribute_values: dict[str, list[str]] | None = None,
                 real_attribute_targets: np.ndarray | None = None, preload: bool = True,
                 recolored_captions: list[list[str]] | None = None, recolored_embeddings: np.ndarray | None = None,
                 class_mates: bool = False):
        self.dataset = dataset
        self.transform = StackGANImageTransform(image_size, train=True)
        self.seed, self.epoch = seed, 0
        self.captions_per_sample = captions_per_sample
        self.attribute_values = attribute_values or {}
        if self.attribute_values and (real_attribute_targets is None or len(real_attribute_targets) != len(dataset)):
            raise ValueError("attribute_values needs real_attribute_targets, one row per image")
        self.embeddings = dataset.with_format("numpy")["embeddings"][:].astype(np.float32)  # not via Python lists
        self.bboxes, self.class_ids = dataset["bbox"], dataset["class_id"]
        self.mates = None
        if class_mates:
            members: dict[int, list[int]] = {}
            for i, c in enumerate(self.class_ids):
                members.setdefault(c, []).append(i)
            self.mates = [[j for j in members[c] if j != i] or [i] for i, c in enumerate(self.class_ids)]
        self.images = [self._load(i) for i in range(len(dataset))] if preload else None
        if self.attribute_values:
            self.real_targets = torch.from_numpy(np.asarray(real_attribute_targets, np.float32))
            self.caption_targets = [torch.from_numpy(caption_targets(c, self.attribute_values))
                                    for c in dataset["captions"]]
        self.recolored_embeddings = recolored_embeddings
        if recolored_embeddings is not None:
            if not self.attribute_values or recolored_captions is None or len(recolored_embeddings) != len(dataset):
                raise ValueError("recolored_embeddings need attribute_values and recolored_captions, one row per image")
            self.recolored_targets = [torch.from_numpy(caption_targets(c, self.attribute_values))
                                      for c in recolored_captions]

    def _load(self, index: int) -> Image.Image:
        path = self.dataset[index]["image"]["path"]
        with Image.open(path) as image:
            size = self.transform.load_size
            return crop_to_bbox(image.convert("RGB"), self.bboxes[index]).resize((size, size), Image.BILINEAR)

    def set_epoch(self, epoch: int):
        self.epoch = epoch

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index: int) -> dict:
        rng = random.Random(f"{self.seed}-{self.epoch}-{index}")
        image = self.images[index] if self.images is not None else self._load(index)
        self.transform.rng = rng
        pixels = self.transform.random_crop_and_flip(image)
        chosen = rng.sample(range(len(self.embeddings[index])), self.captions_per_sample)
        item = {
            "pixel_values": torch.from_numpy(pixels),
            "text_embeds": torch.from_numpy(self.embeddings[index][chosen].mean(axis=0)),
            "class_id": self.class_ids[index],
        }
        if self.attribute_values:
            item["attribute_targets"] = self.real_targets[index]
            item["caption_attribute_targets"] = self.caption_targets[index][chosen].amax(0)  # what any names
        if self.recolored_embeddings is not None:
            pick = rng.randrange(len(self.recolored_embeddings[index]))
            item["recolored_embeds"] = torch.from_numpy(self.recolored_embeddings[index][pick])
            item["recolored_attribute_targets"] = self.recolored_targets[index][pick]
        if self.mates is not None:  # drawn last, so that the other draws are those of a run without pairs
            mate = rng.choice(self.mates[index])
            image = self.images[mate] if self.images is not None else self._load(mate)
            item["mate_pixel_values"] = torch.from_numpy(self.transform.random_crop_and_flip(image))
        return item


def wrong_pair_index(class_ids: torch.Tensor) -> torch.Tensor:
    """For each sample, the index of a sample of another class in the batch (the nearest one after it, cyclically),
    as the TF original checks; the PyTorch port only shifts the batch by one, which can pair two of one class.
    Where the whole batch is one class, the shift by one is used."""
    n = len(class_ids)
    index = torch.roll(torch.arange(n, device=class_ids.device), -1)
    unresolved = class_ids[index] == class_ids
    for shift in range(2, n):
        if not unresolved.any():
            break
        candidate = torch.roll(torch.arange(n, device=class_ids.device), -shift)
        take = unresolved & (class_ids[candidate] != class_ids)
        index = torch.where(take, candidate, index)
        unresolved &= ~take
    return index


def named_groups(targets: torch.Tensor, attribute_sizes: list[int]) -> torch.Tensor:
    """(batch, groups) bool: which groups a soft-target row has a target for."""
    return torch.stack([block.sum(1) > 0 for block in torch.split(targets, attribute_sizes, dim=1)], dim=1)


def complementary_pair_index(class_ids: torch.Tensor, named: torch.Tensor) -> torch.Tensor:
    """For each sample, a sample of another class whose caption names the groups this one's does not (a
    belly-only caption gets a wing-only one): the mean of the two then asks for a whole new combination. `named`:
    (batch, groups) bool. Among equally good partners the nearest after it in the batch (cyclically) is taken; a
    sample of another class is preferred over any of its own class."""
    n = len(class_ids)
    named = named.float()
    complementary = (named[:, None, :] != named[None, :, :]).float().sum(-1)  # groups exactly one names
    index = torch.arange(n, device=class_ids.device)
    after = (index[None, :] - index[:, None]) % n  # 1 for the next sample, n - 1 for the one before
    score = 4 * n * complementary - 2 * n * (class_ids[:, None] == class_ids[None, :]).float() - after
    score.fill_diagonal_(float("-inf"))
    return score.argmax(1)


def kl_loss(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp())


def merge_attribute_targets(first: torch.Tensor, second: torch.Tensor, attribute_sizes: list[int]) -> torch.Tensor:
    """The targets that the mean of two captions asks for: per group what either names, unless both name it with
    different colours (then no target)."""
    merged = []
    for a, b in zip(torch.split(first, attribute_sizes, dim=1), torch.split(second, attribute_sizes, dim=1)):
        has_a, has_b = a.sum(1, keepdim=True) > 0, b.sum(1, keepdim=True) > 0
        conflict = has_a & has_b & ((a > 0) != (b > 0)).any(1, keepdim=True)
        merged.append(torch.where(conflict, torch.zeros_like(a), torch.where(has_a, a, b)))
    return torch.cat(merged, dim=1)


def draft_consistency_loss(images: torch.Tensor, drafts: torch.Tensor) -> torch.Tensor:
    """L1 between Stage II's image averaged down to the draft's size and the Stage-I draft it refines: the
    colours and layout the draft settled stay; the detail added at 256 x 256 averages out and is free."""
    factor = images.shape[-1] // drafts.shape[-1]
    return F.l1_loss(F.avg_pool2d(images.float(), factor), drafts.float())


AUGMENTATIONS = ("translation", "cutout")


def diff_augment(images: torch.Tensor, policies: list[str], rng: torch.Generator | None = None) -> torch.Tensor:
    """DiffAugment (Zhao et al. 2020): differentiable augmentations applied to every image the discriminator sees,
    real and generated alike, so that on a few thousand images it cannot memorise the real ones and keeps teaching
    the generator. "translation": shift by up to 1/8 of the size (edges padded by replication); "cutout": a square
    of a quarter of the size set to grey (0). No colour augmentation: colour is what the caption asks for.
    Per-image draws come from `rng`, so a resumed run repeats them."""
    n, _, h, w = images.shape
    device = images.device
    for policy in policies:
        if policy == "translation":
            shift = max(1, h // 8)
            dx, dy = (torch.randint(-shift, shift + 1, (2, n), generator=rng, device=device)
                      .to(images.dtype) * 2 / torch.tensor([w, h], device=device, dtype=images.dtype)[:, None])
            theta = torch.zeros(n, 2, 3, device=device, dtype=images.dtype)
            theta[:, 0, 0] = theta[:, 1, 1] = 1
            theta[:, 0, 2], theta[:, 1, 2] = dx, dy
            grid = F.affine_grid(theta, list(images.shape), align_corners=False)
            images = F.grid_sample(images, grid, mode="nearest", padding_mode="border", align_corners=False)
        elif policy == "cutout":
            size = max(1, h // 4)
            y0, x0 = (torch.randint(0, h - size + 1, (2, n), generator=rng, device=device))
            rows = torch.arange(h, device=device)[None, :, None]
            cols = torch.arange(w, device=device)[None, None, :]
            inside = ((rows >= y0[:, None, None]) & (rows < y0[:, None, None] + size) &
                      (cols >= x0[:, None, None]) & (cols < x0[:, None, None] + size))
            images = images * (~inside)[:, None].to(images.dtype)
        else:
            raise ValueError(f"diff_augment policy {policy!r}: must be one of {AUGMENTATIONS}")
    return images


def mode_seeking_loss(images_a: torch.Tensor, images_b: torch.Tensor, noise_a: torch.Tensor,
                      noise_b: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Mode seeking (Mao et al. 2019, MSGAN): 1 / (mean |I_a - I_b| / mean |z_a - z_b|) for two images of the
    same captions from different noise. Minimising it makes the image follow the noise: a generator that ignores
    its noise (one bird per caption) pays most."""
    ratio = (images_a.float() - images_b.float()).abs().mean() / (noise_a.float() - noise_b.float()).abs().mean()
    return 1 / (ratio + eps)


def periodic_pattern_loss(images: torch.Tensor, margin: float = 1.5, neighbourhood: int = 9,
                          max_period: float = 32.0) -> torch.Tensor:
    """Narrow peaks of the images' mean power spectrum (grey, windowed: what `periodic_artefact_db` measures): at
    each frequency with a period of 2 to `max_period` pixels, how far its log power stands above the mean log power
    of the `neighbourhood` bins around it (their median, held fixed: the peak must come down, not its surroundings
    go up), beyond `margin` nats (1.5 = 6.5 dB; real renders' strongest peak is 3.5
    dB), squared and summed. A regular pattern of streaks or dots is such a peak, drawn content is not; the loss
    costs the generator the pattern directly, whatever the discriminator's strides let it see (after Durall et al.
    2020, who match the whole spectrum; here only peaks are penalized, so nothing pulls on the picture's content)."""
    from ..metrics.realism import mean_power_spectrum

    log_power = mean_power_spectrum(images).add(1e-8).log()
    size, half = log_power.shape[-1], neighbourhood // 2
    padded = F.pad(log_power.detach()[None, None], (half,) * 4, mode="reflect")[0, 0]
    local = padded.unfold(0, neighbourhood, 1).unfold(1, neighbourhood, 1).reshape(size, size, -1).median(-1).values
    freq = torch.fft.fftshift(torch.fft.fftfreq(size, device=images.device))
    band = torch.sqrt(freq[:, None] ** 2 + freq[None, :] ** 2) >= 1 / max_period
    return F.relu(log_power - local - margin).where(band, torch.zeros_like(log_power)).pow(2).sum()


def feature_matching_loss(fake_features: torch.Tensor, real_features: torch.Tensor) -> torch.Tensor:
    """Feature matching (Salimans et al. 2016): the squared distance between the discriminator's mean image code
    on generated and on real images, so the generator matches the statistics the critic looks at."""
    return (fake_features.float().mean(0) - real_features.float().mean(0)).pow(2).mean()


def _bce(logits: torch.Tensor, real: bool) -> torch.Tensor:
    logits = logits.float()
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, 1.0 if real else 0.0))


@dataclass
class StackGANLoss:
    kl_weight: float = 2.0
    attribute_weight: float = 1.0
    attribute_sizes: list[int] | None = None
    attribute_loss_on_fakes: bool = False
    interpolation_weight: float = 0.0
    complementary_interpolation: bool = False
    recolored_weight: float = 0.0
    draft_consistency_weight: float = 0.0
    mode_seeking_weight: float = 0.0
    feature_matching_weight: float = 0.0
    periodic_weight: float = 0.0
    pair_weight: float = 0.0
    pair_head_only: bool = False
    pair_attributes: bool = False
    augment: tuple[str, ...] = ()

    def discriminator(self, real_out, fake_out, attribute_targets: torch.Tensor | None = None,
                      caption_attribute_targets: torch.Tensor | None = None) -> dict:
        """`real_out`: D on real images with their condition and `wrong_condition`; `fake_out`: D on the
        generator's images (detached) with their condition. With `attribute_loss_on_fakes` D's attribute head
        also learns the attributes the fakes were asked for (the full AC-GAN objective), so its judgement of
        fakes, which is what teaches G, tracks what G draws."""
        real, wrong, fake = _bce(real_out.logits, True), _bce(real_out.wrong_logits, False), _bce(fake_out.logits, False)
        if real_out.unconditional_logits is not None:
            real_u, fake_u = _bce(real_out.unconditional_logits, True), _bce(fake_out.unconditional_logits, False)
            loss = (real + real_u) / 2 + (fake + wrong + fake_u) / 3
        else:
            loss = real + (fake + wrong) / 2
        logs = {"d_real": real, "d_wrong": wrong, "d_fake": fake}
        if real_out.attribute_logits is not None:
            logs["d_attributes"] = attribute_loss(real_out.attribute_logits, attribute_targets, self.attribute_sizes)
            attributes = logs["d_attributes"]
            if self.attribute_loss_on_fakes:
                logs["d_fake_attributes"] = attribute_loss(fake_out.attribute_logits, caption_attribute_targets,
                                                           self.attribute_sizes)
                attributes = (attributes + logs["d_fake_attributes"]) / 2
            loss = loss + self.attribute_weight * attributes
        return {"loss": loss, **logs}

    def generator(self, fake_out, mu: torch.Tensor, logvar: torch.Tensor,
                  caption_attribute_targets: torch.Tensor | None = None, images: torch.Tensor | None = None,
                  drafts: torch.Tensor | None = None) -> dict:
        adversarial = _bce(fake_out.logits, True)
        if fake_out.unconditional_logits is not None:
            adversarial = adversarial + _bce(fake_out.unconditional_logits, True)
        logs = {"g_adversarial": adversarial, "kl": kl_loss(mu.float(), logvar.float())}
        loss = adversarial + self.kl_weight * logs["kl"]
        if fake_out.attribute_logits is not None:
            logs["g_attributes"] = attribute_loss(fake_out.attribute_logits, caption_attribute_targets,
                                                  self.attribute_sizes)
            loss = loss + self.attribute_weight * logs["g_attributes"]
        if self.draft_consistency_weight and drafts is not None:
            logs["g_draft_consistency"] = draft_consistency_loss(images, drafts)
            loss = loss + self.draft_consistency_weight * logs["g_draft_consistency"]
        return {"loss": loss, **logs}

    def pairs_discriminator(self, real_pair_logits: torch.Tensor, fake_pair_logits: torch.Tensor) -> dict:
        """D learns real pairs (two renders of a class) from generated ones (one caption, two noises)."""
        real, fake = _bce(real_pair_logits, True), _bce(fake_pair_logits, False)
        return {"loss": self.pair_weight * (real + fake) / 2, "d_pair_real": real, "d_pair_fake": fake}

    def pairs_generator(self, fake_pair_logits: torch.Tensor, attribute_logits: list[torch.Tensor] = (),
                        caption_attribute_targets: torch.Tensor | None = None) -> dict:
        """G's two images of one caption must pass as two birds of a class: not copies of one. With
        `pair_attributes`, each must also show the colours its caption names (`attribute_logits`: D's attribute
        head on each image of the pairs), so that the variety the pairs ask for is not taken from the colours."""
        adversarial = _bce(fake_pair_logits, True)
        logs = {"loss": self.pair_weight * adversarial, "g_pair": adversarial}
        if self.pair_attributes and attribute_logits and caption_attribute_targets is not None:
            logs["g_pair_attributes"] = sum(attribute_loss(a, caption_attribute_targets, self.attribute_sizes)
                                            for a in attribute_logits) / len(attribute_logits)
            logs["loss"] = logs["loss"] + self.attribute_weight * logs["g_pair_attributes"]
        return logs

    def interpolated(self, fake_out, caption_attribute_targets: torch.Tensor | None = None) -> dict:
        """GAN-INT: images from the mean of two captions' embeddings must look real for that mean (and show the
        attributes the two captions name). The mean of a caption of a red-bellied bird and one of a green-winged
        bird asks for a combination the training images may not hold: this term is what teaches the generator
        to compose attributes rather than recall the training classes."""
        return self._new_combination("interpolated", self.interpolation_weight, fake_out, caption_attribute_targets)

    def recolored(self, fake_out, caption_attribute_targets: torch.Tensor | None = None) -> dict:
        """The same term for images of training captions whose colour words were exchanged."""
        return self._new_combination("recolored", self.recolored_weight, fake_out, caption_attribute_targets)

    def _new_combination(self, name: str, weight: float, fake_out, targets: torch.Tensor | None) -> dict:
        logs = {f"g_{name}": _bce(fake_out.logits, True)}
        loss = logs[f"g_{name}"]
        if fake_out.attribute_logits is not None:
            logs[f"g_{name}_attributes"] = attribute_loss(fake_out.attribute_logits, targets, self.attribute_sizes)
            loss = loss + self.attribute_weight * logs[f"g_{name}_attributes"]
        return {"loss": weight * loss, **logs}


def check_finite(losses: dict, step: int):
    """Stop at the first NaN or infinite loss, naming it and the step: a GAN that diverged does not come back."""
    for name, value in losses.items():
        if not math.isfinite(float(value)):
            raise FloatingPointError(
                f"step {step}: loss {name} is {float(value)}; stopping instead of training on it. Resume from the "
                "last checkpoint with a lower learning rate, or fp32 if this ran in bf16/fp16"
            )


def halving_schedule(steps_per_halving: int):
    """The reference's learning rate: halved every `steps_per_halving` steps (for a LambdaLR)."""
    return lambda step: 0.5 ** (step // max(1, steps_per_halving))


def unwrap(model):
    """The model inside a DDP or compiled wrapper (its config)."""
    while hasattr(model, "module") or hasattr(model, "_orig_mod"):
        model = getattr(model, "module", None) or model._orig_mod
    return model


def training_step(generator, discriminator, g_optimizer, d_optimizer, loss_fn: StackGANLoss, batch: dict,
                  noise_rng: torch.Generator | None = None, backward=torch.Tensor.backward,
                  channels_last: bool = False) -> dict[str, float]:
    """One reference StackGAN step: D on (real, matching), (real, wrong) and (fake, matching) pairs, then G.
    `backward` is `accelerator.backward` under accelerate. Returns the losses as floats."""
    pixel_values = batch["pixel_values"]
    if channels_last:
        pixel_values = pixel_values.contiguous(memory_format=torch.channels_last)
    wrong = wrong_pair_index(batch["class_id"])
    embeds = batch["text_embeds"]
    # the noise is drawn here, first from the stream as the generator itself would, so that mode seeking can
    # compare it with a second draw
    noise = torch.randn((embeds.shape[0], unwrap(generator).config.noise_dim), generator=noise_rng,
                        device=embeds.device, dtype=embeds.dtype)
    fake = generator(embeds, noise=noise, generator=noise_rng)
    mu = fake.mu.detach()  # D is conditioned on the text's mu, without training the conditioning through D
    if loss_fn.mode_seeking_weight or loss_fn.pair_weight:
        # half the batch twice more, at the conditioning's mean (as the demo draws at inference) and two noises:
        # the images must differ as the noise z does, not only as the sampled conditioning does
        half = max(1, embeds.shape[0] // 2)
        noises = torch.randn((2, half, noise.shape[1]), generator=noise_rng, device=noise.device, dtype=noise.dtype)
        pair = [generator(embeds[:half], noise=z, condition_noise_scale=0.0).images for z in noises]

    def judge(images, condition, pair_with=None, pair_head_only=False, **kwargs):  # the same augmentations for all
        if loss_fn.augment:
            images = diff_augment(images, loss_fn.augment, noise_rng)
            pair_with = diff_augment(pair_with, loss_fn.augment, noise_rng) if pair_with is not None else None
        if pair_with is not None:  # only a discriminator with a pair head takes partners
            kwargs.update(pair_with=pair_with, pair_head_only=pair_head_only)
        return discriminator(images, condition, **kwargs)

    # D's own step: with pair_head_only its pair loss trains the pair head alone
    mates = batch.get("mate_pixel_values") if loss_fn.pair_weight else None
    real_out = judge(pixel_values, mu, wrong_condition=mu[wrong], pair_with=mates,
                     pair_head_only=loss_fn.pair_head_only)
    d_losses = loss_fn.discriminator(real_out, judge(fake.images.detach(), mu), batch.get("attribute_targets"),
                                     batch.get("caption_attribute_targets"))
    if loss_fn.pair_weight:
        fake_pairs = judge(pair[0].detach(), mu[:half], pair_with=pair[1].detach(),
                           pair_head_only=loss_fn.pair_head_only).pair_logits
        term = loss_fn.pairs_discriminator(real_out.pair_logits, fake_pairs)
        d_losses["loss"] = d_losses["loss"] + term.pop("loss")
        d_losses.update(term)
    d_optimizer.zero_grad(set_to_none=True)
    backward(d_losses["loss"])
    d_optimizer.step()
    fake_out = judge(fake.images, mu)
    g_losses = loss_fn.generator(fake_out, fake.mu, fake.logvar,
                                 batch.get("caption_attribute_targets"), fake.images, fake.stage1_images)
    if loss_fn.feature_matching_weight:
        g_losses["g_feature_matching"] = feature_matching_loss(fake_out.image_features.flatten(1),
                                                               real_out.image_features.detach().flatten(1))
        g_losses["loss"] = g_losses["loss"] + loss_fn.feature_matching_weight * g_losses["g_feature_matching"]
    if loss_fn.periodic_weight:
        g_losses["g_periodic"] = periodic_pattern_loss(fake.images)
        g_losses["loss"] = g_losses["loss"] + loss_fn.periodic_weight * g_losses["g_periodic"]
    if loss_fn.mode_seeking_weight:
        g_losses["g_mode_seeking"] = mode_seeking_loss(*pair, *noises)
        g_losses["loss"] = g_losses["loss"] + loss_fn.mode_seeking_weight * g_losses["g_mode_seeking"]
    if loss_fn.pair_weight:
        first = judge(pair[0], mu[:half], pair_with=pair[1])
        attributes, targets = [], batch.get("caption_attribute_targets")
        if loss_fn.pair_attributes and first.attribute_logits is not None and targets is not None:
            attributes = [first.attribute_logits, judge(pair[1], mu[:half]).attribute_logits]
            targets = targets[:half]
        term = loss_fn.pairs_generator(first.pair_logits, attributes, targets)
        g_losses["loss"] = g_losses["loss"] + term.pop("loss")
        g_losses.update(term)
    if loss_fn.interpolation_weight:
        # the partner is of another class (as for the wrong pairs), so the mean asks for something new
        labels = batch.get("caption_attribute_targets")
        partner = wrong
        if loss_fn.complementary_interpolation:
            partner = complementary_pair_index(batch["class_id"], named_groups(labels, loss_fn.attribute_sizes))
        mixed = generator((batch["text_embeds"] + batch["text_embeds"][partner]) / 2, generator=noise_rng)
        if labels is not None:
            labels = merge_attribute_targets(labels, labels[partner], loss_fn.attribute_sizes)
        interpolated = loss_fn.interpolated(judge(mixed.images, mixed.mu.detach()), labels)
        g_losses["loss"] = g_losses["loss"] + interpolated.pop("loss")
        g_losses.update(interpolated)
    if loss_fn.recolored_weight and "recolored_embeds" in batch:
        # colours exchanged in training captions: new combinations, in the words and the space of real captions
        recolored = generator(batch["recolored_embeds"], generator=noise_rng)
        term = loss_fn.recolored(judge(recolored.images, recolored.mu.detach()),
                                 batch["recolored_attribute_targets"])
        g_losses["loss"] = g_losses["loss"] + term.pop("loss")
        g_losses.update(term)
    g_optimizer.zero_grad(set_to_none=True)
    backward(g_losses["loss"])
    g_optimizer.step()
    logs = {f"d_{k}" if k == "loss" else k: v.item() for k, v in d_losses.items()}
    logs.update({f"g_{k}" if k == "loss" else k: v.item() for k, v in g_losses.items()})
    return logs
