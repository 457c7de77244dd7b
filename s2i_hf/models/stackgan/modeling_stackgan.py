"""StackGAN (Zhang et al. 2017): conditioning augmentation, Stage-I and Stage-II generators and discriminators.

Faithful to hanzhanggit/StackGAN-Pytorch `code/model.py` in layers and sizes (at the defaults the Stage-I
generator has 10.30 M parameters and its discriminator 5.72 M, as the reference), written the transformers way:
a config, a `StackGANPreTrainedModel` that owns the N(0, 0.02) init, `ModelOutput`s, ecosystem names
(`text_embeds`, `pixel_values`). One difference: the discriminators return logits, not sigmoid probabilities, so
the losses use the numerically stable `binary_cross_entropy_with_logits`; the objective is the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.utils import ModelOutput

from .configuration_stackgan import StackGANConfig


def conv3x3(in_channels: int, out_channels: int) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1, bias=False)


def upsample(x: torch.Tensor, mode: str) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode=mode, **({"align_corners": False} if mode == "bilinear" else {}))


class Upsample(nn.Module):
    def __init__(self, mode: str = "nearest"):
        super().__init__()
        self.mode = mode

    def forward(self, x):
        return upsample(x, self.mode)


def up_block(in_channels: int, out_channels: int, mode: str = "nearest") -> nn.Sequential:
    """x2 (nearest, the reference, or bilinear), conv3x3, BatchNorm, ReLU."""
    return nn.Sequential(Upsample(mode), conv3x3(in_channels, out_channels), nn.BatchNorm2d(out_channels),
                         nn.ReLU(True))


class NoiseInjection(nn.Module):
    """x + weight * noise: one map of N(0, 1) per image and pixel, scaled per channel (StyleGAN's noise inputs).
    The weights start at zero, so a model starts as one without it."""

    def __init__(self, channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        noise = torch.randn((x.shape[0], 1, *x.shape[2:]), generator=generator, device=x.device, dtype=x.dtype)
        return x + self.weight.to(x.dtype) * noise


def normalized(layer: nn.Module, spectral: bool) -> nn.Module:
    return nn.utils.parametrizations.spectral_norm(layer) if spectral else layer


def down_block(in_channels: int, out_channels: int, slope: float, batch_norm: bool = True,
               spectral: bool = False) -> nn.Sequential:
    """conv4x4 stride 2 (halves the size), BatchNorm (or spectral normalization of the conv), LeakyReLU."""
    layers = [normalized(nn.Conv2d(in_channels, out_channels, 4, 2, 1, bias=spectral), spectral)]
    layers += [nn.BatchNorm2d(out_channels)] if batch_norm and not spectral else []
    return nn.Sequential(*layers, nn.LeakyReLU(slope, True))


def conv_norm_act(in_channels: int, out_channels: int, slope: float, spectral: bool) -> list[nn.Module]:
    """conv3x3, BatchNorm (or spectral normalization of the conv), LeakyReLU: the discriminators' 3 x 3 layers."""
    if spectral:
        return [normalized(nn.Conv2d(in_channels, out_channels, 3, 1, 1), True), nn.LeakyReLU(slope, True)]
    return [conv3x3(in_channels, out_channels), nn.BatchNorm2d(out_channels), nn.LeakyReLU(slope, True)]


class ConditionalUpBlock(nn.Module):
    """`up_block` whose BatchNorm scale and shift come from the condition: nearest x2, conv3x3,
    BatchNorm without its own affine, x * (1 + gamma(c)) + beta(c), ReLU. gamma and beta start near 0 (the
    N(0, 0.02) init), so at first it is the plain up-block."""

    def __init__(self, in_channels: int, out_channels: int, condition_dim: int, mode: str = "nearest"):
        super().__init__()
        self.mode = mode
        self.conv = conv3x3(in_channels, out_channels)
        self.norm = nn.BatchNorm2d(out_channels, affine=False)
        self.affine = nn.Linear(condition_dim, 2 * out_channels)

    def forward(self, x: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        h = self.norm(self.conv(upsample(x, self.mode)))
        gamma, beta = self.affine(condition)[:, :, None, None].chunk(2, dim=1)
        return F.relu(h * (1 + gamma) + beta)


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.block = nn.Sequential(conv3x3(channels, channels), nn.BatchNorm2d(channels), nn.ReLU(True),
                                   conv3x3(channels, channels), nn.BatchNorm2d(channels))
        self.relu = nn.ReLU(True)

    def forward(self, x):
        return self.relu(self.block(x) + x)


@dataclass
class ConditioningOutput(ModelOutput):
    condition: torch.FloatTensor | None = None
    mu: torch.FloatTensor | None = None
    logvar: torch.FloatTensor | None = None


@dataclass
class StackGANGeneratorOutput(ModelOutput):
    """`images` in [-1, 1]; `mu`/`logvar` of the conditioning (for the KL term and the discriminator);
    `stage1_images` only from Stage II (the frozen Stage I's 64 x 64 draft)."""

    images: torch.FloatTensor | None = None
    mu: torch.FloatTensor | None = None
    logvar: torch.FloatTensor | None = None
    stage1_images: torch.FloatTensor | None = None


@dataclass
class StackGANDiscriminatorOutput(ModelOutput):
    """`logits`: text-conditioned real/fake logit per image; `wrong_logits`: the same images against a mismatched
    condition; `unconditional_logits`: Stage II's image-only logit;
    `attribute_logits`: one block of logits per `config.auxiliary_attributes` entry, concatenated (or None);
    `pair_logits`: with `config.pair_logits` and `pair_with`, one logit per pair (image, its partner)."""

    logits: torch.FloatTensor | None = None
    wrong_logits: torch.FloatTensor | None = None
    unconditional_logits: torch.FloatTensor | None = None
    attribute_logits: torch.FloatTensor | None = None
    image_features: torch.FloatTensor | None = None
    pair_logits: torch.FloatTensor | None = None


class StackGANPreTrainedModel(PreTrainedModel):
    config_class = StackGANConfig
    base_model_prefix = "stackgan"
    main_input_name = "text_embeds"

    @torch.no_grad()
    def _init_weights(self, module):
        # The reference `weights_init`: conv and linear N(0, 0.02), BatchNorm weight N(1, 0.02) and bias 0.
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            # a spectrally normalized layer computes `weight` from the parameter it wraps
            weight = (module.parametrizations.weight.original if nn.utils.parametrize.is_parametrized(module, "weight")
                      else module.weight)
            if getattr(module, "zero_init", False):  # a residual correction that must start at zero
                init.zeros_(weight)
            else:
                init.normal_(weight, 0.0, 0.02)
            if weight is not module.weight:  # the normalization's power iteration must follow the new weight
                spectral = module.parametrizations.weight[0]
                spectral._power_method(spectral._reshape_weight_to_matrix(weight), 15)
            if module.bias is not None:
                init.zeros_(module.bias)
        elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)) and module.affine:
            init.normal_(module.weight, 1.0, 0.02)
            init.zeros_(module.bias)

    def _condition_noise_scale(self, scale: float | None) -> float:
        """The conditioning noise to sample: all of it in training, `config.condition_noise_scale` in eval mode,
        unless the caller says."""
        if scale is None:
            return 1.0 if self.training else self.config.condition_noise_scale
        if not 0.0 <= scale <= 1.0:
            raise ValueError(f"condition_noise_scale={scale}: must be between 0 (the mean) and 1 (sampled as in training)")
        return scale

    def _check_embeds(self, text_embeds: torch.Tensor):
        if text_embeds.ndim != 2 or text_embeds.shape[1] != self.config.text_embedding_dim:
            raise ValueError(
                f"text_embeds has shape {tuple(text_embeds.shape)}, but the config expects (batch, "
                f"{self.config.text_embedding_dim}) (text_embedding_dim)"
            )

    def _check_images(self, pixel_values: torch.Tensor, size: int):
        if pixel_values.ndim != 4 or pixel_values.shape[1:] != (3, size, size):
            raise ValueError(f"pixel_values has shape {tuple(pixel_values.shape)}, but this stage takes (batch, 3, "
                             f"{size}, {size})")


