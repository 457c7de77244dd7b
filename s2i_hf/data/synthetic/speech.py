"""Spoken bird captions and requests written as an LJSpeech-1.1 folder, spoken by eSpeak NG, flite and festival.

    s2i synth speech outputs/speech --n 6000 --seed 0                                      # training corpus
    s2i synth speech outputs/speech_unseen_voices --n 200 --voices unseen --phrasing captions  # test corpora
    s2i synth speech outputs/speech_unseen_engines --n 200 --voices unseen --engines flite,festival,festival-hts
    s2i synth speech outputs/speech_unseen_phrasing --n 200 --phrasing unseen

Layout (the real LJSpeech-1.1 one, plus one side file):
    metadata.csv      id|text|normalized_text, no header, like LJSpeech
    wavs/<id>.wav     mono 16-bit PCM at 22,050 Hz
    synthesis.csv     id|voice|rate|pitch|class_id|phrasing|engine, with a header: who spoke each clip (with which
                      engine), which bird class it describes and how (caption, request, either with "+english"), so
                      that a voice, an engine (and unseen classes) can be held out for testing
Each clip's engine (by the shares of `engines`), voice, rate (words/minute) and pitch are drawn from the seed; the
same seed and options give identical files. Engines and their voices: engines.py.
"""

from __future__ import annotations

import csv
import os
import random
from pathlib import Path

import numpy as np
import soundfile as sf

from . import domain, engines, english, requests
from .espeak import ESpeak
from .writing import parallel_map, staged_output_dir

# eSpeak NG voices are an accent ("en-us") plus a variant ("+m3": the speaker's sex, age, timbre). The training
# corpus draws from every English accent but one and from human-sounding variants; UNSEEN_VOICES (the remaining
# accent, and variants never drawn in training) make the test corpus of `--voices unseen`. HELD_OUT_VOICE, of an
# unseen variant, is spoken in every ninth clip of a training corpus so that loaders can move it to the test split.
ACCENTS = ("en-us", "en", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-us-nyc", "en-gb-x-gbclan")
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f5", "klatt", "klatt2", "klatt4", "Alex",
            "Andy", "Annie", "anika", "aunty", "belinda", "benjamin", "caleb", "david", "Denis", "edward", "Gene",
            "ian", "iven", "john", "Lee", "linda", "max", "Mike", "norbert", "paul", "quincy", "rob", "robert",
            "shelby", "steph", "Storm", "travis", "victor")
TRAIN_VOICES = tuple(f"{accent}+{variant}" for accent in ACCENTS for variant in VARIANTS)
UNSEEN_ACCENTS = ("en-gb-x-gbcwmd",)
UNSEEN_VARIANTS = ("f4", "m8", "klatt3", "Michael", "grandma", "adam", "Hugo", "zac")
UNSEEN_VOICES = tuple(f"{accent}+{variant}" for accent in ACCENTS + UNSEEN_ACCENTS for variant in UNSEEN_VARIANTS) + \
    tuple(f"{accent}+{variant}" for accent in UNSEEN_ACCENTS for variant in VARIANTS)
HELD_OUT_VOICE = "en-us+f4"
# engine -> (training voices, unseen voices), disjoint by construction; festival-hts has no training voice at all
VOICES = {engines.ESPEAK: (TRAIN_VOICES, UNSEEN_VOICES), engines.FLITE: engines.FLITE_VOICES,
          engines.FESTIVAL: engines.FESTIVAL_VOICES, engines.FESTIVAL_HTS: engines.FESTIVAL_HTS_VOICES}
# The training corpus's shares (docs/studies/asr.md): eSpeak's 300 voices, and flite's and festival's few voices
# of real speakers, whose voice quality no eSpeak variant has.
TRAIN_ENGINES = "espeak=0.5,flite=0.3,festival=0.2"
UNSEEN_ENGINES = "espeak"  # `--voices unseen` keeps eSpeak's unseen voices unless --engines names others
ENGLISH_SHARE = 0.3  # of a training corpus's clips that also say a sentence of plain English (english.py)
RANDOM_WORDS_SHARE = 0.0  # of a training corpus's clips that also say a run of random English words (english.py)
HELD_OUT_EVERY = 9
RATE_RANGE = (130, 210)  # words per minute; LJSpeech reads at about 170
PITCH_RANGE = (25, 75)  # eSpeak's 0-99 scale, 50 is the voice's own
SAMPLING_RATE = 22050

# eSpeak's output depends on what its process spoke before, so clips are spoken in fixed blocks, each in a fresh
# process: the files are then the same for any number of workers.
BLOCK_SIZE = 32


