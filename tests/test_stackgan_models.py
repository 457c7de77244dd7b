import pytest
import torch
from transformers import AutoConfig

import s2i_hf  # noqa: F401  (registers the config)
from s2i_hf.models.stackgan import (
    StackGANConfig,
    StackGANStage1Discriminator,
    StackGANStage1Generator,
    StackGANStage2Discriminator,
    StackGANStage2Generator,
)

TINY = dict(text_embedding_dim=32, condition_dim=8, noise_dim=10, generator_width=16, discriminator_width=4)


def _params(model):
    return sum(p.numel() for p in model.parameters())


def test_reference_sizes_match_stackgan_pytorch():
    config = StackGANConfig()
    assert (config.text_embedding_dim, config.condition_dim, config.noise_dim) == (1024, 128, 100)
    assert round(_params(StackGANStage1Generator(config)) / 1e6, 2) == 10.30
    assert round(_params(StackGANStage1Discriminator(config)) / 1e6, 2) == 5.72


def test_init_follows_the_reference_weights_init():
    d = StackGANStage1Discriminator(StackGANConfig(**TINY))
    conv = d.encode_image[1][0].weight
    bn = d.encode_image[1][1]
    assert abs(conv.std().item() - 0.02) < 0.005 and abs(conv.mean().item()) < 0.005
    assert abs(bn.weight.mean().item() - 1.0) < 0.02 and torch.all(bn.bias == 0)


def test_shapes_of_both_stages():
    config = StackGANConfig(**TINY)
    g1, d1 = StackGANStage1Generator(config).eval(), StackGANStage1Discriminator(config)
    embeds = torch.randn(3, 32)
    out = g1(embeds, generator=torch.Generator().manual_seed(0))
    assert out.images.shape == (3, 3, 64, 64) and out.mu.shape == (3, 8) and out.logvar.shape == (3, 8)
    assert out.images.abs().max() <= 1.0
    assert d1(out.images, out.mu).logits.shape == (3,)
    g2, d2 = StackGANStage2Generator(config, g1).eval(), StackGANStage2Discriminator(config)
    out2 = g2(embeds, generator=torch.Generator().manual_seed(0))
    assert out2.images.shape == (3, 3, 256, 256) and out2.stage1_images.shape == (3, 3, 64, 64)
    torch.testing.assert_close(out2.stage1_images, out.images)  # same seed: the frozen Stage I's same draft
    scores = d2(out2.images, out2.mu)
    assert scores.logits.shape == (3,) and scores.unconditional_logits.shape == (3,)


def test_seeded_generation_repeats_and_differs_across_seeds():
    g = StackGANStage1Generator(StackGANConfig(**TINY)).eval()
    embeds = torch.randn(2, 32)
    a = g(embeds, generator=torch.Generator().manual_seed(1)).images
    b = g(embeds, generator=torch.Generator().manual_seed(1)).images
    c = g(embeds, generator=torch.Generator().manual_seed(2)).images
    assert torch.equal(a, b) and not torch.allclose(a, c)


def test_stage2_keeps_stage1_frozen_and_in_eval_mode():
    config = StackGANConfig(**TINY)
    g2 = StackGANStage2Generator(config).train()
    assert not g2.stage1.training and all(not p.requires_grad for p in g2.stage1.parameters())
    g2(torch.randn(2, 32)).images.mean().backward()
    assert all(p.grad is None for p in g2.stage1.parameters())
    assert g2.to_image[0].weight.grad is not None


