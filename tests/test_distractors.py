"""Sentences and words that name nothing, added to the text encoder's training texts, keep what the text asks for."""

import random
import re

from s2i_hf.data.caption_attributes import colours_named
from s2i_hf.data.distractors import with_distractors

COLOURS = r"\b(?:red|blue|green|yellow|white|black|brown|gray|grey|orange|purple|pink|buff|olive|iridescent|rufous)\b"
TEXTS = ["draw me a red-bellied bird with blue wings please",
         "this bird has a red belly, a long gray bill and blue wings, standing in the snow.",
         "a small bird. its tummy is yellow and its wings are black"]


def test_distractors_keep_every_word_in_order_and_no_colour_loses_its_part():
    sentences = words = 0
    for seed in range(200):
        text = TEXTS[seed % len(TEXTS)]
        out = with_distractors(text, random.Random(seed), max_chars=201)
        assert out != text and len(out) <= 201, out
        remaining = iter(out.split())  # the text's own words, in order, with others between them
        assert all(any(w.rstrip(".") == o.rstrip(".") for o in remaining) for w in text.split()), (text, out)
        assert sorted(re.findall(COLOURS, out.lower())) == sorted(re.findall(COLOURS, text)), out
        assert colours_named(out.lower()).items() >= colours_named(text).items(), (text, out)
        added = len(out.split()) - len(text.split())
        sentences += added > 2
        words += added in (1, 2)
        for colour in re.finditer(rf"({COLOURS}) (\w+)", text):  # every "red belly" of the text is still whole
            assert colour.group(0) in out, (colour.group(0), out)
    assert sentences > 50 and words > 50  # both kinds are made


def test_a_sentence_that_would_not_fit_becomes_words():
    long = "this bird has " + ", ".join(["a red belly"] * 15) + " and blue wings"
    for seed in range(20):
        out = with_distractors(long, random.Random(seed), max_chars=len(long) + 25)
        assert len(out.split()) - len(long.split()) in (1, 2) and len(out) <= len(long) + 25, out


def test_text_encoder_collator_adds_distractors_to_the_share_asked_for():
    import numpy as np

    from s2i_hf.models.text_encoder import build_text_tokenizer
    from s2i_hf.training.text_encoder import TextEmbeddingCollator

    tokenizer = build_text_tokenizer()
    rows = [{"text": text, "target_embeds": np.zeros(4, np.float32)} for text in TEXTS * 4]
    for share, expect_changed in ((0.0, 0), (1.0, len(rows))):
        batch = TextEmbeddingCollator(tokenizer, 201, distractor_augmentation=share, seed=0)(rows)
        texts = tokenizer.batch_decode(batch["input_ids"], skip_special_tokens=True)
        assert sum(t != r["text"] for t, r in zip(texts, rows)) == expect_changed