class ConditioningAugmentation(nn.Module):
    """Linear text_embedding_dim -> 2 x condition_dim, ReLU, split into mu and logvar; c = mu + eps * exp(logvar/2),
    with eps scaled by `noise_scale` (drawn all the same, so that a seeded stream gives the same noise z after it)."""

    def __init__(self, config: StackGANConfig):
        super().__init__()
        self.fc = nn.Linear(config.text_embedding_dim, config.condition_dim * 2)
        self.relu = nn.ReLU()
        self.condition_dim = config.condition_dim
        self.normalize = config.normalize_text_embeds

    def forward(self, text_embeds: torch.Tensor, generator: torch.Generator | None = None,
                noise_scale: float = 1.0, eps: torch.Tensor | None = None) -> ConditioningOutput:
        """`eps`: the N(0, 1) draw to scale, (batch, condition_dim), as a critic chose it among drafts; drawn here
        when not given (the stream advances either way, so what is drawn after it stays the same)."""
        if self.normalize:
            text_embeds = F.layer_norm(text_embeds, text_embeds.shape[-1:])
        x = self.relu(self.fc(text_embeds))
        mu, logvar = x[:, : self.condition_dim], x[:, self.condition_dim :]
        drawn = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        if eps is not None and eps.shape != mu.shape:
            raise ValueError(f"condition_noise has shape {tuple(eps.shape)}, but the conditioning takes "
                             f"{tuple(mu.shape)} (batch, condition_dim)")
        eps = drawn if eps is None else eps.to(mu.device, mu.dtype)
        return ConditioningOutput(condition=mu + noise_scale * eps * torch.exp(0.5 * logvar), mu=mu, logvar=logvar)


