"""Which CUB colour attributes a caption names, read in CUB's vocabulary.

    colours_named("this bird has a grey belly and red-tipped black wings.")
    # {"has_belly_color": ["grey"], "has_wing_color": ["black"]}

Groups and values are CUB's (`attributes.txt`): the 15 colours (`gray` is read as CUB's `grey`) of the colour
groups, with the words people use for the parts (breast/chest, belly/abdomen, underparts/underside, wings/
primaries/coverts/secondaries, crown/head/cap, ...). The word orders captions use are read:
- a colour (or "x and y" colours, with up to two modifiers such as "bright" or "striped") before the part:
  "a red belly", "bright yellow and black wings", "a red breast and belly" (both parts);
- the part, then a verb, then the colour: "the belly is grey", "its wings are black and white";
- "with/of": "wings of blue", "a bird with a belly of white";
- compounds: "red-bellied", "black-winged", "yellow-crowned";
- a colour naming the bird itself is CUB's primary colour: "a yellow bird with black wings".
Words that qualify a colour away from a part ("red-tipped", "white wingbars", "a black eyering") are not read as
the part's colour. The parser is measured on hand-written captions in tests/test_caption_attributes.py.
"""

from __future__ import annotations

import re

CUB_COLOURS = ("blue", "brown", "iridescent", "purple", "rufous", "grey", "yellow", "olive", "green", "pink",
               "orange", "black", "white", "red", "buff")
_COLOUR_WORDS = {c: c for c in CUB_COLOURS} | {"gray": "grey"}

# part word -> CUB colour groups it names (a plural and a singular both listed)
_PARTS = {
    "belly": ("has_belly_color",), "bellies": ("has_belly_color",), "abdomen": ("has_belly_color",),
    "stomach": ("has_belly_color",), "tummy": ("has_belly_color",),
    "breast": ("has_breast_color",), "breasts": ("has_breast_color",), "chest": ("has_breast_color",),
    "underparts": ("has_underparts_color",), "underside": ("has_underparts_color",),
    "underbelly": ("has_underparts_color",), "body": ("has_underparts_color",),
    "throat": ("has_throat_color",), "chin": ("has_throat_color",),
    "wing": ("has_wing_color",), "wings": ("has_wing_color",), "primaries": ("has_wing_color",),
    "secondaries": ("has_wing_color",), "coverts": ("has_wing_color",), "feathers": (),
    "crown": ("has_crown_color",), "head": ("has_crown_color",), "cap": ("has_crown_color",),
    "forehead": ("has_forehead_color",), "nape": ("has_nape_color",), "neck": ("has_nape_color",),
    "back": ("has_back_color",), "upperparts": ("has_upperparts_color",), "mantle": ("has_back_color",),
    "tail": ("has_upper_tail_color",), "rump": ("has_upper_tail_color",),
    "bill": ("has_bill_color",), "beak": ("has_bill_color",),
    "eye": ("has_eye_color",), "eyes": ("has_eye_color",), "iris": ("has_eye_color",),
    "leg": ("has_leg_color",), "legs": ("has_leg_color",), "feet": ("has_leg_color",), "tarsus": ("has_leg_color",),
    "bird": ("has_primary_color",), "plumage": ("has_primary_color",), "coloring": ("has_primary_color",),
}
# "-bellied", "-winged", ...: the compound's second half -> the part it names
_COMPOUNDS = {"bellied": "belly", "breasted": "breast", "chested": "chest", "throated": "throat", "winged": "wings",
              "crowned": "crown", "headed": "head", "capped": "cap", "backed": "back", "tailed": "tail",
              "billed": "bill", "naped": "nape", "eyed": "eye", "legged": "legs", "bodied": "body"}
# A word before the part that makes a preceding colour describe something else: "red wing bars", "black eyering".
_BREAKERS = {"bars", "bar", "wingbars", "wingbar", "stripe", "stripes", "streaks", "spots", "patch", "patches",
             "eyering", "eyebrow", "ring", "rings", "tips", "tip", "tipped", "edges", "edged", "markings", "band",
             "bands", "line", "lines", "spot"}
_MODIFIERS = {"bright", "dark", "light", "pale", "deep", "dull", "vibrant", "brilliant", "vivid", "rich", "dusky",
              "soft", "muted", "solid", "striped", "spotted", "speckled", "streaked", "mottled", "mostly", "all",
              "entirely", "small", "short", "long", "large", "tiny", "pointed", "sharp", "thick", "thin", "curved",
              "little", "big", "medium", "sized", "colored", "coloured", "feathered", "shiny", "glossy"}
_VERBS = {"is", "are", "was", "were", "appears", "appear", "looks", "look", "seems", "colored", "coloured"}
_FILLERS = {"mostly", "all", "entirely", "very", "quite", "bright", "dark", "light", "pale", "deep", "a", "an",
            "mainly", "primarily", "completely", "solid", "shades", "shade", "of", "vibrant", "dull", "short", "long",
            "small", "large", "pointed", "thin", "thick", "and", "colored", "coloured", "in", "color", "colour"}
