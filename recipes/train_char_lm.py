"""Count a character n-gram language model for the ASR's beam search and write it beside the ASR model.

    python recipes/train_char_lm.py --output_dir outputs/asr --synthetic_sentences 60000       # the demo's corpus kind
    python recipes/train_char_lm.py --output_dir outputs/asr --dataset_dir data/LJSpeech-1.1 --text_files books.txt

Text comes from any mix of: an LJSpeech-format folder's normalized transcripts (its training split, the test
speaker or test share left out as `train_asr.py` leaves them out), plain text files (one sentence a line),
sentences of the synthetic corpus's kinds (`s2i_hf.data.synthetic.speech.corpus_sentences`) and sentences of plain
English with no bird words (`--english_sentences`, `s2i_hf.data.synthetic.english`). Counting takes seconds.
Decoding uses the model when `--lm_weight` is above 0 (`recipes/evaluate_asr.py`, the pipeline's `asr_lm_weight`).
Prints what was counted as JSON, with the bits per character on `--eval_text_file` if given.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

from transformers import AutoTokenizer

import s2i_hf  # noqa: F401  (registers the character tokenizer)
from s2i_hf.models.asr.char_lm import CharNGramLM


def read_lines(path: str) -> list[str]:
    if not os.path.isfile(path):
        raise SystemExit(f"--text_files: {path} is not a file")
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def bits_per_character(lm: CharNGramLM, tokenizer, texts: list[str]) -> float:
    nats, labels = 0.0, 0
    for text in texts:
        ids = tokenizer(text).input_ids  # the characters, then </s>
        nats -= sum(float(lm.log_probs(ids[:k])[ids[k]]) for k in range(len(ids)))
        labels += len(ids)
    return nats / max(labels, 1) / math.log(2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output_dir", required=True, help="the ASR model folder (its tokenizer defines the labels)")
    parser.add_argument("--dataset_dir", default=None, help="LJSpeech-format folder: its training transcripts")
    parser.add_argument("--test_speaker", default=None, help="with --dataset_dir: the speaker held out for testing")
    parser.add_argument("--text_files", nargs="*", default=[], help="plain text, one sentence a line")
    parser.add_argument("--synthetic_sentences", type=int, default=0,
                        help="this many sentences of the synthetic speech corpus's kinds")
    parser.add_argument("--english_sentences", type=int, default=0,
                        help="this many sentences of plain English (the corpus's word-trigram model, no bird words)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--order", type=int, default=5, help="characters of context + 1")
    parser.add_argument("--eval_text_file", default=None, help="report bits per character on these sentences")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(args.output_dir)
    texts, sources = [], {}
    if args.dataset_dir:
        from s2i_hf.data.ljspeech import load_ljspeech

        train = load_ljspeech(args.dataset_dir, test_speaker=args.test_speaker)["train"]
        sources["dataset_dir"] = len(train)
        texts += train["normalized_text"]
    for path in args.text_files:
        lines = read_lines(path)
        sources[path] = len(lines)
        texts += lines
    if args.synthetic_sentences:
        from s2i_hf.data.synthetic.speech import corpus_sentences

        sources["synthetic"] = args.synthetic_sentences
        texts += corpus_sentences(args.synthetic_sentences, args.seed)
    if args.english_sentences:
        import random

        from s2i_hf.data.synthetic.english import english_sentence

        rng = random.Random(args.seed)
        sources["english"] = args.english_sentences
        texts += [english_sentence(rng) for _ in range(args.english_sentences)]
    if not texts:
        raise SystemExit("no text: give --dataset_dir, --text_files, --synthetic_sentences or --english_sentences")
    lm = CharNGramLM.from_texts(texts, tokenizer, order=args.order)
    lm.save_pretrained(args.output_dir)
    result = {"output": os.path.join(args.output_dir, "char_lm.json"), "order": args.order, "sentences": sources,
              "characters": sum(map(len, texts)), "contexts": len(lm.counts),
              "seconds": round(time.perf_counter() - start, 1)}
    if args.eval_text_file:
        result["eval_bits_per_character"] = round(bits_per_character(lm, tokenizer, read_lines(args.eval_text_file)), 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
