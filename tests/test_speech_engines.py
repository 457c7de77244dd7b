"""The corpus's speech engines: eSpeak NG, flite, festival, and festival's HTS voice that training never hears."""

import csv

import numpy as np
import pytest
import soundfile as sf
import torch
import torchaudio.functional as AF

from s2i_hf.data.synthetic import engines
from s2i_hf.data.synthetic.speech import SAMPLING_RATE, VOICES, synthesize_speech_corpus


def _synthesis(folder):
    with open(folder / "synthesis.csv", newline="") as f:
        return list(csv.DictReader(f, delimiter="|"))


def test_training_and_unseen_voices_are_disjoint_by_construction():
    assert set(VOICES) == set(engines.ENGINES)
    for engine, (train, unseen) in VOICES.items():
        assert unseen, f"{engine} has no unseen voice for the test sets"
        assert not set(train) & set(unseen), engine
    assert VOICES[engines.FESTIVAL_HTS][0] == ()  # a whole engine configuration held out of training
    # one speaker (CMU's slt) is behind flite's slt and the HTS voice: unseen in both
    assert "slt" in VOICES[engines.FLITE][1] and "cmu_us_slt_arctic_hts" in VOICES[engines.FESTIVAL_HTS][1]


def test_a_training_corpus_speaks_every_training_engine(speech_corpus):
    rows = _synthesis(speech_corpus)
    assert {r["engine"] for r in rows} == {"espeak", "flite", "festival"}
    for r in rows:
        assert r["engine"] != engines.FESTIVAL_HTS
        name = r["voice"].partition(":")[2] or r["voice"]
        assert name in VOICES[r["engine"]][0] or r["voice"] == "en-us+f4"
        wave, rate = sf.read(speech_corpus / "wavs" / f"{r['id']}.wav", dtype="int16")
        assert rate == SAMPLING_RATE and len(wave) > SAMPLING_RATE and np.abs(wave).max() > 3000


def test_unseen_engines_speak_only_their_unseen_voices_and_are_deterministic(tmp_path):
    spec = "flite,festival,festival-hts"
    a = synthesize_speech_corpus(tmp_path / "a", n=9, seed=5, voices="unseen", engines_spec=spec, num_workers=2)
    b = synthesize_speech_corpus(tmp_path / "b", n=9, seed=5, voices="unseen", engines_spec=spec, num_workers=1)
    rows = _synthesis(a)
    assert {r["engine"] for r in rows} == {"flite", "festival", "festival-hts"}
    assert {r["voice"] for r in rows} <= {"flite:slt", "festival:ked_diphone", "festival-hts:cmu_us_slt_arctic_hts"}
    for r in rows:
        assert (a / "wavs" / f"{r['id']}.wav").read_bytes() == (b / "wavs" / f"{r['id']}.wav").read_bytes()


def test_the_drawn_pitch_moves_flite_and_festival_voices():
    """The corpus's pitch draw (eSpeak's 0-99 scale) reaches the other engines: +-3 semitones around the voice's own."""
    text = "this bird has a red belly and black wings and a short beak"

    def median_f0(samples, rate):
        return float(AF.detect_pitch_frequency(torch.from_numpy(samples / 32768.0).float(), rate, freq_low=60,
                                               freq_high=400).median())

    low, high = (median_f0(*engines.speak_flite(text, "kal16", 175, p)) for p in (25, 75))
    assert 1.25 < high / low < 1.6  # 6 semitones: 1.41
    low, high = (median_f0(*out) for out in engines.speak_festival([(text, "kal_diphone", 175, 25),
                                                                      (text, "kal_diphone", 175, 75)]))
    assert 1.15 < high / low < 1.6


def test_engine_shares_and_bad_engines_are_clear_errors(tmp_path, monkeypatch):
    assert engines.parse_shares("espeak=2,flite=1,festival=1") == {"espeak": 0.5, "flite": 0.25, "festival": 0.25}
    assert engines.parse_shares("flite, festival") == {"flite": 0.5, "festival": 0.5}
    for spec, message in [("espeak,klatt", "unknown engine 'klatt'"), ("flite=-1", "must not be negative"),
                          ("espeak=0", "no engine with a positive share"), ("flite=x", "must be a number")]:
        with pytest.raises(ValueError, match=message):
            engines.parse_shares(spec)
    with pytest.raises(ValueError, match="festival-hts has no train voices"):
        synthesize_speech_corpus(tmp_path / "x", n=2, engines_spec="espeak,festival-hts")
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without the Debian programs
    with pytest.raises(engines.EngineMissingError, match="apt-get install flite"):
        synthesize_speech_corpus(tmp_path / "y", n=2, engines_spec="espeak,flite")
    assert not (tmp_path / "y").exists()
