"""The diffusers text-to-image pipeline around the StackGAN generators."""

import numpy as np
import pytest
import torch

from s2i_hf import StackGANPipeline
from s2i_hf.models.stackgan import StackGANConfig, StackGANStage1Generator, StackGANStage2Generator

TINY = dict(text_embedding_dim=32, condition_dim=8, noise_dim=10, generator_width=16, discriminator_width=4)


@pytest.fixture(scope="module")
def stage2_pipeline():
    torch.manual_seed(0)
    return StackGANPipeline(generator=StackGANStage2Generator(StackGANConfig(**TINY)))


def test_embeddings_become_pil_images_of_both_sizes(stage2_pipeline):
    embeds = torch.randn(2, 32)
    out = stage2_pipeline(prompt_embeds=embeds, num_images_per_prompt=3, generator=torch.Generator().manual_seed(0))
    assert len(out.images) == 6 and out.images[0].size == (256, 256) and out.images[0].mode == "RGB"
    drafts = stage2_pipeline(prompt_embeds=embeds, height=64, output_type="np").images
    assert drafts.shape == (2, 64, 64, 3) and 0.0 <= drafts.min() and drafts.max() <= 1.0
    with pytest.raises(ValueError, match=r"height=128 .* \(64, 256\)"):
        stage2_pipeline(prompt_embeds=embeds, height=128)


def test_a_seeded_generator_repeats_images(stage2_pipeline):
    embeds = torch.randn(1, 32)
    a = stage2_pipeline(prompt_embeds=embeds, generator=torch.Generator().manual_seed(3), output_type="pt").images
    b = stage2_pipeline(prompt_embeds=embeds, generator=torch.Generator().manual_seed(3), output_type="pt").images
    c = stage2_pipeline(prompt_embeds=embeds, generator=torch.Generator().manual_seed(4), output_type="pt").images
    assert torch.equal(a, b) and not torch.allclose(a, c)


def test_save_and_load_round_trip(stage2_pipeline, tmp_path):
    stage2_pipeline.save_pretrained(tmp_path)
    again = StackGANPipeline.from_pretrained(tmp_path)
    assert isinstance(again.generator, StackGANStage2Generator)
    embeds = torch.randn(2, 32)
    kwargs = dict(prompt_embeds=embeds, output_type="np")
    np.testing.assert_allclose(again(**kwargs, generator=torch.Generator().manual_seed(1)).images,
                               stage2_pipeline(**kwargs, generator=torch.Generator().manual_seed(1)).images, atol=1e-6)


def test_stage1_pipeline_makes_64_pixel_images_only():
    pipe = StackGANPipeline(generator=StackGANStage1Generator(StackGANConfig(**TINY)))
    assert pipe(prompt_embeds=torch.randn(32)).images[0].size == (64, 64)
    with pytest.raises(ValueError, match="makes \\(64,\\)"):
        pipe(prompt_embeds=torch.randn(1, 32), height=256)
