"""What real recordings have, added to training clips (s2i_hf/data/augment.py), and the features cache it feeds."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch
import torchaudio.functional as AF

from s2i_hf.data.augment import RecordingAugment
from s2i_hf.data.ljspeech import load_ljspeech
from s2i_hf.models.asr import build_processor
from s2i_hf.training.asr import prepare_asr_splits

RATE = 16000


def _voiced(seconds=1.0, f0=150.0):
    """A vowel-like tone: a 150 Hz pulse train's harmonics, with silence after it."""
    t = np.arange(int(seconds * RATE)) / RATE
    tone = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 12)) * 0.2
    return np.concatenate([tone, np.zeros(RATE // 2)]).astype(np.float32)


def _power_db(x):
    return 10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-20)


def test_each_clip_gets_the_same_augmentation_every_time_and_clips_differ():
    wave = _voiced()
    augment = RecordingAugment(reverb=0.5, noise=0.5, band_limit=0.5, gain=0.5, speed=0.5, pitch=0.5, seed=3)
    assert np.array_equal(augment(wave, RATE, "LJ001-0001"), augment(wave, RATE, "LJ001-0001"))
    outputs = [augment(wave, RATE, f"LJ001-{i:04d}") for i in range(12)]
    assert len({o.tobytes() for o in outputs}) > 8
    assert not RecordingAugment().active and augment.active
    assert not np.array_equal(augment(wave, RATE, "x"), RecordingAugment(noise=1.0, seed=4)(wave, RATE, "x"))


def test_speed_shortens_pitch_keeps_the_length_and_moves_the_harmonics():
    wave = _voiced()
    faster = RecordingAugment(speed=1.0, speed_range=(1.1, 1.1))(wave, RATE, "a")
    assert abs(len(faster) - len(wave) / 1.1) < 2
    higher = RecordingAugment(pitch=1.0, pitch_semitones=(3.0, 3.0))(wave, RATE, "a")
    assert len(higher) == len(wave)

    def f0(x):
        return float(AF.detect_pitch_frequency(torch.from_numpy(x[: RATE]), RATE, freq_low=80, freq_high=400).median())

    assert f0(higher) / f0(wave) == pytest.approx(2 ** (3 / 12), rel=0.06)


def test_noise_reaches_the_drawn_snr_and_reverb_fills_the_silence_after_speech():
    wave = _voiced()
    noisy = RecordingAugment(noise=1.0, snr_db=(10.0, 10.0))(wave, RATE, "b")
    assert _power_db(wave) - _power_db(noisy - wave) == pytest.approx(10.0, abs=0.3)
    room = RecordingAugment(reverb=1.0, rt60_s=(0.6, 0.6))(wave, RATE, "c")
    after = slice(RATE + 800, RATE + 3200)  # 50-200 ms after the tone stops
    assert _power_db(wave[after]) < -150 and _power_db(room[after]) > _power_db(room[: RATE]) - 40


def test_band_limit_cuts_what_a_microphone_does_not_pass_and_gain_clips():
    noise = np.random.default_rng(0).standard_normal(RATE * 2).astype(np.float32) * 0.1
    limited = RecordingAugment(band_limit=1.0)(noise, RATE, "d")
    spectrum = np.abs(np.fft.rfft(limited)) ** 2
    freqs = np.fft.rfftfreq(len(limited), 1 / RATE)
    middle, top = spectrum[(freqs > 1000) & (freqs < 2500)].mean(), spectrum[freqs > 7700].mean()
    assert 10 * np.log10(middle / top) > 15
    loud = RecordingAugment(gain=1.0, gain_db=(40.0, 40.0))(noise, RATE, "e")
    assert np.abs(loud).max() == 1.0


def test_bad_augmentation_options_name_themselves():
    with pytest.raises(ValueError, match="augment_noise: a probability between 0 and 1, got 1.5"):
        RecordingAugment(noise=1.5)
    with pytest.raises(ValueError, match="snr_db: LOW must not exceed HIGH"):
        RecordingAugment(snr_db=(30.0, 5.0))


def _files(folder):
    return sorted(str(p) for p in Path(folder).rglob("*") if p.is_file())


def test_features_are_cached_in_the_run_folder_and_a_second_load_adds_nothing(speech_corpus, tmp_path):
    """Loading a corpus writes nothing to datasets' global cache; the features go to the run's folder once, and a
    second run with the same options reads them back; augmentation changes the train split's features only."""
    global_cache = os.environ["HF_DATASETS_CACHE"]
    before = _files(global_cache)
    processor = build_processor()

    def run(augment=None):
        splits = load_ljspeech(speech_corpus, validation_fraction=0.2, test_fraction=0.2)
        return prepare_asr_splits(splits, processor, augment=augment, cache_dir=tmp_path / "features_cache")

    first = run()
    cached = _files(tmp_path / "features_cache")
    assert len(cached) == 3 and _files(global_cache) == before
    second = run()
    assert _files(tmp_path / "features_cache") == cached and _files(global_cache) == before
    assert np.array_equal(first["train"][0]["input_features"], second["train"][0]["input_features"])
    noisy = run(RecordingAugment(noise=1.0, snr_db=(5.0, 5.0)))
    assert len(_files(tmp_path / "features_cache")) == 4  # a new train split; validation and test as they were
    assert not np.allclose(noisy["train"][0]["input_features"], first["train"][0]["input_features"])
    assert np.array_equal(noisy["test"][0]["input_features"], first["test"][0]["input_features"])
