import csv
import hashlib
import json
import random
import re
import subprocess
import sys

import pytest
import soundfile as sf

from s2i_hf.data.caption_attributes import colours_named
from s2i_hf.data.synthetic import domain, engines
from s2i_hf.data.synthetic import requests
from s2i_hf.data.synthetic.english import english_sentence, english_words, random_words
from s2i_hf.data.synthetic.speech import (
    HELD_OUT_EVERY,
    HELD_OUT_VOICE,
    PITCH_RANGE,
    RATE_RANGE,
    SAMPLING_RATE,
    TRAIN_VOICES,
    UNSEEN_VOICES,
    VOICES,
    corpus_sentences,
    synthesize_speech_corpus,
)


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f, delimiter="|", quoting=csv.QUOTE_NONE))


def test_corpus_has_the_ljspeech_layout(speech_corpus):
    rows = _rows(speech_corpus / "metadata.csv")
    assert len(rows) == 3 * HELD_OUT_EVERY
    assert all(len(r) == 3 for r in rows)
    assert rows[0][0] == "SB001-0001"
    for clip_id, text, normalized in rows:
        assert normalized == requests.spoken(text) and not any(ch.isdigit() for ch in normalized)
        assert text[0].isupper() and text[-1] in ".?!"
        info = sf.info(speech_corpus / "wavs" / f"{clip_id}.wav")
        assert (info.samplerate, info.channels, info.subtype, info.format) == (SAMPLING_RATE, 1, "PCM_16", "WAV")
        assert 1.0 < info.duration < 15.0  # the ASR presets keep clips up to 15 s


def test_voice_and_class_of_every_clip_are_recorded(speech_corpus):
    with open(speech_corpus / "synthesis.csv", newline="") as f:
        extra = list(csv.DictReader(f, delimiter="|"))
    texts = {r[0]: r[1] for r in _rows(speech_corpus / "metadata.csv")}
    assert [r["id"] for r in extra] == list(texts)
    assert [r["voice"] == HELD_OUT_VOICE for r in extra] == [i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1
                                                             for i in range(len(extra))]
    trained = {engines.qualified(engine, voice) for engine, (voices, _) in VOICES.items() for voice in voices}
    assert {r["voice"] for r in extra} - {HELD_OUT_VOICE} <= trained
    assert all(engines.engine_of(r["voice"]) == r["engine"] for r in extra)
    kinds = {r["phrasing"] for r in extra}
    assert {"caption", "request"} <= kinds <= {"caption", "request", "caption+english", "request+english"}
    for r in extra:
        belly, wing = (domain.CUB_COLOUR[c] for c in domain.class_colours(int(r["class_id"])))
        named = colours_named(texts[r["id"]])
        assert named.get("has_belly_color", [belly]) == [belly] and named.get("has_wing_color", [wing]) == [wing]
        assert RATE_RANGE[0] <= int(r["rate"]) <= RATE_RANGE[1] and PITCH_RANGE[0] <= int(r["pitch"]) <= PITCH_RANGE[1]


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


def test_unseen_voices_and_phrasing_are_never_in_a_training_corpus(tmp_path):
    assert HELD_OUT_VOICE in UNSEEN_VOICES and not set(UNSEEN_VOICES) & set(TRAIN_VOICES)
    for part in ("opener", "phrase"):
        assert not set(requests.UNSEEN[part]) & set(requests.TRAIN[part])
    out = synthesize_speech_corpus(tmp_path / "unseen", n=6, seed=2, voices="unseen", phrasing="unseen")
    with open(out / "synthesis.csv", newline="") as f:
        extra = list(csv.DictReader(f, delimiter="|"))
    assert {r["voice"] for r in extra} <= set(UNSEEN_VOICES) and {r["phrasing"] for r in extra} == {"request"}
    for _, text, _ in _rows(out / "metadata.csv"):
        lowered = text.lower()
        assert any(opener in lowered for opener in requests.UNSEEN["opener"]), text
        assert any(word in lowered for word in ("sporting", "dressed in", "-breasted bird whose", "its wings",
                                                "tiny thing", "colored")), text


def test_corpus_sentences_say_what_training_corpora_say_and_never_the_unseen_shapes(tmp_path):
    """The text a character LM is counted on (recipes/train_char_lm.py --synthetic_sentences): the training kinds in
    their shares, the same for a seed, and no sentence shape of the unseen-phrasing test set."""
    texts = corpus_sentences(300, seed=4)
    assert texts == corpus_sentences(300, seed=4) and texts != corpus_sentences(300, seed=5)
    assert len(texts) == 300 and all(t and t == t.strip() for t in texts)
    assert 0.85 < sum("bird" in t.lower() for t in texts) / 300 <= 1.0
    unseen = [p.split("{")[0].strip() for p in requests.UNSEEN["phrase"]]
    unseen = [p for p in unseen if len(p.split()) >= 3]  # "a bird sporting", "a bird dressed in", ...
    assert unseen and not [t for t in texts if any(p in t.lower() for p in unseen)]
    with pytest.raises(ValueError, match="--english_share must be between 0 and 1, got 1.5"):
        synthesize_speech_corpus(tmp_path / "x", n=2, english_share=1.5)



def test_plain_english_sentences_keep_the_commonest_words():
    rng = random.Random(0)
    sentences = [english_sentence(rng) for _ in range(300)]
    words = [w.strip(",.").lower() for s in sentences for w in s.split()]
    assert all(re.fullmatch(r"[A-Z][A-Za-z', ]*[a-z]\.", s) and 5 <= len(s.split()) <= 14 for s in sentences)
    # "a" is the commonest word of English after "the": a generator that drops it teaches no article at all
    assert words.count("a") > 20 and words.count("the") > 100


def test_random_words_are_said_where_asked_and_never_the_unseen_shapes_words(tmp_path):
    out = synthesize_speech_corpus(tmp_path / "words", n=3, seed=3, english_share=0.0, random_words_share=1.0)
    with open(out / "synthesis.csv", newline="") as f:
        kinds = [r["phrasing"] for r in csv.DictReader(f, delimiter="|")]
    assert kinds and all(k.endswith("+words") for k in kinds)
    vocabulary = set(english_words())
    for _, text, _ in _rows(out / "metadata.csv"):  # a run of 3-8 vocabulary words beside the bird sentence
        sentences = [s.lower().rstrip(".").split() for s in re.split(r"(?<=[.!?]) ", text)]
        assert any(3 <= len(s) <= 8 and set(s) <= vocabulary for s in sentences), text
    rng = random.Random(0)
    said = {w for _ in range(3000) for w in random_words(rng, exclude=requests.UNSEEN_ONLY_WORDS).lower()[:-1].split()}
    assert "sporting" in requests.UNSEEN_ONLY_WORDS and "sporting" in vocabulary
    assert not said & requests.UNSEEN_ONLY_WORDS and len(said) > 5000
    with pytest.raises(ValueError, match="--random_words_share must be between 0 and 1, got -0.1"):
        synthesize_speech_corpus(tmp_path / "x", n=2, random_words_share=-0.1)


def test_numbers_are_spelled_out_as_ljspeech_normalizes_them():
    assert [requests.number_words(n) for n in (0, 7, 13, 20, 21, 99, 100, 105, 342)] == [
        "zero", "seven", "thirteen", "twenty", "twenty-one", "ninety-nine", "one hundred", "one hundred five",
        "three hundred forty-two"]
    assert requests.spoken("About 19 inches, 2 of them.") == "About nineteen inches, two of them."
