"""Two value profiles side by side (schema profile-comparison/1).

Two versions of one space are matched by statement number: a number is one
statement for the life of a space. Profiles of two different spaces (another
community asked the same question, say) share no numbers, so their values are
matched by text: by meaning when a sentence-similarity function is given
(cosine similarity of the statements' stored embeddings, one-to-one, best
pairs first, at least MEANING_THRESHOLD and never a statement with its
opposite), otherwise by the same text up to case, spacing and punctuation.

A matched pair is "same" when both profiles put the value in the same class
and its agree rate moved by less than SAME_RATE; otherwise "different", with
the difference. Pure functions over the two contents (no Django).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from aggregation.engine.similar import THRESHOLD, polarity

SCHEMA = "profile-comparison/1"
# Agree rates closer than this (10 percentage points) count as the same.
SAME_RATE = 0.10
# Cosine similarity from which two statements of different spaces say the same:
# the threshold of the proposal check (aggregation.engine.similar), with its
# polarity guard.
MEANING_THRESHOLD = THRESHOLD

# texts_a, texts_b -> (len(a), len(b)) similarities in [-1, 1].
Similarity = Callable[[Sequence[str], Sequence[str]], NDArray[np.float64]]

_NOT_WORD = re.compile(r"[^\w]+")


def normalised(text: str) -> str:
    """Case, spacing and punctuation folded away: what "the same text" means here."""
    return " ".join(_NOT_WORD.sub(" ", text.casefold()).split())


def _side(content: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "community": {"name": content["community"]["name"], "slug": content["community"]["slug"]},
        "space": {
            "name": content["space"]["name"],
            "slug": content["space"]["slug"],
            "question": content["space"]["question"],
        },
        "version": content["version"],
        "status": content["status"],
        "published_at": content.get("published_at"),
        "values": len(content["values"]),
    }


def _value(v: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "statement": v["statement"],
        "text": v["text"],
        "rank": v["rank"],
        "classification": v["classification"],
        "agree_rate": v["support"]["agree_rate"],
        "votes": v["support"]["votes"],
    }


def _by_number(
    a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]
) -> list[tuple[int, int, float]]:
    where = {v["statement"]: j for j, v in enumerate(b)}
    return [(i, where[v["statement"]], 1.0) for i, v in enumerate(a) if v["statement"] in where]


def _by_text(
    a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]
) -> list[tuple[int, int, float]]:
    where: dict[str, int] = {}
    for j, v in enumerate(b):
        where.setdefault(normalised(v["text"]), j)
    pairs = []
    for i, v in enumerate(a):
        key = normalised(v["text"])
        if key in where:
            pairs.append((i, where.pop(key), 1.0))
    return pairs


def _by_meaning(
    a: Sequence[Mapping[str, Any]],
    b: Sequence[Mapping[str, Any]],
    similarity: Similarity,
    threshold: float,
) -> list[tuple[int, int, float]]:
    if not a or not b:
        return []
    sim = np.asarray(similarity([v["text"] for v in a], [v["text"] for v in b]), dtype=float)
    # Greedy one-to-one: the most similar remaining pair first.
    order = np.argsort(-sim, axis=None, kind="stable")
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs = []
    for flat in order:
        i, j = divmod(int(flat), len(b))
        if sim[i, j] < threshold:
            break
        if i in used_a or j in used_b:
            continue
        # A statement and its negation are close in meaning but say the opposite.
        if polarity(a[i]["text"]) != polarity(b[j]["text"]):
            continue
        used_a.add(i)
        used_b.add(j)
        pairs.append((i, j, round(float(sim[i, j]), 4)))
    return sorted(pairs)


def compare(
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    *,
    same_space: bool,
    similarity: Similarity | None = None,
    threshold: float = MEANING_THRESHOLD,
) -> dict[str, Any]:
    """Where the two profiles agree, where they differ and by how much."""
    values_a, values_b = a["values"], b["values"]
    if same_space:
        matched_by, pairs = "statement number", _by_number(values_a, values_b)
    elif similarity is not None:
        matched_by, pairs = "meaning", _by_meaning(values_a, values_b, similarity, threshold)
    else:
        matched_by, pairs = "same text", _by_text(values_a, values_b)
    rows = []
    for i, j, sim in pairs:
        va, vb = values_a[i], values_b[j]
        rate_a, rate_b = va["support"]["agree_rate"], vb["support"]["agree_rate"]
        difference = (
            round(rate_b - rate_a, 6) if rate_a is not None and rate_b is not None else None
        )
        same_class = va["classification"] == vb["classification"]
        same = same_class and difference is not None and abs(difference) < SAME_RATE
        rows.append(
            {
                "a": _value(va),
                "b": _value(vb),
                "similarity": sim,
                "agree_rate_difference": difference,
                "same_classification": same_class,
                "verdict": "same" if same else "different",
            }
        )
    # The largest differences first: that is what a reader comes for.
    rows.sort(
        key=lambda r: (
            r["verdict"] != "different",
            -abs(r["agree_rate_difference"] or 0.0),
            r["a"]["rank"],
        )
    )
    in_a = {i for i, _j, _s in pairs}
    in_b = {j for _i, j, _s in pairs}
    only_a = [_value(v) for i, v in enumerate(values_a) if i not in in_a]
    only_b = [_value(v) for j, v in enumerate(values_b) if j not in in_b]
    differences = [
        abs(r["agree_rate_difference"]) for r in rows if r["agree_rate_difference"] is not None
    ]
    return {
        "schema": SCHEMA,
        "a": _side(a),
        "b": _side(b),
        "matched_by": matched_by,
        "summary": {
            "matched": len(rows),
            "same": sum(r["verdict"] == "same" for r in rows),
            "different": sum(r["verdict"] == "different" for r in rows),
            "only_in_a": len(only_a),
            "only_in_b": len(only_b),
            "mean_absolute_difference": (
                round(float(np.mean(differences)), 6) if differences else None
            ),
        },
        "pairs": rows,
        "only_in_a": only_a,
        "only_in_b": only_b,
    }
