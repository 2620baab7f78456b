"""Text rules shared by statements and arguments: cleaning, folding, near-duplicates.

Kept free of the ORM so the rules can be tested (and reused by imports) on their own.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

from django.utils.translation import gettext as _

from aggregation.engine.similar import polarity

STATEMENT_MIN_LENGTH = 10
# Two statements are "the same statement" when their folded texts have a
# difflib ratio of at least NEAR_DUPLICATE_RATIO (0.9) *and* every word that
# differs is either a spelling variant of the word it replaces (ratio >= 0.75:
# typos, plurals, British/American spelling) or a filler word (articles and
# intensifiers). The character ratio alone is not enough: in a 60-character
# statement "keep" -> "sell" still scores 0.93 yet reverses the meaning, and
# an inserted "not" must never be folded into the original.
NEAR_DUPLICATE_RATIO = 0.9
SPELLING_VARIANT_RATIO = 0.75
FILLER_WORDS = frozenset({"a", "an", "the", "very", "really", "just", "also", "so", "indeed"})

_WHITESPACE = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^\w\s]", re.UNICODE)


def clean_text(text: str) -> str:
    """Trimmed, with every run of whitespace (newlines, tabs) turned into one space."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


# Bidirectional overrides, embeddings and isolates: in a statement or an
# argument they only serve to make text display other than it reads (an RTL
# override turns "gnirts" into "string" on screen).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def text_problem(text: str) -> str | None:
    """Why `text` (cleaned) cannot be a statement or an argument, or None.

    Refuses bidirectional control characters and text with nothing visible
    (only format characters such as zero-width spaces and joiners).
    """
    if any(ch in _BIDI_CONTROLS for ch in text):
        return _("Remove the right-to-left or left-to-right override characters from the text.")
    if not any(unicodedata.category(ch)[0] in "LNPS" for ch in text):
        return _("The text has no visible characters.")
    return None


def fold_text(text: str) -> str:
    """Case, accents, punctuation and whitespace folded: the key for duplicate checks."""
    # Compatibility forms first (mathematical or full-width letters become
    # plain ones), then case, then decompose again so accents from either
    # step come off.
    decomposed = unicodedata.normalize(
        "NFKD", unicodedata.normalize("NFKD", clean_text(text)).casefold()
    )
    no_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _WHITESPACE.sub(" ", _NOT_WORD.sub(" ", no_marks)).strip()


def similarity(a: str, b: str) -> float:
    """Similarity of two folded texts in [0, 1] (difflib's ratio)."""
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def is_near_duplicate(a: str, b: str) -> bool:
    if a == b:
        return True
    # "Fuel taxes should increase" is one letter pair away from "... decrease":
    # statements pointing in opposite directions are never duplicates.
    if polarity(a) != polarity(b):
        return False
    # Cheap bound first: the ratio can never exceed 2*min/(len_a+len_b).
    shortest, total = min(len(a), len(b)), len(a) + len(b)
    if total == 0 or 2 * shortest / total < NEAR_DUPLICATE_RATIO:
        return False
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < NEAR_DUPLICATE_RATIO:
        return False
    if matcher.quick_ratio() < NEAR_DUPLICATE_RATIO:
        return False
    if matcher.ratio() < NEAR_DUPLICATE_RATIO:
        return False
    return _only_small_word_edits(a.split(), b.split())


def _only_small_word_edits(a_words: list[str], b_words: list[str]) -> bool:
    words = SequenceMatcher(None, a_words, b_words, autojunk=False)
    for tag, i1, i2, j1, j2 in words.get_opcodes():
        if tag == "equal":
            continue
        # Fillers may come and go ("a park" -> "parks"); what remains must pair
        # up word for word with spelling variants.
        removed = [w for w in a_words[i1:i2] if w not in FILLER_WORDS]
        added = [w for w in b_words[j1:j2] if w not in FILLER_WORDS]
        if len(removed) != len(added):
            return False
        for old, new in zip(removed, added, strict=True):
            if similarity(old, new) < SPELLING_VARIANT_RATIO:
                return False
    return True
