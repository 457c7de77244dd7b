"""The pipelines' audio decoding is s2i_hf.data.audio. This shim lets pipeline_speech_to_image.py import it as
`.audio`, which also holds in a bundle: build_pipeline.py copies data/audio.py (and errors.py) there under these
names, so the remote-code pipeline decodes audio exactly as the package does, without s2i_hf installed."""

from ..data.audio import load_audio_with_rate, resample  # noqa: F401
from ..data.errors import AudioDecodeError  # noqa: F401
