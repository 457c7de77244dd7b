"""The Speech-Transformer ASR: transformers' Speech2Text encoder-decoder with a character tokenizer."""

from .speech_transformer import build_model, build_processor, is_silent, transcribe
from .tokenization_char import CharTokenizer, normalize_text

__all__ = ["CharTokenizer", "build_model", "build_processor", "is_silent", "normalize_text", "transcribe"]
