"""Configuration of the attribute classifier: a small CNN that reads CUB colour groups from a bird image."""

from __future__ import annotations

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig


@strict
class AttributeClassifierConfig(PreTrainedConfig):
    r"""
    attributes (`dict[str, list[str]]`): CUB attribute group -> its values, in logit order.
    width (`int`, defaults to 32): channels of the first conv; doubled twice.
    image_size (`int`, defaults to 64): input size; other sizes are resized to it by `predict`.
    """

    model_type = "s2i_attribute_classifier"
    attributes: dict[str, list[str]] | None = None
    width: int = 32
    image_size: int = 64
