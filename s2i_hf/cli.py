"""The `s2i` command (also `python -m s2i_hf`).

    s2i synth speech OUT --n N --seed S     spoken bird captions as an LJSpeech-1.1 folder (eSpeak NG)
    s2i synth birds OUT --n N --seed S      synthetic birds as CUB_200_2011 + StackGAN birds metadata
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def _synth(args) -> int:
    start = time.perf_counter()
    if args.corpus == "speech":
        from .data.synthetic.speech import synthesize_speech_corpus

        out = synthesize_speech_corpus(args.out, args.n, seed=args.seed, num_workers=args.num_workers,
                                       sentences_per_clip=args.sentences_per_clip, overwrite=args.overwrite)
    else:
        from .data.synthetic.birds import synthesize_bird_corpus

        out = synthesize_bird_corpus(args.out, args.n, seed=args.seed, num_workers=args.num_workers,
                                     overwrite=args.overwrite)
    seconds = time.perf_counter() - start
    print(json.dumps({"corpus": args.corpus, "out": str(out), "n": args.n, "seconds": round(seconds, 2)}))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="s2i", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    synth = commands.add_parser("synth", help="write a synthetic corpus in a real data set's format")
    synth.add_argument("corpus", choices=["speech", "birds"])
    synth.add_argument("out", help="output folder (created; refused if it exists, unless --overwrite)")
    synth.add_argument("--n", type=int, required=True, help="number of clips (speech) or images (birds)")
    synth.add_argument("--seed", type=int, default=0, help="the same seed writes identical files")
    synth.add_argument("--num_workers", type=int, default=None, help="processes (default: all cores, at most 8)")
    synth.add_argument("--sentences_per_clip", type=int, default=1,
                       help="speech only: captions per clip (2 gives LJSpeech's ~6.6 s mean length)")
    synth.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    synth.set_defaults(func=_synth)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileExistsError, ValueError) as e:  # bad input: one clear line, not a traceback
        print(f"s2i: error: {e}", file=sys.stderr)
        return 2