class StackGANStage1Generator(StackGANPreTrainedModel):
    """[z | c] -> 8w x 4 x 4 -> four up-blocks -> 3 x 64 x 64 (tanh)."""

    def __init__(self, config: StackGANConfig):
        super().__init__(config)
        width = config.generator_width * 8
        self.conditioning = ConditioningAugmentation(config)
        self.fc = nn.Sequential(nn.Linear(config.noise_dim + config.condition_dim, width * 4 * 4, bias=False),
                                nn.BatchNorm1d(width * 4 * 4), nn.ReLU(True))
        channels = [width, width // 2, width // 4, width // 8, width // 16]
        if config.conditional_batch_norm:
            self.upsample = nn.ModuleList(ConditionalUpBlock(i, o, config.condition_dim, config.upsample_mode)
                                          for i, o in zip(channels, channels[1:]))
        else:
            self.upsample = nn.Sequential(*(up_block(i, o, config.upsample_mode) for i, o in zip(channels, channels[1:])))
        self.to_image = nn.Sequential(conv3x3(width // 16, 3), nn.Tanh())
        self.post_init()

    def forward(self, text_embeds: torch.Tensor, noise: torch.Tensor | None = None,
                generator: torch.Generator | None = None, condition_noise_scale: float | None = None,
                condition_noise: torch.Tensor | None = None) -> StackGANGeneratorOutput:
        """`noise`: z, (batch, noise_dim); `condition_noise`: the conditioning augmentation's N(0, 1) draw,
        (batch, condition_dim), scaled by `condition_noise_scale`; each drawn from `generator` when not given."""
        self._check_embeds(text_embeds)
        if noise is None:
            noise = torch.randn((text_embeds.shape[0], self.config.noise_dim), generator=generator,
                                device=text_embeds.device, dtype=text_embeds.dtype)
        cond = self.conditioning(text_embeds, generator=generator,
                                 noise_scale=self._condition_noise_scale(condition_noise_scale), eps=condition_noise)
        h = self.fc(torch.cat([noise, cond.condition], dim=1))
        h = h.view(-1, self.config.generator_width * 8, 4, 4)
        if self.config.conditional_batch_norm:
            for block in self.upsample:
                h = block(h, cond.condition)
        else:
            h = self.upsample(h)
        return StackGANGeneratorOutput(images=self.to_image(h), mu=cond.mu, logvar=cond.logvar)


class ConditionalLogits(nn.Module):
    """The reference D_GET_LOGITS: with a condition, tile c to 4 x 4, concatenate, conv3x3 -> 8w, BN, LeakyReLU,
    conv4x4 stride 4 -> 1; without, conv4x4 stride 4 -> 1 on the image code alone."""

    def __init__(self, config: StackGANConfig, conditional: bool):
        super().__init__()
        width, spectral = config.discriminator_width * 8, config.spectral_norm
        self.conditional = conditional
        if conditional:
            self.joint = nn.Sequential(*conv_norm_act(width + config.condition_dim, width, config.leaky_relu_slope,
                                                      spectral))
        self.logit = normalized(nn.Conv2d(width, 1, kernel_size=4, stride=4), spectral)
        self.projection = (nn.Linear(config.condition_dim, width, bias=False)
                           if conditional and config.projection_discriminator else None)

    def forward(self, image_code: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        projected = 0.0
        if self.projection is not None:
            projected = (self.projection(condition) * image_code.sum(dim=(2, 3))).sum(dim=1)
        if self.conditional:
            tiled = condition.view(condition.shape[0], -1, 1, 1).expand(-1, -1, *image_code.shape[2:])
            image_code = self.joint(torch.cat([image_code, tiled], dim=1))
        return self.logit(image_code).view(-1) + projected


class PairLogits(nn.Module):
    """One logit for a pair of image codes: is this how two birds of one class differ? From the codes' sum and
    absolute difference (symmetric in the two), conv3x3 -> 8w, norm, LeakyReLU, conv4x4 stride 4 -> 1. Two copies
    of one image have a difference of zero, which real pairs of a class never have."""

    def __init__(self, config: StackGANConfig):
        super().__init__()
        width, spectral = config.discriminator_width * 8, config.spectral_norm
        self.joint = nn.Sequential(*conv_norm_act(2 * width, width, config.leaky_relu_slope, spectral))
        self.logit = normalized(nn.Conv2d(width, 1, kernel_size=4, stride=4), spectral)

    def forward(self, code: torch.Tensor, partner_code: torch.Tensor) -> torch.Tensor:
        return self.logit(self.joint(torch.cat([code + partner_code, (code - partner_code).abs()], dim=1))).view(-1)


class AttributeHead(nn.Module):
    """AC-GAN's auxiliary classifier: the flattened 8w x 4 x 4 image code -> logits of every attribute value."""

    def __init__(self, config: StackGANConfig):
        super().__init__()
        self.proj = nn.Linear(config.discriminator_width * 8 * 4 * 4, config.num_attribute_logits)

    def forward(self, image_code: torch.Tensor) -> torch.Tensor:
        return self.proj(image_code.flatten(1))


class StackGANStage1Discriminator(StackGANPreTrainedModel):
    """64 x 64 image -> 8w x 4 x 4 code; text-conditioned logit from the code and the condition mu."""

    main_input_name = "pixel_values"

    def __init__(self, config: StackGANConfig):
        super().__init__(config)
        w, slope, sn = config.discriminator_width, config.leaky_relu_slope, config.spectral_norm
        self.encode_image = nn.Sequential(down_block(3, w, slope, batch_norm=False, spectral=sn),
                                          down_block(w, w * 2, slope, spectral=sn),
                                          down_block(w * 2, w * 4, slope, spectral=sn),
                                          down_block(w * 4, w * 8, slope, spectral=sn))
        self.conditional_logits = ConditionalLogits(config, conditional=True)
        self.unconditional_logits = (ConditionalLogits(config, conditional=False) if config.unconditional_logits
                                     else None)
        self.attribute_head = AttributeHead(config) if config.auxiliary_attributes else None
        self.pair_logits = PairLogits(config) if config.pair_logits else None
        self.post_init()

    def forward(self, pixel_values: torch.Tensor, condition: torch.Tensor,
                wrong_condition: torch.Tensor | None = None, pair_with: torch.Tensor | None = None,
                pair_head_only: bool = False) -> StackGANDiscriminatorOutput:
        """`wrong_condition`: the condition of another class's caption, scored against the same images (the
        matching-aware term) without encoding them twice. `pair_with` (with `config.pair_logits`): a partner
        image for each image, judged as a pair (`pair_logits`); `pair_head_only`: the pair logit's gradient reaches
        the pair head alone, not the image encoder the other logits share (for the discriminator's own step)."""
        self._check_images(pixel_values, self.config.stage1_image_size)
        code = self.encode_image(pixel_values)
        pair_logits = None
        if pair_with is not None:
            if self.pair_logits is None:
                raise ValueError("pair_with needs a discriminator built with config.pair_logits=True")
            self._check_images(pair_with, self.config.stage1_image_size)
            if pair_with.shape[0] != pixel_values.shape[0]:
                raise ValueError(f"pair_with holds {pair_with.shape[0]} images for {pixel_values.shape[0]} images: "
                                 "one partner each")
            if pair_head_only:
                with torch.no_grad():
                    partner = self.encode_image(pair_with)
                pair_logits = self.pair_logits(code.detach(), partner)
            else:
                pair_logits = self.pair_logits(code, self.encode_image(pair_with))
        return StackGANDiscriminatorOutput(
            logits=self.conditional_logits(code, condition),
            wrong_logits=self.conditional_logits(code, wrong_condition) if wrong_condition is not None else None,
            unconditional_logits=self.unconditional_logits(code) if self.unconditional_logits is not None else None,
            attribute_logits=self.attribute_head(code) if self.attribute_head is not None else None,
            image_features=code,
            pair_logits=pair_logits,
        )


def keep_draft(upsampled: torch.Tensor, correction: torch.Tensor, draft: torch.Tensor, steps: int = 10,
               lowpass: str = "block") -> torch.Tensor:
    """Stage II's correction as detail only: what, added to the upsampled draft, leaves the image's 64 x 64
    rendering (antialiased bilinear, as images are resized to be looked at) equal to the draft.

    The correction (in [-1, 1]) loses its low frequencies (`lowpass`: "block", its 4 x 4 block means, whose
    steps at the block edges leave a grid of dots every 4 pixels; "smooth", its antialiased bilinear rendering at
    the draft's size, upsampled bilinearly, which leaves no grid) and is scaled to half the draft's headroom,
    1 - |draft|, so that little is clipped (clipping would shift the colours of saturated regions); then iterative
    back-projection (Irani and Peleg 1991) moves the sum until its downsampled rendering is the draft, x <- x +
    up(draft - down(x)), each step followed by clipping to [-1, 1] (alternating projections, so that the final
    clipping no longer moves the rendering). The projection's gradient is taken as the identity's (straight-through).
    Returns the correction to add to `upsampled`."""
    dtype = correction.dtype  # in float32: antialiased resizing has no bf16 kernel on the CPU
    upsampled, correction, draft = upsampled.float(), correction.float(), draft.float()
    factor = correction.shape[-1] // draft.shape[-1]
    if lowpass == "block":
        low = F.interpolate(F.avg_pool2d(correction, factor), scale_factor=factor, mode="nearest")
    else:
        low = F.interpolate(F.interpolate(correction, size=draft.shape[-2:], mode="bilinear", antialias=True,
                                          align_corners=False), size=correction.shape[-2:], mode="bilinear",
                            align_corners=False)
    detail = correction - low
    image = upsampled + 0.5 * detail * (1 - upsampled.abs())
    with torch.no_grad():
        projected = image.detach()
        for _ in range(steps):
            low = F.interpolate(projected, size=draft.shape[-2:], mode="bilinear", antialias=True, align_corners=False)
            projected = projected + F.interpolate(draft - low, size=image.shape[-2:], mode="bilinear",
                                                  align_corners=False)
            projected = projected.clamp(-1, 1)
    # Forward: the back-projected image. Backward: straight through the projection (as if it were the identity),
    # which spares the gradient of the ten resampling steps (a third of a Stage-II training step on a CPU); the
    # correction's gradient still passes the block-mean removal and the headroom scaling.
    image = image + (projected - image).detach()
    return (image - upsampled).to(dtype)


class StackGANStage2Generator(StackGANPreTrainedModel):
    """Refines the frozen Stage I's 64 x 64 draft to 256 x 256: encode to 4w x 16 x 16, join with its own c,
    residual blocks, four up-blocks."""

    def __init__(self, config: StackGANConfig, stage1: StackGANStage1Generator | None = None):
        super().__init__(config)
        w = config.stage2_generator_width or config.generator_width
        self.stage1 = stage1 if stage1 is not None else StackGANStage1Generator(config)
        self.stage1.requires_grad_(False)
        self.conditioning = ConditioningAugmentation(config)
        self.encode_image = nn.Sequential(conv3x3(3, w), nn.ReLU(True),
                                          nn.Conv2d(w, w * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(w * 2), nn.ReLU(True),
                                          nn.Conv2d(w * 2, w * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(w * 4), nn.ReLU(True))
        self.joint = nn.Sequential(conv3x3(config.condition_dim + w * 4, w * 4), nn.BatchNorm2d(w * 4), nn.ReLU(True))
        self.residual = nn.Sequential(*[ResidualBlock(w * 4) for _ in range(config.num_residual_blocks)])
        mode = config.stage2_upsample_mode or config.upsample_mode
        self.upsample = nn.Sequential(up_block(w * 4, w * 2, mode), up_block(w * 2, w, mode),
                                      up_block(w, w // 2, mode), up_block(w // 2, w // 4, mode))
        self.noise = nn.ModuleList([NoiseInjection(c) for c in (w * 2, w, w // 2, w // 4)]) \
            if config.stage2_noise_injection else None
        self.to_image = nn.Sequential(conv3x3(w // 4, 3), nn.Tanh())
        self.to_image[0].zero_init = config.stage2_residual  # then Stage II starts as the upsampled draft
        self.post_init()

    def train(self, mode: bool = True):
        super().train(mode)
        self.stage1.eval()  # frozen: its BatchNorm statistics must not drift while Stage II trains
        return self

    def forward(self, text_embeds: torch.Tensor, noise: torch.Tensor | None = None,
                generator: torch.Generator | None = None, condition_noise_scale: float | None = None,
                condition_noise: torch.Tensor | None = None) -> StackGANGeneratorOutput:
        """`noise` and `condition_noise`: Stage I's (its draft's); Stage II's own conditioning draws from `generator`."""
        self._check_embeds(text_embeds)
        # Stage I is always in eval mode here: it samples what Stage II's mode asks for (all of the noise while
        # Stage II trains, as Stage I was trained)
        scale = self._condition_noise_scale(condition_noise_scale)
        with torch.no_grad():
            draft = self.stage1(text_embeds, noise=noise, generator=generator, condition_noise_scale=scale,
                                condition_noise=condition_noise).images.detach()
        cond = self.conditioning(text_embeds, generator=generator, noise_scale=scale)
        code = self.encode_image(draft)
        tiled = cond.condition.view(cond.condition.shape[0], -1, 1, 1).expand(-1, -1, *code.shape[2:])
        h = self.residual(self.joint(torch.cat([code, tiled], dim=1)))
        for k, block in enumerate(self.upsample):
            h = block(h)
            if self.noise is not None:  # drawn after Stage I's and the conditioning's: those stay as without it
                h = self.noise[k](h, generator)
        images = self.to_image(h)
        if self.config.stage2_residual:
            upsampled = F.interpolate(draft, size=images.shape[-2:], mode="bilinear", align_corners=False)
            if self.config.stage2_detail_only:
                images = keep_draft(upsampled, images, draft, lowpass=self.config.stage2_detail_lowpass)
            images = (upsampled + images).clamp(-1, 1)
        return StackGANGeneratorOutput(images=images, mu=cond.mu, logvar=cond.logvar, stage1_images=draft)


class StackGANStage2Discriminator(StackGANPreTrainedModel):
    """256 x 256 image -> six stride-2 convs to 32w x 4 x 4 -> conv3x3 to 16w, 8w; conditional and unconditional logits."""

    main_input_name = "pixel_values"

    def __init__(self, config: StackGANConfig):
        super().__init__(config)
        w, slope, sn = config.discriminator_width, config.leaky_relu_slope, config.spectral_norm
        self.encode_image = nn.Sequential(
            down_block(3, w, slope, batch_norm=False, spectral=sn), down_block(w, w * 2, slope, spectral=sn),
            down_block(w * 2, w * 4, slope, spectral=sn), down_block(w * 4, w * 8, slope, spectral=sn),
            down_block(w * 8, w * 16, slope, spectral=sn), down_block(w * 16, w * 32, slope, spectral=sn),
            *conv_norm_act(w * 32, w * 16, slope, sn), *conv_norm_act(w * 16, w * 8, slope, sn),
        )
        self.conditional_logits = ConditionalLogits(config, conditional=True)
        self.unconditional_logits = ConditionalLogits(config, conditional=False)
        self.attribute_head = AttributeHead(config) if config.auxiliary_attributes else None
        self.post_init()

    def forward(self, pixel_values: torch.Tensor, condition: torch.Tensor,
                wrong_condition: torch.Tensor | None = None) -> StackGANDiscriminatorOutput:
        self._check_images(pixel_values, self.config.stage2_image_size)
        code = self.encode_image(pixel_values)
        return StackGANDiscriminatorOutput(
            logits=self.conditional_logits(code, condition),
            wrong_logits=self.conditional_logits(code, wrong_condition) if wrong_condition is not None else None,
            unconditional_logits=self.unconditional_logits(code),
            attribute_logits=self.attribute_head(code) if self.attribute_head is not None else None,
            image_features=code,
        )


__all__ = [
    "StackGANPreTrainedModel", "StackGANStage1Generator", "StackGANStage1Discriminator", "StackGANStage2Generator",
    "StackGANStage2Discriminator", "ConditioningAugmentation",
]
