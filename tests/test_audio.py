import numpy as np
import pytest
import soundfile as sf

from s2i_hf.data.audio import audio_info, load_audio
from s2i_hf.data.errors import AudioDecodeError


def _tone(rate, seconds=0.5, freq=440.0):
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize(
    "rate,subtype,fmt,stereo",
    [(22050, "PCM_16", "WAV", False), (44100, "PCM_24", "WAV", True), (48000, "FLOAT", "WAV", False),
     (8000, "PCM_U8", "WAV", False), (16000, "PCM_16", "FLAC", True), (32000, "PCM_24", "FLAC", False)],
)
def test_any_rate_format_and_channel_count_becomes_mono_16k(tmp_path, rate, subtype, fmt, stereo):
    tone = _tone(rate)
    data = np.stack([tone, tone], axis=1) if stereo else tone
    path = tmp_path / f"x.{fmt.lower()}"
    sf.write(path, data, rate, subtype=subtype, format=fmt)
    audio = load_audio(path, 16000)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) - 8000) <= 2
    assert 0.45 < float(np.abs(audio).max()) < 0.55  # amplitude survives sample format and resampling
    # the tone is still at 440 Hz after resampling
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) * 16000 / len(audio) - 440) < 5
    assert audio_info(path)[:2] == (rate, 2 if stereo else 1)


def test_bytes_and_datasets_dicts_decode_like_paths(tmp_path):
    path = tmp_path / "a.wav"
    sf.write(path, _tone(22050), 22050)
    from_path = load_audio(path, None)
    np.testing.assert_array_equal(load_audio(path.read_bytes(), None), from_path)
    np.testing.assert_array_equal(load_audio({"path": None, "bytes": path.read_bytes()}, None), from_path)
    np.testing.assert_array_equal(load_audio({"path": str(path), "bytes": None}, None), from_path)
    assert len(load_audio({"array": from_path, "sampling_rate": 22050}, 11025)) == -(-len(from_path) // 2)


def test_bad_audio_errors_name_the_file(tmp_path):
    good = tmp_path / "good.wav"
    sf.write(good, _tone(22050, 1.0), 22050, subtype="PCM_16")
    data = good.read_bytes()
    cases = {
        "truncated.wav": (data[: len(data) // 2], "truncated WAV"),
        "empty.wav": (b"", "empty audio file"),
        "text.wav": (b"this is not audio at all\n" * 20, "not a readable audio file"),
    }
    for name, (content, message) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(AudioDecodeError, match=message) as err:
            load_audio(tmp_path / name)
        assert name in str(err.value)
    with pytest.raises(AudioDecodeError, match="missing.wav: audio file not found"):
        load_audio(tmp_path / "missing.wav")
    with pytest.raises(AudioDecodeError, match="truncated WAV"):
        load_audio(data[:-1000])


def test_silence_decodes_to_zeros(tmp_path):
    sf.write(tmp_path / "s.wav", np.zeros(22050, np.int16), 22050, subtype="PCM_16")
    audio = load_audio(tmp_path / "s.wav")
    assert audio.shape == (16000,) and float(np.abs(audio).max()) == 0.0
