"""The value profile (schema value-profile/1): built from a run, diffed, rendered.

Pure functions over plain data, except `build_content`, which reads names off
the space and run objects it is given. What goes in is chosen so that no
username, e-mail or account id can: participants appear only as counts and
per-space numbers; segment cells under five people are suppressed upstream
(aggregation.analysis.MIN_CELL).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aggregation.naming import group_label, group_letter, group_name, group_stands_for

if TYPE_CHECKING:
    from aggregation.models import AnalysisRun
    from elicitation.models import Space

SCHEMA = "value-profile/1"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "value-profile-1.json"


def json_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


def _sort_key(value: dict[str, Any]) -> tuple[float, float, int]:
    # Bridging support first (what people across the divide endorse), then
    # group-aware consensus, then the statement number for a stable order.
    return (-value["bridging"]["score"], -value["group_aware_consensus"], value["statement"])


def build_content(*, space: Space, run: AnalysisRun, texts: dict[int, str]) -> dict[str, Any]:
    """The draft profile of a succeeded run (version and approval are set at publication)."""
    result = run.result or {}
    values: list[dict[str, Any]] = []
    for number, entry in result["statements"].items():
        if not entry["in_profile"]:
            continue
        votes = entry["votes"]
        values.append(
            {
                "statement": int(number),
                "text": texts.get(int(number), ""),
                "classification": entry["classification"],
                "classification_reason": entry["classification_reason"],
                "support": {
                    "agree": votes["agree"],
                    "disagree": votes["disagree"],
                    "pass": votes["pass"],
                    "votes": votes["total"],
                    "agree_rate": entry["agree_rate"],
                    "agree_rate_interval": entry["agree_rate_interval"],
                },
                "group_aware_consensus": entry["group_aware_consensus"],
                "group_aware_consensus_interval": entry["group_aware_consensus_interval"],
                "bridging": {
                    "score": entry["bridging"]["score"],
                    "factor": entry["bridging"]["factor"],
                    "status": entry["bridging"]["status"],
                    "raters": entry["bridging"]["raters"],
                    "interval": entry["bridging"]["interval"],
                },
                "groups": [
                    {"group": g["group"], "agree_rate": g["agree_rate"], "votes": g["votes"]}
                    for g in entry["groups"]
                ],
                "pairwise": entry["pairwise"],
                "rankings": entry["rankings"],
            }
        )
    values.sort(key=_sort_key)
    for rank, value in enumerate(values, start=1):
        value["rank"] = rank
    groups = [
        {
            "id": g["id"],
            "letter": group_letter(g["id"]),
            "name": group_name(g["id"], g["representative"], texts),
            "size": g["size"],
            "representative": [
                {
                    "statement": r["statement"],
                    "direction": r["direction"],
                    "text": texts.get(int(r["statement"]), ""),
                }
                for r in g["representative"]
            ],
        }
        for g in result["groups"]
    ]
    notes = [
        note
        for note in (
            result.get("opinion_groups", {}).get("reason"),
            (result.get("bridging") or {}).get("note"),
            (result.get("pairwise") or {}).get("note"),
        )
        if note
    ]
    return {
        "schema": SCHEMA,
        "community": {"name": space.community.name, "slug": space.community.slug},
        "space": {"name": space.title, "slug": space.slug, "question": space.question},
        "version": None,
        "status": "draft",
        "approved_by": None,
        "published_at": None,
        "provenance": {
            "analysis_run": run.pk,
            "engine_version": run.engine_version,
            "parameters": run.parameters,
            "input_fingerprint": run.input_fingerprint,
            "computed_at": run.finished_at.isoformat() if run.finished_at else None,
            "counts": run.counts,
        },
        "values": values,
        "opinion_groups": groups,
        "consensus": result["consensus"],
        "rankings": result.get("rankings"),
        "segments": result.get("segments", []),
        "anomalies": _anomaly_summary(result.get("anomalies")),
        "notes": notes,
    }


def _anomaly_summary(anomalies: dict[str, Any] | None) -> dict[str, Any] | None:
    """How many voters look suspicious and what leaving them out changes.

    Only counts go public: the flags are heuristics for facilitators, not
    verdicts, so no participant is named in an export.
    """
    if not anomalies:
        return None
    return {
        "flagged_participants": len(anomalies["flagged"]),
        "bursts": len(anomalies["bursts"]),
        "without_flagged": anomalies["without_flagged"],
    }


def with_header(
    content: dict[str, Any],
    *,
    version: int | None = None,
    status: str | None = None,
    approved_role: str | None = None,
    published_at: datetime | None = None,
    retracted_at: datetime | None = None,
    retraction_reason: str | None = None,
) -> dict[str, Any]:
    """A copy of `content` with its publication fields set."""
    out = dict(content)
    if version is not None:
        out["version"] = version
    if status is not None:
        out["status"] = status
    if approved_role is not None:
        out["approved_by"] = {"role": approved_role}
    if published_at is not None:
        out["published_at"] = published_at.isoformat()
    if retracted_at is not None:
        out["retracted_at"] = retracted_at.isoformat()
    if retraction_reason is not None:
        out["retraction_reason"] = retraction_reason
    return out


def diff(previous: dict[str, Any] | None, current: dict[str, Any]) -> dict[str, Any]:
    """What changed since the previous published version, keyed by statement number."""
    new = {v["statement"]: v for v in current["values"]}
    old = {v["statement"]: v for v in previous["values"]} if previous else {}

    def brief(v: dict[str, Any]) -> dict[str, Any]:
        return {"statement": v["statement"], "text": v["text"]}

    moved_up, moved_down, changed = [], [], []
    for number in sorted(set(new) & set(old)):
        a, b = old[number], new[number]
        if b["rank"] < a["rank"]:
            moved_up.append({**brief(b), "from": a["rank"], "to": b["rank"]})
        elif b["rank"] > a["rank"]:
            moved_down.append({**brief(b), "from": a["rank"], "to": b["rank"]})
        if a["classification"] != b["classification"]:
            changed.append({**brief(b), "from": a["classification"], "to": b["classification"]})
    return {
        "against_version": previous["version"] if previous else None,
        "added": [{**brief(new[n]), "rank": new[n]["rank"]} for n in sorted(set(new) - set(old))],
        "removed": [brief(old[n]) for n in sorted(set(old) - set(new))],
        "moved_up": moved_up,
        "moved_down": moved_down,
        "changed_class": changed,
    }


def diff_summary(d: dict[str, Any] | None) -> dict[str, int]:
    if not d:
        return {}
    return {k: len(v) for k, v in d.items() if isinstance(v, list)}


def etag(content: dict[str, Any], fmt: str) -> str:
    body = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return '"' + hashlib.sha256(f"{fmt}\n{body}".encode()).hexdigest()[:40] + '"'


# --- CSV -----------------------------------------------------------------------


def _rules(content: dict[str, Any]) -> list[str]:
    rules: set[str] = set()
    for v in content["values"]:
        rules.update((v.get("rankings") or {}).keys())
    return sorted(rules)


def to_csv(content: dict[str, Any]) -> str:
    """One row per value, in profile order; figures as plain numbers."""
    rules = _rules(content)
    n_groups = len(content["opinion_groups"])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "rank",
            "statement",
            "text",
            "classification",
            "agree",
            "disagree",
            "pass",
            "votes",
            "agree_rate",
            "agree_rate_low",
            "agree_rate_high",
            "group_aware_consensus",
            "bridging_score",
            "bridging_factor",
            "bridging_status",
            "pairwise_score",
            "pairwise_low",
            "pairwise_high",
            *[f"rank_{rule}" for rule in rules],
            # Lettered like the pages and the charter ("Group A" -> group_a_agree_rate).
            *[f"group_{group_letter(g).lower()}_agree_rate" for g in range(n_groups)],
        ]
    )

    def blank(x: Any) -> Any:
        return "" if x is None else x

    for v in content["values"]:
        s = v["support"]
        interval = s["agree_rate_interval"] or [None, None]
        pw = v["pairwise"] or {}
        pw_interval = pw.get("interval") or [None, None]
        ranks = v["rankings"] or {}
        group_rates = {g["group"]: g["agree_rate"] for g in v["groups"]}
        writer.writerow(
            [
                v["rank"],
                v["statement"],
                _csv_safe(v["text"]),
                blank(v["classification"]),
                s["agree"],
                s["disagree"],
                s["pass"],
                s["votes"],
                blank(s["agree_rate"]),
                blank(interval[0]),
                blank(interval[1]),
                v["group_aware_consensus"],
                v["bridging"]["score"],
                v["bridging"]["factor"],
                v["bridging"]["status"],
                blank(pw.get("score")),
                blank(pw_interval[0]),
                blank(pw_interval[1]),
                *[blank(ranks.get(rule)) for rule in rules],
                *[blank(group_rates.get(g)) for g in range(n_groups)],
            ]
        )
    return buffer.getvalue()


def _csv_safe(text: str) -> str:
    # Spreadsheets run cells starting with these as formulas (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- Markdown ------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def _md(text: str) -> str:
    """Participants' text, escaped so it cannot turn into links, HTML or headings."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _article(word: str) -> str:
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:.0f}%"


