"""Captions with their colours exchanged ask for the colours the exchange gives, in the caption's own words."""

import random

from s2i_hf.data.caption_attributes import colours_named
from s2i_hf.data.caption_recoloring import colours_used, random_permutation, recolor

from test_caption_attributes import CAPTIONS


def test_recolor_exchanges_every_colour_at_once_and_keeps_the_rest():
    swap = {"red": "blue", "blue": "red", "gray": "gray"}
    assert recolor("a red-bellied bird with blue wings and a gray bill.", swap) == \
        "a blue-bellied bird with red wings and a gray bill."
    assert recolor("the belly is redder than red.", {"red": "green"}) == "the belly is redder than green."


def test_a_permutation_maps_the_colours_used_onto_themselves():
    colours = colours_used(["a red belly, blue wings.", "a gray crown and a red bill", "no colour here"])
    assert colours == ["blue", "gray", "red"]
    for seed in range(20):
        mapping = random_permutation(colours, random.Random(seed))
        assert sorted(mapping) == colours and sorted(mapping.values()) == colours
    assert len({tuple(random_permutation(colours, random.Random(s)).values()) for s in range(20)}) == 6  # all 3!


def test_the_parser_reads_the_exchanged_colours_from_every_hand_written_caption():
    """On the hand-written CUB-style captions: what the recoloured caption names, group by group, is the mapped
    colour of what the caption named."""
    captions = [caption.lower().replace("grey", "gray") for caption, _ in CAPTIONS]  # one word per colour
    colours = colours_used(captions)
    assert len(colours) >= 8
    word = lambda colour: "gray" if colour == "grey" else colour  # noqa: E731  (the parser reads CUB's "grey")
    read = lambda colour: "grey" if colour == "gray" else colour  # noqa: E731
    for seed, caption in enumerate(captions):
        mapping = random_permutation(colours, random.Random(seed))
        expected = {g: [read(mapping[word(v)]) for v in values] for g, values in colours_named(caption).items()}
        assert colours_named(recolor(caption, mapping)) == expected, caption
