"""A minimal ctypes binding to the eSpeak NG C library shipped in the `espeakng-loader` wheel.

No system package and no subprocess: the wheel carries `libespeak-ng.so` and its voice data, and we call
`espeak_Synth` in synchronous mode with a callback that collects the 16-bit samples. The library keeps global
state, so use one `ESpeak` per process (the synthesizer spreads work over processes, not threads).
"""

from __future__ import annotations

import ctypes

import numpy as np

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE, _PARAM_PITCH = 1, 3
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class ESpeakError(RuntimeError):
    pass


class ESpeak:
    """`ESpeak().synthesize("a red bird.", voice="en-us+m3", rate=170, pitch=50)` -> int16 samples at `.sampling_rate`."""

    def __init__(self):
        import espeakng_loader

        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data_path = espeakng_loader.get_data_path().encode()
        # 2 s buffers: a caption arrives in one or two callbacks instead of ~70 of the default 60 ms
        self.sampling_rate = self._lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 2000, data_path, 0)
        if self.sampling_rate <= 0:
            raise ESpeakError(f"espeak_Initialize failed ({self.sampling_rate}) with data at {data_path.decode()}")
        self._chunks: list[bytes] = []
        self._callback = _CALLBACK(self._collect)  # keep a reference: the C side holds only the pointer
        self._lib.espeak_SetSynthCallback(self._callback)
        self._lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self._lib.espeak_Synth.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
            ctypes.c_void_p, ctypes.c_void_p,
        ]
        self._voice = None

    def _collect(self, wav, num_samples, events):
        if num_samples > 0:
            self._chunks.append(ctypes.string_at(wav, num_samples * 2))
        return 0

    def synthesize(self, text: str, voice: str, rate: int = 175, pitch: int = 50, seed: int = 0) -> np.ndarray:
        """Speak `text` with an eSpeak voice name ("en-us", "en+f3", ...), rate in words/minute, pitch 0-99.

        The output depends on what the process spoke before (state survives even espeak_Terminate, and
        espeak_ng_SetRandSeed does not reset it); callers that need repeatable files speak fixed blocks of clips
        in fresh processes. `seed` seeds eSpeak's own random generator, which would otherwise be seeded from the
        clock at start-up.
        """
        self._lib.espeak_ng_SetRandSeed(ctypes.c_long(seed))
        if voice != self._voice:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise ESpeakError(f"eSpeak NG has no voice {voice!r}")
            self._voice = voice
        self._lib.espeak_SetParameter(_PARAM_RATE, int(rate), 0)
        self._lib.espeak_SetParameter(_PARAM_PITCH, int(pitch), 0)
        self._chunks = []
        encoded = text.encode("utf-8")
        status = self._lib.espeak_Synth(encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        if status != 0:
            raise ESpeakError(f"espeak_Synth failed with status {status} on {text!r}")
        self._lib.espeak_Synchronize()
        return np.frombuffer(b"".join(self._chunks), dtype=np.int16)
