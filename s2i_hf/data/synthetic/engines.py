"""The speech engines a corpus is spoken with, and which of their voices training may hear.

- `espeak`: eSpeak NG, a formant synthesizer (the `espeakng-loader` wheel, called through ctypes: espeak.py);
- `flite`: Debian's `flite` program, voices built from recordings of real speakers (kal, awb, rms, slt);
- `festival`: Debian's `festival` with its diphone voices (festvox-kallpc16k, festvox-kdlpc16k);
- `festival-hts`: festival's statistical-parametric HTS voice (festvox-us-slt-hts), a whole engine configuration
  that no training corpus ever speaks with: the held-out engine of the test sets.

Every engine but `festival-hts` has training voices and unseen voices, disjoint by construction (a test asserts
it); the one speaker behind flite's `slt` and festival's HTS voice is unseen in both. A corpus names its voices
`engine:voice` (eSpeak's stay bare, `en-us+m3`, as older corpora wrote them).

flite and festival are deterministic programs: the same text, voice, rate and pitch give the same samples. Their
output (8, 16 or 32 kHz) is resampled to the corpus's 22,050 Hz. A missing program or voice is an error that names
the Debian package, never a quiet fall-back to eSpeak.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

ESPEAK, FLITE, FESTIVAL, FESTIVAL_HTS = "espeak", "flite", "festival", "festival-hts"
ENGINES = (ESPEAK, FLITE, FESTIVAL, FESTIVAL_HTS)

# engine -> (training voices, unseen voices); eSpeak's lists live in speech.py beside its accents and variants
FLITE_VOICES = (("kal", "kal16", "awb", "rms"), ("slt",))
FESTIVAL_VOICES = (("kal_diphone",), ("ked_diphone",))
FESTIVAL_HTS_VOICES = ((), ("cmu_us_slt_arctic_hts",))

# Each voice's own mean pitch (Hz) and speaking rate (words per minute of a caption with a sentence of English), as
# measured on its default output: the corpus's draws of pitch and rate (eSpeak's scales) are mapped through them, so
# that a clip drawn at 140 words/minute is spoken at 140 by every engine. The HTS voice takes neither setting.
BASE_F0 = {"kal": 105, "kal16": 105, "awb": 110, "rms": 100, "slt": 175, "kal_diphone": 105, "ked_diphone": 105}
NATURAL_RATE = {"kal": 161, "kal16": 163, "awb": 160, "rms": 134, "slt": 156, "kal_diphone": 144, "ked_diphone": 145,
                "cmu_us_slt_arctic_hts": 143}

PACKAGES = {FLITE: "flite", FESTIVAL: "festival festvox-kallpc16k festvox-kdlpc16k",
            FESTIVAL_HTS: "festival festvox-us-slt-hts"}
FESTIVAL_VOICE_DIRS = (Path("/usr/share/festival/voices"), Path("/usr/local/share/festival/voices"))


class EngineMissingError(RuntimeError):
    pass


def engine_of(voice: str) -> str:
    """The engine of a corpus voice name: `flite:rms` -> flite; a bare eSpeak name (`en-us+m3`) -> espeak."""
    engine, sep, _ = voice.partition(":")
    return engine if sep and engine in ENGINES else ESPEAK


def qualified(engine: str, voice: str) -> str:
    return voice if engine == ESPEAK else f"{engine}:{voice}"


def parse_shares(spec: str) -> dict[str, float]:
    """`"espeak=0.5,flite=0.25,festival=0.25"` -> shares that sum to 1; a bare list (`"flite,festival"`) shares
    equally. Unknown engines and negative or all-zero shares are errors naming --engines."""
    shares = {}
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in ENGINES:
            raise ValueError(f"--engines: unknown engine {name!r} in {spec!r}; known: {', '.join(ENGINES)}")
        try:
            share = float(value) if value else 1.0
        except ValueError:
            raise ValueError(f"--engines: share of {name} must be a number, got {value!r}") from None
        if share < 0:
            raise ValueError(f"--engines: share of {name} must not be negative, got {share}")
        shares[name] = share
    total = sum(shares.values())
    if not shares or total <= 0:
        raise ValueError(f"--engines: no engine with a positive share in {spec!r}")
    return {name: share / total for name, share in shares.items() if share > 0}


def check_installed(engines) -> None:
    """Raise EngineMissingError naming the Debian packages for each engine that this machine cannot run."""
    missing = []
    for engine in engines:
        if engine == FLITE and not shutil.which("flite"):
            missing.append(engine)
        elif engine in (FESTIVAL, FESTIVAL_HTS):
            voices = FESTIVAL_VOICES if engine == FESTIVAL else FESTIVAL_HTS_VOICES
            found = all(any(d.glob(f"*/{v}") for d in FESTIVAL_VOICE_DIRS) for v in voices[0] + voices[1])
            if not shutil.which("festival") or not found:
                missing.append(engine)
    if missing:
        packages = " ".join(sorted({p for e in missing for p in PACKAGES[e].split()}))
        raise EngineMissingError(
            f"speech engine(s) {', '.join(missing)} not installed; on Debian: apt-get install {packages} "
            "(`make install` does it when run as root), or leave them out of --engines")


def stretch_and_f0(voice: str, rate: int, pitch: int) -> tuple[float, float | None]:
    """A clip's duration stretch and mean pitch (Hz) for flite and festival from the corpus's eSpeak-scale draws:
    rate in words/minute, pitch 0-99 (50: the voice's own; the 25-75 drawn span is +-3 semitones)."""
    base = BASE_F0.get(voice)
    return NATURAL_RATE[voice] / rate, None if base is None else round(base * 2 ** ((pitch - 50) / 100), 1)


def speak_flite(text: str, voice: str, rate: int, pitch: int) -> tuple[np.ndarray, int]:
    stretch, f0 = stretch_and_f0(voice, rate, pitch)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "clip.wav"
        cmd = ["flite", "-voice", voice, "--setf", f"duration_stretch={stretch:.4f}", "-t", text, "-o", str(wav)]
        if f0:
            cmd[3:3] = ["--setf", f"int_f0_target_mean={f0}"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode or not wav.is_file():
            raise RuntimeError(f"flite failed on voice {voice!r} ({done.returncode}): {done.stderr[-500:]}")
        samples, rate_hz = sf.read(wav, dtype="int16")
    return samples, rate_hz


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def speak_festival(jobs: list[tuple[str, str, int, int]]) -> list[tuple[np.ndarray, int]]:
    """Speak (text, voice, rate, pitch) jobs in one festival process (its start-up costs more than a sentence)."""
    with tempfile.TemporaryDirectory() as tmp:
        lines, current = [], None
        for i, (text, voice, rate, pitch) in enumerate(jobs):
            stretch, f0 = stretch_and_f0(voice, rate, pitch)
            if voice != current:
                lines.append(f"(voice_{voice})")
                current = voice
            lines.append(f"(Parameter.set 'Duration_Stretch {stretch:.4f})")
            if f0:  # the diphone voices' linear-regression intonation, moved to the drawn mean
                lines.append(f"(set! int_lr_params '((target_f0_mean {f0}) (target_f0_std {f0 * 0.15:.1f}) "
                             "(model_f0_mean 170) (model_f0_std 34)))")
            lines.append(f"(utt.save.wave (SynthText {_scheme_string(text)}) \"{tmp}/{i}.wav\" 'riff)")
        script = Path(tmp) / "speak.scm"
        script.write_text("\n".join(lines) + "\n")
        done = subprocess.run(["festival", "--batch", str(script)], capture_output=True, text=True)
        outputs = []
        for i, (_, voice, _, _) in enumerate(jobs):
            wav = Path(tmp) / f"{i}.wav"
            if done.returncode or not wav.is_file():
                raise RuntimeError(f"festival failed on voice {voice!r} ({done.returncode}): {done.stderr[-500:]}")
            samples, rate_hz = sf.read(wav, dtype="int16")
            outputs.append((samples, rate_hz))
    return outputs
