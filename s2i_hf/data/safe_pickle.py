"""Loading StackGAN's pickles without letting them run code.

`pickle.load` calls whatever importable callable a file names, so a crafted `filenames.pickle` could run any
command. StackGAN's files hold only lists, strings, numbers and numpy arrays, so `safe_load` admits exactly the
callables those need and refuses every other with `UnsafePickleError`, before anything from the file is called.
Python 2 files are read with `encoding="latin1"`, as the StackGAN code reads them.
"""

from __future__ import annotations

import codecs
import io
import os
import pickle

import numpy as np

from .errors import UnsafePickleError

try:
    from numpy._core.multiarray import scalar as _numpy_scalar
except ImportError:  # numpy < 2
    from numpy.core.multiarray import scalar as _numpy_scalar


def _latin1_encode(text: str, encoding: str = "latin1") -> bytes:
    # Python 3 writes bytes into protocol-2 pickles as _codecs.encode(str, "latin1"); admit no other codec.
    if codecs.lookup(encoding).name != "iso8859-1":
        raise UnsafePickleError(f"pickle asks for _codecs.encode with codec {encoding!r}; only latin1 is allowed")
    return text.encode("latin1")


def _plain_dtype(*args, **kwargs) -> np.dtype:
    dtype = np.dtype(*args, **kwargs)
    if dtype.hasobject:
        raise UnsafePickleError(f"pickle holds a numpy array of Python objects ({dtype}); only plain numbers are allowed")
    return dtype


def _reconstruct(subtype, *args):
    if subtype is not np.ndarray:
        raise UnsafePickleError(f"pickle asks to build {subtype!r}; only numpy.ndarray is allowed")
    return np.ndarray.__new__(np.ndarray, *args)


def _frombuffer(buffer, dtype, shape, order):
    # protocol 5 writes arrays as numpy._core.numeric._frombuffer(bytes, dtype, shape, order)
    return np.frombuffer(buffer, dtype=_plain_dtype(dtype)).reshape(shape, order=order).copy()


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.multiarray", "scalar"): _numpy_scalar,
    ("numpy._core.multiarray", "scalar"): _numpy_scalar,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _plain_dtype,
    ("_codecs", "encode"): _latin1_encode,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, source: str):
        super().__init__(file, encoding="latin1")
        self._source = source

    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"{self._source}: refused to load {module}.{name}; this file may only hold lists, strings, numbers "
                "and numpy arrays (it may be corrupt or malicious, and nothing in it was run)"
            ) from None


def safe_load(path_or_bytes: str | os.PathLike | bytes):
    """Unpickle a file (or bytes) that may only contain plain data; raise `UnsafePickleError` naming it otherwise."""
    if isinstance(path_or_bytes, bytes):
        return _load(io.BytesIO(path_or_bytes), "<bytes>")
    with open(path_or_bytes, "rb") as f:
        return _load(f, os.fspath(path_or_bytes))


def _load(file, source: str):
    try:
        return _RestrictedUnpickler(file, source).load()
    except UnsafePickleError as e:
        if not str(e).startswith(source):
            raise UnsafePickleError(f"{source}: {e}") from None
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as e:
        raise UnsafePickleError(f"{source}: not a readable pickle ({type(e).__name__}: {e})") from None
