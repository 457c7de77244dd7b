"""CUB captions rewritten as the requests people speak: text augmentation for the text encoder.

A caption describes ("this bird has a red belly and blue wings"); a user asks ("um, can you draw me a red-bellied
bird with blue wings, please?"). `as_request(caption, rng)` rewrites a caption into such a request naming the same
things: an opener, the subject as "a ... bird with/that has", sometimes a part's colour moved into a compound
adjective ("a red belly" -> "red-bellied"), or parts' colours restated as clauses ("a bird whose belly is red",
"a bird with a short bill. its wings are blue", "a red bird with blue wings", with everyday words for the parts:
tummy, chest), fillers and closers. A text encoder trained on (request, the caption's embedding) pairs learns that
the frame words carry nothing and that these name what "a red belly" does.
Nothing here is specific to the synthetic birds: it reads CUB's text_c10 captions as written.
"""

from __future__ import annotations

import random
import re

from .caption_attributes import CUB_COLOURS

OPENERS = ("draw me", "draw", "show me", "can you draw", "could you draw me", "please draw", "make me",
           "i'd like to see", "i want", "give me", "paint me", "can i get", "let's see", "generate",
           "create a picture of", "i would like a picture of", "can you show me", "picture", "imagine",
           "i'm looking for")
FILLERS = ("um", "uh", "okay so", "so", "well", "hmm", "alright")
CLOSERS = ("please", "thanks", "for me", "if you can", "thank you")
COMPOUNDS = {"belly": "bellied", "breast": "breasted", "throat": "throated", "crown": "crowned", "head": "headed",
             "wing": "winged", "wings": "winged", "tail": "tailed", "back": "backed", "bill": "billed"}
_COLOUR = "(?:" + "|".join((*CUB_COLOURS, "gray")) + ")"
# "a red belly" in a list of features: an optional article, one colour, the part, then a list separator or the end
_FEATURE = re.compile(rf"(?:an? )?({_COLOUR}) ({'|'.join(COMPOUNDS)})(?=$|,| and )")
_SHARED = re.compile(r"(?:,| and) (?:(?:and|its|the) )?(?:belly|breast|chest|throat|crown|head|wings?|tail|back|bill|"
                     r"underparts|abdomen|sides|flanks|nape|cap|beak)\b")


def _subject(text: str, rng: random.Random) -> str:
    """"this bird has ..." -> "a bird with ..."; "this is a small bird that has ..." -> "a small bird that has ..."."""
    text = re.sub(r"^(?:this|that|it) is (an?) ", r"\1 ", text)
    text = re.sub(r"^(?:this|the|that)( particular)? ", "a ", text)
    text = re.sub(r"\bbird is ", "bird that is ", text, count=1)
    return re.sub(r"\bbird (?:has|have) ", lambda m: rng.choice(("bird with ", "bird that has ")), text, count=1)


def _compound(text: str) -> str:
    """Move the first "<colour> <part>" after "bird with" into a compound before "bird": "a bird with a red belly
    and blue wings" -> "a red-bellied bird with blue wings". Unchanged where the caption has no such list."""
    match = re.search(r"\bbird (with|that has) (.*)$", text)
    if match is None:
        return text
    features = match.group(2)
    feature = _FEATURE.search(features)
    if feature is None or feature.start() > 0 and not features[: feature.start()].endswith((", ", " and ")):
        return text
    colour, part = feature.groups()
    if _SHARED.match(features[feature.end():]):  # "a white belly and breast": the colour is shared, leave it
        return text
    before, after = features[: feature.start()], features[feature.end():]
    if after.startswith(", ") or after.startswith(" and "):  # drop the separator that followed it
        after = after[5:] if after.startswith(" and ") else after[2:]
    elif before.endswith(", ") or before.endswith(" and "):  # the last feature: drop the separator before it
        before = before[: -2] if before.endswith(", ") else before[: -5]
    rest = (before + after).strip()
    head = text[: match.start()].rstrip()
    if re.search(rf"\b{_COLOUR}$", head):  # "a grey bird": two colours before "bird" would read as one part's
        return text
    bird = f"{colour}-{COMPOUNDS[part]} bird"
    rest = re.sub(r"^(, | and )", "", rest)
    return f"{head} {bird}" + (f" {match.group(1)} {rest}" if rest else "")


