"""Data benchmark: synthesis speed of both corpora and LJSpeech-sized loading + preprocessing, as JSON.

    python recipes/benchmarks/bench_data.py --workers 2 --repeats 3

Synthesis: clips/s and images/s over `--n` items, median of `--repeats` runs (each a fresh corpus).
Preprocessing: `--clips` clips of two captions each (about LJSpeech's 6.6 s mean), `load_ljspeech` (reads every
header), then `Dataset.map(decode_batch, num_proc=workers)` to 16 kHz float32; the same map again is served by the
datasets cache. Seconds are per 1,000 clips.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from s2i_hf import benchmarking


def main():
    parser = benchmarking.parser(__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n", type=int, default=600, help="items per synthesis run")
    parser.add_argument("--clips", type=int, default=1000, help="LJSpeech-sized clips for the preprocessing run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="s2i_bench_data_") as tmp:
        tmp = Path(tmp)
        os.environ["HF_DATASETS_CACHE"] = str(tmp / "hf_cache")
        import datasets

        from s2i_hf.data.audio import decode_batch, decoded_features
        from s2i_hf.data.ljspeech import load_ljspeech
        from s2i_hf.data.synthetic.birds import synthesize_bird_corpus
        from s2i_hf.data.synthetic.speech import synthesize_speech_corpus

        datasets.disable_progress_bars()
        speech_rates, bird_rates = [], []
        for r in range(args.repeats):
            start = time.perf_counter()
            synthesize_speech_corpus(tmp / f"speech{r}", args.n, seed=r, num_workers=args.workers)
            speech_rates.append(args.n / (time.perf_counter() - start))
            start = time.perf_counter()
            synthesize_bird_corpus(tmp / f"birds{r}", args.n, seed=r, num_workers=args.workers)
            bird_rates.append(args.n / (time.perf_counter() - start))

        corpus = synthesize_speech_corpus(tmp / "ljsized", args.clips, seed=0, num_workers=args.workers,
                                          sentences_per_clip=2)
        start = time.perf_counter()
        splits = load_ljspeech(corpus, cache_dir=str(tmp / "hf_cache"))  # file-backed: the rerun reads the cache
        load_s = time.perf_counter() - start
        train = splits["train"]
        durations = train["duration"]
        timings = []
        for _ in range(2):  # the second pass is served by the datasets cache
            start = time.perf_counter()
            decoded = train.map(decode_batch, batched=True, batch_size=32, num_proc=args.workers,
                                features=decoded_features(train.features))
            timings.append(time.perf_counter() - start)
        assert abs(len(decoded[0]["array"]) - durations[0] * 16000) < 2  # decoded at 16 kHz, whole clip
        per_1000 = 1000 / len(train)

    benchmarking.emit({
        "workers": args.workers,
        "speech_synthesis_clips_per_s": {"median": round(statistics.median(speech_rates), 1),
                                         "runs": [round(x, 1) for x in speech_rates], "n": args.n},
        "bird_synthesis_images_per_s": {"median": round(statistics.median(bird_rates), 1),
                                        "runs": [round(x, 1) for x in bird_rates], "n": args.n},
        "ljspeech_sized_preprocessing": {
            "clips": len(train),
            "mean_clip_seconds": round(statistics.mean(durations), 2),
            "load_ljspeech_s_per_1000_clips": round(load_s * 1000 / (args.clips), 2),
            "decode_resample_16k_s_per_1000_clips": round(timings[0] * per_1000, 2),
            "cached_rerun_s_per_1000_clips": round(timings[1] * per_1000, 2),
            "num_proc": args.workers,
        },
    }, indent=2)


if __name__ == "__main__":
    main()
