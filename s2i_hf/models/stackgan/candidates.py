"""Choosing among drafts: for each image, draw several 64 x 64 drafts from as many noises and keep the noise whose
draft a critic reads as most likely to show the colours the text names. DALL-E re-ranks its samples with CLIP
(Ramesh et al. 2021); here the reader is either the Stage-I discriminator's attribute head (AC-GAN's classifier,
trained on the real renders' labels, but also the discriminator the generator was trained to satisfy) or an
attribute classifier trained on the real renders alone (s2i_hf/models/attribute_classifier/), which the generator
never met, and the colours come from the text itself.

This file imports only torch: a speech-to-image bundle carries a copy for `trust_remote_code=True`.
"""

from __future__ import annotations

import torch


def is_attribute_classifier(critic) -> bool:
    """An attribute classifier (s2i_hf/models/attribute_classifier/), not a Stage-I discriminator."""
    return getattr(critic.config, "model_type", None) == "s2i_attribute_classifier"


def reads_colours(critic) -> bool:
    """Whether `critic` can choose among drafts: an attribute classifier with groups, or a Stage-I discriminator
    with an attribute head (trained with auxiliary_attributes)."""
    if is_attribute_classifier(critic):
        return bool(critic.config.attributes)
    return getattr(critic, "attribute_head", None) is not None and hasattr(critic, "encode_image")


def critic_groups(critic) -> dict[str, list[str]]:
    """The colour groups a critic reads, {group: values in logit order}."""
    return critic.config.attributes if is_attribute_classifier(critic) else critic.config.auxiliary_attributes or {}


def read_colours(critic, images: torch.Tensor) -> torch.Tensor:
    """A critic's colour logits for `images` in [-1, 1], (n, sum of its groups' sizes): a Stage-I discriminator's
    attribute head on its image code, or an attribute classifier (at its own image size)."""
    if not reads_colours(critic):
        raise ValueError(f"critic {type(critic).__name__}: choosing among drafts needs a critic that reads colours, "
                         "a Stage-I discriminator trained with auxiliary_attributes or an attribute classifier")
    if is_attribute_classifier(critic):
        return critic(critic.resize_input(images).to(critic.dtype)).logits
    return critic.attribute_head(critic.encode_image(images.to(critic.dtype)))


def colour_log_likelihood(attribute_logits: torch.Tensor, attribute_values: dict[str, list[str]],
                          wanted: list[dict[str, list[str]]]) -> torch.Tensor:
    """(n,) for n images: the sum, over the attribute groups the image's text names, of the log-probability of the
    likeliest colour it names for the group (`wanted[i]`: {group: [colours]}, as `colours_named` returns it).
    Groups the reader does not know and colours outside its values are skipped; a text that names none scores 0.
    `attribute_logits`: (n, sum of the groups' sizes), one block per group in `attribute_values`' order."""
    if attribute_logits.shape[0] != len(wanted):
        raise ValueError(f"{attribute_logits.shape[0]} images but {len(wanted)} texts' colours")
    scores = torch.zeros(len(wanted))
    offset = 0
    for group, values in attribute_values.items():
        log_probs = attribute_logits[:, offset:offset + len(values)].float().log_softmax(-1).cpu()
        offset += len(values)
        for i, named in enumerate(wanted):
            known = [values.index(c) for c in named.get(group, []) if c in values]
            if known:
                scores[i] += log_probs[i, known].max()
    return scores


@torch.no_grad()
def choose_noise(stage1, critic, text_embeds: torch.Tensor, noise: torch.Tensor,
                 wanted: list[dict[str, list[str]]], condition_noise: torch.Tensor | None = None,
                 condition_noise_scale: float = 0.0) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The candidate, among `noise` (n, k, noise_dim), whose Stage-I draft of `text_embeds` (n, dim) the critic
    reads as best showing `wanted[i]`'s colours: (its noise (n, noise_dim), its conditioning noise (n, condition_dim)
    or None). Without `condition_noise` the drafts are drawn at the conditioning's mean (the image that follows the
    text most closely); with it, (n, k, condition_dim) N(0, 1) draws, each candidate's conditioning is sampled at
    `condition_noise_scale` (more varied drafts), so that the chosen draft is the image then drawn from the pair.
    k at a time for all n; images whose text names no colour the critic knows keep their first candidate; with
    k = 1, the one candidate each (`critic` and `wanted` unused)."""
    n, k, _ = noise.shape
    if condition_noise is not None and condition_noise.shape[:2] != (n, k):
        raise ValueError(f"condition_noise has shape {tuple(condition_noise.shape)}, but noise has {n} x {k} candidates")

    def pick(index: torch.Tensor):
        return noise[torch.arange(n), index], None if condition_noise is None else condition_noise[torch.arange(n), index]

    first = torch.zeros(n, dtype=torch.long)
    if k == 1:  # nothing to choose: no critic or colours needed
        return pick(first)
    if critic is None:
        raise ValueError("choosing among drafts needs a critic: a Stage-I discriminator with an attribute head, or "
                         "an attribute classifier")
    groups = critic_groups(critic)
    if not any(any(g in named for g in groups) for named in wanted):
        return pick(first)
    embeds = text_embeds.repeat_interleave(k, dim=0)
    # any conditioning noise left to draw comes from a stream of its own, so the caller's stays as it was
    spare = torch.Generator(embeds.device).manual_seed(0)
    drafts = stage1(embeds, noise=noise.flatten(0, 1).to(embeds.device, embeds.dtype), generator=spare,
                    condition_noise_scale=0.0 if condition_noise is None else condition_noise_scale,
                    condition_noise=None if condition_noise is None else condition_noise.flatten(0, 1)).images
    scores = colour_log_likelihood(read_colours(critic, drafts), groups, [w for w in wanted for _ in range(k)])
    return pick(scores.view(n, k).argmax(dim=1))


__all__ = ["choose_noise", "colour_log_likelihood", "critic_groups", "is_attribute_classifier", "read_colours",
           "reads_colours"]
