"""Training FLOPs of every part at a preset, counted by torch.utils.flop_counter.FlopCounterMode, and what a full
training run at the `ljspeech`/`cub` presets costs in FLOPs. Prints one JSON object.

    python recipes/benchmarks/bench_flops.py                  # full-size presets (the real-data recipes)
    python recipes/benchmarks/bench_flops.py --scale demo     # the demo presets

One training step (forward and backward; for the GANs the recipe's whole step: D on real, wrong and fake pairs, G,
GAN-INT where the preset has it) is run on random data of the real shapes with a batch of 2, and its FLOPs are
divided per sample. The run's total is that times the samples a preset's run sees (epochs x training set size,
the real data sets' sizes: LJSpeech 13,100 clips of 6.6 s mean, less 10 % held out; CUB's 8,855 training images,
88,550 captions). GPU hours are then an estimate at an assumed sustained throughput (`--sustained_tflops`), not
a measurement.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
import yaml
from torch.utils.flop_counter import FlopCounterMode

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def _count(step) -> float:
    with FlopCounterMode(display=False) as counter:
        step()
    return float(counter.get_total_flops())


def gan_flops(stage: int, preset: dict, stage1_preset: dict) -> float:
    """FLOPs of one recipe step per image."""
    from s2i_hf.models.stackgan import (
        StackGANConfig,
        StackGANStage1Discriminator,
        StackGANStage1Generator,
        StackGANStage2Discriminator,
        StackGANStage2Generator,
    )
    from s2i_hf.training.stackgan import StackGANLoss, training_step

    groups = preset.get("auxiliary_attributes") or []
    values = {g: [f"v{i}" for i in range(15)] for g in groups} or None
    first = {k: stage1_preset[k] for k in ("generator_width", "discriminator_width", "condition_dim", "noise_dim")
             if k in stage1_preset}
    stage1 = StackGANStage1Generator(StackGANConfig(**first, auxiliary_attributes=values))
    own = {k: preset[k] for k in ("generator_width", "discriminator_width", "num_residual_blocks") if k in preset}
    config = StackGANConfig(**{**first, **own}, auxiliary_attributes=values,
                            stage2_residual=preset.get("stage2_residual", False))
    if stage == 1:
        g, d, size = stage1, StackGANStage1Discriminator(config), 64
    else:
        g, d, size = StackGANStage2Generator(config, stage1), StackGANStage2Discriminator(config), 256
    n = 2
    batch = {"pixel_values": torch.rand(n, 3, size, size) * 2 - 1, "text_embeds": torch.randn(n, 1024),
             "class_id": torch.arange(n)}
    sizes = [15] * len(groups)
    if groups:
        batch["attribute_targets"] = torch.ones(n, 15 * len(groups))
        batch["caption_attribute_targets"] = torch.ones(n, 15 * len(groups))
    loss = StackGANLoss(attribute_sizes=sizes, attribute_loss_on_fakes=preset.get("attribute_loss_on_fakes", False),
                        interpolation_weight=preset.get("interpolation_loss_weight", 0.0),
                        complementary_interpolation=preset.get("complementary_interpolation", False),
                        draft_consistency_weight=preset.get("draft_consistency_weight", 0.0))
    opts = [torch.optim.Adam([p for p in m.parameters() if p.requires_grad], lr=1e-4) for m in (g, d)]
    return _count(lambda: training_step(g, d, *opts, loss, batch, torch.Generator().manual_seed(0))) / n


def asr_flops(preset: dict, seconds: float = 6.6) -> float:
    """FLOPs of one training step per second of audio (a clip of `seconds`, a 90-character transcript)."""
    from s2i_hf.models.asr.speech_transformer import build_model, build_processor

    processor = build_processor()
    keys = ("d_model", "encoder_layers", "decoder_layers", "attention_heads", "ffn_dim", "conv_channels",
            "conv_kernel_sizes")
    model = build_model(processor, **{k: preset[k] for k in keys if k in preset}).train()
    frames = int(seconds * 100)
    features = torch.randn(2, frames, 80)
    labels = torch.randint(4, 30, (2, 90))
    return _count(lambda: model(input_features=features, attention_mask=torch.ones(2, frames, dtype=torch.long),
                                labels=labels).loss.backward()) / (2 * seconds)


def text_encoder_flops(preset: dict) -> float:
    from s2i_hf.models.text_encoder import CharCNNRNNConfig, CharCNNRNNModel

    keys = ("char_embedding_dim", "conv_channels", "rnn_hidden_size", "max_length")
    model = CharCNNRNNModel(CharCNNRNNConfig(**{k: preset[k] for k in keys if k in preset})).train()
    length = preset.get("max_length", 201)
    ids = torch.randint(3, 60, (2, length))
    return _count(lambda: model(input_ids=ids, attention_mask=torch.ones_like(ids)).text_embeds.sum().backward()) / 2


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=["full", "demo"], default="full")
    parser.add_argument("--sustained_tflops", type=float, default=60.0,
                        help="assumed sustained training throughput of one GPU, for the GPU-hour estimate")
    args = parser.parse_args()
    torch.manual_seed(0)
    names = {"full": ("asr_ljspeech", "text_encoder_cub", "stackgan_stage1_cub", "stackgan_stage2_cub"),
             "demo": ("asr_demo", "text_encoder_demo", "stackgan_stage1_demo", "stackgan_stage2_demo")}[args.scale]
    presets = {n: yaml.safe_load((CONFIGS / f"{n}.yaml").read_text()) for n in names}
    asr, text, stage1, stage2 = (presets[n] for n in names)
    per_sample = {
        "asr_per_audio_second": asr_flops(asr),
        "text_encoder_per_caption": text_encoder_flops(text),
        "stage1_per_image": gan_flops(1, stage1, stage1),
        "stage2_per_image": gan_flops(2, stage2, stage1),
    }
    result = {"scale": args.scale, "presets": list(names),
              "gflop_per_sample": {k: round(v / 1e9, 3) for k, v in per_sample.items()}}
    if args.scale == "full":  # the real data sets' sizes and the presets' epochs
        seen = {"asr_per_audio_second": 13_100 * 0.9 * 6.6 * asr["num_train_epochs"],
                "text_encoder_per_caption": 88_550 * text["num_train_epochs"],
                "stage1_per_image": 8_855 * stage1["num_train_epochs"],
                "stage2_per_image": 8_855 * stage2["num_train_epochs"]}
        totals = {k.split("_per_")[0]: per_sample[k] * seen[k] for k in per_sample}
        result["run_pflop"] = {k: round(v / 1e15, 1) for k, v in totals.items()}
        result["gpu_hours_estimate"] = {k: round(v / (args.sustained_tflops * 1e12) / 3600, 1)
                                        for k, v in totals.items()}
        result["assumed_sustained_tflops"] = args.sustained_tflops
    print(json.dumps(result))


if __name__ == "__main__":
    main()
