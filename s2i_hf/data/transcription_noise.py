"""Text with the slips an ASR makes, for training the text encoder to read a transcript as the sentence it misheard.

    transcription_noise("A bird with a green belly and purple wings?", random.Random(1), rate=0.05)
    -> "a bird wittha gren bely and p urple wings."

Why: the pipeline embeds the ASR's transcript, not the sentence spoken. The demo's ASR leaves a few slips per
sentence ("a green belly and purple wings" -> "agren belly and purple wing", CER 0.01-0.03), and an encoder that
only ever read clean captions places such a transcript elsewhere in its space: the picture drawn from speech was
then right less often than the one drawn from the same sentence as text (docs/studies/stackgan-conditioning.md,
"Reading what the ASR heard"). The slips imitate the ones the demo's ASR makes: a character dropped (most often),
replaced or doubled, a space lost or added, the sentence in lower case, its final mark a full stop.
"""

from __future__ import annotations

import random
import string

_LETTERS = string.ascii_lowercase


def transcription_noise(text: str, rng: random.Random, rate: float = 0.05) -> str:
    """`text` in lower case with about `rate` of its characters slipped (dropped 50 %, replaced 30 %, doubled or
    followed by a space 20 %), and a final ? or ! made a full stop half the time."""
    if not 0 <= rate <= 1:
        raise ValueError(f"rate must be between 0 and 1, got {rate}")
    out = []
    for char in text.lower():
        if rng.random() >= rate:
            out.append(char)
            continue
        op = rng.random()
        if op < 0.5:
            continue  # dropped
        if op < 0.8:
            out.append(rng.choice(_LETTERS) if char != " " else " ")  # replaced (a space stays a space)
        else:
            out.append(char + (char if char != " " and rng.random() < 0.5 else " "))  # doubled, or split off
    noisy = " ".join("".join(out).split())
    if noisy[-1:] in "?!" and noisy and rng.random() < 0.5:
        noisy = noisy[:-1] + "."
    return noisy or text.lower()
