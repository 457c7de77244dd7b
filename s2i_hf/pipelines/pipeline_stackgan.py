"""StackGAN's text-to-image half as a diffusers `DiffusionPipeline`.

    pipe = StackGANPipeline.from_pretrained("outputs/stackgan_pipeline")
    images = pipe(prompt_embeds=embeds, num_images_per_prompt=4, generator=torch.Generator().manual_seed(0)).images

One generator component: a Stage-I generator (64 x 64) or a Stage-II generator, which holds its Stage I, so one
pipeline gives both sizes (`height=64` returns the Stage-I drafts) without storing Stage I twice. Not diffusion:
one forward pass, no scheduler; the pipeline class is borrowed for its save/load, device and progress conventions.
"""

from __future__ import annotations

import torch
from diffusers import DiffusionPipeline
from diffusers.pipelines.pipeline_utils import ImagePipelineOutput
from diffusers.utils.pil_utils import pt_to_pil

from ..models.stackgan import StackGANStage1Generator, StackGANStage2Generator


class StackGANPipeline(DiffusionPipeline):
    model_cpu_offload_seq = "generator"

    def __init__(self, generator: StackGANStage1Generator | StackGANStage2Generator):
        super().__init__()
        self.register_modules(generator=generator)

    @property
    def sizes(self) -> tuple[int, ...]:
        return (64, 256) if isinstance(self.generator, StackGANStage2Generator) else (64,)

    @torch.no_grad()
    def __call__(self, prompt_embeds: torch.Tensor, num_images_per_prompt: int = 1, height: int | None = None,
                 generator: torch.Generator | None = None, noise: torch.Tensor | None = None,
                 condition_noise_scale: float | None = None, output_type: str = "pil", return_dict: bool = True):
        """
        prompt_embeds: (batch, text_embedding_dim) caption embeddings (char-CNN-RNN space).
        height: 64 or 256 (the generator's largest by default).
        generator: a torch.Generator for repeatable images; noise: or the (batch * num_images_per_prompt,
            noise_dim) noise itself.
        condition_noise_scale: how much of the conditioning augmentation's noise to sample, 0 (its mean: the
            picture follows the text most closely) to 1 (as in training, the reference); by default the
            generator's `config.condition_noise_scale`.
        output_type: "pil", "np" (float in [0, 1], NHWC) or "pt" (float in [-1, 1], NCHW).
        """
        height = height or self.sizes[-1]
        if height not in self.sizes:
            raise ValueError(f"height={height} is not one this pipeline makes; it makes {self.sizes}")
        if prompt_embeds.ndim == 1:
            prompt_embeds = prompt_embeds[None]
        model = self.generator.stage1 if height == 64 and len(self.sizes) == 2 else self.generator
        model.eval()
        device = model.device
        embeds = prompt_embeds.to(device, model.dtype).repeat_interleave(num_images_per_prompt, dim=0)
        if noise is None:
            noise = torch.randn(len(embeds), model.config.noise_dim, generator=generator,
                                device=generator.device if generator is not None else device)
        elif noise.shape != (len(embeds), model.config.noise_dim):
            raise ValueError(f"noise has shape {tuple(noise.shape)}; expected {(len(embeds), model.config.noise_dim)}")
        # the conditioning-augmentation sample draws from the same generator, on its device, then moves over
        eps_source = generator if generator is not None and generator.device == device else None
        images = model(embeds, noise=noise.to(device, model.dtype), generator=eps_source,
                       condition_noise_scale=condition_noise_scale).images.float()
        self.maybe_free_model_hooks()
        if output_type == "pt":
            result = images
        elif output_type == "np":
            result = (images / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy()
        elif output_type == "pil":
            result = pt_to_pil(images)
        else:
            raise ValueError(f"output_type must be 'pil', 'np' or 'pt', got {output_type!r}")
        return ImagePipelineOutput(images=result) if return_dict else (result,)
