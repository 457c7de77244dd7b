import os
import pickle

import numpy as np
import pytest

from fixtures.py2_pickle import py2_list_of_int, py2_list_of_str, py2_ndarray
from s2i_hf.data.errors import UnsafePickleError
from s2i_hf.data.safe_pickle import safe_load


class _WritesAFile:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


class _RunsAShell:
    def __reduce__(self):
        return (os.system, ("echo owned",))


def test_python2_stackgan_style_pickles_load():
    array = np.random.default_rng(0).standard_normal((3, 10, 16)).astype(np.float32)
    np.testing.assert_array_equal(safe_load(py2_ndarray(array)), array)
    assert safe_load(py2_list_of_str(["001.Black_footed_Albatross/Black_Footed_Albatross_0046_18"])) == [
        "001.Black_footed_Albatross/Black_Footed_Albatross_0046_18"
    ]
    assert safe_load(py2_list_of_int([1, 1, 200])) == [1, 1, 200]


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_python3_plain_data_loads(protocol):
    obj = [np.arange(6, dtype=np.float32).reshape(2, 3), np.int64(4), {"a": (1.5, "b")}, b"raw"]
    loaded = safe_load(pickle.dumps(obj, protocol=protocol))
    np.testing.assert_array_equal(loaded[0], obj[0])
    assert loaded[1:] == obj[1:]


def test_code_in_a_pickle_never_runs(tmp_path):
    target = tmp_path / "created_by_pickle"
    payload = tmp_path / "filenames.pickle"
    payload.write_bytes(pickle.dumps([_WritesAFile(str(target))], protocol=2))
    with pytest.raises(UnsafePickleError, match=r"filenames.pickle: refused to load (io|builtins).open"):
        safe_load(payload)
    assert not target.exists()
    with pytest.raises(UnsafePickleError, match="posix.system|nt.system"):
        safe_load(pickle.dumps(_RunsAShell(), protocol=2))


def test_object_arrays_foreign_codecs_and_garbage_are_refused():
    with pytest.raises(UnsafePickleError, match="Python objects"):
        safe_load(pickle.dumps(np.array([1, "x"], dtype=object), protocol=2))
    evil_codec = b"\x80\x02c_codecs\nencode\nX\x03\x00\x00\x00abcX\x05\x00\x00\x00rot13\x86R."
    with pytest.raises(UnsafePickleError, match="only latin1"):
        safe_load(evil_codec)
    with pytest.raises(UnsafePickleError, match="not a readable pickle"):
        safe_load(b"\x80\x02]q\x00(K\x01")