_POSSESSIVES = {"its", "the", "his", "her", "their"}
_PART_NOUNS = {"feathers", "coverts", "primaries", "secondaries", "area", "region", "patch"}
_TOKEN = re.compile(r"[a-z]+(?:-[a-z]+)*|[,;.]")  # punctuation kept: "a belly that is green, wings ..."


def _colour_run(words: list[str], i: int) -> tuple[list[str], list[int], int]:
    """Colours starting at words[i] ("red", "red and white"); returns them, their positions and the index after
    the run."""
    colours: list[str] = []
    positions: list[int] = []
    j = i
    while j < len(words) and words[j] in _COLOUR_WORDS:
        colours.append(_COLOUR_WORDS[words[j]])
        positions.append(j)
        j += 1
        # "red and white"; a comma is not read as joining colours, since captions list parts with commas
        # ("a belly that is green, white wings"): "red, white and blue wings" is read as white and blue
        if j + 1 < len(words) and words[j] in ("and", "or") and words[j + 1] in _COLOUR_WORDS:
            j += 1
    return colours, positions, j


def _part_run(words: list[str], i: int) -> tuple[list[tuple[str, ...]], int]:
    """Parts starting at words[i] ("breast and belly", "wing feathers"); returns their groups and the index after
    them. Two part words in a row name one part only when the second is a noun like "feathers"."""
    parts: list[tuple[str, ...]] = [_PARTS[words[i]]]
    j = i + 1
    while True:
        while j < len(words) and words[j] in _PART_NOUNS:  # "wing feathers", "wing coverts": still the wing
            j += 1
        if j + 1 < len(words) and words[j] == "and" and words[j + 1] in _PARTS and not (
                # "a grey belly and wings that are red": the second part has its own colour
                j + 2 < len(words) and (words[j + 2] in _VERBS or words[j + 2] in ("that", "of"))):
            parts.append(_PARTS[words[j + 1]])
            j += 2
            continue
        return parts, j


def _add(found: dict[str, list[str]], parts: list[tuple[str, ...]], colours: list[str]):
    for groups in parts:
        for group in groups:
            for colour in colours:
                found.setdefault(group, [])
                if colour not in found[group]:
                    found[group].append(colour)


def _tokens(text: str) -> list[str]:
    words = []
    for token in _TOKEN.findall(text.lower()):
        head, _, tail = token.rpartition("-")
        if head and tail in _COMPOUNDS and head.split("-")[-1] in _COLOUR_WORDS:
            # "red-bellied" -> "red belly"; "black-and-white-winged" -> "black and white wings"
            words += [*head.split("-"), _COMPOUNDS[tail]]
        elif head and tail in ("tipped", "edged", "striped", "spotted", "colored", "coloured"):
            words += [*head.split("-"), tail]
        else:
            words += token.split("-")
    return words


def colours_named(text: str) -> dict[str, list[str]]:
    """{CUB colour group: [colours, in the order named]} for every part-colour pair the caption states."""
    words = _tokens(text)
    found: dict[str, list[str]] = {}
    i = 0
    while i < len(words):
        word = words[i]
        if word in _COLOUR_WORDS:
            colours, _, j = _colour_run(words, i)
            k = j
            while k < len(words) and k - j < 2 and words[k] in _MODIFIERS and words[k] not in _PARTS:
                k += 1
            if k + 2 < len(words) and words[k] == "on" and words[k + 1] in _POSSESSIVES:
                k += 2  # "red on its wings"
            if k < len(words) and words[k] in _PARTS:
                parts, end = _part_run(words, k)
                # "a red breast and belly": both parts; but "white wing bars" are not white wings
                if not (end < len(words) and words[end] in _BREAKERS):
                    _add(found, parts, colours)
                i = end
                continue
            i = j
            continue
        if word in _PARTS:
            parts, j = _part_run(words, i)
            k = j
            # "the belly is red", "wings are mostly black", "wings of blue", "belly that is red"
            if k < len(words) and words[k] == "that":
                k += 1
            if k < len(words) and (words[k] in _VERBS or words[k] == "of"):
                k += 1
                while k < len(words) and words[k] in _FILLERS and words[k] not in _COLOUR_WORDS:
                    k += 1
                colours, positions, end = _colour_run(words, k)
                followed = end < len(words) and (words[end] in _PARTS or words[end] in _BREAKERS)
                if colours and followed and len(colours) > 1:
                    # "a belly that is yellow and red wings": yellow is the belly's, red the wings'
                    _add(found, parts, colours[:-1])
                    i = positions[-1]
                    continue
                # "the head is black eyering..." or "... is red tipped": the colour belongs to what follows
                if colours and not followed:
                    _add(found, parts, colours)
                    i = end
                    continue
            i = j
            continue
        i += 1
    return found