@pytest.mark.parametrize("cls", [StackGANStage1Generator, StackGANStage1Discriminator, StackGANStage2Generator])
def test_save_pretrained_round_trip_has_no_missing_keys(tmp_path, cls):
    model = cls(StackGANConfig(**TINY))
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").is_file()
    assert AutoConfig.from_pretrained(tmp_path).model_type == "stackgan"
    again, info = cls.from_pretrained(tmp_path, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    for (name, a), b in zip(model.state_dict().items(), again.state_dict().values()):
        assert torch.equal(a, b), name


def test_wrong_embedding_or_image_size_names_both_values():
    config = StackGANConfig(**TINY)
    with pytest.raises(ValueError, match=r"text_embeds has shape \(2, 1024\).*\(batch, 32\)"):
        StackGANStage1Generator(config)(torch.randn(2, 1024))
    with pytest.raises(ValueError, match=r"pixel_values has shape \(2, 3, 128, 128\).*\(batch, 3, 64, 64\)"):
        StackGANStage1Discriminator(config)(torch.randn(2, 3, 128, 128), torch.randn(2, 8))
    from huggingface_hub.errors import StrictDataclassClassValidationError

    with pytest.raises((ValueError, StrictDataclassClassValidationError), match=r"generator_width \(18\) must be divisible by 4"):
        StackGANConfig(generator_width=18)


def test_conditioning_options_keep_shapes_and_change_what_they_should():
    base = StackGANConfig(**TINY)
    options = StackGANConfig(**TINY, normalize_text_embeds=True, projection_discriminator=True,
                             auxiliary_attributes={"belly": ["red", "blue", "green"], "wing": ["red", "blue"]})
    torch.manual_seed(0)
    d = StackGANStage1Discriminator(options)
    images, condition = torch.randn(3, 3, 64, 64), torch.randn(3, 8)
    out = d(images, condition, wrong_condition=condition.flip(0))
    assert out.logits.shape == (3,) and out.wrong_logits.shape == (3,) and out.attribute_logits.shape == (3, 5)
    assert not torch.allclose(out.logits, out.wrong_logits)  # the condition matters to the logit
    # standardized embeddings: the scale of the caption embedding no longer changes the condition's mean
    g = StackGANStage1Generator(options).eval()
    e = torch.randn(2, 32)
    torch.testing.assert_close(g.conditioning(e).mu, g.conditioning(5 * e).mu, rtol=1e-4, atol=1e-5)
    g_ref = StackGANStage1Generator(base).eval()
    assert not torch.allclose(g_ref.conditioning(e).mu, g_ref.conditioning(5 * e).mu)
    assert StackGANStage1Discriminator(base).conditional_logits.projection is None


def test_conditional_batch_norm_lets_the_condition_act_inside_the_upsampling(tmp_path):
    config = StackGANConfig(**TINY, conditional_batch_norm=True)
    torch.manual_seed(0)
    g = StackGANStage1Generator(config).eval()
    assert sum(isinstance(m, torch.nn.Linear) for m in g.upsample.modules()) == 4  # one gamma/beta map per block
    # the same first-layer input, two conditions: only the up-blocks can tell them apart
    h = torch.randn(2, config.generator_width * 8, 4, 4)
    c1, c2 = torch.randn(2, 8), torch.randn(2, 8)
    block = g.upsample[0]
    assert block(h, c1).shape == (2, config.generator_width * 4, 8, 8)
    assert not torch.allclose(block(h, c1), block(h, c2))
    with torch.no_grad():  # with gamma = beta = 0 it is the plain up-block: BatchNorm (no affine), ReLU
        block.affine.weight.zero_(), block.affine.bias.zero_()
    plain = torch.relu(block.norm(block.conv(torch.nn.functional.interpolate(h, scale_factor=2))))
    torch.testing.assert_close(block(h, c1), plain)
    assert g(torch.randn(3, 32)).images.shape == (3, 3, 64, 64)
    # Stage II rebuilds this Stage I from the config when loaded
    g2 = StackGANStage2Generator(config, g)
    g2.save_pretrained(tmp_path)
    again, info = StackGANStage2Generator.from_pretrained(tmp_path, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    torch.testing.assert_close(again.stage1.upsample[0].affine.bias, block.affine.bias)


def test_residual_stage2_starts_as_the_upsampled_draft_and_keeps_trained_weights(tmp_path):
    config = StackGANConfig(**TINY, stage2_residual=True)
    torch.manual_seed(0)
    stage1 = StackGANStage1Generator(config).eval()
    g2 = StackGANStage2Generator(config, stage1).eval()
    assert torch.count_nonzero(g2.to_image[0].weight) == 0
    assert torch.count_nonzero(g2.stage1.to_image[0].weight) > 0  # Stage I's own weights are left alone
    out = g2(torch.randn(2, 32), generator=torch.Generator().manual_seed(0))
    upsampled = torch.nn.functional.interpolate(out.stage1_images, size=256, mode="bilinear", align_corners=False)
    torch.testing.assert_close(out.images, upsampled.clamp(-1, 1))
    out.images.mean().backward()
    assert g2.to_image[0].weight.grad.abs().sum() > 0  # the correction can learn
    with torch.no_grad():
        g2.to_image[0].weight.normal_()
    g2.save_pretrained(tmp_path)
    again = StackGANStage2Generator.from_pretrained(tmp_path)
    torch.testing.assert_close(again.to_image[0].weight, g2.to_image[0].weight)  # loading does not re-zero it


def test_detail_only_stage2_renders_at_64_px_as_its_draft():
    config = StackGANConfig(**TINY, stage2_residual=True, stage2_detail_only=True)
    torch.manual_seed(0)
    g2 = StackGANStage2Generator(config, StackGANStage1Generator(config)).eval()
    with torch.no_grad():
        g2.to_image[0].weight.normal_(0, 300.0)  # a correction as large as a trained one (the features are tiny)
        g2.stage1.to_image[0].weight.normal_(0, 30.0)  # a draft with colours in it
    out = g2(torch.randn(2, 32), generator=torch.Generator().manual_seed(0))
    upsampled = torch.nn.functional.interpolate(out.stage1_images, size=256, mode="bilinear", align_corners=False)
    assert (out.images - upsampled).abs().max() > 0.05 and out.images.abs().max() <= 1.0  # it adds detail
    rendered = torch.nn.functional.interpolate(out.images, size=64, mode="bilinear", antialias=True,
                                               align_corners=False)
    plain = torch.nn.functional.interpolate(upsampled, size=64, mode="bilinear", antialias=True, align_corners=False)
    error = (rendered - out.stage1_images).abs().mean()
    assert error < 0.01 and error < (plain - out.stage1_images).abs().mean()  # closer than the plain upsampling
    with pytest.raises(Exception, match="needs stage2_residual"):  # a ValueError inside the strict validation
        StackGANConfig(**TINY, stage2_detail_only=True)


def test_condition_noise_scale_draws_the_mean_in_eval_mode_and_samples_in_training():
    config = StackGANConfig(**TINY, condition_noise_scale=0.0)
    torch.manual_seed(0)
    g = StackGANStage1Generator(config)
    embeds, z = torch.randn(3, 32), torch.randn(3, 10)

    def images(seed, **kwargs):
        return g(embeds, noise=z, generator=torch.Generator().manual_seed(seed), **kwargs).images

    g.eval()  # the mean: the conditioning's own draw no longer changes the image, only z does
    assert torch.equal(images(1), images(2))
    assert not torch.allclose(images(1), g(embeds, noise=torch.randn(3, 10)).images)
    # asked per call, or in training (always all of the noise): the draw shows
    assert not torch.allclose(images(1, condition_noise_scale=1.0), images(2, condition_noise_scale=1.0))
    half, full, mean = (images(1, condition_noise_scale=s) for s in (0.5, 1.0, 0.0))
    assert 0 < (half - mean).abs().mean() < (full - mean).abs().mean()
    g.train()
    assert not torch.allclose(images(1), images(2))
    # Stage II passes its scale to the draft it refines
    g2 = StackGANStage2Generator(config, g).eval()
    a, b = (g2(embeds, noise=z, generator=torch.Generator().manual_seed(s)) for s in (1, 2))
    assert torch.equal(a.stage1_images, b.stage1_images) and torch.equal(a.images, b.images)
    with pytest.raises(ValueError, match="condition_noise_scale=1.5"):
        images(1, condition_noise_scale=1.5)
    with pytest.raises(Exception, match=r"condition_noise_scale \(-0.1\)"):
        StackGANConfig(**TINY, condition_noise_scale=-0.1)


def test_spectral_norm_and_bilinear_upsampling_build_round_trip_and_are_validated(tmp_path):
    from s2i_hf.models.stackgan import StackGANConfig, StackGANStage1Discriminator, StackGANStage1Generator

    config = StackGANConfig(text_embedding_dim=32, condition_dim=8, noise_dim=10, generator_width=16,
                            discriminator_width=4, spectral_norm=True, upsample_mode="bilinear")
    torch.manual_seed(0)
    d = StackGANStage1Discriminator(config).eval()
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in d.modules())
    conv = d.encode_image[1][0]
    assert torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2) == pytest.approx(1.0, rel=0.05)
    d.save_pretrained(tmp_path / "d")
    images, condition = torch.rand(2, 3, 64, 64) * 2 - 1, torch.randn(2, 8)
    torch.testing.assert_close(StackGANStage1Discriminator.from_pretrained(tmp_path / "d").eval()(images, condition).logits,
                               d(images, condition).logits)
    g = StackGANStage1Generator(config).eval()
    assert g(torch.randn(2, 32)).images.shape == (2, 3, 64, 64)
    with pytest.raises(Exception, match="upsample_mode"):
        StackGANConfig(upsample_mode="bicubic")
    with pytest.raises(Exception, match="stage2_detail_lowpass"):
        StackGANConfig(stage2_detail_lowpass="box")


