"""StackGAN (Zhang et al. 2017) as transformers models."""

from .configuration_stackgan import StackGANConfig
from .modeling_stackgan import (
    ConditioningAugmentation,
    StackGANPreTrainedModel,
    StackGANStage1Discriminator,
    StackGANStage1Generator,
    StackGANStage2Discriminator,
    StackGANStage2Generator,
)

__all__ = [
    "ConditioningAugmentation", "StackGANConfig", "StackGANPreTrainedModel", "StackGANStage1Discriminator",
    "StackGANStage1Generator", "StackGANStage2Discriminator", "StackGANStage2Generator",
]
