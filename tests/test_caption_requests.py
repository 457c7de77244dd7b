"""Captions rewritten as spoken requests (text augmentation of the text encoder) keep what they name."""

import random
import re

from s2i_hf.data.caption_attributes import colours_named
from s2i_hf.data.caption_requests import OPENERS, as_request

from test_caption_attributes import CAPTIONS

GROUPS = ("has_belly_color", "has_breast_color", "has_wing_color", "has_crown_color", "has_throat_color")


def test_examples():
    rng = random.Random(0)
    request = as_request("This bird has a red belly and blue wings.", rng, compound_probability=1.0,
                         restate_probability=0.0)
    assert "red-bellied bird that has blue wings" in request or "red-bellied bird with blue wings" in request, request
    request = as_request("a small bird with a yellow breast, black wings and a short bill.", random.Random(1), 1.0, 0.0)
    assert "a small yellow-breasted bird with black wings and a short bill" in request, request
    request = as_request("the bird has blue wings and a grey belly.", random.Random(2), 1.0, 0.0)
    assert "blue-winged bird with a grey belly" in request or "blue-winged bird that has a grey belly" in request, \
        request


def test_requests_name_the_colours_their_captions_name():
    """On the hand-written CUB-style captions: the parser reads the same part colours from every rewrite (with and
    without compounds), and every rewrite opens with a request."""
    changed = 0
    for seed, (caption, _) in enumerate(CAPTIONS):
        expected = {g: v for g, v in colours_named(caption).items() if g in GROUPS}
        for probability in (0.0, 1.0):
            request = as_request(caption, random.Random(seed), compound_probability=probability,
                                 restate_probability=0.0)
            got = {g: v for g, v in colours_named(request).items() if g in GROUPS}
            assert got == expected, (caption, request)
            assert any(opener in request for opener in OPENERS), request
            changed += "-" in request and "-" not in caption
    assert changed >= 10  # compounds are made, not only left alone


def test_restated_requests_keep_every_colour_and_bind_it_to_its_part():
    """Colours restated as clauses: the same colour words, each still next to its part, the setting said last."""
    request = as_request("the bird has a red belly, a long gray bill and blue wings, standing in the snow.",
                         random.Random(0), restate_probability=1.0)
    assert request.endswith("standing in the snow") and "long gray bill" in request, request
    assert re.search(r"(?:belly|tummy|front) (?:is|should be) red|whose (?:belly|tummy|front) is red|red bird", request) \
        or "red belly" in request, request
    assert re.search(r"wings (?:are|should be) blue|blue wings", request), request
    forms = set()
    for seed in range(40):
        for caption, _ in CAPTIONS:
            request = as_request(caption, random.Random(seed), restate_probability=1.0)
            colours = lambda text: sorted(re.findall(r"\b(?:red|blue|green|yellow|white|black|brown|gray|grey|orange|purple|pink)\b", text))  # noqa: E731
            assert colours(request) == colours(caption.lower()), (caption, request)
            forms.update(f for f in ("whose ", ". its ", ". the ", "should be", "tummy", "chest") if f in request)
    assert forms == {"whose ", ". its ", ". the ", "should be", "tummy", "chest"}  # every form is made


def test_text_encoder_collator_rewrites_the_share_asked_for_and_keeps_targets():
    import numpy as np

    from s2i_hf.models.text_encoder import build_text_tokenizer
    from s2i_hf.training.text_encoder import TextEmbeddingCollator

    tokenizer = build_text_tokenizer()
    rows = [{"text": caption, "target_embeds": np.full(4, i, np.float32)} for i, (caption, _) in enumerate(CAPTIONS)]
    for share, expected in ((0.0, 0), (1.0, len(rows))):
        batch = TextEmbeddingCollator(tokenizer, 201, request_augmentation=share, seed=0)(rows)
        texts = tokenizer.batch_decode(batch["input_ids"], skip_special_tokens=True)
        assert sum(any(t.startswith(o) or f" {o} " in t for o in OPENERS) for t in texts) == expected
        assert batch["target_embeds"][:, 0].tolist() == list(range(len(rows)))
