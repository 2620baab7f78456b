"""Exports of a published value profile for AI work: a constitution, preference
data and a pluralistic evaluation set.

Pure functions over the profile's content and its analysis run's stored result
(both immutable once published), so every export of one version is the same
file whenever it is fetched. Like the value profile itself, nothing here can
name a participant: the inputs hold counts and per-space numbers only, and
segment cells under MIN_CELL people arrive already suppressed.

- constitution/1: the values as principles a model can be given, in profile
  order (bridging support: agreement across the opinion groups). Consensus
  and bridging values become principles; divisive values become explicit
  divisions with every group's position, never a principle; the wording is
  the statement as written unless a facilitator's recorded edit replaced it.
- preference-record/1 (JSON Lines): one record per pair of profile statements
  that were compared or ranked together, aggregated over participants.
- pluralistic-eval-record/1 (JSON Lines): one record per value with the answer
  distribution overall, per opinion group and per segment, with counts and
  95% Wilson intervals.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from scipy.stats import binomtest

from aggregation import profiles
from aggregation.naming import group_letter
from aggregation.results import StoredResult

CONSTITUTION_SCHEMA = "value-constitution/1"
PREFERENCE_SCHEMA = "preference-record/1"
EVAL_SCHEMA = "pluralistic-eval-record/1"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
# The JSON Schema files, by the name they are served under.
SCHEMA_FILES = {
    "value-constitution-1.json": "value-constitution-1.json",
    "preference-record-1.json": "preference-record-1.json",
    "pluralistic-eval-record-1.json": "pluralistic-eval-record-1.json",
    "profile-comparison-1.json": "profile-comparison-1.json",
}
# The formats for AI work, with the ending of their file names.
AI_FORMATS = {
    "constitution": "-constitution.json",
    "constitution-md": "-constitution.md",
    "preferences": "-preferences.jsonl",
    "eval": "-eval.jsonl",
}
# Each format's schema version goes into its ETag, so a new version of an
# export is fetched again even though the profile did not change.
_FORMAT_VERSIONS = {
    "constitution": CONSTITUTION_SCHEMA,
    "constitution-md": CONSTITUTION_SCHEMA,
    "preferences": PREFERENCE_SCHEMA,
    "eval": EVAL_SCHEMA,
}
OPTIONS = ("agree", "disagree", "pass")
PRINCIPLE_CLASSES = ("consensus", "bridging")


def schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / SCHEMA_FILES[name]).read_text())


def etag_format(fmt: str) -> str:
    return _FORMAT_VERSIONS.get(fmt, fmt)


def export(fmt: str, content: Mapping[str, Any], result: StoredResult, *, profile_url: str) -> Any:
    """The data of one AI format for a profile (the renderer serialises it)."""
    if fmt in ("constitution", "constitution-md"):
        return constitution(content, profile_url=profile_url)
    if fmt == "preferences":
        return preference_records(content, result)
    if fmt == "eval":
        return eval_records(content, result)
    raise ValueError(f"not an export format: {fmt!r}")


def _source(content: Mapping[str, Any]) -> dict[str, Any]:
    """Where a record comes from: the profile version and its analysis run."""
    prov = content["provenance"]
    return {
        "community": content["community"]["slug"],
        "space": content["space"]["slug"],
        "profile_version": content["version"],
        "profile_status": content["status"],
        "analysis_run": prov["analysis_run"],
        "input_fingerprint": prov["input_fingerprint"],
    }


def _stance(value: Mapping[str, Any]) -> str:
    rate = value["support"]["agree_rate"]
    return "agree" if rate is None or rate >= 0.5 else "disagree"


def _group_positions(value: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for g in value["groups"]:
        rate = g["agree_rate"]
        if rate is None:
            leaning = "no votes"
        elif rate >= 0.6:
            leaning = "agrees"
        elif rate <= 0.4:
            leaning = "disagrees"
        else:
            leaning = "split"
        out.append(
            {
                "group": group_letter(g["group"]),
                "agree_rate": rate,
                "votes": g["votes"],
                "leaning": leaning,
            }
        )
    return out


# --- Constitution -----------------------------------------------------------------


def constitution(content: Mapping[str, Any], *, profile_url: str) -> dict[str, Any]:
    """The profile as principles and divisions, each pointing back to its statement."""
    principles: list[dict[str, Any]] = []
    divisions: list[dict[str, Any]] = []
    left_out: dict[str, int] = {}
    for value in content["values"]:
        cls = value["classification"]
        edited = value.get("principle")
        source = {
            "statement": value["statement"],
            "profile_version": content["version"],
            "url": f"{profile_url}#value-{value['statement']}",
        }
        support = {
            "agree_rate": value["support"]["agree_rate"],
            "agree_rate_interval": value["support"]["agree_rate_interval"],
            "votes": value["support"]["votes"],
            "group_aware_consensus": value["group_aware_consensus"],
            "bridging_score": value["bridging"]["score"],
            "groups": _group_positions(value),
        }
        if cls in PRINCIPLE_CLASSES:
            principles.append(
                {
                    "number": len(principles) + 1,
                    "text": edited["text"] if edited else value["text"],
                    "wording": "edited" if edited else "as_written",
                    "statement_text": value["text"],
                    "kind": cls,
                    "stance": _stance(value),
                    "support": support,
                    "source": source,
                }
            )
        elif cls == "divisive":
            divisions.append(
                {
                    "text": value["text"],
                    "support": support,
                    "source": source,
                }
            )
        else:
            left_out[cls or "unclassified"] = left_out.get(cls or "unclassified", 0) + 1
    space, community = content["space"], content["community"]
    return {
        "schema": CONSTITUTION_SCHEMA,
        "title": f"{community['name']}: {space['name']}",
        "question": space["question"],
        "preamble": (
            f"These principles are what the members of {community['name']} agreed on when "
            f"asked: {space['question']} They come from version {content['version']} of the "
            "community's published value profile, in order of support across its opinion "
            "groups. Where the community is divided, the division is stated with each "
            "group's position instead of a principle."
        ),
        "source": {**_source(content), "url": profile_url},
        "principles": principles,
        "divisions": divisions,
        "not_included": dict(sorted(left_out.items())),
    }


_pct = profiles._pct
_md = profiles._md


LEANINGS = {
    "agrees": pgettext_lazy("a group … the statement", "agrees"),
    "disagrees": pgettext_lazy("a group … the statement", "disagrees"),
    "split": pgettext_lazy("a group … on the statement", "split"),
    "no votes": pgettext_lazy("a group … on the statement", "no votes"),
}


def _positions_md(support: Mapping[str, Any]) -> str:
    return "; ".join(
        _("group %(group)s %(leaning)s (%(rate)s of %(votes)s)")
        % {
            "group": g["group"],
            "leaning": LEANINGS.get(g["leaning"], g["leaning"]),
            "rate": _pct(g["agree_rate"]),
            "votes": g["votes"],
        }
        for g in support["groups"]
    )


def constitution_markdown(doc: Mapping[str, Any]) -> str:
    """The constitution as a text a model (or a person) can read.

    Headings and fixed sentences follow the active language (English by
    default); the JSON document it renders (`constitution`) never does.
    """
    src = doc["source"]
    lines = [
        "# " + _("%(title)s: constitution") % {"title": _md(doc["title"])},
        "",
        _md(doc["preamble"]),
        "",
        "## " + _("Principles"),
        "",
    ]
    if not doc["principles"]:
        lines += [_("The community has not yet agreed on any principle."), ""]
    for p in doc["principles"]:
        lead = "" if p["stance"] == "agree" else _("The community rejects: ")
        s = p["support"]
        figures = _(
            "%(kind)s; %(rate)s agree of %(votes)s votes; %(positions)s; statement #%(number)s"
        ) % {
            "kind": p["kind"],
            "rate": _pct(s["agree_rate"]),
            "votes": s["votes"],
            "positions": _positions_md(s),
            "number": p["source"]["statement"],
        }
        if p["wording"] == "edited":
            figures += _(", wording edited by a facilitator")
        lines.append(f"{p['number']}. {lead}{_md(p['text'])}")
        lines.append(f"   ({figures})")
    lines += ["", "## " + _("Where the community is divided"), ""]
    if not doc["divisions"]:
        lines += [_("No statement divides the opinion groups clearly."), ""]
    for d in doc["divisions"]:
        lines.append("- " + _("The community is divided on: %(text)s") % {"text": _md(d["text"])})
        lines.append(
            "  ("
            + _("%(positions)s; statement #%(number)s")
            % {"positions": _positions_md(d["support"]), "number": d["source"]["statement"]}
            + ")"
        )
    if doc["not_included"]:
        left = ", ".join(f"{n} {cls}" for cls, n in doc["not_included"].items())
        lines += [
            "",
            _("Not stated as principles: %(left)s (see the full value profile).") % {"left": left},
        ]
    lines += [
        "",
        "---",
        _(
            "Source: value profile version %(version)s of %(community)s/%(space)s, analysis run "
            "%(run)s, input fingerprint `%(fingerprint)s`. %(url)s"
        )
        % {
            "version": src["profile_version"],
            "community": src["community"],
            "space": src["space"],
            "run": src["analysis_run"],
            "fingerprint": src["input_fingerprint"][:16],
            "url": src["url"],
        },
        "",
    ]
    return "\n".join(lines)


# --- Preference data -------------------------------------------------------------


def _bt_probability(strength_a: float | None, strength_b: float | None) -> float | None:
    """P(a preferred to b) under the Bradley-Terry model the profile's pairwise figures use."""
    if strength_a is None or strength_b is None:
        return None
    return round(1.0 / (1.0 + math.exp(-(strength_a - strength_b))), 6)