_PART = r"(?:belly|breast|chest|throat|crown|head|wings?|tail|back|underparts|cap|nape)"
# one item of a caption's list of features, when it is a colour and the parts it colours: "a red belly", "a black
# belly and underparts", "wings that are purple", "a belly that is black"
_ITEM = re.compile(rf"^(?:an? )?(?:({_COLOUR}) ({_PART}(?: and {_PART})?)|({_PART}) (?:that|which) (?:is|are) "
                   rf"({_COLOUR}))$")
EVERYDAY = {"belly": ("belly", "tummy", "front"), "breast": ("breast", "chest")}
# where the caption says where the bird is ("..., standing in the snow"): kept out of the list, said last
_SETTING = re.compile(r",? ((?:standing|flying|perched|sitting|swimming|against|on|in|near|by) [^,]*)$")


def _items(features: str) -> list[str]:
    """A caption's feature list split at its separators, colourless parts kept with the item before them ("a
    black belly and underparts" stays one item)."""
    items = []
    for piece in re.split(r", (?:and )?| and ", features):
        if items and re.fullmatch(_PART, piece):
            items[-1] += f" and {piece}"
        else:
            items.append(piece)
    return items


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _restate(text: str, rng: random.Random) -> str:
    """Restate up to two of the colours "a ... bird with/that has" lists as clauses: "a bird whose belly is red
    and whose wings are blue", "a bird with a short bill. its belly is red", or the belly's colour as the bird's
    ("a red bird with blue wings"). Unchanged where no item of the list is a plain colour and its parts."""
    setting = _SETTING.search(text)
    if setting is not None:
        restated = _restate(text[: setting.start()], rng)
        return f"{restated}, {setting.group(1)}" if restated != text[: setting.start()] else text
    match = re.search(r"\bbird (with|that has) (.*)$", text)
    if match is None:
        return text
    items = _items(match.group(2))
    coloured = [(k, m) for k, m in ((k, _ITEM.match(item)) for k, item in enumerate(items)) if m is not None]
    if not coloured:
        return text
    chosen = rng.sample(coloured, min(len(coloured), rng.choice((1, 2))))
    taken = {k for k, _ in chosen}
    rest = [item for k, item in enumerate(items) if k not in taken]
    head = text[: match.start()].rstrip()
    clauses = []
    for _, m in sorted(chosen, key=lambda pair: pair[0]):
        colour, parts = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        names = [rng.choice(EVERYDAY.get(part, (part,))) for part in parts.split(" and ")]
        clauses.append((colour, " and ".join(names), "are" if len(names) > 1 or names[-1].endswith("s") else "is"))
    if clauses[0][1] in EVERYDAY["belly"] and not re.search(rf"\b{_COLOUR}$", head) and rng.random() < 0.3:
        colour, _, _ = clauses.pop(0)  # the body's colour: "a red bird"
        head = f"{head} {colour}"
    listed = f" {match.group(1)} {_listed(rest)}" if rest else ""
    if not clauses:
        return f"{head} bird{listed}"
    style = rng.choice(("whose", "its", "the", "should"))
    if style == "whose":
        said = " and ".join(f"whose {parts} {verb} {colour}" for colour, parts, verb in clauses)
        return f"{head} bird{listed}{',' if listed else ''} {said}"
    said = " and ".join(f"its {parts} should be {colour}" if style == "should" else f"{style} {parts} {verb} {colour}"
                        for colour, parts, verb in clauses)
    return f"{head} bird{listed}. {said}"


def as_request(caption: str, rng: random.Random, compound_probability: float = 0.5,
               restate_probability: float = 0.4) -> str:
    """One spoken-style request naming what `caption` names: with `restate_probability` its colours restated as
    clauses (`_restate`), else with `compound_probability` one moved into a compound adjective."""
    text = caption.strip().lower().rstrip(" .!")
    text = _subject(text, rng)
    if rng.random() < restate_probability:
        text = _restate(text, rng)
    elif rng.random() < compound_probability:
        text = _compound(text)
    words = [rng.choice(FILLERS)] if rng.random() < 0.3 else []
    words += [rng.choice(OPENERS), text]
    if rng.random() < 0.3:
        words.append(rng.choice(CLOSERS))
    request = re.sub(r"\ba (?=[aeiou])", "an ", " ".join(words))
    return re.sub(r"\ban (?=[^aeiou\W])", "a ", request)
