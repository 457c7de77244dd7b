"""The caption parser on hand-written captions in the style of CUB's text_c10 (not the synthetic templates)."""

import pytest

from s2i_hf.data.caption_attributes import CUB_COLOURS, colours_named

B, BR, U, W, C, T = "has_belly_color", "has_breast_color", "has_underparts_color", "has_wing_color", \
    "has_crown_color", "has_throat_color"
BILL, BACK, TAIL, P, N, E, L = "has_bill_color", "has_back_color", "has_upper_tail_color", "has_primary_color", \
    "has_nape_color", "has_eye_color", "has_leg_color"

# caption -> the (group, colour) pairs a careful reader takes from it
CAPTIONS = [
    ("this bird has a white belly and breast, with a grey crown and short pointed bill.",
     {B: ["white"], BR: ["white"], C: ["grey"]}),
    ("a small bird with a yellow breast, and black wings with white wingbars.", {BR: ["yellow"], W: ["black"]}),
    ("this is a grey bird with a white belly and a black crown.", {P: ["grey"], B: ["white"], C: ["black"]}),
    ("the belly is grey and the wings are brown.", {B: ["grey"], W: ["brown"]}),
    ("this bird has a buff breast and brown wings with white spots.", {BR: ["buff"], W: ["brown"]}),
    ("an olive bird with rufous wings.", {P: ["olive"], W: ["rufous"]}),
    ("a yellow bird with black wings and a short orange beak.", {P: ["yellow"], W: ["black"], BILL: ["orange"]}),
    ("this red-bellied bird has a grey back and a long thin bill.", {B: ["red"], BACK: ["grey"]}),
    ("this bird is black-winged with a bright yellow crown.", {W: ["black"], C: ["yellow"]}),
    ("small bird with a gray head, white throat and brown back.", {C: ["grey"], T: ["white"], BACK: ["brown"]}),
    ("the bird has a black bill, a red crown, and a white belly.", {BILL: ["black"], C: ["red"], B: ["white"]}),
    ("this bird has wings that are blue and has a white belly.", {W: ["blue"], B: ["white"]}),
    ("a bird with wings of green and a breast of yellow.", {W: ["green"], BR: ["yellow"]}),
    ("this is a brown bird with a white breast and a short black bill.",
     {P: ["brown"], BR: ["white"], BILL: ["black"]}),
    ("the bird has a pink chest and a grey crown with a black eyering.", {BR: ["pink"], C: ["grey"]}),
    ("black and white striped wings, a yellow throat and a small grey bill.",
     {W: ["black", "white"], T: ["yellow"], BILL: ["grey"]}),
    ("this bird is mostly grey with a yellow breast and belly.", {P: ["grey"], BR: ["yellow"], B: ["yellow"]}),
    ("the underparts are white and the upper wings are dark brown.", {U: ["white"], W: ["brown"]}),
    ("a medium sized bird with an orange breast and black head.", {BR: ["orange"], C: ["black"]}),
    ("this bird has a bright red crown and nape and a white belly.", {C: ["red"], N: ["red"], B: ["white"]}),
    ("this bird has iridescent green wings and a white throat.", {W: ["iridescent", "green"], T: ["white"]}),
    ("a little bird with a rufous crown and a buff belly.", {C: ["rufous"], B: ["buff"]}),
    ("the bird has a long black tail and a red eye.", {TAIL: ["black"], E: ["red"]}),
    ("this grey-headed bird has a white breast and dark grey wings.", {C: ["grey"], BR: ["white"], W: ["grey"]}),
    ("a bird with a blue crown, blue wings and a white underside.", {C: ["blue"], W: ["blue"], U: ["white"]}),
    ("the head is black and the breast is bright orange.", {C: ["black"], BR: ["orange"]}),
    ("this bird has a yellow belly, olive back and grey wings with white wing bars.",
     {B: ["yellow"], BACK: ["olive"], W: ["grey"]}),
    ("this bird has brown primaries and a speckled white breast.", {W: ["brown"], BR: ["white"]}),
    ("a white bird with black wings and orange legs.", {P: ["white"], W: ["black"], L: ["orange"]}),
    ("this small bird has a purple crown, a purple throat and black wings.",
     {C: ["purple"], T: ["purple"], W: ["black"]}),
    ("the bird has a white abdomen, a grey breast and a brown crown.", {B: ["white"], BR: ["grey"], C: ["brown"]}),
    ("this bird has red on its wings and a black body.", {W: ["red"], U: ["black"]}),
    ("a yellow-crowned bird with a white belly and grey wings.", {C: ["yellow"], B: ["white"], W: ["grey"]}),
    ("this is a small bird with a brown cap and a buff colored breast.", {C: ["brown"], BR: ["buff"]}),
    ("the wings are black with white edges and the belly is yellow.", {W: ["black"], B: ["yellow"]}),
    ("this bird has a short yellow bill, a black throat and a rufous belly.",
     {BILL: ["yellow"], T: ["black"], B: ["rufous"]}),
    ("a bird with a white breast and belly, and grey coverts.", {BR: ["white"], B: ["white"], W: ["grey"]}),
    ("the bird is blue with a white belly and black tail feathers.", {P: ["blue"], B: ["white"], TAIL: ["black"]}),
    ("this small bird has a green back, a yellow belly and a red crown.",
     {BACK: ["green"], B: ["yellow"], C: ["red"]}),
    ("bird with a brown and white speckled breast and a long brown tail.",
     {BR: ["brown", "white"], TAIL: ["brown"]}),
    ("this bird has a black crown with a white eyebrow and a grey nape.", {C: ["black"], N: ["grey"]}),
    ("a red-breasted bird with grey wings and a black head.", {BR: ["red"], W: ["grey"], C: ["black"]}),
    ("this bird has a light brown belly and dark brown wings with black stripes.", {B: ["brown"], W: ["brown"]}),
    ("the crown is red and the bill is short and black.", {C: ["red"], BILL: ["black"]}),
    ("a tiny bird with a green crown, white throat and iridescent green back.",
     {C: ["green"], T: ["white"], BACK: ["iridescent", "green"]}),
    ("this bird has white underparts, brown wings with buff wingbars and a pink bill.",
     {U: ["white"], W: ["brown"], BILL: ["pink"]}),
]


