"""The text normalization both error rates score on: lower case, accents and punctuation removed, spaces collapsed."""

import re
import unicodedata

_PUNCTUATION = re.compile(r"[^\w\s']|(?<!\w)'|'(?!\w)")  # keeps the apostrophe inside words ("bird's")


def normalize_for_scoring(text: str) -> str:
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()
    return " ".join(_PUNCTUATION.sub(" ", text.replace("\u2019", "'")).split())
