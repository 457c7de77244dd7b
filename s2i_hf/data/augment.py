"""What real recordings have and synthesized speech lacks, added to training clips before their log-mel features.

    augment = RecordingAugment(reverb=0.5, noise=0.5, band_limit=0.3, gain=0.3, speed=0.3, pitch=0.3, seed=0)
    wave = augment(wave, 16000, key="SB001-0001")   # float32 mono in [-1, 1]

Each effect is applied to a clip with its probability, in the order a recording meets them: the speaker (speed,
pitch), the room (reverberation), the microphone (band limits), the surroundings (additive noise), the input gain
(level and clipping). The draws come from `seed` and the clip's key alone, so a clip gets the same augmentation in
every run and every worker: the cached features are reproducible and a resumed training sees the same data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

EFFECTS = ("speed", "pitch", "reverb", "band_limit", "noise", "gain")


@dataclass(frozen=True)
class RecordingAugment:
    """Probabilities of each effect (0 = never) and the ranges its strength is drawn from."""

    reverb: float = 0.0
    noise: float = 0.0
    band_limit: float = 0.0
    gain: float = 0.0
    speed: float = 0.0
    pitch: float = 0.0
    snr_db: tuple[float, float] = (5.0, 30.0)  # additive noise: from a noisy room to a quiet one
    rt60_s: tuple[float, float] = (0.15, 0.8)  # reverberation time: a small office to a large hall
    speed_range: tuple[float, float] = (0.9, 1.1)  # Kaldi's speed perturbation (tempo and pitch together)
    pitch_semitones: tuple[float, float] = (-3.0, 3.0)
    gain_db: tuple[float, float] = (-18.0, 12.0)  # a quiet microphone to an overdriven one that clips
    seed: int = 0

    def __post_init__(self):
        for name in EFFECTS:
            p = getattr(self, name)
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"augment_{name}: a probability between 0 and 1, got {p}")
        for name in ("snr_db", "rt60_s", "speed_range", "pitch_semitones", "gain_db"):
            low, high = getattr(self, name)
            if low > high:
                raise ValueError(f"augment {name}: LOW must not exceed HIGH, got {[low, high]}")
        if self.rt60_s[0] <= 0 or self.speed_range[0] <= 0:
            raise ValueError("augment rt60_s and speed_range must be positive")

    @property
    def active(self) -> bool:
        return any(getattr(self, name) > 0 for name in EFFECTS)

    def rng(self, key: str) -> np.random.Generator:
        digest = hashlib.blake2b(f"{self.seed}:{key}".encode("utf-8"), digest_size=8).digest()
        return np.random.default_rng(int.from_bytes(digest, "big"))

    def __call__(self, wave: np.ndarray, sampling_rate: int, key: str) -> np.ndarray:
        rng = self.rng(key)
        # one draw per effect whether it applies or not: changing one probability leaves the others' draws alone
        applies = {name: rng.random() < getattr(self, name) for name in EFFECTS}
        strength = {name: rng.random() for name in EFFECTS}
        wave = np.asarray(wave, np.float32)
        if applies["speed"]:
            wave = change_speed(wave, _between(self.speed_range, strength["speed"]))
        if applies["pitch"]:
            wave = shift_pitch(wave, sampling_rate, _between(self.pitch_semitones, strength["pitch"]))
        if applies["reverb"]:
            wave = reverberate(wave, sampling_rate, _between(self.rt60_s, strength["reverb"]), rng)
        if applies["band_limit"]:
            wave = band_limit(wave, sampling_rate, strength["band_limit"], rng)
        if applies["noise"]:
            wave = add_noise(wave, sampling_rate, _between(self.snr_db, strength["noise"]), rng)
        if applies["gain"]:
            wave = np.clip(wave * 10 ** (_between(self.gain_db, strength["gain"]) / 20), -1.0, 1.0)
        return wave.astype(np.float32)


def _between(bounds: tuple[float, float], u: float) -> float:
    return bounds[0] + (bounds[1] - bounds[0]) * u


def change_speed(wave: np.ndarray, factor: float) -> np.ndarray:
    """Play `factor` times faster (shorter and higher), by resampling; the factor is rounded to 1 %."""
    import torch
    import torchaudio.functional as AF

    orig = max(1, round(factor * 100))
    if orig == 100:
        return wave
    return AF.resample(torch.from_numpy(np.ascontiguousarray(wave)), orig, 100).numpy()


def shift_pitch(wave: np.ndarray, sampling_rate: int, semitones: float) -> np.ndarray:
    """Raise the pitch (and the formants) by `semitones` at the same duration: a speed change, then the time
    stretched back by a phase vocoder."""
    import torch
    import torchaudio.functional as AF

    if abs(semitones) < 0.05:
        return wave
    factor = 2 ** (semitones / 12)
    n_fft, hop = 512, 128
    x = torch.from_numpy(np.ascontiguousarray(wave))
    window = torch.hann_window(n_fft)
    spec = torch.stft(x, n_fft, hop, window=window, return_complex=True)
    phase_advance = torch.linspace(0, torch.pi * hop, spec.shape[-2])[..., None]
    stretched = AF.phase_vocoder(spec, 1 / factor, phase_advance)  # longer by `factor`, same pitch
    longer = torch.istft(stretched, n_fft, hop, window=window, length=round(len(wave) * factor))
    shifted = change_speed(longer.numpy(), factor)[: len(wave)]
    return np.pad(shifted, (0, len(wave) - len(shifted)))  # the speed change rounds to 1 %


def reverberate(wave: np.ndarray, sampling_rate: int, rt60: float, rng: np.random.Generator) -> np.ndarray:
    """Convolve with a synthesized room impulse response: a direct path, then noise decaying by 60 dB in `rt60`
    seconds (the statistical model of late reverberation), mixed at a direct-to-reverberant ratio of 0-12 dB."""
    import torch
    import torchaudio.functional as AF

    length = int(min(rt60, 1.0) * sampling_rate)
    t = np.arange(length) / sampling_rate
    tail = rng.standard_normal(length) * np.exp(-6.908 * t / rt60)  # ln(1000): 60 dB of amplitude decay
    tail[: int(0.002 * sampling_rate)] = 0.0  # the first reflections arrive a few ms after the direct sound
    drr_db = rng.uniform(0.0, 12.0)
    tail *= np.sqrt(1.0 / (np.sum(tail**2) + 1e-12)) * 10 ** (-drr_db / 20)
    ir = tail
    ir[0] = 1.0
    wet = AF.fftconvolve(torch.from_numpy(np.ascontiguousarray(wave, np.float32)),
                         torch.from_numpy(ir.astype(np.float32)))[: len(wave)].numpy()
    return (wet * (np.abs(wave).max() / (np.abs(wet).max() + 1e-9))).astype(np.float32)


def band_limit(wave: np.ndarray, sampling_rate: int, u: float, rng: np.random.Generator) -> np.ndarray:
    """A microphone or line's pass band: high-pass at 50-400 Hz, low-pass at 3-7.5 kHz (a telephone is 300-3,400)."""
    import torch
    import torchaudio.functional as AF

    x = torch.from_numpy(np.ascontiguousarray(wave))
    low, high = 50 + 350 * rng.random(), 3000 + 4500 * u
    x = AF.highpass_biquad(x, sampling_rate, low)
    x = AF.lowpass_biquad(AF.lowpass_biquad(x, sampling_rate, high), sampling_rate, high)  # 24 dB/octave
    return x.numpy()


def add_noise(wave: np.ndarray, sampling_rate: int, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Add white, pink or brown noise, or mains hum with its harmonics, at `snr_db` to the speech's power."""
    n = len(wave)
    kind = rng.integers(4)
    if kind == 3:  # mains hum: 50 or 60 Hz and its harmonics
        t = np.arange(n) / sampling_rate
        f0 = 50.0 if rng.random() < 0.5 else 60.0
        noise = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 2 * np.pi)) / k for k in range(1, 6))
    else:
        white = rng.standard_normal(n)
        if kind == 0:
            noise = white
        else:  # 1/f (pink) or 1/f^2 (brown) by shaping the spectrum
            spectrum = np.fft.rfft(white)
            f = np.maximum(np.arange(len(spectrum)), 1.0)
            noise = np.fft.irfft(spectrum / (f ** (0.5 if kind == 1 else 1.0)), n)
    speech_power = np.mean(wave**2) + 1e-10
    noise_power = np.mean(noise**2) + 1e-10
    return (wave + noise * np.sqrt(speech_power / noise_power / 10 ** (snr_db / 10))).astype(np.float32)
