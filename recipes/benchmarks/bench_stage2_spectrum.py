"""Where a periodic pattern in Stage II's images comes from: the strongest narrow peak of the mean power spectrum
(`s2i_hf.metrics.realism.periodic_artefact_db`: dB above its 9 x 9 neighbourhood, with its period and frequency)
of the 256 px images, of their parts (the draft upsampled, the detail Stage II adds) and of every up-block's
output (its strongest channel of the first 16), against real test renders. Prints JSON.

    python recipes/benchmarks/bench_stage2_spectrum.py --model outputs/demo/stage2 --dataset_dir outputs/demo/birds \
        --text_encoder outputs/demo/text_encoder --images 64

A peak at frequency f in one up-block's output shows up at 0.5 - f/2 (cycles per pixel of the next) after a
nearest-neighbour doubling: following the peak up the blocks tells which block makes the pattern and which mirrors it.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from transformers import AutoModel

import s2i_hf  # noqa: F401  (registers the StackGAN models)
from s2i_hf import benchmarking
from s2i_hf.data.cub import load_cub
from s2i_hf.metrics.attribute_classifier import real_images
from s2i_hf.metrics.realism import periodic_artefact_db
from s2i_hf.training.text_encoder import embed_split_captions


def strongest_channel(activations: torch.Tensor, channels: int = 16) -> dict:
    peaks = [periodic_artefact_db(activations[:, c:c + 1].float().expand(-1, 3, -1, -1))
             for c in range(min(channels, activations.shape[1]))]
    return {**max(peaks, key=lambda p: p["peak_db"]), "size_px": activations.shape[-1]}


def main():
    parser = benchmarking.parser(__doc__)
    parser.add_argument("--model", required=True, help="a trained Stage-II folder")
    parser.add_argument("--dataset_dir", required=True)
    parser.add_argument("--text_encoder", default=None, help="needed for a model trained on a text encoder's space")
    parser.add_argument("--images", type=int, default=64)
    args = parser.parse_args()
    generator = AutoModel.from_pretrained(args.model).eval()
    if not hasattr(generator, "stage1"):
        raise SystemExit(f"--model {args.model} is a Stage-I generator: this looks inside Stage II's up-blocks")
    test = load_cub(args.dataset_dir, "test", attributes=False).select(range(args.images))
    if args.text_encoder:
        test = embed_split_captions(test, args.text_encoder)
    embeds = torch.from_numpy(np.stack([row["embeddings"][0] for row in test]).astype(np.float32))
    blocks = {}
    for i, block in enumerate(generator.upsample):
        block.register_forward_hook(lambda _m, _i, out, i=i: blocks.__setitem__(f"up_block_{i}", out.detach()))
    with torch.no_grad():
        out = generator(embeds, generator=torch.Generator().manual_seed(0))
    images, drafts = out.images.float(), out.stage1_images.float()
    upsampled = F.interpolate(drafts, size=images.shape[-1], mode="bilinear", align_corners=False)
    benchmarking.emit({
        "model": args.model, "images": len(images),
        "image": periodic_artefact_db(images), "draft_upsampled": periodic_artefact_db(upsampled),
        "added_detail": periodic_artefact_db(images - upsampled),
        "real_renders": periodic_artefact_db(real_images(test, size=images.shape[-1])),
        "up_blocks": {name: strongest_channel(a) for name, a in blocks.items()},
    })


if __name__ == "__main__":
    main()
