"""Text rules shared by statements and arguments: cleaning, folding, near-duplicates.

Kept free of the ORM so the rules can be tested (and reused by imports) on their own.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

STATEMENT_MIN_LENGTH = 10
# Two statements whose folded texts have a SequenceMatcher ratio at or above
# this are "the same statement": 0.9 catches a changed word ending, a typo or
# a swapped article in a 60-character statement, while statements that differ
# by a meaningful word ("should" / "should not") in a short text stay apart
# (those score below 0.9 once the texts are over ~40 characters).
NEAR_DUPLICATE_RATIO = 0.9

_WHITESPACE = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^\w\s]", re.UNICODE)


def clean_text(text: str) -> str:
    """Trimmed, with every run of whitespace (newlines, tabs) turned into one space."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


def fold_text(text: str) -> str:
    """Case, accents, punctuation and whitespace folded: the key for duplicate checks."""
    decomposed = unicodedata.normalize("NFKD", clean_text(text).casefold())
    no_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _WHITESPACE.sub(" ", _NOT_WORD.sub(" ", no_marks)).strip()


def similarity(a: str, b: str) -> float:
    """Similarity of two folded texts in [0, 1] (difflib's ratio)."""
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def is_near_duplicate(a: str, b: str) -> bool:
    if a == b:
        return True
    # Cheap bound first: the ratio can never exceed 2*min/(len_a+len_b).
    shortest, total = min(len(a), len(b)), len(a) + len(b)
    if total == 0 or 2 * shortest / total < NEAR_DUPLICATE_RATIO:
        return False
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < NEAR_DUPLICATE_RATIO:
        return False
    if matcher.quick_ratio() < NEAR_DUPLICATE_RATIO:
        return False
    return matcher.ratio() >= NEAR_DUPLICATE_RATIO
