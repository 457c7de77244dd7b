"""Assemble a speech-to-image bundle from trained parts: one folder that `pipeline("speech-to-image", model=...)`
loads with nothing else (after `import s2i_hf`, or with `trust_remote_code=True` without it).

    python recipes/build_pipeline.py --asr outputs/asr --text_encoder outputs/text_encoder \
        --stage1 outputs/stage1 --stage2 outputs/stage2 --output_dir outputs/bundle [--push_to_hub --hub_model_id ID]

Layout: config.json (names the pipeline tasks and the code), asr/ (model + processor, its CTC head, and its
character LM where recipes/train_char_lm.py wrote one), text_encoder/ (model + tokenizer), generator/ (Stage II,
holding its Stage I; or Stage I when --stage2 is not given), critic/ (with --critic: what picks, of
--num_candidates drafts, the one showing the colours the text names: an attribute classifier trained on the real
renders, as recipes/train_judges.py writes one, or the Stage-I discriminator with its attribute head), the code
files, and a model card. The generator must take the text encoder's embedding size. `--asr_lm_weight 0.3` decodes
with the character LM. `--condition_noise_scale S` sets how much of the conditioning noise the bundle samples by
default (0: the mean; with a critic each candidate has its own draw of it, and the image is the chosen draft's).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from transformers import AutoModel, AutoModelForSpeechSeq2Seq, AutoProcessor, AutoTokenizer

import s2i_hf  # noqa: F401  (registers the parts and the pipeline tasks)
from s2i_hf.models.asr import load_ctc_head
from s2i_hf.models.asr.char_lm import CHAR_LM_FILE, CharNGramLM
from s2i_hf.models.stackgan.candidates import reads_colours
from s2i_hf.pipelines import SpeechToImageConfig, SpeechToImageModel
from s2i_hf.training.model_card import render_bundle_card
from s2i_hf.training.publish import publish

logger = logging.getLogger(__name__)


def build_bundle(asr: str, text_encoder: str, stage1: str, stage2: str | None, output_dir: str,
                 asr_lm_weight: float = 0.0, critic: str | None = None, num_candidates: int = 1,
                 condition_noise_scale: float | None = None, asr_ctc_weight: float = 0.4,
                 asr_ctc_strict_repeats: bool = False) -> SpeechToImageModel:
    generator = AutoModel.from_pretrained(stage2 or stage1)
    if condition_noise_scale is not None:
        if not 0.0 <= condition_noise_scale <= 1.0:
            raise SystemExit(f"--condition_noise_scale {condition_noise_scale}: must be between 0 (the "
                             "conditioning's mean) and 1 (sampled as in training)")
        for part in (generator, getattr(generator, "stage1", None)):  # Stage I's draft follows the same
            if part is not None:
                part.config.condition_noise_scale = condition_noise_scale
    if stage2:
        stage1_model = AutoModel.from_pretrained(stage1)
        # Stage II carries the Stage I it was trained on; a different --stage1 would silently be ignored
        mismatched = [k for k, v in stage1_model.state_dict().items()
                      if not v.equal(generator.stage1.state_dict()[k])]
        if mismatched:
            raise SystemExit(f"--stage2 {stage2} was trained on another Stage I than --stage1 {stage1} "
                             f"({len(mismatched)} tensors differ, first {mismatched[0]})")
    if num_candidates < 1:
        raise SystemExit(f"--num_candidates {num_candidates}: must be 1 or more")
    if not 0.0 <= asr_ctc_weight <= 1.0:
        raise SystemExit(f"--asr_ctc_weight {asr_ctc_weight}: must be between 0 (attention alone) and 1 (CTC alone)")
    if num_candidates > 1 and not critic:
        raise SystemExit(f"--num_candidates {num_candidates} needs --critic (an attribute classifier folder, or "
                         "Stage I's discriminator)")
    critic_model = None
    if critic:
        if not (Path(critic) / "config.json").is_file():
            raise SystemExit(f"--critic {critic}: no config.json (train_judges.py saves an attribute classifier in "
                             "OUTPUT_DIR/attribute_classifier, train_stackgan.py Stage I's discriminator in "
                             "OUTPUT_DIR/discriminator)")
        critic_model = AutoModel.from_pretrained(critic)
        if not reads_colours(critic_model):
            raise SystemExit(f"--critic {critic}: a {type(critic_model).__name__} that reads no colours; the critic "
                             "is an attribute classifier or Stage I's discriminator trained with --auxiliary_attributes")
    asr_model = AutoModelForSpeechSeq2Seq.from_pretrained(asr)
    ctc_head, char_lm = load_ctc_head(asr, asr_model), CharNGramLM.from_pretrained(asr)
    if asr_lm_weight > 0 and (ctc_head is None or char_lm is None):
        raise SystemExit(f"--asr {asr}: asr_lm_weight {asr_lm_weight} needs the ASR's CTC head and a character LM "
                         f"beside it ({CHAR_LM_FILE}: recipes/train_char_lm.py writes one)")
    model = SpeechToImageModel.from_parts(
        asr=asr_model, asr_processor=AutoProcessor.from_pretrained(asr), ctc_head=ctc_head, char_lm=char_lm,
        text_encoder=AutoModel.from_pretrained(text_encoder), text_tokenizer=AutoTokenizer.from_pretrained(text_encoder),
        generator=generator, critic=critic_model,
        config=SpeechToImageConfig(asr_lm_weight=asr_lm_weight, num_candidates=num_candidates,
                                   asr_ctc_weight=asr_ctc_weight, asr_ctc_strict_repeats=asr_ctc_strict_repeats))
    model.save_pretrained(output_dir)
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("asr", "text_encoder", "stage1"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--stage2", help="the Stage-II generator (256 x 256); without it the bundle draws 64 x 64")
    parser.add_argument("--output_dir", required=True)
    parser.add_argument("--asr_lm_weight", type=float, default=0.0,
                        help="decode with the character LM saved beside --asr (recipes/train_char_lm.py) at this weight")
    parser.add_argument("--asr_ctc_weight", type=float, default=0.4,
                        help="joint CTC/attention decoding: the CTC score's weight, 0 to 1")
    parser.add_argument("--asr_ctc_strict_repeats", action="store_true",
                        help="score doubled letters by exact CTC (letter, blank, letter); by default the decoder "
                        "spells them (s2i_hf/models/asr/decoding.py)")
    parser.add_argument("--critic", help="what reads the drafts' colours: an attribute classifier folder "
                        "(recipes/train_judges.py) or Stage I's discriminator (STAGE1/discriminator)")
    parser.add_argument("--num_candidates", type=int, default=1,
                        help="with --critic: draw each image from the best of this many noises (its colours)")
    parser.add_argument("--condition_noise_scale", type=float, default=None,
                        help="the conditioning noise the bundle samples by default, 0 (its mean) to 1 (as in "
                        "training); default: the generator's own")
    parser.add_argument("--metrics", help="a JSON file of measured figures for the model card (the demo's report)")
    parser.add_argument("--push_to_hub", action="store_true")
    parser.add_argument("--hub_model_id", help="Hub repo id, or file://PATH for a local folder")
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    model = build_bundle(args.asr, args.text_encoder, args.stage1, args.stage2, args.output_dir, args.asr_lm_weight,
                         args.critic, args.num_candidates, args.condition_noise_scale, args.asr_ctc_weight,
                         args.asr_ctc_strict_repeats)
    metrics = json.loads(Path(args.metrics).read_text()) if args.metrics else {}
    render_bundle_card(args.output_dir, model, metrics)
    if args.push_to_hub:
        if not args.hub_model_id:
            raise SystemExit("--push_to_hub needs --hub_model_id (a Hub repo id, or file://PATH)")
        logger.info("published to %s", publish(args.output_dir, args.hub_model_id))
    print(json.dumps({"bundle": args.output_dir, "image_sizes": list(model.image_sizes)}))


if __name__ == "__main__":
    main()