def _pairs(named: dict) -> set:
    return {(group, colour) for group, colours in named.items() for colour in colours}


def test_hand_written_captions_precision_and_recall_at_least_0_9():
    assert len(CAPTIONS) >= 40
    found = expected = correct = 0
    misses = []
    for caption, truth in CAPTIONS:
        got, want = _pairs(colours_named(caption)), _pairs(truth)
        found, expected, correct = found + len(got), expected + len(want), correct + len(got & want)
        if got != want:
            misses.append((caption, sorted(got - want), sorted(want - got)))
    precision, recall = correct / found, correct / expected
    print(f"caption parser: precision {precision:.3f}, recall {recall:.3f} on {len(CAPTIONS)} captions "
          f"({expected} labels); differences: {misses}")
    assert precision >= 0.9 and recall >= 0.9, misses


@pytest.mark.parametrize("caption,expected", [
    ("the belly is grey", {"has_belly_color": ["grey"]}),
    ("buff breast", {"has_breast_color": ["buff"]}),
    ("an olive bird with rufous wings", {"has_primary_color": ["olive"], "has_wing_color": ["rufous"]}),
    ("red-bellied", {"has_belly_color": ["red"]}),
    ("a gray crown", {"has_crown_color": ["grey"]}),  # gray is CUB's grey
    ("white wing bars", {}),  # the bars, not the wings
    ("this bird has a long beak", {}),
])
def test_word_orders_and_spellings(caption, expected):
    assert colours_named(caption) == expected


def test_every_cub_colour_is_read():
    for colour in CUB_COLOURS:
        assert colours_named(f"a {colour} belly") == {"has_belly_color": [colour]}
