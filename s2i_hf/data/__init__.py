"""Data: loaders for the real formats (LJSpeech, CUB + StackGAN birds), audio decoding, safe unpickling, and
`synthetic/` generators that write small corpora in those same formats."""

from .errors import AudioDecodeError, DataFormatError, UnsafePickleError

__all__ = ["AudioDecodeError", "DataFormatError", "UnsafePickleError"]
