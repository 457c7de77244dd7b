"""What the 256 px two-sample judge reads: is it the renders' grain? The judge (`two_sample_test`, 64 px crops at
full resolution) on a Stage II's images as drawn, with per-pixel Gaussian noise added (the renders carry camera
noise), through a JPEG round trip at the renders' quality (they are JPEG files), and both; beside each, the
images' high-frequency energy (the spread of an image minus its 3 x 3 box blur) against the real renders'. Prints
JSON.

    python recipes/benchmarks/bench_crop_judge.py --model outputs/demo/stage2 --dataset_dir outputs/demo/birds \
        --text_encoder outputs/demo/text_encoder --noise 0.02 0.04

If grain were what tells the images apart, matching the real renders' high-frequency energy would bring the
accuracy toward 0.5. The images are the first noise's (no choice among drafts), 400 unseen-class test captions.
"""

from __future__ import annotations

import io
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from transformers import AutoModel

import s2i_hf  # noqa: F401  (registers the StackGAN models)
from s2i_hf import benchmarking
from s2i_hf.data.cub import load_cub
from s2i_hf.metrics.attribute_classifier import real_images
from s2i_hf.metrics.bird_quality import captions_naming, generate
from s2i_hf.metrics.realism import two_sample_test
from s2i_hf.training.text_encoder import embed_split_captions


def jpeg_round_trip(images: torch.Tensor, quality: int) -> torch.Tensor:
    out = []
    for image in images:
        pixels = ((image.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality)
        out.append(torch.from_numpy(np.asarray(Image.open(buffer), np.float32) / 127.5 - 1).permute(2, 0, 1))
    return torch.stack(out)


def high_frequency_std(images: torch.Tensor) -> float:
    blurred = F.avg_pool2d(F.pad(images, (1, 1, 1, 1), mode="replicate"), 3, 1)
    return round(float((images - blurred).std()), 4)


def main():
    parser = benchmarking.parser(__doc__)
    parser.add_argument("--model", required=True, help="a trained Stage-II folder")
    parser.add_argument("--dataset_dir", required=True)
    parser.add_argument("--text_encoder", default=None, help="needed for a model trained on a text encoder's space")
    parser.add_argument("--noise", type=float, nargs="*", default=[0.02, 0.04], help="std of the added noise, [-1, 1]")
    parser.add_argument("--jpeg_quality", type=int, default=92, help="the synthetic renders' (s2i synth birds)")
    parser.add_argument("--max_images", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if any(s <= 0 for s in args.noise) or not 1 <= args.jpeg_quality <= 100:
        raise SystemExit(f"--noise {args.noise} must be positive and --jpeg_quality {args.jpeg_quality} in 1-100")
    test = load_cub(args.dataset_dir, "test", attributes=False)
    if args.text_encoder:
        test = embed_split_captions(test, args.text_encoder)
    pairs = captions_naming(test, ["has_belly_color", "has_wing_color"])[: args.max_images]
    embeds = torch.from_numpy(np.stack([test[i]["embeddings"][c] for i, c in pairs]).astype(np.float32))
    generated = generate(AutoModel.from_pretrained(args.model), embeds, args.seed)
    if generated.shape[-1] != 256:
        raise SystemExit(f"{args.model}: draws {generated.shape[-1]} px images; the crop judge reads a Stage II's 256 px")
    real = real_images(test, size=256)
    rng = torch.Generator().manual_seed(args.seed + 1)
    noised = {s: (generated + s * torch.randn(generated.shape, generator=rng)).clamp(-1, 1) for s in args.noise}
    variants = {"as drawn": generated, **{f"noise {s}": x for s, x in noised.items()},
                f"JPEG q{args.jpeg_quality}": jpeg_round_trip(generated, args.jpeg_quality),
                **{f"noise {s}, JPEG": jpeg_round_trip(x, args.jpeg_quality) for s, x in noised.items()}}
    result = {"model": args.model, "images": len(generated), "real_high_frequency_std": high_frequency_std(real),
              "variants": {}}
    for name, images in variants.items():
        start = time.perf_counter()
        judged = two_sample_test(real, images, seed=args.seed)
        result["variants"][name] = {"two_sample_accuracy": judged["accuracy"], "interval_95": judged["interval_95"],
                                    "high_frequency_std": high_frequency_std(images),
                                    "seconds": round(time.perf_counter() - start, 1)}
    benchmarking.emit(result)


if __name__ == "__main__":
    main()