def to_markdown(content: dict[str, Any]) -> str:
    """A readable charter: values in order of bridging support, with their figures."""
    space, community = content["space"], content["community"]
    prov = content["provenance"]
    counts = prov.get("counts") or {}
    version = f"version {content['version']}" if content["version"] else "draft"
    lines = [
        f"# {_md(space['name'])}: value profile",
        "",
        f"*{_md(community['name'])}* asked: **{_md(space['question'])}**",
        "",
        f"Profile {version}, status {content['status']}"
        + (f", published {content['published_at'][:10]}" if content.get("published_at") else "")
        + (
            f", approved by {_article(content['approved_by']['role'])}"
            if content.get("approved_by")
            else ""
        )
        + ".",
    ]
    if content["status"] == "retracted":
        lines += ["", f"> Retracted: {_md(content.get('retraction_reason', ''))}"]
    lines += [
        "",
        f"{counts.get('participants', 0)} participants ({counts.get('voters', 0)} voted), "
        f"{counts.get('statements', 0)} statements, {counts.get('votes', 0)} votes, "
        f"{counts.get('comparisons', 0)} comparisons, {counts.get('rankings', 0)} ranked ballots.",
        "",
        "## Values",
        "",
        "In order of bridging support: agreement across the opinion groups that the "
        "main divide does not explain.",
        "",
    ]
    for v in content["values"]:
        s = v["support"]
        interval = s["agree_rate_interval"]
        figures = [
            f"agree {_pct(s['agree_rate'])}"
            + (f" (95% {_pct(interval[0])} to {_pct(interval[1])})" if interval else ""),
            f"{s['agree']} agree / {s['disagree']} disagree / {s['pass']} pass",
            f"bridging {v['bridging']['score']:+.2f}",
            f"group-aware consensus {v['group_aware_consensus']:.2f}",
        ]
        if v["pairwise"]:
            figures.append(f"pairwise score {v['pairwise']['score']:.0f}")
        cls = f" *({v['classification']})*" if v["classification"] else ""
        lines.append(f"{v['rank']}. **{_md(v['text'])}**{cls}  ")
        lines.append(f"   #{v['statement']}: " + "; ".join(figures))
    if content["opinion_groups"]:
        lines += ["", "## Opinion groups", ""]
        for g in content["opinion_groups"]:
            lines.append(f"### {group_label(g['id'])} ({g['size']} people)")
            lines.append("")
            stands_for = group_stands_for(
                g["representative"], {r["statement"]: r["text"] for r in g["representative"]}
            )
            if stands_for:
                lines += [_md(stands_for[0].upper() + stands_for[1:]) + ".", ""]
            for r in g["representative"]:
                lines.append(f"- {r['direction']}s: {_md(r['text'])} (#{r['statement']})")
            lines.append("")
    rankings = content.get("rankings")
    if rankings and rankings.get("winners"):
        lines += ["", "## Ranked ballots", ""]
        for rule, winner in sorted(rankings["winners"].items()):
            lines.append(f"- {rule}: #{winner}" if winner is not None else f"- {rule}: no winner")
    if content.get("notes"):
        lines += ["", "## Notes", ""]
        lines += [f"- {_md(n)}" for n in content["notes"]]
    lines += [
        "",
        "---",
        f"Analysis run {prov['analysis_run']}, engine {prov['engine_version']}, "
        f"input fingerprint `{prov['input_fingerprint'][:16]}`. Schema {content['schema']}.",
        "",
    ]
    return "\n".join(lines)
