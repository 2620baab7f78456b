"""Topics and summaries of a run: what the statements are about, and what each group says.

Pure functions over the run's result, the statements' texts and their
embeddings (no Django), called by the run after the engines. Everything here
is extractive: every sentence is built from the statements themselves and
their figures, and carries the numbers of the statements it rests on
(`cites`), so a reader can check each one against what was said. Summaries
are labelled machine-made; they go into a published profile only through a
facilitator's review.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from aggregation.engine.embedding import MODEL_NAME
from aggregation.engine.topics import find_topics
from aggregation.naming import group_letter
from aggregation.results import StoredResult

# A statement needs this many votes before a summary repeats its figures.
MIN_VOTES = 5
# A topic or the space leans "for" from this agree rate, "against" below 1 - it.
LEAN = 0.6
# Per-group agree rates this far apart make a statement divisive for the summaries.
SPREAD = 0.3
QUOTE_CHARS = 140


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) > QUOTE_CHARS:
        flat = flat[: QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return f"“{flat.rstrip('.')}”"


def _pct(rate: float) -> str:
    return f"{rate * 100:.0f}%"


def _sentence(text: str, cites: Sequence[int]) -> dict[str, Any]:
    return {"text": text, "cites": sorted(set(cites))}


def _entry(result: Mapping[str, Any], number: int) -> Mapping[str, Any]:
    return result["statements"][str(number)]


def _voted(result: Mapping[str, Any], number: int) -> bool:
    return bool(_entry(result, number)["votes"]["total"] >= MIN_VOTES)


def _group_rates(result: Mapping[str, Any], number: int) -> list[tuple[int, float]]:
    return [
        (g["group"], g["agree_rate"])
        for g in _entry(result, number)["groups"]
        if g["agree_rate"] is not None and g["votes"] >= MIN_VOTES
    ]


def _spread(result: Mapping[str, Any], number: int) -> float:
    rates = [r for _g, r in _group_rates(result, number)]
    return max(rates) - min(rates) if len(rates) >= 2 else 0.0


def _divide_text(result: Mapping[str, Any], number: int) -> str:
    return ", ".join(f"group {group_letter(g)} {_pct(r)}" for g, r in _group_rates(result, number))


def topics_of(
    result: Mapping[str, Any],
    numbers: Sequence[int],
    texts: Mapping[int, str],
    vectors: NDArray[np.float32],
) -> dict[str, Any]:
    """The topics of the profile's statements (`numbers`, rows of `vectors`), with their figures."""
    found = find_topics(vectors, [texts[n] for n in numbers])
    items = []
    for i, topic in enumerate(found, start=1):
        members = [numbers[m] for m in topic.members]
        per_group: dict[int, list[int]] = {}
        for n in members:
            for g in _entry(result, n)["groups"]:
                agree_votes = per_group.setdefault(g["group"], [0, 0])
                agree_votes[0] += g["agree"]
                agree_votes[1] += g["votes"]
        items.append(
            {
                "id": i,
                "label": topic.label,
                "words": list(topic.words),
                "statements": members,
                "groups": [
                    {
                        "group": g,
                        "agree_rate": round(a / v, 6) if v else None,
                        "votes": v,
                    }
                    for g, (a, v) in sorted(per_group.items())
                ],
                "consensus": [
                    n for n in members if _entry(result, n).get("classification") == "consensus"
                ],
                "divisive": [
                    n for n in members if _entry(result, n).get("classification") == "divisive"
                ],
            }
        )
    return {
        "method": "Ward clustering of sentence embeddings; labels by class-based TF-IDF",
        "model": MODEL_NAME,
        "items": items,
    }


def _agreed(result: Mapping[str, Any], numbers: Sequence[int]) -> list[int]:
    """Statements most agree with, highest agree rate first."""
    out = [
        n for n in numbers if _voted(result, n) and (_entry(result, n)["agree_rate"] or 0) >= LEAN
    ]
    return sorted(out, key=lambda n: (-_entry(result, n)["agree_rate"], n))


def _rejected(result: Mapping[str, Any], numbers: Sequence[int]) -> list[int]:
    out = [
        n
        for n in numbers
        if _voted(result, n) and (_entry(result, n)["agree_rate"] or 0) <= 1 - LEAN
    ]
    return sorted(out, key=lambda n: (_entry(result, n)["agree_rate"], n))


def _divisive(result: Mapping[str, Any], numbers: Sequence[int]) -> list[int]:
    out = [n for n in numbers if _voted(result, n) and _spread(result, n) >= SPREAD]
    return sorted(out, key=lambda n: (-_spread(result, n), n))


def _consensus_sentences(
    result: Mapping[str, Any], numbers: Sequence[int], texts: Mapping[int, str], lead: str
) -> list[dict[str, Any]]:
    out = []
    agreed = [n for n in _agreed(result, numbers) if _spread(result, n) < SPREAD][:2]
    if agreed:
        parts = [
            f"{_quote(texts[n])} (#{n}, {_pct(_entry(result, n)['agree_rate'])})" for n in agreed
        ]
        out.append(_sentence(f"{lead} most people agree that {' and that '.join(parts)}.", agreed))
    rejected = [n for n in _rejected(result, numbers) if _spread(result, n) < SPREAD][:1]
    if rejected:
        n = rejected[0]
        out.append(
            _sentence(
                f"Most disagree that {_quote(texts[n])} (#{n}, {_pct(_entry(result, n)['agree_rate'])} agree).",
                [n],
            )
        )
    divisive = _divisive(result, numbers)[:1]
    if divisive:
        n = divisive[0]
        out.append(
            _sentence(
                f"The groups divide on {_quote(texts[n])} (#{n}: {_divide_text(result, n)} agree).",
                [n],
            )
        )
    return out