def preference_records(content: Mapping[str, Any], result: StoredResult) -> list[dict[str, Any]]:
    """One record per compared pair of profile statements, the more preferred one "chosen".

    Within a pair, "chosen" is the statement preferred more often over both
    sources (comparisons and ballots); on a tie the one Bradley-Terry favours,
    then the lower number; `tied` says when the counts were equal.
    """
    values = {v["statement"]: v for v in content["values"]}
    strength = {
        n: (v["pairwise"] or {}).get("strength") if v.get("pairwise") else None
        for n, v in values.items()
    }
    records = []
    for pair in result.preferences:
        a, b = pair["a"], pair["b"]
        if a not in values or b not in values:
            continue  # a statement left out of the published profile
        a_total = pair["a_chosen"] + pair["a_ranked_higher"]
        b_total = pair["b_chosen"] + pair["b_ranked_higher"]
        p_a = _bt_probability(strength[a], strength[b])
        a_first = a_total > b_total or (a_total == b_total and (p_a is None or p_a >= 0.5))
        chosen, rejected = (a, b) if a_first else (b, a)
        side = {"chosen": "a" if a_first else "b", "rejected": "b" if a_first else "a"}
        records.append(
            {
                "schema": PREFERENCE_SCHEMA,
                "prompt": content["space"]["question"],
                "chosen": values[chosen]["text"],
                "rejected": values[rejected]["text"],
                "chosen_statement": chosen,
                "rejected_statement": rejected,
                "counts": {
                    "comparisons_chosen": pair[f"{side['chosen']}_chosen"],
                    "comparisons_rejected": pair[f"{side['rejected']}_chosen"],
                    "comparisons_undecided": pair["undecided"],
                    "ballots_chosen": pair[f"{side['chosen']}_ranked_higher"],
                    "ballots_rejected": pair[f"{side['rejected']}_ranked_higher"],
                },
                "tied": a_total == b_total,
                "bradley_terry_probability": (
                    _bt_probability(strength[chosen], strength[rejected])
                ),
                "source": _source(content),
            }
        )
    return records