def _to_corpus_rate(samples: np.ndarray, rate: int) -> np.ndarray:
    """Resample flite's and festival's 8-32 kHz output to the corpus's rate, in the frequency domain with numpy: the
    synthesis runs in forked worker processes, where torch's thread pool (started by a parent that used torch)
    would hang. The clips begin and end in silence, so the transform's periodic edges cost nothing."""
    if rate == SAMPLING_RATE:
        return samples
    n_out = round(len(samples) * SAMPLING_RATE / rate)
    spectrum = np.fft.rfft(samples.astype(np.float64))
    keep = min(len(spectrum), n_out // 2 + 1)
    if rate > SAMPLING_RATE and n_out % 2 == 0:
        spectrum[keep - 1] = spectrum[keep - 1].real  # the new Nyquist bin of a real signal is real
    wave = np.fft.irfft(spectrum[:keep], n_out) * (n_out / len(samples))
    return np.clip(np.round(wave), -32768, 32767).astype(np.int16)


def _speak_block(jobs: list[tuple]) -> int:
    spoken = {}
    by_engine = {}
    for job in jobs:
        by_engine.setdefault(engines.engine_of(job[2]), []).append(job)
    if engines.ESPEAK in by_engine:
        espeak = ESpeak()
        if espeak.sampling_rate != SAMPLING_RATE:
            raise RuntimeError(f"eSpeak NG speaks at {espeak.sampling_rate} Hz, expected {SAMPLING_RATE}")
        for wav_path, text, voice, rate, pitch, pad_seed in sorted(by_engine[engines.ESPEAK], key=lambda j: j[2]):
            spoken[wav_path] = espeak.synthesize(text, voice=voice, rate=rate, pitch=pitch, seed=int(pad_seed * 2**31))
    for wav_path, text, voice, rate, pitch, _ in by_engine.get(engines.FLITE, []):
        spoken[wav_path] = _to_corpus_rate(*engines.speak_flite(text, voice.partition(":")[2], rate, pitch))
    festival_jobs = sorted(by_engine.get(engines.FESTIVAL, []) + by_engine.get(engines.FESTIVAL_HTS, []),
                           key=lambda j: j[2])
    if festival_jobs:
        outputs = engines.speak_festival([(text, voice.partition(":")[2], rate, pitch)
                                          for _, text, voice, rate, pitch, _ in festival_jobs])
        for job, output in zip(festival_jobs, outputs):
            spoken[job[0]] = _to_corpus_rate(*output)
    for wav_path, *_, pad_seed in jobs:
        # LJSpeech clips start and end with a little silence; vary it so clip edges carry no fixed cue.
        pad_rng = random.Random(pad_seed)
        head, tail = (np.zeros(int(SAMPLING_RATE * pad_rng.uniform(0.05, 0.25)), np.int16) for _ in range(2))
        sf.write(wav_path, np.concatenate([head, spoken[wav_path], tail]), SAMPLING_RATE, subtype="PCM_16")
    return len(jobs)


def _sentence(bird: domain.Bird, rng: random.Random, kind: str, phrasing: str) -> tuple[str, str]:
    """(text, normalized text) of one sentence about `bird`: a capitalised CUB-style caption, or a request."""
    if kind == "caption":
        text = domain.caption(bird, rng)
        text = text[0].upper() + text[1:]
        return text, text  # captions hold no numbers or abbreviations
    return requests.request(bird, rng, requests.UNSEEN if phrasing == "unseen" else requests.TRAIN)


def corpus_sentences(n: int, seed: int = 0) -> list[str]:
    """The normalized text of `n` clips of a "mixed" training corpus, without speaking them: the same kinds of
    sentence in the same shares (captions, requests in the training shapes, plain English in 30 %), for a language
    model that learns what training corpora say. Never the unseen shapes of `--phrasing unseen`."""
    rng = random.Random(f"sentences-{seed}")
    texts = []
    for _ in range(n):
        bird = domain.sample_bird(rng)
        sentences = [_sentence(bird, rng, "caption" if rng.random() < 0.5 else "request", "mixed")[1]]
        if rng.random() < ENGLISH_SHARE:
            sentences.insert(rng.choice((0, 1)), english.english_sentence(rng))
        texts.append(" ".join(sentences))
    return texts


def synthesize_speech_corpus(
    out_dir: str | os.PathLike,
    n: int,
    seed: int = 0,
    num_workers: int | None = None,
    voices: str = "train",
    phrasing: str = "mixed",
    sentences_per_clip: int = 1,
    english_share: float | None = None,
    random_words_share: float | None = None,
    engines_spec: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write `n` spoken captions of random birds (all 100 classes) as an LJSpeech-1.1 folder; return its path.

    `voices`: "train" (TRAIN_VOICES, and HELD_OUT_VOICE in every ninth clip) or "unseen" (UNSEEN_VOICES only).
    `phrasing`: "captions" (CUB-style captions), "mixed" (half captions, half requests in the training shapes of
    `requests.py`, and in `english_share` of the clips (default 30 %) a sentence of plain English before or after,
    `english.py`) or
    "unseen" (requests in the shapes no training corpus has). With "mixed", `random_words_share` of the clips
    (default RANDOM_WORDS_SHARE) also say a run of words drawn at random from that English, before or after.
    `sentences_per_clip` > 1 joins sentences about one bird into longer clips (two give LJSpeech's ~6.6 s mean).
    `engines_spec`: the engines' shares (`"espeak=0.5,flite=0.3,festival=0.2"`, or a list for equal shares); by
    default TRAIN_ENGINES for training voices, UNSEEN_ENGINES for unseen ones. Each clip's voice is one of its
    engine's training or unseen voices (engines.py); festival-hts has no training voices.
    """
    if n <= 0:
        raise ValueError(f"--n must be positive, got {n}")
    if voices not in ("train", "unseen"):
        raise ValueError(f"--voices must be train or unseen, got {voices!r}")
    if phrasing not in ("captions", "mixed", "unseen"):
        raise ValueError(f"--phrasing must be captions, mixed or unseen, got {phrasing!r}")
    english_share = ENGLISH_SHARE if english_share is None else english_share
    if not 0 <= english_share <= 1:
        raise ValueError(f"--english_share must be between 0 and 1, got {english_share}")
    random_words_share = RANDOM_WORDS_SHARE if random_words_share is None else random_words_share
    if not 0 <= random_words_share <= 1:
        raise ValueError(f"--random_words_share must be between 0 and 1, got {random_words_share}")
    shares = engines.parse_shares(engines_spec or (TRAIN_ENGINES if voices == "train" else UNSEEN_ENGINES))
    for name in shares:
        if not VOICES[name][0 if voices == "train" else 1]:
            raise ValueError(f"--engines: {name} has no {voices} voices (it is held out of training as a whole)")
    engines.check_installed(shares)
    names, weights = list(shares), list(shares.values())
    rng = random.Random(seed)
    rows, jobs = [], []
    with staged_output_dir(out_dir, overwrite) as staging:
        (staging / "wavs").mkdir()
        for i in range(n):
            clip_id = f"SB{i // 1000 + 1:03d}-{i % 1000 + 1:04d}"
            bird = domain.sample_bird(rng)
            kind = "caption" if phrasing == "captions" or (phrasing == "mixed" and rng.random() < 0.5) else "request"
            sentences = [_sentence(bird, rng, kind, phrasing) for _ in range(sentences_per_clip)]
            if phrasing == "mixed" and rng.random() < english_share:  # plain English before or after
                sentence = english.english_sentence(rng)
                sentences.insert(rng.choice((0, len(sentences))), (sentence, sentence))
                kind += "+english"
            if phrasing == "mixed" and random_words_share and rng.random() < random_words_share:
                # drawn only when asked, so corpora without it stay the same; never a word that only the unseen
                # shapes say, which would teach the unseen-phrasing test set's words
                words = english.random_words(rng, exclude=requests.UNSEEN_ONLY_WORDS)
                sentences.insert(rng.choice((0, len(sentences))), (words, words))
                kind += "+words"
            text, normalized = (" ".join(parts) for parts in zip(*sentences))
            # one engine keeps the draws of corpora spoken before there were others
            engine = names[0] if len(names) == 1 else rng.choices(names, weights)[0]
            if voices == "train" and i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1:
                engine, voice = engines.ESPEAK, HELD_OUT_VOICE
            else:
                voice = engines.qualified(engine, rng.choice(VOICES[engine][0 if voices == "train" else 1]))
            rate, pitch = rng.randint(*RATE_RANGE), rng.randint(*PITCH_RANGE)
            rows.append((clip_id, text, normalized, voice, rate, pitch, bird.class_id, kind, engine))
            jobs.append((str(staging / "wavs" / f"{clip_id}.wav"), normalized, voice, rate, pitch, rng.random()))
        workers = num_workers or min(os.cpu_count() or 1, 8)
        blocks = [jobs[i:i + BLOCK_SIZE] for i in range(0, len(jobs), BLOCK_SIZE)]
        for _ in parallel_map(_speak_block, blocks, workers, desc=f"speaking captions ({BLOCK_SIZE} a block)",
                              fresh_process_per_item=True):
            pass
        with open(staging / "metadata.csv", "w", newline="", encoding="utf-8") as f:
            for clip_id, text, normalized, *_ in rows:
                f.write(f"{clip_id}|{text}|{normalized}\n")
        with open(staging / "synthesis.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, delimiter="|", lineterminator="\n")
            writer.writerow(["id", "voice", "rate", "pitch", "class_id", "phrasing", "engine"])
            for clip_id, _, _, voice, rate, pitch, cid, kind, engine in rows:
                writer.writerow([clip_id, voice, rate, pitch, cid, kind, engine])
    return Path(out_dir)
