"""The attribute classifier: a small CNN that reads CUB colour groups (belly and wing colour by default) from a 64 x 64
image. It learns from real renders only (s2i_hf/metrics/attribute_classifier.py trains it): the judge of generated
birds, and a bundle's critic that chooses among drafts the one showing the colours named.

This file imports only torch and transformers: a bundle whose critic is a classifier carries a copy for
`trust_remote_code=True`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel
from transformers.utils import ModelOutput

from .configuration_attribute_classifier import AttributeClassifierConfig


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, sizes: list[int]) -> torch.Tensor:
    """Mean over groups of the cross-entropy against soft targets; `logits` and `targets` hold one block per group.
    Each row's target is normalised over its group (CUB marks a part with one colour, several, or none); rows whose
    block is all zero have no target there and are left out."""
    losses = []
    for block, target in zip(torch.split(logits.float(), sizes, dim=1), torch.split(targets.float(), sizes, dim=1)):
        mass = target.sum(1)
        keep = mass > 0
        if keep.any():
            p = target[keep] / mass[keep, None]
            losses.append(-(p * block[keep].log_softmax(1)).sum(1).mean())
    return torch.stack(losses).mean() if losses else logits.sum() * 0.0


@dataclass
class AttributeClassifierOutput(ModelOutput):
    logits: torch.FloatTensor | None = None  # one block per attribute, concatenated
    features: torch.FloatTensor | None = None  # (batch, 4 * width * 4 * 4)
    loss: torch.FloatTensor | None = None


class AttributeClassifier(PreTrainedModel):
    config_class = AttributeClassifierConfig
    main_input_name = "pixel_values"

    def __init__(self, config: AttributeClassifierConfig):
        super().__init__(config)
        w = config.width

        def block(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(True),
                                 nn.MaxPool2d(2))

        self.encoder = nn.Sequential(block(3, w), block(w, 2 * w), block(2 * w, 4 * w), block(4 * w, 4 * w))
        # the 4 x 4 map is flattened, not averaged: where a colour is (belly: the large central region, wing: over
        # it) is what tells the attributes apart
        self.heads = nn.Linear(4 * w * 16, sum(len(v) for v in config.attributes.values()))
        self.post_init()

    @property
    def sizes(self) -> list[int]:
        return [len(v) for v in self.config.attributes.values()]

    def forward(self, pixel_values: torch.Tensor, labels: torch.Tensor | None = None) -> AttributeClassifierOutput:
        """`pixel_values` in [-1, 1], (batch, 3, image_size, image_size); `labels`: soft targets, (batch, sum of
        the groups' values), one block per group (see `soft_cross_entropy`)."""
        features = self.encoder(pixel_values).flatten(1)
        logits = self.heads(features)
        loss = soft_cross_entropy(logits, labels, self.sizes) if labels is not None else None
        return AttributeClassifierOutput(logits=logits, features=features, loss=loss)

    def resize_input(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """Images of any square size at `image_size` (antialiased bilinear), as the classifier reads every image."""
        if pixel_values.shape[-1] == self.config.image_size:
            return pixel_values
        return F.interpolate(pixel_values.float(), size=self.config.image_size, mode="bilinear", antialias=True,
                             align_corners=False)

    @torch.no_grad()
    def predict(self, pixel_values: torch.Tensor, batch_size: int = 256) -> dict:
        """Per attribute the predicted value index and the probabilities, plus the pooled features, for images in
        [-1, 1] of any square size (resized to `image_size`, as the metric sees every image at one size)."""
        self.eval()
        outputs = []
        for chunk in torch.split(pixel_values.float(), batch_size):
            outputs.append(self(self.resize_input(chunk).to(self.device)))
        logits = torch.cat([o.logits for o in outputs]).cpu()
        result = {"features": torch.cat([o.features for o in outputs]).cpu()}
        for name, block in zip(self.config.attributes, torch.split(logits, self.sizes, dim=1)):
            result[name] = block.argmax(1)
            result[f"{name}_probabilities"] = block.softmax(1)
        return result
