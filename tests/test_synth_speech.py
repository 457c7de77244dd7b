import csv
import hashlib
import json
import subprocess
import sys

import soundfile as sf

from s2i_hf.data.caption_attributes import colours_named
from s2i_hf.data.synthetic import domain
from s2i_hf.data.synthetic.speech import SAMPLING_RATE, VOICES, synthesize_speech_corpus


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f, delimiter="|", quoting=csv.QUOTE_NONE))


def test_corpus_has_the_ljspeech_layout(speech_corpus):
    rows = _rows(speech_corpus / "metadata.csv")
    assert len(rows) == 3 * len(VOICES)
    assert all(len(r) == 3 for r in rows)
    assert rows[0][0] == "SB001-0001"
    for clip_id, text, normalized in rows:
        assert text == normalized and text[0].isupper() and text.endswith(".")
        info = sf.info(speech_corpus / "wavs" / f"{clip_id}.wav")
        assert (info.samplerate, info.channels, info.subtype, info.format) == (SAMPLING_RATE, 1, "PCM_16", "WAV")
        assert 1.0 < info.duration < 12.0


def test_voice_and_class_of_every_clip_are_recorded(speech_corpus):
    with open(speech_corpus / "synthesis.csv", newline="") as f:
        extra = list(csv.DictReader(f, delimiter="|"))
    texts = {r[0]: r[1] for r in _rows(speech_corpus / "metadata.csv")}
    assert [r["id"] for r in extra] == list(texts)
    assert sorted({r["voice"] for r in extra}) == sorted(VOICES)
    for r in extra:
        belly, wing = (domain.CUB_COLOUR[c] for c in domain.class_colours(int(r["class_id"])))
        named = colours_named(texts[r["id"]])
        assert named.get("has_belly_color", [belly]) == [belly] and named.get("has_wing_color", [wing]) == [wing]
        assert 140 <= int(r["rate"]) <= 200 and 30 <= int(r["pitch"]) <= 70


def _digest(folder):
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            h.update(path.relative_to(folder).as_posix().encode() + path.read_bytes())
    return h.hexdigest()


def test_same_seed_writes_identical_files_other_seed_differs(tmp_path):
    a = synthesize_speech_corpus(tmp_path / "a", n=4, seed=7, num_workers=2)
    b = synthesize_speech_corpus(tmp_path / "b", n=4, seed=7, num_workers=1)
    c = synthesize_speech_corpus(tmp_path / "c", n=4, seed=8, num_workers=1)
    assert _digest(a) == _digest(b) != _digest(c)


def test_cli_writes_corpus_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "speech"
    cmd = [sys.executable, "-m", "s2i_hf", "synth", "speech", str(out), "--n", "2", "--seed", "3"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["corpus"] == "speech" and report["n"] == 2
    assert len(list((out / "wavs").glob("*.wav"))) == 2
    again = subprocess.run(cmd, capture_output=True, text=True)
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr


def test_bad_n_is_a_clear_error(tmp_path):
    done = subprocess.run([sys.executable, "-m", "s2i_hf", "synth", "speech", str(tmp_path / "x"), "--n", "0"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "--n must be positive" in done.stderr
