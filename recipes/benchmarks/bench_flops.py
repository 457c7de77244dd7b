"""Training FLOPs of every part at a preset, counted by torch.utils.flop_counter.FlopCounterMode; with --time, the
step time at the preset's batch and the share of this machine's measured peak. Prints one JSON object.

    python recipes/benchmarks/bench_flops.py                         # full presets: FLOPs and run totals
    python recipes/benchmarks/bench_flops.py --scale demo --time     # demo presets: step time, share of peak

A step is the recipe's whole training step on random data of the real shapes (forward, backward, optimizer; for
the GANs D on real, wrong and fake pairs, then G, with GAN-INT where the preset has it; the ASR without its CTC
head). FLOPs are counted on a batch of 2 and given per sample. `--time` runs `--steps` steps at the preset's batch
after one warm-up step and takes the median, in the precision the demo trains in (bf16 where the CPU runs it
natively, fp32 elsewhere; `--fp32` for fp32 everywhere); the peak is a 2048 x 2048 matmul in the same precision, timed in the
same run. For the full presets the run totals multiply the per-sample FLOPs by the samples a run sees (epochs x
the real data sets' sizes: LJSpeech 13,100 clips of 6.6 s mean less 10 % held out; CUB's 8,855 training images,
88,550 captions); GPU hours are then an estimate at an assumed sustained throughput, not a measurement.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import torch
import yaml
from torch.utils.flop_counter import FlopCounterMode

from s2i_hf import benchmarking
from s2i_hf.demo import cpu_has_fast_bf16

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
PARTS = ("asr", "text_encoder", "stage1", "stage2")
PRESETS = {"full": ("asr_ljspeech", "text_encoder_cub", "stackgan_stage1_cub", "stackgan_stage2_cub"),
           "demo": ("asr_demo", "text_encoder_demo", "stackgan_stage1_demo", "stackgan_stage2_demo")}


def gan_step(stage: int, preset: dict, stage1_preset: dict, batch_size: int):
    """The recipe's StackGAN step (s2i_hf.training.stackgan.training_step) at a preset's sizes and options."""
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
    first = {k: stage1_preset[k] for k in ("generator_width", "discriminator_width", "condition_dim", "noise_dim",
                                           "normalize_text_embeds") if k in stage1_preset}
    stage1 = StackGANStage1Generator(StackGANConfig(**first, auxiliary_attributes=values))
    own = {k: preset[k] for k in ("generator_width", "discriminator_width", "num_residual_blocks", "stage2_residual",
                                  "stage2_detail_only") if k in preset}
    config = StackGANConfig(**{**first, **own}, auxiliary_attributes=values)
    if stage == 1:
        g, d, size = stage1, StackGANStage1Discriminator(config), 64
    else:
        g, d, size = StackGANStage2Generator(config, stage1), StackGANStage2Discriminator(config), 256
    g.to(memory_format=torch.channels_last), d.to(memory_format=torch.channels_last)
    n = batch_size
    batch = {"pixel_values": torch.rand(n, 3, size, size) * 2 - 1, "text_embeds": torch.randn(n, 1024),
             "class_id": torch.arange(n)}
    if groups:
        batch["attribute_targets"] = torch.ones(n, 15 * len(groups))
        batch["caption_attribute_targets"] = torch.ones(n, 15 * len(groups))
        if preset.get("recolored_loss_weight"):
            batch["recolored_embeds"] = torch.randn(n, 1024)
            batch["recolored_attribute_targets"] = torch.ones(n, 15 * len(groups))
    loss = StackGANLoss(kl_weight=preset.get("kl_weight", 2.0), attribute_sizes=[15] * len(groups),
                        attribute_loss_on_fakes=preset.get("attribute_loss_on_fakes", False),
                        interpolation_weight=preset.get("interpolation_loss_weight", 0.0),
                        complementary_interpolation=preset.get("complementary_interpolation", False),
                        recolored_weight=preset.get("recolored_loss_weight", 0.0),
                        draft_consistency_weight=preset.get("draft_consistency_weight", 0.0))
    opts = [torch.optim.Adam([p for p in m.parameters() if p.requires_grad], lr=1e-4) for m in (g, d)]
    noise = torch.Generator().manual_seed(0)
    return lambda: training_step(g, d, *opts, loss, batch, noise, channels_last=True)


def asr_step(preset: dict, batch_size: int, seconds: float = 6.6, characters: int = 90):
    """Speech2Text forward, backward and AdamW on clips of `seconds` (the CTC head left out)."""
    from s2i_hf.models.asr.speech_transformer import build_model, build_processor

    keys = ("d_model", "encoder_layers", "decoder_layers", "attention_heads", "ffn_dim", "conv_channels",
            "conv_kernel_sizes", "dropout", "attention_dropout", "activation_dropout")
    model = build_model(build_processor(), **{k: preset[k] for k in keys if k in preset}).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    frames = int(seconds * 100)
    features = torch.randn(batch_size, frames, 80)
    mask = torch.ones(batch_size, frames, dtype=torch.long)
    labels = torch.randint(4, 30, (batch_size, characters))

    def step():
        optimizer.zero_grad(set_to_none=True)
        model(input_features=features, attention_mask=mask, labels=labels).loss.backward()
        optimizer.step()

    return step


def text_encoder_step(preset: dict, batch_size: int):
    from s2i_hf.models.text_encoder import CharCNNRNNConfig, CharCNNRNNModel

    keys = ("char_embedding_dim", "conv_channels", "rnn_hidden_size", "max_length")
    model = CharCNNRNNModel(CharCNNRNNConfig(**{k: preset[k] for k in keys if k in preset})).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(3, 60, (batch_size, preset.get("max_length", 201)))
    targets = torch.randn(batch_size, model.config.text_embedding_dim)

    def step():
        optimizer.zero_grad(set_to_none=True)
        model(input_ids=ids, attention_mask=torch.ones_like(ids), target_embeds=targets).loss.backward()
        optimizer.step()

    return step


def make_step(part: str, presets: dict, batch_size: int):
    asr, text, stage1, stage2 = (presets[p] for p in PARTS)
    return {"asr": lambda: asr_step(asr, batch_size), "text_encoder": lambda: text_encoder_step(text, batch_size),
            "stage1": lambda: gan_step(1, stage1, stage1, batch_size),
            "stage2": lambda: gan_step(2, stage2, stage1, batch_size)}[part]()


def batch_size_of(preset: dict) -> int:
    return int(preset.get("per_device_train_batch_size", preset.get("train_batch_size", 2)))


def count_flops(step) -> float:
    with FlopCounterMode(display=False) as counter:
        step()
    return float(counter.get_total_flops())


def matmul_peak_gflops(dtype: torch.dtype, n: int = 2048, repeats: int = 10) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    return 2 * n**3 / benchmarking.median_seconds(lambda: torch.mm(a, b), repeats) / 1e9


def main():
    parser = benchmarking.parser(__doc__)
    parser.add_argument("--scale", choices=["full", "demo"], default="full")
    parser.add_argument("--time", action="store_true", help="also time steps at the preset's batch (share of peak)")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per part (median)")
    parser.add_argument("--fp32", action="store_true", help="time every part in fp32, even where bf16 is native")
    parser.add_argument("--sustained_tflops", type=float, default=60.0,
                        help="assumed sustained training throughput of one GPU, for the GPU-hour estimate")
    args = parser.parse_args()
    torch.manual_seed(0)
    names = PRESETS[args.scale]
    presets = {part: yaml.safe_load((CONFIGS / f"{name}.yaml").read_text()) for part, name in zip(PARTS, names)}
    per_sample = {part: count_flops(make_step(part, presets, 2)) / 2 for part in PARTS}
    # the ASR's samples are seconds of audio (clips of 6.6 s), the others images or captions
    per_sample["asr"] /= 6.6
    result = {"scale": args.scale, "presets": list(names),
              "gflop_per_sample": {p: round(v / 1e9, 3) for p, v in per_sample.items()},
              "sample": {"asr": "second of audio", "text_encoder": "caption", "stage1": "image", "stage2": "image"}}
    if args.scale == "full":
        seen = {"asr": 13_100 * 0.9 * 6.6 * presets["asr"]["num_train_epochs"],
                "text_encoder": 88_550 * presets["text_encoder"]["num_train_epochs"],
                "stage1": 8_855 * presets["stage1"]["num_train_epochs"],
                "stage2": 8_855 * presets["stage2"]["num_train_epochs"]}
        totals = {p: per_sample[p] * seen[p] for p in PARTS}
        result["run_pflop"] = {p: round(v / 1e15, 1) for p, v in totals.items()}
        result["gpu_hours_estimate"] = {p: round(v / (args.sustained_tflops * 1e12) / 3600, 1)
                                        for p, v in totals.items()}
        result["assumed_sustained_tflops"] = args.sustained_tflops
    if args.time:
        native_bf16 = cpu_has_fast_bf16()
        peak = {"fp32": matmul_peak_gflops(torch.float32)}
        if native_bf16:
            peak["bf16"] = matmul_peak_gflops(torch.bfloat16)
        result["peak_gflops"] = {k: round(v, 1) for k, v in peak.items()}
        result["threads"] = torch.get_num_threads()
        result["steps"] = {}
        for part in PARTS:
            precision = "bf16" if native_bf16 and not args.fp32 else "fp32"
            batch = batch_size_of(presets[part])
            step = make_step(part, presets, batch)
            autocast = (torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16"
                        else contextlib.nullcontext())
            with autocast:
                flops = count_flops(step)
                seconds = benchmarking.median_seconds(step, args.steps)
            result["steps"][part] = {"batch": batch, "precision": precision, "step_ms": round(seconds * 1000, 1),
                                     "gflop_per_step": round(flops / 1e9, 2),
                                     "achieved_gflops": round(flops / seconds / 1e9, 1),
                                     "share_of_peak": round(flops / seconds / 1e9 / peak[precision], 3)}
    benchmarking.emit(result)


if __name__ == "__main__":
    main()
