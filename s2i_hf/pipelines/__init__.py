"""Inference pipelines: the diffusers text-to-image pipeline of StackGAN (and, with the text encoder, the
speech-to-image transformers pipeline)."""

from .pipeline_stackgan import StackGANPipeline

__all__ = ["StackGANPipeline"]
