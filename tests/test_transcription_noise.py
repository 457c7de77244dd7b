"""The ASR slips the text encoder learns to read through (s2i_hf/data/transcription_noise.py)."""

import random

import pytest

from s2i_hf.data.transcription_noise import transcription_noise
from s2i_hf.metrics import load_metric

SENTENCE = "Could you draw me a purple-bellied bird with red wings and a short black beak?"


def test_no_slips_at_rate_zero_only_lower_case():
    assert transcription_noise(SENTENCE, random.Random(0), rate=0.0) == SENTENCE.lower()


def test_slips_come_at_about_the_rate_asked_and_repeat_with_the_seed():
    cer = load_metric("cer")
    noisy = [transcription_noise(SENTENCE, random.Random(i), rate=0.05) for i in range(200)]
    measured = cer.compute(predictions=noisy, references=[SENTENCE.lower()] * 200)
    assert 0.03 < measured < 0.07, measured
    assert noisy[:5] == [transcription_noise(SENTENCE, random.Random(i), rate=0.05) for i in range(5)]
    assert len(set(noisy)) > 150  # the slips fall in different places
    assert any(n.endswith(".") for n in noisy) and any(n.endswith("?") for n in noisy)
    with pytest.raises(ValueError, match="rate must be between 0 and 1, got 2"):
        transcription_noise(SENTENCE, random.Random(0), rate=2)


def test_text_encoder_collator_gives_the_slips_to_the_share_asked_and_keeps_targets():
    import numpy as np

    from s2i_hf.models.text_encoder import build_text_tokenizer
    from s2i_hf.training.text_encoder import TextEmbeddingCollator

    tokenizer = build_text_tokenizer()
    rows = [{"text": SENTENCE, "target_embeds": np.full(4, i, np.float32)} for i in range(64)]
    clean = tokenizer([SENTENCE], return_tensors="pt").input_ids[0]
    for share, low, high in ((0.0, 0, 0), (0.5, 16, 48), (1.0, 58, 64)):
        batch = TextEmbeddingCollator(tokenizer, 201, transcription_noise=share, seed=1)(rows)
        changed = sum(not (len(ids[ids != tokenizer.pad_token_id]) == len(clean) and
                           ids[: len(clean)].equal(clean)) for ids in batch["input_ids"])
        assert low <= changed <= high, (share, changed)
        assert batch["target_embeds"][:, 0].tolist() == list(range(64))  # targets never change
