"""StackGAN configuration (Zhang et al. 2017). Defaults are the reference networks for CUB birds."""

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig


@strict
class StackGANConfig(PreTrainedConfig):
    r"""
    text_embedding_dim (`int`, defaults to 1024): size of the caption embedding (char-CNN-RNN: 1024).
    condition_dim (`int`, defaults to 128): size of the conditioning-augmentation code c.
    noise_dim (`int`, defaults to 100): size of the noise z of Stage I.
    generator_width (`int`, defaults to 128): the reference `GF_DIM`; Stage I starts at 8x this at 4 x 4.
    stage2_generator_width (`int`, *optional*): Stage II's own `GF_DIM` where it differs from its Stage I's (the
        reference uses one width for both); None: `generator_width`.
    discriminator_width (`int`, defaults to 64): the reference `DF_DIM`.
    num_residual_blocks (`int`, defaults to 4): residual blocks of the Stage-II generator.
    stage1_image_size (`int`, defaults to 64) and stage2_image_size (`int`, defaults to 256): fixed by the
        networks' up- and down-sampling; stored so that inputs can be checked against them.
    normalize_text_embeds (`bool`, defaults to False): not in the reference. Standardize each embedding (zero mean,
        unit variance over its dimensions) before the conditioning augmentation. With unit-norm embeddings the
        reference's N(0, 0.02) layer makes mu about 0.02 while the sampled noise is 1, so the text starts buried
        in noise; standardized, it starts at about 0.6.
    projection_discriminator (`bool`, defaults to False): not in the reference. Add to the conditional logit the
        inner product of a projection of the condition with the pooled image code (Miyato & Koyama 2018), a more
        direct way for the discriminator to judge whether an image matches its text.
    conditional_batch_norm (`bool`, defaults to False): not in the reference. The Stage-I generator's up-blocks
        take the scale and shift of their BatchNorm from the condition c (conditional BatchNorm, de Vries et al.
        2017, as in BigGAN), so the text acts at every resolution instead of only through the first layer.
    stage2_residual (`bool`, defaults to False): not in the reference. The Stage-II generator returns the Stage-I
        draft, bilinearly upsampled to 256, plus its own output as a correction, with the last convolution
        starting at zero: Stage II begins as the draft and learns detail, instead of first having to learn to
        redraw the draft's colours (which a short budget never reaches).
    stage2_detail_only (`bool`, defaults to False): not in the reference; with `stage2_residual`. Each 4 x 4 block
        of the correction has its mean taken out and is scaled to the draft's headroom (so nothing is clipped), so
        Stage II only adds detail: its image averaged back to 64 x 64 is the upsampled draft's, and the colours and
        layout Stage I drew are kept by construction.
    stage2_detail_lowpass (`str`, defaults to "block"): with `stage2_detail_only`, what the correction loses:
        "block", its 4 x 4 block means (whose steps leave a faint grid of dots every 4 pixels), or "smooth", its
        antialiased rendering at 64 px upsampled bilinearly (no grid; `docs/studies/stackgan-realism.md`).
    stage2_noise_injection (`bool`, defaults to False): not in the reference. Per-pixel noise, scaled per channel by
        learned weights that start at zero, is added after each of Stage II's up-blocks (StyleGAN's noise inputs,
        Karras et al. 2019), so that grain and texture come from noise instead of a pattern the up-blocks repeat.
    auxiliary_attributes (`dict[str, list[str]]`, *optional*): not in the reference. CUB attribute group -> its
        values (e.g. {"has_belly_color": [15 colours], ...}); the discriminators then also classify each attribute from the
        image (AC-GAN, Odena et al. 2017), which makes the text conditioning take hold far sooner. None: the
        reference networks.
    condition_noise_scale (`float`, defaults to 1.0): how much of the conditioning augmentation's noise a generator
        in eval mode samples, c = mu + scale * sigma * eps (training always samples all of it). 1.0: the reference,
        which samples at test time as in training; 0.0: the mean, the truncation that makes the picture follow the
        text most closely, with the noise z still varying the image (the demo preset; studied in
        docs/studies/stackgan-conditioning.md). The pipelines take it per call too.
    upsample_mode (`str`, defaults to "nearest"): how the generators' up-blocks double the size before their
        convolution: "nearest" (the reference) or "bilinear" (resize-convolution without the blocky, checkered
        texture that nearest upsampling leaves on a short budget; Odena et al. 2016).
    stage2_upsample_mode (`str`, *optional*): Stage II's own up-blocks where they differ from its Stage I's
        (`upsample_mode`, which Stage I keeps). Measured with the demo presets, "bilinear" does not remove the
        period-2 pattern at 256 px and makes the images easier to tell from real ones
        (`docs/studies/stackgan-realism.md`): the pattern is not the up-blocks'.
    spectral_norm (`bool`, defaults to False): not in the reference. The discriminators' convolutions are
        spectrally normalized (Miyato et al. 2018) instead of batch-normalized: a smoother critic, whose gradient
        tells the generator about shape and texture sooner. The attribute head is left as it is (a classifier).
    unconditional_logits (`bool`, defaults to False): not in the reference for Stage I. Its discriminator also
        judges the image alone, as Stage II's does (and StackGAN-v2's joint conditional-unconditional loss): "is
        this a bird at all", apart from "is it the bird the text asks for", so realism is not left to a logit that
        the conditioning and the attribute head also pull on. Stage II always has it.
    pair_logits (`bool`, defaults to False): not in the reference. Stage I's discriminator also judges pairs of
        images: two real renders of one class against two images the generator drew for one caption from two
        noises (PacGAN's packing, Lin et al. 2018, within a condition). A generator that ignores its noise draws
        two copies of one bird, which no real pair is; one image at a time, no discriminator can see that.
    text_embeddings_from_encoder (`bool`, defaults to False): not in the reference. Trained on the embeddings a
        trained text encoder gives the training captions (`--text_encoder`), not on the dataset's char-CNN-RNN
        rows: the space the speech-to-image pipeline feeds it. A Stage II must then be trained the same way.
    """

    model_type = "stackgan"

    text_embedding_dim: int = 1024
    condition_dim: int = 128
    noise_dim: int = 100
    generator_width: int = 128
    discriminator_width: int = 64
    num_residual_blocks: int = 4
    leaky_relu_slope: float = 0.2
    stage1_image_size: int = 64
    stage2_image_size: int = 256
    normalize_text_embeds: bool = False
    projection_discriminator: bool = False
    conditional_batch_norm: bool = False
    stage2_residual: bool = False
    stage2_detail_only: bool = False
    auxiliary_attributes: dict[str, list[str]] | None = None
    text_embeddings_from_encoder: bool = False
    condition_noise_scale: float = 1.0
    upsample_mode: str = "nearest"
    stage2_upsample_mode: str | None = None
    stage2_generator_width: int | None = None
    unconditional_logits: bool = False
    stage2_detail_lowpass: str = "block"
    stage2_noise_injection: bool = False
    spectral_norm: bool = False
    pair_logits: bool = False

    def validate_architecture(self):
        """Part of `@strict`-powered validation: the widths must survive the halvings of the up-blocks."""
        if self.stage2_generator_width is not None and self.stage2_generator_width % 4:
            raise ValueError(f"stage2_generator_width ({self.stage2_generator_width}) must be divisible by 4: Stage "
                             "II halves it twice")
        if self.generator_width % 4:
            raise ValueError(
                f"generator_width ({self.generator_width}) must be divisible by 4: Stage II halves it twice "
                f"(to {self.generator_width / 4})"
            )
        if (self.stage1_image_size, self.stage2_image_size) != (64, 256):
            raise ValueError(
                f"stage1_image_size ({self.stage1_image_size}) and stage2_image_size ({self.stage2_image_size}) "
                "are fixed at 64 and 256 by the networks"
            )
        if not 0.0 <= self.condition_noise_scale <= 1.0:
            raise ValueError(f"condition_noise_scale ({self.condition_noise_scale}) must be between 0 (the mean) and "
                             "1 (sampled as in training)")
        if self.upsample_mode not in ("nearest", "bilinear"):
            raise ValueError(f"upsample_mode ({self.upsample_mode!r}) must be 'nearest' or 'bilinear'")
        if self.stage2_upsample_mode not in (None, "nearest", "bilinear"):
            raise ValueError(f"stage2_upsample_mode ({self.stage2_upsample_mode!r}) must be 'nearest' or 'bilinear'")
        if self.stage2_detail_lowpass not in ("block", "smooth"):
            raise ValueError(f"stage2_detail_lowpass ({self.stage2_detail_lowpass!r}) must be 'block' or 'smooth'")
        if self.stage2_detail_only and not self.stage2_residual:
            raise ValueError("stage2_detail_only (True) refines the upsampled draft: it needs stage2_residual (False)")
        for name, values in (self.auxiliary_attributes or {}).items():
            if len(values) < 2:
                raise ValueError(f"auxiliary_attributes[{name!r}] has {len(values)} values ({values}); at least 2")

    @property
    def num_attribute_logits(self) -> int:
        return sum(len(v) for v in (self.auxiliary_attributes or {}).values())


__all__ = ["StackGANConfig"]
