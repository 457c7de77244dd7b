"""Each part's training step at a preset, on random data of the real shapes, and its FLOPs: what bench_flops.py,
bench_stackgan.py and gpu_check.py time and count.

A step is the recipe's whole training step (forward, backward, optimizer): for the GANs the recipe's own
`training_step` (D on real, wrong and fake pairs, then G, with the preset's extra terms); for the ASR the
Speech2Text loss without its CTC head; for the text encoder its regression onto the target embeddings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
import yaml
from torch.utils.flop_counter import FlopCounterMode

CONFIGS = Path(__file__).resolve().parents[2] / "recipes" / "configs"
PARTS = ("asr", "text_encoder", "stage1", "stage2")
PRESETS = {"full": ("asr_ljspeech", "text_encoder_cub", "stackgan_stage1_cub", "stackgan_stage2_cub"),
           "demo": ("asr_demo", "text_encoder_demo", "stackgan_stage1_demo", "stackgan_stage2_demo"),
           "tiny": ("asr_tiny", "text_encoder_tiny", "stackgan_stage1_tiny", "stackgan_stage2_tiny")}


def load_presets(scale: str) -> dict[str, dict]:
    """{part: its YAML preset} at `scale` ("full": the reference sizes, "demo": sized for two CPU cores, "tiny": the
    tests')."""
    if scale not in PRESETS:
        raise ValueError(f"scale {scale!r}: must be one of {sorted(PRESETS)}")
    return {part: yaml.safe_load((CONFIGS / f"{name}.yaml").read_text()) for part, name in zip(PARTS, PRESETS[scale])}


def batch_size_of(preset: dict) -> int:
    return int(preset.get("per_device_train_batch_size", preset.get("train_batch_size", 2)))


def build_gan(stage: int, preset: dict, stage1_preset: dict, channels_last: bool = True):
    """(generator, discriminator, image size) of a StackGAN stage at a preset's sizes; {} gives the reference's."""
    from ..models.stackgan import (
        StackGANConfig,
        StackGANStage1Discriminator,
        StackGANStage1Generator,
        StackGANStage2Discriminator,
        StackGANStage2Generator,
    )

    values = {g: [f"v{i}" for i in range(15)] for g in preset.get("auxiliary_attributes") or []} or None
    first = {k: stage1_preset[k] for k in ("generator_width", "discriminator_width", "condition_dim", "noise_dim",
                                           "normalize_text_embeds") if k in stage1_preset}
    stage1 = StackGANStage1Generator(StackGANConfig(**first, auxiliary_attributes=values))
    own = {k: preset[k] for k in ("generator_width", "discriminator_width", "num_residual_blocks", "stage2_residual",
                                  "stage2_detail_only", "stage2_detail_lowpass", "stage2_noise_injection",
                                  "unconditional_logits") if k in preset}
    pairs = stage == 1 and preset.get("pair_loss_weight", 0) > 0
    config = StackGANConfig(**{**first, **own}, auxiliary_attributes=values, pair_logits=pairs)
    if stage == 1:
        g, d, size = stage1, StackGANStage1Discriminator(config), 64
    else:
        g, d, size = StackGANStage2Generator(config, stage1), StackGANStage2Discriminator(config), 256
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    return g.to(memory_format=memory_format), d.to(memory_format=memory_format), size


def gan_step(stage: int, preset: dict, stage1_preset: dict, batch_size: int,
             channels_last: bool = True) -> Callable[[], dict]:
    """The recipe's StackGAN step (s2i_hf.training.stackgan.training_step) at a preset's sizes and options, with
    the reference optimizers (Adam 2e-4, betas 0.5 / 0.999). Returns the step; each call returns its losses."""
    from ..training.stackgan import StackGANLoss, training_step

    g, d, size = build_gan(stage, preset, stage1_preset, channels_last)
    groups = len(preset.get("auxiliary_attributes") or [])
    n = batch_size
    batch = {"pixel_values": torch.rand(n, 3, size, size) * 2 - 1, "text_embeds": torch.randn(n, 1024),
             "class_id": torch.arange(n)}
    if stage == 1 and preset.get("pair_loss_weight"):  # the step as it is once the pair term has joined
        batch["mate_pixel_values"] = torch.rand(n, 3, size, size) * 2 - 1
    if groups:
        batch["attribute_targets"] = batch["caption_attribute_targets"] = torch.ones(n, 15 * groups)
        if preset.get("recolored_loss_weight"):
            batch["recolored_embeds"] = torch.randn(n, 1024)
            batch["recolored_attribute_targets"] = torch.ones(n, 15 * groups)
    loss = StackGANLoss(kl_weight=preset.get("kl_weight", 2.0), attribute_sizes=[15] * groups,
                        attribute_weight=preset.get("attribute_loss_weight", 1.0),
                        attribute_loss_on_fakes=preset.get("attribute_loss_on_fakes", False),
                        interpolation_weight=preset.get("interpolation_loss_weight", 0.0),
                        complementary_interpolation=preset.get("complementary_interpolation", False),
                        recolored_weight=preset.get("recolored_loss_weight", 0.0),
                        draft_consistency_weight=preset.get("draft_consistency_weight", 0.0),
                        mode_seeking_weight=preset.get("mode_seeking_weight", 0.0),
                        feature_matching_weight=preset.get("feature_matching_weight", 0.0),
                        periodic_weight=preset.get("periodic_loss_weight", 0.0) if stage == 2 else 0.0,
                        pair_weight=preset.get("pair_loss_weight", 0.0) if stage == 1 else 0.0,
                        pair_attributes=preset.get("pair_attributes", False))
    opts = [torch.optim.Adam([p for p in m.parameters() if p.requires_grad], lr=2e-4, betas=(0.5, 0.999))
            for m in (g, d)]
    noise = torch.Generator().manual_seed(0)
    return lambda: training_step(g, d, *opts, loss, batch, noise, channels_last=channels_last)


def asr_step(preset: dict, batch_size: int, seconds: float = 6.6, characters: int = 90) -> Callable[[], None]:
    """Speech2Text forward, backward and AdamW on clips of `seconds` (LJSpeech's mean; the CTC head left out)."""
    from ..models.asr.speech_transformer import build_model, build_processor

    keys = ("d_model", "encoder_layers", "decoder_layers", "attention_heads", "ffn_dim", "conv_channels",
            "conv_kernel_sizes", "dropout", "attention_dropout", "activation_dropout")
    model = build_model(build_processor(), **{k: preset[k] for k in keys if k in preset}).train()
    frames = int(seconds * 100)
    inputs = {"input_features": torch.randn(batch_size, frames, 80),
              "attention_mask": torch.ones(batch_size, frames, dtype=torch.long),
              "labels": torch.randint(4, 30, (batch_size, characters))}
    return _optimized(model, lambda: model(**inputs).loss)


def text_encoder_step(preset: dict, batch_size: int) -> Callable[[], None]:
    from ..models.text_encoder import CharCNNRNNConfig, CharCNNRNNModel

    keys = ("char_embedding_dim", "conv_channels", "rnn_hidden_size", "max_length")
    model = CharCNNRNNModel(CharCNNRNNConfig(**{k: preset[k] for k in keys if k in preset})).train()
    ids = torch.randint(3, 60, (batch_size, preset.get("max_length", 201)))
    targets = torch.randn(batch_size, model.config.text_embedding_dim)
    return _optimized(model, lambda: model(input_ids=ids, attention_mask=torch.ones_like(ids),
                                           target_embeds=targets).loss)


def _optimized(model: torch.nn.Module, loss: Callable[[], torch.Tensor]) -> Callable[[], None]:
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss().backward()
        optimizer.step()

    return step


def make_step(part: str, presets: dict[str, dict], batch_size: int) -> Callable:
    """`part`'s training step at its preset in `presets` (Stage II is built on the Stage-I preset's sizes)."""
    if part == "asr":
        return asr_step(presets["asr"], batch_size)
    if part == "text_encoder":
        return text_encoder_step(presets["text_encoder"], batch_size)
    if part in ("stage1", "stage2"):
        return gan_step(int(part[-1]), presets[part], presets["stage1"], batch_size)
    raise ValueError(f"part {part!r}: must be one of {PARTS}")


def count_flops(step: Callable) -> float:
    """The FLOPs of one call of `step`, counted by torch.utils.flop_counter (matmuls and convolutions)."""
    with FlopCounterMode(display=False) as counter:
        step()
    return float(counter.get_total_flops())


def flops_per_sample(presets: dict[str, dict]) -> dict[str, float]:
    """Training FLOPs per sample of each part, counted on a batch of 2 (per clip for the ASR: 6.6 s of audio)."""
    return {part: count_flops(make_step(part, presets, 2)) / 2 for part in PARTS}
