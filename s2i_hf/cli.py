"""The `s2i` command (also `python -m s2i_hf`).

    s2i synth speech OUT --n N --seed S     spoken bird captions as an LJSpeech-1.1 folder (eSpeak NG, flite, festival)
    s2i synth birds OUT --n N --seed S      synthetic birds as CUB_200_2011 + StackGAN birds metadata
    s2i generate --model BUNDLE --audio a.wav [--out img.png]   speech to image; prints the transcript
    s2i generate --model BUNDLE --text "a red bird..." [--out img.png]
    s2i demo --output_dir D                  everything, from synthetic corpora to D/report.html and D/bundle/
    s2i app --model BUNDLE [--port 7860]     a web page: say it (or type it), see the bird (needs [app])
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def _synth(args) -> int:
    start = time.perf_counter()
    if args.corpus == "speech":
        from .data.synthetic.speech import synthesize_speech_corpus

        out = synthesize_speech_corpus(args.out, args.n, seed=args.seed, num_workers=args.num_workers,
                                       voices=args.voices, phrasing=args.phrasing,
                                       sentences_per_clip=args.sentences_per_clip, english_share=args.english_share,
                                       random_words_share=args.random_words_share, engines_spec=args.engines,
                                       overwrite=args.overwrite)
    else:
        from .data.synthetic.birds import synthesize_bird_corpus

        out = synthesize_bird_corpus(args.out, args.n, seed=args.seed, num_workers=args.num_workers,
                                     overwrite=args.overwrite)
    seconds = time.perf_counter() - start
    print(json.dumps({"corpus": args.corpus, "out": str(out), "n": args.n, "seconds": round(seconds, 2)}))
    return 0


def _generate(args) -> int:
    import s2i_hf  # noqa: F401  (registers the pipeline tasks)
    from transformers import pipeline

    if (args.audio is None) == (args.text is None):
        raise ValueError("give exactly one of --audio and --text")
    task = "speech-to-image" if args.audio else "text-to-image"
    pipe = pipeline(task, model=args.model)
    out = pipe(args.audio or args.text, num_images_per_prompt=args.num_images, seed=args.seed, height=args.height)
    print(json.dumps({"text": out["text"], "images": len(out["images"])}) if args.json else out["text"])
    if not out["images"]:
        print("s2i: no image: the audio is silent or nothing could be read from it", file=sys.stderr)
        return 1
    from diffusers.utils import make_image_grid

    image = out["images"][0] if len(out["images"]) == 1 else make_image_grid(out["images"], 1, len(out["images"]))
    image.save(args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _demo(args) -> int:
    from .demo import run_demo

    figures = run_demo(args.output_dir, speech_clips=args.speech_clips, birds=args.birds, seed=args.seed,
                       report_clips=args.report_clips, stage1_minutes=args.stage1_minutes,
                       stage2_minutes=args.stage2_minutes, scale=args.scale, precision=args.precision)
    print(json.dumps(figures))
    print(f"report: {args.output_dir}/report.html", file=sys.stderr)
    return 0


def _app(args) -> int:
    try:
        from .app import launch
    except ImportError as e:  # gradio is an optional extra
        raise ValueError(f"s2i app needs gradio: pip install 's2i_hf[app]' ({e})") from None
    if not Path(args.model).is_dir():
        raise FileNotFoundError(f"{args.model}: no such bundle folder (build one with `make demo` or "
                                "recipes/build_pipeline.py)")
    print(f"serving {args.model} on http://{args.host}:{args.port}", file=sys.stderr)
    launch(args.model, host=args.host, port=args.port, concurrency=args.concurrency, queue_size=args.queue_size,
           max_file_size=args.max_file_size)
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
                       help="speech only: sentences per clip (2 gives LJSpeech's ~6.6 s mean length)")
    synth.add_argument("--english_share", type=float, default=None,
                       help="speech only, --phrasing mixed: share of clips that also say a sentence of plain English "
                            "(default 0.3)")
    synth.add_argument("--random_words_share", type=float, default=None,
                       help="speech only, --phrasing mixed: share of clips that also say a run of random English "
                            "words, so that spelling comes from the sound (default 0)")
    synth.add_argument("--voices", choices=["train", "unseen"], default="train",
                       help="speech only: the training voices (plus the held-out voice in every ninth clip), or "
                            "voices no training corpus has")
    synth.add_argument("--engines", default=None,
                       help="speech only: engines and their shares, e.g. espeak=0.5,flite=0.3,festival=0.2 (the "
                            "default with --voices train) or flite,festival,festival-hts (equal shares); with "
                            "--voices unseen the default is espeak. festival-hts only speaks unseen voices")
    synth.add_argument("--phrasing", choices=["captions", "mixed", "unseen"], default="mixed",
                       help="speech only: CUB-style captions, half captions and half free requests, or requests "
                            "in sentence shapes no training corpus has")
    synth.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    synth.set_defaults(func=_synth)

    generate = commands.add_parser("generate", help="draw an image from speech or text with a bundle")
    generate.add_argument("--model", required=True, help="a speech-to-image bundle (recipes/build_pipeline.py)")
    generate.add_argument("--audio", help="a WAV/FLAC/OGG file of one spoken caption")
    generate.add_argument("--text", help="a caption (instead of --audio)")
    generate.add_argument("--out", default="image.png", help="PNG to write (several images: one row)")
    generate.add_argument("--num_images", type=int, default=1)
    generate.add_argument("--height", type=int, default=None, choices=[64, 256], help="default: the largest")
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--json", action="store_true", help="print {text, images} as JSON")
    generate.set_defaults(func=_generate)

    demo = commands.add_parser("demo", help="synthesize, train every part, build the bundle, write a report")
    demo.add_argument("--output_dir", default="outputs/demo")
    demo.add_argument("--speech_clips", type=int, default=6000)
    demo.add_argument("--birds", type=int, default=4000)
    demo.add_argument("--report_clips", type=int, default=64,
                      help="held-out-voice clips of unseen classes naming both colours, scored (the first 16 "
                           "are shown); also the size of each test set of unseen voices and of unseen phrasing")
    demo.add_argument("--stage1_minutes", type=float, default=None, help="override the preset's time budget")
    demo.add_argument("--stage2_minutes", type=float, default=None)
    demo.add_argument("--scale", choices=["demo", "tiny"], default="demo", help="tiny: the test presets (smoke run)")
    demo.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto",
                      help="auto: bf16 for a part where the CPU runs it natively and its step, timed here, is faster")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_demo)

    app = commands.add_parser("app", help="serve a web page that draws birds from speech or text (needs [app])",
                              description="A Gradio page on a bundle: record or upload a clip, or type a caption, "
                                          "and see the transcript and the images. Example: s2i app --model "
                                          "outputs/demo/bundle")
    app.add_argument("--model", required=True, help="a speech-to-image bundle folder")
    app.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1: this machine only)")
    app.add_argument("--port", type=int, default=7860)
    app.add_argument("--concurrency", type=int, default=1, help="requests computed at once; the rest queue")
    app.add_argument("--queue_size", type=int, default=16, help="requests waiting at most; more are turned away")
    app.add_argument("--max_file_size", default="10mb", help="largest upload accepted")
    app.set_defaults(func=_app)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .data.synthetic.engines import EngineMissingError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileExistsError, FileNotFoundError, TypeError, ValueError, EngineMissingError) as e:  # one clear line
        print(f"s2i: error: {e}", file=sys.stderr)
        return 2
