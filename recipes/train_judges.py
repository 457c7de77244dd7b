"""Train the two judges of generated birds on the real train renders of a CUB folder, labelled by its attribute
files: the attribute classifier (which colours an image shows) and the realism feature network (the space of the
Fréchet distance and the diversity figure). Neither ever sees a generated image.

    python recipes/train_judges.py --dataset_dir outputs/birds --output_dir outputs/judges

Writes --output_dir/attribute_classifier and --output_dir/feature_net in save_pretrained form (each skipped where
it is there already), for evaluate_stackgan.py (--classifier, --feature_net) and the demo's report.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from s2i_hf.data.cub import load_cub
from s2i_hf.data.cub_attributes import attribute_files, has_attribute_files
from s2i_hf.metrics.bird_quality import fit_judge
from s2i_hf.metrics.realism import fit_feature_net


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset_dir", required=True, help="CUB folder with CUB_200_2011/attributes/")
    parser.add_argument("--output_dir", required=True)
    parser.add_argument("--attributes", nargs="+", default=["has_belly_color", "has_wing_color"],
                        help="CUB colour groups the attribute classifier reads")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    if not has_attribute_files(args.dataset_dir):
        names, labels = attribute_files(Path(args.dataset_dir))
        raise SystemExit(f"{args.dataset_dir}: the judges learn from CUB's attribute files, but "
                         f"{labels if names else Path(args.dataset_dir) / 'attributes.txt'} is missing")
    out = Path(args.output_dir)
    train = load_cub(args.dataset_dir, "train", attributes=True)
    written = {}
    for name, fit in (("attribute_classifier", lambda: fit_judge(args.dataset_dir, args.attributes, args.seed, train)),
                      ("feature_net", lambda: fit_feature_net(args.dataset_dir, train=train, seed=args.seed))):
        if not (out / name / "config.json").is_file():
            fit().save_pretrained(out / name)
        written[name] = str(out / name)
    print(json.dumps(written))


if __name__ == "__main__":
    main()