# --- Pluralistic evaluation set ------------------------------------------------------


def _wilson(count: int, n: int) -> list[float]:
    ci = binomtest(count, n).proportion_ci(confidence_level=0.95, method="wilson")
    return [round(float(ci.low), 6), round(float(ci.high), 6)]


def answer_distribution(agree: int, disagree: int, passes: int) -> dict[str, Any]:
    """Counts, shares and 95% Wilson intervals of the three answers."""
    n = agree + disagree + passes
    counts = {"agree": agree, "disagree": disagree, "pass": passes}
    if n == 0:
        return {"n": 0, "counts": counts, "distribution": None, "intervals": None}
    return {
        "n": n,
        "counts": counts,
        "distribution": {k: round(c / n, 6) for k, c in counts.items()},
        "intervals": {k: _wilson(c, n) for k, c in counts.items()},
    }


def eval_records(content: Mapping[str, Any], result: StoredResult) -> list[dict[str, Any]]:
    """One record per value: how everyone, each opinion group and each segment answered."""
    sizes = {g["id"]: g["size"] for g in content["opinion_groups"]}
    records = []
    for value in content["values"]:
        number = value["statement"]
        entry = result.statements.get(number, {})
        s = value["support"]
        groups = []
        for g in entry.get("groups") or []:
            # Results stored before per-group disagree/pass counts only know agree.
            known = "disagree" in g
            dist = (
                answer_distribution(g["agree"], g["disagree"], g["pass"])
                if known
                else {"n": g["votes"], "counts": None, "distribution": None, "intervals": None}
            )
            groups.append(
                {"group": group_letter(g["group"]), "size": sizes.get(g["group"]), **dist}
            )
        segments = []
        for seg in result.segments:
            counted = (seg.get("distributions") or {}).get(str(number))
            segments.append(
                {
                    "question": seg["question"],
                    "choice": seg["choice"],
                    "suppressed": counted is None,
                    **(
                        answer_distribution(*counted)
                        if counted is not None
                        else {"n": None, "counts": None, "distribution": None, "intervals": None}
                    ),
                }
            )
        records.append(
            {
                "schema": EVAL_SCHEMA,
                "id": f"{content['space']['slug']}-v{content['version']}-{number}",
                "question": content["space"]["question"],
                "statement": number,
                "text": value["text"],
                "prompt": (
                    f"{content['space']['question']}\nStatement: {value['text']}\n"
                    "Do you agree, disagree, or pass?"
                ),
                "options": list(OPTIONS),
                "classification": value["classification"],
                "overall": answer_distribution(s["agree"], s["disagree"], s["pass"]),
                "groups": groups,
                "segments": segments,
                "source": _source(content),
            }
        )
    return records


def to_jsonl(records: Iterable[Mapping[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)
