"""LJSpeech-1.1 (or the hub's parquet export of `keithito/lj_speech`) as a `datasets.DatasetDict`.

    from s2i_hf.data.ljspeech import load_ljspeech
    splits = load_ljspeech("LJSpeech-1.1")            # train / validation / test
    splits = load_ljspeech("outputs/speech", test_speaker="en-us+f4")

Columns: `id`, `audio` (datasets `Audio(decode=False)`: {"path", "bytes"}; decode with `s2i_hf.data.audio`),
`text`, `normalized_text`, `speaker`, `duration` (seconds, from the file header), and, for synthetic corpora,
`class_id` (the bird class the caption describes; -1 for real LJSpeech).

The split is deterministic and independent of row order and corpus size: a clip goes to test when
blake2b(id) / 2**64 < test_fraction, else to validation when below test_fraction + validation_fraction, else to
train. LJSpeech has no official ASR split; with the defaults (5 % / 5 %) the real corpus gives about 655 test and
655 validation clips. With `test_speaker`, that speaker's clips form the test split instead (held-out voice) and
no other clip is in test.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
from pathlib import Path

import datasets

from .audio import AudioDecodeError, audio_info
from .errors import DataFormatError

logger = logging.getLogger(__name__)

# Rows are written with `audio` as its plain arrow struct and then cast to `Audio(decode=False)`: datasets'
# Audio.encode_example imports torchcodec even for a dict that needs no encoding.
_AUDIO_STRUCT = {"bytes": datasets.Value("binary"), "path": datasets.Value("string")}
_ROW_FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "audio": _AUDIO_STRUCT,
        "text": datasets.Value("string"),
        "normalized_text": datasets.Value("string"),
        "speaker": datasets.Value("string"),
        "duration": datasets.Value("float32"),
        "class_id": datasets.Value("int32"),
    }
)
FEATURES = datasets.Features({**_ROW_FEATURES, "audio": datasets.Audio(decode=False)})
LJSPEECH_SPEAKER = "LJ"  # the one reader of the real corpus


def split_of(clip_id: str, validation_fraction: float, test_fraction: float) -> str:
    u = int.from_bytes(hashlib.blake2b(clip_id.encode("utf-8"), digest_size=8).digest(), "big") / 2**64
    if u < test_fraction:
        return "test"
    return "validation" if u < test_fraction + validation_fraction else "train"


def read_synthesis(folder: str | os.PathLike) -> dict[str, dict]:
    """id -> its row of a synthetic corpus's synthesis.csv (voice, rate, pitch, class_id, phrasing); empty for a
    folder without one (the real LJSpeech)."""
    synthesis = Path(folder) / "synthesis.csv"
    if not synthesis.is_file():
        return {}
    with open(synthesis, newline="", encoding="utf-8") as f:
        return {row["id"]: row for row in csv.DictReader(f, delimiter="|", quoting=csv.QUOTE_NONE)}


def _read_metadata(folder: Path, on_error: str) -> tuple[list[dict], list[str]]:
    """Rows of metadata.csv (and synthesis.csv when present), and the problems of the rows skipped."""
    metadata = folder / "metadata.csv"
    extra = read_synthesis(folder)
    rows, problems, seen = [], [], set()
    with open(metadata, newline="", encoding="utf-8") as f:
        for line_no, fields in enumerate(csv.reader(f, delimiter="|", quoting=csv.QUOTE_NONE), start=1):
            where = f"{metadata}:{line_no}"
            if len(fields) != 3:
                problem = f"{where}: expected 3 fields id|text|normalized_text, found {len(fields)}"
            elif not fields[0].strip():
                problem = f"{where}: empty id"
            elif not (fields[2].strip() or fields[1].strip()):
                problem = f"{where}: empty text for {fields[0]}"
            elif fields[0] in seen:
                problem = f"{where}: duplicate id {fields[0]}"
            else:
                clip_id, text, normalized = (x.strip() for x in fields)
                seen.add(clip_id)
                info = extra.get(clip_id, {})
                rows.append(
                    {
                        "id": clip_id,
                        "audio": {"path": str(folder / "wavs" / f"{clip_id}.wav"), "bytes": None},
                        "text": text or normalized,
                        "normalized_text": normalized or text,  # a few corpora leave one of the two empty
                        "speaker": info.get("voice", LJSPEECH_SPEAKER),
                        "class_id": int(info.get("class_id", -1)),
                        "_where": where,
                    }
                )
                continue
            if on_error == "raise":
                raise DataFormatError(problem)
            problems.append(problem)
    return rows, problems


def _rows_from_parquet(files: list[Path]) -> list[dict]:
    table = datasets.Dataset.from_parquet([str(f) for f in files])
    missing = {"id", "audio", "text", "normalized_text"} - set(table.column_names)
    if missing:
        raise DataFormatError(f"{files[0]}: parquet export lacks the columns {sorted(missing)}")
    table = table.cast_column("audio", datasets.Audio(decode=False))
    rows = []
    for index, row in enumerate(table):
        rows.append(
            {
                "id": row["id"],
                "audio": {"path": row["audio"].get("path"), "bytes": row["audio"].get("bytes")},
                "text": row["text"] or row["normalized_text"] or "",
                "normalized_text": row["normalized_text"] or row["text"] or "",
                "speaker": LJSPEECH_SPEAKER,
                "class_id": -1,
                "_where": f"{files[0].parent} row {index} (id {row['id']})",
            }
        )
    return rows


def _generate(rows):
    yield from rows


def load_ljspeech(
    path: str | os.PathLike,
    validation_fraction: float = 0.05,
    test_fraction: float = 0.05,
    test_speaker: str | None = None,
    on_error: str = "raise",
    verify_audio: bool = True,
    cache_dir: str | None = None,
) -> datasets.DatasetDict:
    """Read an LJSpeech-format folder or parquet export; see the module docstring for columns and split.

    on_error: "raise" stops at the first bad row or audio file with an error naming it; "skip" leaves such rows
    out and logs how many, with the first reasons. cache_dir: write the rows as arrow files there (default: kept in
    memory, nothing written). verify_audio reads every file's header (a few ms per 1,000
    clips) to catch missing, empty and truncated audio before training meets them.
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    path = Path(path)
    if (path / "metadata.csv").is_file():
        rows, problems = _read_metadata(path, on_error)
    elif path.suffix == ".parquet" or path.is_dir() and any(path.rglob("*.parquet")):
        rows, problems = _rows_from_parquet([path] if path.is_file() else sorted(path.rglob("*.parquet"))), []
    else:
        raise DataFormatError(f"{path}: neither an LJSpeech folder (no metadata.csv) nor a parquet export")

    kept = []
    for row in rows:
        where = row.pop("_where")
        try:
            if not (row["normalized_text"].strip() or row["text"].strip()):
                raise DataFormatError(f"{where}: empty text")
            if verify_audio or row["audio"]["bytes"] is not None:
                row["duration"] = audio_info(row["audio"]["bytes"] or row["audio"]["path"])[2]
            else:
                row["duration"] = -1.0
        except AudioDecodeError as e:
            if on_error == "raise":
                raise AudioDecodeError(f"{e} (listed at {where})") from None
            problems.append(f"{where}: {e}")
            continue
        except DataFormatError as e:
            if on_error == "raise":
                raise
            problems.append(str(e))
            continue
        kept.append(row)
    if problems:
        logger.warning("skipped %d of %d clips in %s; first: %s", len(problems), len(problems) + len(kept), path, "; ".join(problems[:3]))
    if not kept:
        raise DataFormatError(f"{path}: no usable clips")

    speakers = sorted({r["speaker"] for r in kept})
    if test_speaker is not None and test_speaker not in speakers:
        raise DataFormatError(f"{path}: test_speaker {test_speaker!r} is not among the speakers {speakers}")
    if cache_dir is None:
        # The rows are paths and text (audio stays in its files): in memory they cost little and write nothing,
        # where each new folder would otherwise leave an arrow copy in datasets' global cache for ever.
        dataset = datasets.Dataset.from_list(kept, features=_ROW_FEATURES).cast(FEATURES)
    else:
        dataset = datasets.Dataset.from_generator(
            _generate, gen_kwargs={"rows": kept}, features=_ROW_FEATURES, cache_dir=cache_dir
        ).cast(FEATURES)
    assignment: dict[str, list[int]] = {"train": [], "validation": [], "test": []}
    for index, row in enumerate(kept):
        if test_speaker is not None:
            split = "test" if row["speaker"] == test_speaker else split_of(row["id"], validation_fraction, 0.0)
        else:
            split = split_of(row["id"], validation_fraction, test_fraction)
        assignment[split].append(index)
    return datasets.DatasetDict({name: dataset.select(idx) for name, idx in assignment.items()})
