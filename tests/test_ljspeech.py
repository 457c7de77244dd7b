import random
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import soundfile as sf

from s2i_hf.data.audio import load_audio
from s2i_hf.data.errors import AudioDecodeError, DataFormatError
from s2i_hf.data.ljspeech import load_ljspeech, split_of
from s2i_hf.data.synthetic.speech import HELD_OUT_VOICE

FIXTURE = Path(__file__).parent / "fixtures" / "ljspeech_mini"


@pytest.fixture
def ljspeech_mini(tmp_path):
    """The committed real-format metadata.csv (real LJSpeech rows) with short 22,050 Hz 16-bit wavs."""
    folder = tmp_path / "LJSpeech-1.1"
    (folder / "wavs").mkdir(parents=True)
    shutil.copy(FIXTURE / "metadata.csv", folder)
    for k, line in enumerate((folder / "metadata.csv").read_text(encoding="utf-8").splitlines()):
        seconds = 0.5 + 0.25 * k
        tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(int(22050 * seconds)) / 22050)
        sf.write(folder / "wavs" / f"{line.split('|')[0]}.wav", tone, 22050, subtype="PCM_16")
    return folder


def _all_rows(splits):
    return {row["id"]: (name, row) for name, ds in splits.items() for row in ds}


def test_real_format_fixture_reads_with_quotes_and_unicode(ljspeech_mini):
    rows = _all_rows(load_ljspeech(ljspeech_mini, validation_fraction=0.0, test_fraction=0.0))
    assert sorted(rows) == ["LJ001-0001", "LJ001-0002", "LJ001-0011", "LJ002-0018"]
    split, row = rows["LJ001-0011"]
    assert split == "train"
    assert row["text"] == 'It is essential that the "ink" be black, as in 1469 at Venice.'
    assert row["normalized_text"].endswith("as in fourteen sixty-nine at Venice.")
    assert "£3,000" in rows["LJ002-0018"][1]["text"]
    assert row["speaker"] == "LJ" and row["class_id"] == -1
    assert row["duration"] == pytest.approx(1.0, abs=1e-3)
    assert load_audio(row["audio"], 16000).shape == (16000,)


def test_parquet_export_gives_the_same_rows(ljspeech_mini, tmp_path):
    folder_rows = _all_rows(load_ljspeech(ljspeech_mini))
    lines = [l.split("|") for l in (ljspeech_mini / "metadata.csv").read_text(encoding="utf-8").splitlines()]
    table = pa.table({
        "id": [l[0] for l in lines],
        "audio": [{"bytes": (ljspeech_mini / "wavs" / f"{l[0]}.wav").read_bytes(), "path": f"{l[0]}.wav"} for l in lines],
        "file": [f"wavs/{l[0]}.wav" for l in lines],
        "text": [l[1] for l in lines],
        "normalized_text": [l[2] for l in lines],
    })
    (tmp_path / "lj_parquet" / "train").mkdir(parents=True)
    pq.write_table(table, tmp_path / "lj_parquet" / "train" / "0000.parquet")
    parquet_rows = _all_rows(load_ljspeech(tmp_path / "lj_parquet"))
    assert sorted(parquet_rows) == sorted(folder_rows)
    for clip_id, (split, row) in parquet_rows.items():
        assert split == folder_rows[clip_id][0]
        assert (row["text"], row["normalized_text"]) == (folder_rows[clip_id][1]["text"], folder_rows[clip_id][1]["normalized_text"])
        np.testing.assert_array_equal(load_audio(row["audio"]), load_audio(folder_rows[clip_id][1]["audio"]))


def test_split_is_deterministic_disjoint_and_order_independent(speech_corpus, tmp_path):
    splits = load_ljspeech(speech_corpus, validation_fraction=0.2, test_fraction=0.2)
    ids = {name: set(ds["id"]) for name, ds in splits.items()}
    assert sum(map(len, ids.values())) == 27
    assert not (ids["train"] & ids["validation"] or ids["train"] & ids["test"] or ids["validation"] & ids["test"])
    for name, members in ids.items():
        assert all(split_of(i, 0.2, 0.2) == name for i in members)
    shuffled = tmp_path / "shuffled"
    shuffled.mkdir()
    (shuffled / "wavs").symlink_to(speech_corpus / "wavs")
    lines = (speech_corpus / "metadata.csv").read_text().splitlines()
    random.Random(0).shuffle(lines)
    (shuffled / "metadata.csv").write_text("\n".join(lines[:20]) + "\n")
    again = load_ljspeech(shuffled, validation_fraction=0.2, test_fraction=0.2)
    assert all(set(ds["id"]) <= ids[name] for name, ds in again.items())


def test_held_out_voice_is_the_whole_test_split(speech_corpus):
    splits = load_ljspeech(speech_corpus, test_speaker=HELD_OUT_VOICE)
    assert set(splits["test"]["speaker"]) == {HELD_OUT_VOICE} and len(splits["test"]) == 3
    assert HELD_OUT_VOICE not in set(splits["train"]["speaker"]) | set(splits["validation"]["speaker"])
    assert all(1 <= c <= 100 for c in splits["train"]["class_id"])
    with pytest.raises(DataFormatError, match="'nobody' is not among the speakers"):
        load_ljspeech(speech_corpus, test_speaker="nobody")


def _corrupt(folder, line_no, replacement):
    lines = (folder / "metadata.csv").read_text(encoding="utf-8").splitlines()
    lines[line_no - 1] = replacement
    (folder / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    "line,message",
    [("LJ001-0002|in being comparatively modern.", r"metadata.csv:2: expected 3 fields id\|text\|normalized_text, found 2"),
     ("LJ001-0002||", r"metadata.csv:2: empty text for LJ001-0002"),
     ("LJ001-0001|again|again", r"metadata.csv:2: duplicate id LJ001-0001")],
)
def test_malformed_rows_raise_naming_file_and_line_or_are_skipped_and_counted(ljspeech_mini, line, message, caplog):
    _corrupt(ljspeech_mini, 2, line)
    with pytest.raises(DataFormatError, match=message):
        load_ljspeech(ljspeech_mini)
    splits = load_ljspeech(ljspeech_mini, on_error="skip", validation_fraction=0, test_fraction=0)
    assert len(splits["train"]) == 3
    assert "skipped 1 of 4 clips" in caplog.text


def test_missing_and_truncated_wavs_raise_naming_the_file_or_are_skipped(ljspeech_mini, caplog):
    (ljspeech_mini / "wavs" / "LJ001-0002.wav").unlink()
    data = (ljspeech_mini / "wavs" / "LJ001-0011.wav").read_bytes()
    (ljspeech_mini / "wavs" / "LJ001-0011.wav").write_bytes(data[: len(data) // 3])
    with pytest.raises(AudioDecodeError, match=r"LJ001-0002.wav: audio file not found \(listed at .*metadata.csv:2\)"):
        load_ljspeech(ljspeech_mini)
    (ljspeech_mini / "wavs" / "LJ001-0002.wav").write_bytes(b"")
    with pytest.raises(AudioDecodeError, match=r"LJ001-0002.wav: empty audio file"):
        load_ljspeech(ljspeech_mini)
    splits = load_ljspeech(ljspeech_mini, on_error="skip", validation_fraction=0, test_fraction=0)
    assert sorted(splits["train"]["id"]) == ["LJ001-0001", "LJ002-0018"]
    assert "skipped 2 of 4 clips" in caplog.text and "truncated WAV" in caplog.text


def test_not_a_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(DataFormatError, match="neither an LJSpeech folder"):
        load_ljspeech(tmp_path)
