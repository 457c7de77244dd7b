import random

import numpy as np

from s2i_hf.data.caption_attributes import colours_named
from s2i_hf.data.synthetic import domain
from s2i_hf.data.synthetic.caption_embedding import EMBEDDING_DIM, embed_caption, embed_captions


def test_class_split_is_fixed_disjoint_and_sees_every_colour():
    train, test = domain.class_split()
    assert (len(train), len(test)) == (75, 25)
    assert set(train).isdisjoint(test) and set(train) | set(test) == set(range(1, 101))
    assert domain.class_split() == (train, test)
    assert {domain.class_colours(c)[0] for c in train} == set(domain.COLOUR_NAMES)
    assert {domain.class_colours(c)[1] for c in train} == set(domain.COLOUR_NAMES)


def test_class_ids_and_names_round_trip():
    assert domain.class_id("red", "red") == 1
    assert domain.class_name(domain.class_id("red", "blue")) == "005.Red_belly_Blue_wing"
    assert all(domain.class_id(*domain.class_colours(c)) == c for c in range(1, 101))


def test_captions_state_only_true_attributes_and_always_belly_or_wing():
    rng = random.Random(0)
    for _ in range(500):
        bird = domain.sample_bird(rng)
        text = domain.caption(bird, rng)
        assert text == text.lower() and text.endswith(".")
        named = colours_named(text)
        assert "has_belly_color" in named or "has_wing_color" in named, text
        drawn = domain.cub_colours(bird)
        for group, colours in named.items():
            assert colours == [drawn[group]], text
        assert " a orange" not in text and " a a" not in text


def test_caption_embedding_is_deterministic_unit_norm_and_word_sensitive():
    text = "this small bird has a red belly and blue wings."
    a, b = embed_caption(text), embed_caption(text)
    assert a.shape == (EMBEDDING_DIM,) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert abs(float(np.linalg.norm(a)) - 1.0) < 1e-5
    swapped = embed_caption("this small bird has a blue belly and red wings.")
    other = embed_caption("a large bird standing in the snow.")
    assert float(a @ swapped) < 0.9  # the same words bound to other parts must embed differently
    assert float(a @ swapped) > float(a @ other)
    assert embed_captions([text, text]).shape == (2, EMBEDDING_DIM)
    # Golden values: a silent change of the documented encoder would invalidate every corpus made before it.
    np.testing.assert_allclose(a[:3], [0.012225, 0.02299, -0.03662], atol=2e-6)
