"""Spoken bird captions written as an LJSpeech-1.1 folder, synthesized by eSpeak NG.

    s2i synth speech outputs/speech --n 3000 --seed 0

Layout (the real LJSpeech-1.1 one, plus one side file):
    metadata.csv      id|text|normalized_text, no header, like LJSpeech
    wavs/<id>.wav     mono 16-bit PCM at 22,050 Hz
    synthesis.csv     id|voice|rate|pitch|class_id, with a header: who spoke each clip and which bird class the
                      caption describes, so that a voice (and unseen classes) can be held out for testing
Each clip's voice, rate (words/minute) and pitch are drawn from the seed; the same seed gives identical files.
"""

from __future__ import annotations

import csv
import os
import random
from pathlib import Path

import numpy as np
import soundfile as sf

from . import domain
from .espeak import ESpeak
from .writing import parallel_map, staged_output_dir

# eSpeak NG voice + variant names. Several accents and both sexes, so the ASR meets speaker variety;
# HELD_OUT_VOICE is spoken in the corpus too, and loaders move its clips to the test split on request.
VOICES = (
    "en-us+m1", "en-us+m3", "en-us+f2", "en+m2", "en+f1", "en-gb-scotland+m5", "en-gb-x-rp+f3", "en-029+m4",
    "en-us+f4",
)
HELD_OUT_VOICE = "en-us+f4"
RATE_RANGE = (140, 200)  # words per minute; LJSpeech reads at about 170
PITCH_RANGE = (30, 70)  # eSpeak's 0-99 scale, 50 is the voice's own
SAMPLING_RATE = 22050

# eSpeak's output depends on what its process spoke before, so clips are spoken in fixed blocks, each in a fresh
# process: the files are then the same for any number of workers.
BLOCK_SIZE = 32


def _speak_block(jobs: list[tuple]) -> int:
    engine = ESpeak()
    if engine.sampling_rate != SAMPLING_RATE:
        raise RuntimeError(f"eSpeak NG speaks at {engine.sampling_rate} Hz, expected {SAMPLING_RATE}")
    for wav_path, text, voice, rate, pitch, pad_seed in sorted(jobs, key=lambda job: job[2]):
        samples = engine.synthesize(text, voice=voice, rate=rate, pitch=pitch, seed=int(pad_seed * 2**31))
        # LJSpeech clips start and end with a little silence; vary it so clip edges carry no fixed cue.
        pad_rng = random.Random(pad_seed)
        head, tail = (np.zeros(int(SAMPLING_RATE * pad_rng.uniform(0.05, 0.25)), np.int16) for _ in range(2))
        sf.write(wav_path, np.concatenate([head, samples, tail]), SAMPLING_RATE, subtype="PCM_16")
    return len(jobs)


def synthesize_speech_corpus(
    out_dir: str | os.PathLike,
    n: int,
    seed: int = 0,
    num_workers: int | None = None,
    voices: tuple[str, ...] = VOICES,
    sentences_per_clip: int = 1,
    overwrite: bool = False,
) -> Path:
    """Write `n` spoken captions of random birds (all 100 classes) as an LJSpeech-1.1 folder; return its path.

    `sentences_per_clip` > 1 joins captions of one bird into longer clips (two give LJSpeech's ~6.6 s mean).
    """
    if n <= 0:
        raise ValueError(f"--n must be positive, got {n}")
    rng = random.Random(seed)
    rows, jobs = [], []
    with staged_output_dir(out_dir, overwrite) as staging:
        (staging / "wavs").mkdir()
        for i in range(n):
            clip_id = f"SB{i // 1000 + 1:03d}-{i % 1000 + 1:04d}"
            bird = domain.sample_bird(rng)
            text = " ".join(domain.caption(bird, rng) for _ in range(sentences_per_clip))
            text = text[0].upper() + text[1:]
            voice = voices[i % len(voices)]
            rate, pitch = rng.randint(*RATE_RANGE), rng.randint(*PITCH_RANGE)
            rows.append((clip_id, text, voice, rate, pitch, bird.class_id))
            jobs.append((str(staging / "wavs" / f"{clip_id}.wav"), text, voice, rate, pitch, rng.random()))
        workers = num_workers or min(os.cpu_count() or 1, 8)
        blocks = [jobs[i:i + BLOCK_SIZE] for i in range(0, len(jobs), BLOCK_SIZE)]
        for _ in parallel_map(_speak_block, blocks, workers, desc=f"speaking captions ({BLOCK_SIZE} a block)",
                              fresh_process_per_item=True):
            pass
        with open(staging / "metadata.csv", "w", newline="", encoding="utf-8") as f:
            for clip_id, text, *_ in rows:
                # The captions hold no numbers or abbreviations, so the normalized text equals the text.
                f.write(f"{clip_id}|{text}|{text}\n")
        with open(staging / "synthesis.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, delimiter="|", lineterminator="\n")
            writer.writerow(["id", "voice", "rate", "pitch", "class_id"])
            for clip_id, _, voice, rate, pitch, cid in rows:
                writer.writerow([clip_id, voice, rate, pitch, cid])
    return Path(out_dir)
