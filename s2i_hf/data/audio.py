"""Audio decoding without FFmpeg: soundfile reads WAV/FLAC/OGG of any sample format, torchaudio resamples.

datasets' own `Audio` decoding needs torchcodec and FFmpeg, so loaders keep the column with `decode=False`
({"path", "bytes"}) and this module decodes in the preprocessing. Every failure names its source.
"""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from .errors import AudioDecodeError


def _describe(source: Any) -> str:
    if isinstance(source, dict):
        return str(source.get("path") or "<audio bytes>")
    if isinstance(source, (bytes, bytearray)):
        return "<audio bytes>"
    return os.fspath(source)


def check_wav_header(head: bytes, total_size: int, name: str) -> None:
    """Refuse a RIFF/WAVE file whose `data` chunk claims more bytes than the file holds (a truncated copy).

    libsndfile reads such files without complaint and returns the surviving prefix, which would silently pair a
    cut-off recording with its full transcript.
    """
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
        return  # not a WAV; soundfile judges other formats
    pos = 12
    while pos + 8 <= len(head):
        chunk_id, chunk_size = head[pos:pos + 4], struct.unpack("<I", head[pos + 4:pos + 8])[0]
        if chunk_id == b"data":
            streaming = chunk_size in (0, 0xFFFFFFFF)  # writers that could not seek back leave these
            if not streaming and pos + 8 + chunk_size > total_size:
                raise AudioDecodeError(
                    f"{name}: truncated WAV: its header announces {chunk_size} bytes of audio, the file holds "
                    f"{max(0, total_size - pos - 8)}"
                )
            return
        pos += 8 + chunk_size + (chunk_size & 1)
    if total_size <= len(head):
        raise AudioDecodeError(f"{name}: WAV file has no data chunk")


def audio_info(source: Any) -> tuple[int, int, float]:
    """(sampling rate, channels, duration in seconds) from the header alone, after the checks of `load_audio`."""
    name = _describe(source)
    with _open(source, name) as f:
        try:
            info = sf.info(f)
        except (sf.LibsndfileError, RuntimeError) as e:
            raise AudioDecodeError(f"{name}: not a readable audio file ({e})") from None
    return info.samplerate, info.channels, info.duration


def load_audio(source: Any, sampling_rate: int | None = 16000) -> np.ndarray:
    """Decode to a float32 mono array at `sampling_rate` (None keeps the file's rate).

    `source`: a path, raw file bytes, a datasets Audio dict ({"path", "bytes"} or {"array", "sampling_rate"}).
    Stereo is averaged to mono; 8/16/24/32-bit integer and float samples all come out in [-1, 1].
    """
    array, rate = load_audio_with_rate(source)
    return resample(array, rate, sampling_rate) if sampling_rate else array


def load_audio_with_rate(source: Any) -> tuple[np.ndarray, int]:
    if isinstance(source, dict) and source.get("array") is not None:
        array = np.asarray(source["array"], np.float32)
        return (array.mean(axis=-1) if array.ndim == 2 else array), int(source["sampling_rate"])
    name = _describe(source)
    with _open(source, name) as f:
        try:
            data, rate = sf.read(f, dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as e:
            raise AudioDecodeError(f"{name}: not a readable audio file ({e})") from None
    return data.mean(axis=1), rate


def resample(array: np.ndarray, orig_rate: int, target_rate: int) -> np.ndarray:
    if orig_rate == target_rate:
        return array
    import torch
    import torchaudio.functional as AF

    return AF.resample(torch.from_numpy(np.ascontiguousarray(array)), orig_rate, target_rate).numpy()


class _open:
    """Open a path or wrap bytes, after the emptiness and truncation checks."""

    def __init__(self, source: Any, name: str):
        if isinstance(source, dict):
            source = source.get("bytes") or source.get("path")
            if source is None:
                raise AudioDecodeError(f"{name}: audio entry has neither bytes nor a path")
        if isinstance(source, (bytes, bytearray)):
            data = bytes(source)
            if not data:
                raise AudioDecodeError(f"{name}: empty audio")
            check_wav_header(data[:4096], len(data), name)
            self._file = io.BytesIO(data)
        else:
            path = Path(source)
            if not path.is_file():
                raise AudioDecodeError(f"{name}: audio file not found")
            size = path.stat().st_size
            if size == 0:
                raise AudioDecodeError(f"{name}: empty audio file (0 bytes)")
            self._file = open(path, "rb")
            check_wav_header(self._file.read(4096), size, name)
            self._file.seek(0)

    def __enter__(self):
        return self._file

    def __exit__(self, *exc):
        self._file.close()


def decode_batch(batch: dict, sampling_rate: int = 16000, column: str = "audio") -> dict:
    """A batched `Dataset.map` function: decode `column` to float32 mono arrays at `sampling_rate`.

        ds = ds.map(decode_batch, batched=True, num_proc=2, features=decoded_features(ds.features))

    Run under `map`, the result is cached by datasets: a second run with the same data and arguments reads the
    cache instead of decoding again.
    """
    return {"array": [load_audio(a, sampling_rate) for a in batch[column]]}


def decoded_features(features):
    """`features` plus the float32 `array` column that `decode_batch` adds (float64 would double the cache)."""
    import datasets

    return datasets.Features({**features, "array": datasets.Sequence(datasets.Value("float32"))})
