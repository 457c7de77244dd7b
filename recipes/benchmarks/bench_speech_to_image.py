"""End-to-end speech-to-image latency and throughput of a bundle on held-out-voice clips, with each stage's share.
Prints one JSON object.

    python recipes/benchmarks/bench_speech_to_image.py --bundle outputs/demo/bundle \
        --dataset_dir outputs/demo/speech --clips 20

Batch 1: each clip through `pipeline("speech-to-image")` (decode, resample, transcribe, embed, draw one 256 x 256
image), median milliseconds per clip; the stage shares come from timing the same calls the pipeline makes.
Batch 16: the bundle's batched calls (transcribe 16 clips at once, embed, draw), images per second. Peak RSS is the
process's.
"""

from __future__ import annotations

import resource
import statistics
import time

import torch

from s2i_hf import benchmarking


def main():
    parser = benchmarking.parser(__doc__)
    parser.add_argument("--bundle", required=True)
    parser.add_argument("--dataset_dir", required=True, help="LJSpeech-format folder (the held-out voice is used)")
    parser.add_argument("--test_speaker", default="en-us+f4")
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import s2i_hf  # noqa: F401
    from transformers import pipeline

    from s2i_hf.data.audio import load_audio
    from s2i_hf.data.ljspeech import load_ljspeech

    test = load_ljspeech(args.dataset_dir, test_speaker=args.test_speaker)["test"]
    test = test.select(range(min(args.clips, len(test))))
    paths = [row["audio"]["path"] for row in test]
    seconds = [row["duration"] for row in test]
    pipe = pipeline("speech-to-image", model=args.bundle)
    model = pipe.model
    pipe(paths[0], seed=0)  # warm-up

    # batch 1 through the pipeline, and the same steps timed one by one
    totals, stages = [], {"decode": [], "transcribe": [], "embed": [], "draw": []}
    for _ in range(args.repeats):
        for i, path in enumerate(paths):
            start = time.perf_counter()
            pipe(path, seed=i)
            totals.append(time.perf_counter() - start)
            t0 = time.perf_counter()
            wave = load_audio(path, 16000)
            t1 = time.perf_counter()
            text = model.transcribe([wave])[0]
            t2 = time.perf_counter()
            embeds = model.embed([text])
            t3 = time.perf_counter()
            model.draw(embeds, generator=torch.Generator().manual_seed(i), texts=[text])  # the texts: the critic's colours
            t4 = time.perf_counter()
            for name, value in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                stages[name].append(value)
    stage_total = sum(statistics.median(v) for v in stages.values())

    # batch 16: the bundle's batched calls
    batch = [load_audio(p, 16000) for p in (paths * 16)[:16]]
    rates = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        texts = model.transcribe(batch)
        model.draw(model.embed(texts), generator=torch.Generator().manual_seed(0), texts=texts)
        rates.append(16 / (time.perf_counter() - start))

    benchmarking.emit({
        "clips": len(paths), "mean_clip_seconds": round(sum(seconds) / len(seconds), 2),
        "batch1_ms_per_clip_median": round(1000 * statistics.median(totals), 1),
        "batch1_ms_per_clip_p90": round(1000 * sorted(totals)[int(0.9 * (len(totals) - 1))], 1),
        "stage_share": {k: round(statistics.median(v) / stage_total, 3) for k, v in stages.items()},
        "stage_ms_median": {k: round(1000 * statistics.median(v), 1) for k, v in stages.items()},
        "batch16_clips_per_s": round(statistics.median(rates), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "torch_threads": torch.get_num_threads(),
    })


if __name__ == "__main__":
    main()
