"""Errors raised on bad input data. Each message names the file (and line or id) at fault."""


class DataFormatError(ValueError):
    """A data file does not have the format its loader reads (bad row, missing file, lengths that disagree)."""


class AudioDecodeError(DataFormatError):
    """An audio file or buffer is missing, empty, truncated or not audio."""


class UnsafePickleError(DataFormatError):
    """A pickle asks to build something other than plain data; nothing in it was run."""