def test_both_detail_lowpasses_keep_the_draft():
    from s2i_hf.models.stackgan.modeling_stackgan import keep_draft

    g = torch.Generator().manual_seed(0)
    draft = torch.nn.functional.interpolate(torch.rand(4, 3, 16, 16, generator=g) * 1.6 - 0.8, size=64,
                                            mode="bilinear")  # drafts are smooth at 64 px
    upsampled = torch.nn.functional.interpolate(draft, size=256, mode="bilinear", align_corners=False)
    correction = torch.rand(4, 3, 256, 256, generator=g) * 2 - 1
    for lowpass in ("block", "smooth"):
        detail = keep_draft(upsampled, correction, draft, lowpass=lowpass)
        rendered = torch.nn.functional.interpolate(upsampled + detail, size=64, mode="bilinear", antialias=True)
        assert (rendered - draft).abs().mean() < 0.005, lowpass
        assert detail.abs().mean() > 0.05, lowpass  # and detail was added


def _stage2_over_its_stage1(generator_width: int, **stage2_options):
    """A Stage II built on a Stage I of `generator_width`, with Stage-II-only options on top of its config."""
    from s2i_hf.models.stackgan import StackGANConfig, StackGANStage1Generator, StackGANStage2Generator

    torch.manual_seed(0)
    config = StackGANConfig(text_embedding_dim=32, condition_dim=8, noise_dim=10, generator_width=generator_width,
                            discriminator_width=4, condition_noise_scale=0.0)
    stage1 = StackGANStage1Generator(config)
    return StackGANStage2Generator(StackGANConfig(**{**config.to_dict(), **stage2_options}), stage1).eval()


