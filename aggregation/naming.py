"""How opinion groups are called, in one place: the map, the report, "where you stand",
the value profile and its exports all name group 0 "Group A".

Pure functions over plain data (no Django), so exports and pages agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Longest quoted statement in a group's name; longer texts are cut at a word.
NAME_QUOTE_CHARS = 60


def group_letter(index: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA": the letter of the group at this position."""
    if index < 0:
        raise ValueError(f"a group position is 0 or more, not {index}")
    letters = ""
    n = index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def group_label(index: int) -> str:
    """ "Group A"."""
    return f"Group {group_letter(index)}"


def shorten(text: str, limit: int = NAME_QUOTE_CHARS) -> str:
    """The text on one line, cut at a word boundary with an ellipsis when longer than `limit`."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0].rstrip(",.;:!?")
    return cut + "…"


def group_stands_for(
    representative: Iterable[Mapping[str, Any]],
    texts: Mapping[int, str],
    *,
    for_phrase: str = "for “%(text)s”",
    against_phrase: str = "against “%(text)s”",
) -> str:
    """What a group stands for in plain words, from its most representative statements.

    `representative` is the group's list in the engine's order (most
    representative first), each with "statement" (number) and "direction"
    ("agree" / "disagree"). The strongest statement the group agrees with and
    the strongest it disagrees with are quoted: 'for "Keep the wetland",
    against "Build the stadium"'. Empty when no statement sets the group apart.
    The phrases default to the English of the exports; pages pass their
    translation (report.stands_for).
    """
    for_text = against_text = None
    for rep in representative:
        text = texts.get(int(rep["statement"]))
        if not text:
            continue
        if rep.get("direction") == "agree" and for_text is None:
            for_text = text
        elif rep.get("direction") == "disagree" and against_text is None:
            against_text = text
    parts = []
    if for_text:
        parts.append(for_phrase % {"text": shorten(for_text)})
    if against_text:
        parts.append(against_phrase % {"text": shorten(against_text)})
    return ", ".join(parts)


def group_name(
    index: int, representative: Iterable[Mapping[str, Any]], texts: Mapping[int, str]
) -> str:
    """ "Group A: for “…”, against “…”", or "Group A" when nothing sets it apart."""
    stands_for = group_stands_for(representative, texts)
    return f"{group_label(index)}: {stands_for}" if stands_for else group_label(index)
