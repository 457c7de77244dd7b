"""CUB captions rewritten as the requests people speak: text augmentation for the text encoder.

A caption describes ("this bird has a red belly and blue wings"); a user asks ("um, can you draw me a red-bellied
bird with blue wings, please?"). `as_request(caption, rng)` rewrites a caption into such a request naming the same
things: an opener, the subject as "a ... bird with/that has", sometimes a part's colour moved into a compound
adjective ("a red belly" -> "red-bellied"), fillers and closers. A text encoder trained on (request, the caption's
embedding) pairs learns that the frame words carry nothing and that "red-bellied" names what "a red belly" does.
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


def as_request(caption: str, rng: random.Random, compound_probability: float = 0.5) -> str:
    """One spoken-style request naming what `caption` names."""
    text = caption.strip().lower().rstrip(" .!")
    text = _subject(text, rng)
    if rng.random() < compound_probability:
        text = _compound(text)
    words = [rng.choice(FILLERS)] if rng.random() < 0.3 else []
    words += [rng.choice(OPENERS), text]
    if rng.random() < 0.3:
        words.append(rng.choice(CLOSERS))
    request = re.sub(r"\ba (?=[aeiou])", "an ", " ".join(words))
    return re.sub(r"\ban (?=[^aeiou\W])", "a ", request)
