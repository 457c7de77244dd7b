import os
import tempfile

# Nothing may reach a hub: with these set, a test that tries fails instead of downloading.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("HF_DATASETS_CACHE", tempfile.mkdtemp(prefix="s2i_hf_datasets_cache_"))

import pytest

from s2i_hf.data.synthetic.birds import synthesize_bird_corpus
from s2i_hf.data.synthetic.speech import VOICES, synthesize_speech_corpus


@pytest.fixture(scope="session")
def speech_corpus(tmp_path_factory):
    """27 spoken captions, three per voice."""
    return synthesize_speech_corpus(tmp_path_factory.mktemp("corpora") / "speech", n=3 * len(VOICES), seed=1,
                                    num_workers=2)


@pytest.fixture(scope="session")
def bird_corpus(tmp_path_factory):
    """40 synthetic birds: 30 of train classes, 10 of test classes."""
    return synthesize_bird_corpus(tmp_path_factory.mktemp("corpora") / "birds", n=40, seed=1, num_workers=2)