def _assert_round_trips(stage2, folder):
    from s2i_hf.models.stackgan import StackGANStage2Generator

    stage2.save_pretrained(folder)
    again = StackGANStage2Generator.from_pretrained(folder).eval()
    embeds = torch.randn(2, 32)
    torch.testing.assert_close(again(embeds, generator=torch.Generator().manual_seed(0)).images,
                               stage2(embeds, generator=torch.Generator().manual_seed(0)).images)


def test_stage2_can_be_narrower_than_its_stage1_and_round_trips(tmp_path):
    from s2i_hf.models.stackgan import StackGANConfig

    stage2 = _stage2_over_its_stage1(32, stage2_generator_width=16)
    assert stage2.joint[0].out_channels == 16 * 4 and stage2.stage1.fc[0].out_features == 32 * 8 * 16
    _assert_round_trips(stage2, tmp_path)
    with pytest.raises(Exception, match="stage2_generator_width"):
        StackGANConfig(stage2_generator_width=18)


def test_stage2_upsamples_its_own_way_while_stage1_keeps_nearest(tmp_path):
    from s2i_hf.models.stackgan import StackGANConfig
    from s2i_hf.models.stackgan.modeling_stackgan import Upsample

    stage2 = _stage2_over_its_stage1(16, stage2_upsample_mode="bilinear")
    modes = {m.mode for m in stage2.upsample.modules() if isinstance(m, Upsample)}
    stage1_modes = {m.mode for m in stage2.stage1.modules() if isinstance(m, Upsample)}
    assert modes == {"bilinear"} and stage1_modes == {"nearest"}
    _assert_round_trips(stage2, tmp_path)
    with pytest.raises(Exception, match="stage2_upsample_mode"):
        StackGANConfig(stage2_upsample_mode="bicubic")


def test_stage2_noise_injection_starts_silent_repeats_with_the_seed_and_reaches_the_image(tmp_path):
    plain = _stage2_over_its_stage1(16)
    noisy = _stage2_over_its_stage1(16, stage2_noise_injection=True)
    noisy.load_state_dict(plain.state_dict(), strict=False)  # the same weights, the noise scales at zero
    assert plain.noise is None and [float(m.weight.abs().sum()) for m in noisy.noise] == [0.0] * 4
    embeds = torch.randn(2, 32)

    def draw(model, seed):
        return model(embeds, generator=torch.Generator().manual_seed(seed)).images

    torch.testing.assert_close(draw(noisy, 0), draw(plain, 0))  # silent at first: the model it was
    with torch.no_grad():
        for module in noisy.noise:
            module.weight.fill_(0.5)
    with torch.no_grad():
        noisy.to_image[0].weight.normal_()  # a correction to draw (it starts at zero)
    one = draw(noisy, 0)
    torch.testing.assert_close(draw(noisy, 0), one)  # the seed repeats the grain
    with torch.no_grad():
        for module in noisy.noise:
            module.weight.zero_()
    assert (one - draw(noisy, 0)).abs().mean() > 1e-3  # with a correction to draw, the noise reaches the image
    _assert_round_trips(noisy, tmp_path)
