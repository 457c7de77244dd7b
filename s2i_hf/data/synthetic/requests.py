"""Bird requests phrased freely, as people say them: the speech corpus's sentences beyond CUB's caption style.

A user of the app does not read out a CUB caption; they say "um, could you draw me a red-bellied bird with blue
wings, please". An ASR that only ever heard captions rewrites such speech into caption-like words. `request(bird,
rng)` writes one such sentence about a bird: an opener (draw me, show me, I'd like a picture of, ...), a noun phrase
in one of several shapes (with-phrases, compound adjectives, whose-clauses, descriptions after the fact), optional
fillers and hesitations, words from outside the bird domain (places, times, purposes) and numbers. It returns the
written text (digits, as LJSpeech's `text` column has them) and its spoken form (numbers spelled out, LJSpeech's
`normalized_text`).

Shapes come in two sets: `TRAIN` shapes are the corpus's own; `UNSEEN` shapes (their own openers, noun phrases and
word orders) are never spoken in a training corpus, so that a test corpus of them measures how the ASR does on
phrasing it never heard (`s2i synth speech ... --phrasing unseen`).
"""

from __future__ import annotations

import random
import re

from .domain import Bird

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
         "seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> str:
    """0-999 in words, as LJSpeech's normalized column spells numbers ("twenty-one", "one hundred five")."""
    if not 0 <= n < 1000:
        raise ValueError(f"number_words handles 0-999, got {n}")
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else "-" + _ONES[n % 10])
    rest = n % 100
    return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))


def spoken(text: str) -> str:
    """The normalized (spoken) form of a written request: its numbers spelled out."""
    return re.sub(r"\d+", lambda m: number_words(int(m.group())), text)


# Each part is a tuple of templates; {belly}, {wing}, {crown}, {size}, {beak}, {bg} and {n} are filled per bird.
TRAIN = {
    "opener": ("draw me", "draw", "show me", "can you draw", "could you draw me", "please draw", "make me",
               "i'd like to see", "i want", "give me", "paint me", "can i get", "how about", "let's see",
               "generate", "create a picture of", "i would like a picture of", "can you show me", "picture",
               "imagine", "i'm looking for", "make a drawing of"),
    "phrase": (
        "a {size} bird with a {belly} belly and {wing} wings",
        "a bird with {wing} wings and a {belly} breast",
        "a {belly}-bellied bird with {wing} wings",
        "a {wing}-winged bird with a {belly} belly",
        "a bird whose belly is {belly} and whose wings are {wing}",
        "a little bird, {belly} underneath and {wing} on the wings",
        "one of those birds with a {belly} chest and {wing} feathers on its wings",
        "a bird that has {wing} wings, a {belly} tummy and a {crown} head",
        "a {size} {belly} bird with {wing} wings",
        "a bird with a {crown} crown, {wing} wings and a {belly} belly",
        "a bird with {wing} wings. its belly should be {belly}",
        "a bird. the belly is {belly} and the wings are {wing}",
        "a bird with a {belly} front and {wing} wings, about {n} inches long",
        "a bird with {wing} wings and a {belly} belly and a {beak} beak",
    ),
    "filler": ("um", "uh", "okay so", "so", "well", "hmm", "alright", "hey", "you know what,", "right,"),
    "extra": ("perched on a branch", "sitting on a fence", "in the morning light", "on a sunny day",
              "for my daughter's birthday card", "near a lake", "in the garden", "like the one i saw yesterday",
              "with the sky behind it", "on a rock by the sea", "in a tree", "at sunset"),
    "closer": ("please", "thanks", "for me", "if you can", "thank you", "would be great", "i think"),
}
UNSEEN = {
    "opener": ("i would love a drawing of", "sketch", "could i see", "do you have", "paint", "bring up",
               "what would it look like,"),
    "phrase": (
        "a bird sporting {wing} wings and a {belly} belly",
        "a bird dressed in {wing} on the wings and {belly} below",
        "a {belly}-breasted bird whose wings are {wing}",
        "a bird, its wings {wing} and its breast {belly}",
        "a tiny thing with a {belly} belly and wings of {wing}",
        "a bird colored {belly} on the belly and {wing} on the wings",
    ),
    "filler": ("er", "like", "let me think,", "oh", "so um"),
    "extra": ("in the rain", "next to a river", "for a poster", "high up in the clouds", "about {n} of them"),
    "closer": ("cheers", "if that's possible", "right now", "as soon as you can"),
}


def _words(shapes: dict) -> set[str]:
    return {w for templates in shapes.values() for t in templates for w in re.findall(r"[a-z]+", t.lower())}


UNSEEN_ONLY_WORDS = frozenset(_words(UNSEEN) - _words(TRAIN))  # kept out of any other training text


def request(bird: Bird, rng: random.Random, shapes: dict = TRAIN) -> tuple[str, str]:
    """One request for `bird` in `shapes`' phrasing: (written text, spoken text), lower case, no final stop
    missing. Always names the belly and the wing colours."""
    values = {"belly": bird.belly, "wing": bird.wing, "crown": bird.crown, "size": bird.size,
              "beak": f"{bird.beak_length} {bird.beak_colour}", "n": rng.randint(2, 30)}
    words = []
    if rng.random() < 0.3:
        words.append(rng.choice(shapes["filler"]))
    opener = rng.choice(shapes["opener"])
    words.append(opener)
    phrase = rng.choice(shapes["phrase"])
    if rng.random() < 0.15:  # a hesitation: the speaker restarts on the first colour
        phrase = re.sub(r"\{(belly|wing)\}", lambda m: "{%s}, uh, {%s}" % (m.group(1), m.group(1)), phrase, count=1)
    words.append(phrase)
    if rng.random() < 0.35:
        words.append(rng.choice(shapes["extra"]))
    if rng.random() < 0.35:
        words.append(rng.choice(shapes["closer"]))
    text = " ".join(words).format(**values)
    text = re.sub(r"\ba (?=[aeiou])", "an ", text)
    text = re.sub(r"\bi\b", "I", text)
    text = re.sub(r"(^|\. )([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)
    question = opener.split()[0] in ("can", "could", "how", "do", "what")
    text += "?" if question else rng.choice((".", ".", "!"))
    return text, spoken(text)