def summaries_of(
    result: Mapping[str, Any],
    numbers: Sequence[int],
    texts: Mapping[int, str],
    topics: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Extractive summaries of the space, each opinion group and each topic; every sentence cites."""
    space = _consensus_sentences(result, numbers, texts, "Overall,")
    bridging = [
        n
        for n in numbers
        if _entry(result, n).get("classification") == "bridging" and _voted(result, n)
    ][:1]
    if bridging:
        n = bridging[0]
        space.append(
            _sentence(
                f"Across the opinion groups, {_quote(texts[n])} (#{n}) finds support "
                f"({_divide_text(result, n)} agree).",
                [n],
            )
        )
    groups = []
    for group in result["groups"]:
        g = group["id"]
        rate = {
            r["statement"]: next(
                (
                    x["agree_rate"]
                    for x in _entry(result, r["statement"])["groups"]
                    if x["group"] == g
                ),
                None,
            )
            for r in group["representative"]
        }
        fors = [r["statement"] for r in group["representative"] if r["direction"] == "agree"][:2]
        againsts = [
            r["statement"] for r in group["representative"] if r["direction"] == "disagree"
        ][:1]
        parts = []
        if fors:
            parts.append(
                "mostly agrees that "
                + " and that ".join(
                    f"{_quote(texts[n])} (#{n}, {_pct(rate[n] or 0)})" for n in fors
                )
            )
        if againsts:
            n = againsts[0]
            parts.append(f"disagrees that {_quote(texts[n])} (#{n}, {_pct(rate[n] or 0)} agree)")
        sentences = (
            [
                _sentence(
                    f"Group {group_letter(g)} ({group['size']} people) "
                    + " and ".join(parts)
                    + ".",
                    fors + againsts,
                )
            ]
            if parts
            else []
        )
        groups.append({"group": g, "sentences": sentences})
    topic_summaries = []
    for topic in (topics or {}).get("items", []):
        members = topic["statements"]
        sentences = _consensus_sentences(
            result, members, texts, f"On {topic['label']} ({len(members)} statements),"
        )
        leaning = [
            f"group {group_letter(x['group'])} {_pct(x['agree_rate'])}"
            for x in topic["groups"]
            if x["agree_rate"] is not None and x["votes"] >= MIN_VOTES
        ]
        if leaning:
            sentences.append(
                _sentence(
                    f"Across its statements the groups agree at these rates: {', '.join(leaning)}.",
                    members,
                )
            )
        topic_summaries.append({"topic": topic["id"], "sentences": sentences})
    return {
        "machine_made": True,
        "method": "extractive",
        "space": space,
        "groups": groups,
        "topics": topic_summaries,
    }


_CITATION = re.compile(r"#(\d+)")


def linked(text: str, known: set[int], url_for: Callable[[int], str]) -> list[dict[str, Any]]:
    """A sentence as parts, each "#n" of a known statement a link: [{"text", "url"}]."""
    parts: list[dict[str, Any]] = []
    at = 0
    for match in _CITATION.finditer(text):
        number = int(match.group(1))
        if number not in known:
            continue
        if match.start() > at:
            parts.append({"text": text[at : match.start()], "url": None})
        parts.append({"text": match.group(0), "url": url_for(number)})
        at = match.end()
    if at < len(text):
        parts.append({"text": text[at:], "url": None})
    return parts


def report_view(result: StoredResult, url_for: Callable[[int], str]) -> dict[str, Any] | None:
    """Topics and summaries of a stored result, every citation a link, for the report."""
    summaries = result.summaries
    if not summaries:
        return None
    known = set(result.in_profile())

    def sentences(items: Sequence[Mapping[str, Any]]) -> list[list[dict[str, Any]]]:
        return [linked(s["text"], known, url_for) for s in items]

    topic_sentences = {t["topic"]: t["sentences"] for t in summaries.get("topics", [])}
    topics = [
        {
            **topic,
            "groups": [
                {**g, "letter": group_letter(g["group"])}
                for g in topic["groups"]
                if g["agree_rate"] is not None
            ],
            "links": [{"number": n, "url": url_for(n)} for n in topic["statements"]],
            "sentences": sentences(topic_sentences.get(topic["id"], [])),
        }
        for topic in (result.topics.get("items") or [])
    ]
    abstractive = summaries.get("abstractive")
    return {
        "space": sentences(summaries.get("space", [])),
        "groups": [
            {"letter": group_letter(g["group"]), "sentences": sentences(g["sentences"])}
            for g in summaries.get("groups", [])
            if g["sentences"]
        ],
        "topics": topics,
        "topics_pending": result.topics_pending,
        "abstractive": (
            {
                "model": abstractive["model"],
                "dropped": abstractive["dropped"],
                "sentences": sentences(abstractive["sentences"]),
            }
            if abstractive
            else None
        ),
    }
