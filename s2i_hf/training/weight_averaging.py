"""The mean of a generator's weights over its last checkpoints: the model a GAN run ends with.

A GAN's generator wanders: on the demo's Stage I, how often both named colours are drawn moves by 0.05-0.1 between
checkpoints 500 steps apart, and the last one is seldom the best. The mean of the (EMA) weights over the checkpoints
from some step on, as stochastic weight averaging takes it over the end of a run, sits in the middle of that wander:
from one noise it draws the colours asked for more often than the last checkpoint in every run measured, but it
varies its birds less with the noise, so a bundle that picks the best of 8 drafts gains less or loses
(docs/studies/stackgan-realism.md, "Choosing Stage I's checkpoint, or averaging the last ones"). Buffers are
averaged too (BatchNorm's running statistics), integer ones kept from the last update.

The running mean lives in each checkpoint folder as one safetensors file, with its count in the metadata, so that a
resumed run ends with exactly the mean an uninterrupted run would have.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from safetensors import safe_open

FILE_NAME = "generator_average.safetensors"


class WeightAverage:
    """A running mean of state dicts: `update(model.state_dict())` at each checkpoint in the window."""

    def __init__(self):
        self.mean: dict[str, torch.Tensor] | None = None
        self.count = 0

    def update(self, state_dict: dict[str, torch.Tensor]) -> None:
        current = {k: v.detach().float().cpu().clone() if v.is_floating_point() else v.detach().cpu().clone()
                   for k, v in state_dict.items()}
        self.count += 1
        if self.mean is None:
            self.mean = current
            return
        if current.keys() != self.mean.keys():
            raise ValueError("the averaged state dicts differ in their keys")
        for k, v in current.items():
            self.mean[k] = self.mean[k] + (v - self.mean[k]) / self.count if v.is_floating_point() else v

    def state_dict_like(self, reference: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The mean in the dtypes of `reference` (the model it is loaded into)."""
        if self.mean is None:
            raise ValueError("nothing has been averaged yet")
        return {k: self.mean[k].to(v.dtype) for k, v in reference.items()}

    def save(self, folder: str | Path) -> None:
        if self.mean is not None:
            tensors = {k: v.contiguous() for k, v in self.mean.items()}
            save_file(tensors, str(Path(folder) / FILE_NAME), metadata={"count": str(self.count)})

    @classmethod
    def load(cls, folder: str | Path) -> "WeightAverage":
        """The mean kept in a checkpoint folder (an empty one where the window had not begun)."""
        average, path = cls(), Path(folder) / FILE_NAME
        if path.is_file():
            with safe_open(str(path), framework="pt") as f:
                average.count = int(f.metadata()["count"])
            average.mean = load_file(str(path))
        return average
