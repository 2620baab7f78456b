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

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from aggregation.naming import group_letter, group_name
from aggregation.report import group_label, stands_for

if TYPE_CHECKING:
    from aggregation.models import AnalysisRun
    from elicitation.models import Space

SCHEMA = "value-profile/1"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "value-profile-1.json"


def json_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


def _sort_key(value: dict[str, Any]) -> tuple[float, float, int]:
    # Bridging support first (what people across the divide endorse), judged
    # by the low end of its 95% interval: a cautious estimate, so a statement
    # few people rated (wide interval) cannot outrank well-supported ones by
    # luck. Then group-aware consensus, then the number for a stable order.
    bridging = value["bridging"]
    cautious = bridging["interval"][0] if bridging.get("interval") else bridging["score"]
    return (-cautious, -value["group_aware_consensus"], value["statement"])


def _min_voters(run: AnalysisRun) -> int:
    # Runs made before the setting existed used the engine's fixed minimum.
    return int((run.parameters or {}).get("min_voters", 5))


def build_content(*, space: Space, run: AnalysisRun, texts: dict[int, str]) -> dict[str, Any]:
    """The draft profile of a succeeded run (version and approval are set at publication)."""
    result = run.result or {}
    min_voters = _min_voters(run)
    values: list[dict[str, Any]] = []
    too_few: list[dict[str, Any]] = []
    for number, entry in result["statements"].items():
        if not entry["in_profile"]:
            continue
        votes = entry["votes"]
        if votes["total"] < min_voters:
            too_few.append(
                {
                    "statement": int(number),
                    "text": texts.get(int(number), ""),
                    "votes": votes["total"],
                    "agree": votes["agree"],
                    "disagree": votes["disagree"],
                    "pass": votes["pass"],
                }
            )
            continue
        values.append(
            {
                "statement": int(number),
                "text": texts.get(int(number), ""),
                "note": None,
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
    too_few.sort(key=lambda v: v["statement"])
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
        "summary": None,
        "minimum_voters": min_voters,
        "values": values,
        "too_few_votes": too_few,
        "excluded": [],
        "opinion_groups": groups,
        "consensus": result["consensus"],
        "rankings": result.get("rankings"),
        # Segment answer counts stay in the run (the evaluation set reads them).
        "segments": [
            {k: v for k, v in segment.items() if k != "distributions"}
            for segment in result.get("segments", [])
        ],
        "anomalies": _anomaly_summary(result.get("anomalies")),
        "notes": notes,
        "topics": _topics(result),
    }


def _topics(result: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The run's topics (aggregation.sensemaking) with lettered groups; None when not computed."""
    topics = result.get("topics")
    if not topics:
        return None
    return [
        {
            "id": t["id"],
            "label": t["label"],
            "words": t["words"],
            "statements": t["statements"],
            "groups": [
                {"group": g["group"], "letter": group_letter(g["group"]), **_rate(g)}
                for g in t["groups"]
            ],
            "consensus": t["consensus"],
            "divisive": t["divisive"],
        }
        for t in topics["items"]
    ]


def _rate(group: dict[str, Any]) -> dict[str, Any]:
    return {"agree_rate": group["agree_rate"], "votes": group["votes"]}


def apply_editorial(
    content: dict[str, Any],
    *,
    summary: str,
    notes: dict[str, str],
    exclusions: dict[str, str],
    principles: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The profile with the facilitators' summary, notes and exclusions applied.

    `principles` holds the wording a facilitator gave a value for the
    constitution export (`principle`, null where the statement stands as
    written).

    Excluded values leave the ranked list for `excluded` (with their public
    reason); the remaining values are ranked again 1, 2, 3 ... in the same
    order. Pure: the draft keeps the run's content and this is applied on
    every read and, frozen, at publication.
    """
    out = dict(content)
    out["summary"] = summary.strip() or None
    kept: list[dict[str, Any]] = []
    excluded: list[dict[str, Any]] = []
    for value in content["values"]:
        key = str(value["statement"])
        if key in exclusions:
            excluded.append(
                {"statement": value["statement"], "text": value["text"], "reason": exclusions[key]}
            )
            continue
        wording = (principles or {}).get(key)
        kept.append(
            {
                **value,
                "note": notes.get(key) or None,
                "principle": {"text": wording} if wording else None,
            }
        )
    for rank, value in enumerate(kept, start=1):
        value["rank"] = rank
    out["values"] = kept
    out["excluded"] = sorted(excluded, key=lambda e: e["statement"])
    if out.get("topics"):
        gone = {e["statement"] for e in excluded}
        out["topics"] = [
            {
                **t,
                "statements": [n for n in t["statements"] if n not in gone],
                "consensus": [n for n in t["consensus"] if n not in gone],
                "divisive": [n for n in t["divisive"] if n not in gone],
            }
            for t in out["topics"]
        ]
    return out


# A statement's part in a profile: accepted and not meta.
def _member(state: list[Any]) -> bool:
    return state[0] == "accepted" and not state[1]


def basis_changes(recorded: dict[str, Any], current: dict[str, Any]) -> list[dict[str, Any]]:
    """What changed since a run recorded its basis in a way that alters its profile.

    Blocking changes: a statement of the profile removed, marked meta,
    edited or deleted; a statement left out then (rejected or meta) now
    back; the segment questions or the minimum of voters changed. Statements
    pending then or new since do not block: the draft is merely older than
    them, as any profile is older than the next vote.
    """
    if not recorded:
        return []
    changes: list[dict[str, Any]] = []
    now = current.get("statements", {})
    for number, then in sorted(recorded.get("statements", {}).items(), key=lambda x: int(x[0])):
        if then[0] == "pending":
            continue
        state = now.get(number)
        n = int(number)
        if state is None:
            if _member(then):
                changes.append(
                    {
                        "statement": n,
                        "change": "deleted",
                        "message": _("#%(number)s was deleted.") % {"number": n},
                    }
                )
            continue
        if _member(then) and not _member(state):
            if state[0] != "accepted":
                changes.append(
                    {
                        "statement": n,
                        "change": "removed",
                        "message": _("#%(number)s was removed.") % {"number": n},
                    }
                )
            else:
                changes.append(
                    {
                        "statement": n,
                        "change": "marked_meta",
                        "message": _("#%(number)s was marked meta.") % {"number": n},
                    }
                )
        elif not _member(then) and _member(state):
            kind = "restored" if then[0] != "accepted" else "unmarked_meta"
            message = (
                _("#%(number)s was restored.")
                if kind == "restored"
                else _("#%(number)s was no longer marked meta.")
            )
            changes.append({"statement": n, "change": kind, "message": message % {"number": n}})
        elif _member(then) and then[2] != state[2]:
            changes.append(
                {
                    "statement": n,
                    "change": "edited",
                    "message": _("#%(number)s was edited.") % {"number": n},
                }
            )
    if recorded.get("segments") != current.get("segments"):
        changes.append(
            {
                "statement": None,
                "change": "segments",
                "message": _("The segment questions changed."),
            }
        )
    if recorded.get("min_voters") != current.get("min_voters"):
        changes.append(
            {
                "statement": None,
                "change": "min_voters",
                "message": _("The minimum of voters changed from %(before)s to %(after)s.")
                % {"before": recorded.get("min_voters"), "after": current.get("min_voters")},
            }
        )
    return changes


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
    excluded = {e["statement"]: e for e in current.get("excluded", [])}
    return {
        "against_version": previous["version"] if previous else None,
        "added": [{**brief(new[n]), "rank": new[n]["rank"]} for n in sorted(set(new) - set(old))],
        "removed": [brief(old[n]) for n in sorted(set(old) - set(new) - set(excluded))],
        "excluded": [
            {"statement": n, "text": e["text"], "reason": e["reason"]}
            for n, e in sorted(excluded.items())
        ],
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
    """One row per value, in profile order; figures as plain numbers.

    `listed` says where a row stands: "ranked" (the values, in order), then
    "too_few_votes" and "excluded" (no rank; an excluded value carries its
    public reason), then one "summary" row whose text is the facilitators'
    summary, if there is one.
    """
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
            "listed",
            "note",
            "excluded_reason",
        ]
    )
    width = 18 + len(rules) + n_groups

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
                "ranked",
                _csv_safe(v.get("note") or ""),
                "",
            ]
        )

    def other_row(number: Any, text: str, listed: str, reason: str = "", **figures: Any) -> None:
        row: list[Any] = [""] * width
        row[1], row[2] = number, _csv_safe(text)
        for column, value in figures.items():
            row[_CSV_FIGURE_COLUMNS[column]] = value
        writer.writerow([*row, listed, "", _csv_safe(reason)])

    for few in content.get("too_few_votes", []):
        other_row(
            few["statement"],
            few["text"],
            "too_few_votes",
            agree=few["agree"],
            disagree=few["disagree"],
            passes=few["pass"],
            votes=few["votes"],
        )
    for out in content.get("excluded", []):
        other_row(out["statement"], out["text"], "excluded", out["reason"])
    if content.get("summary"):
        other_row("", content["summary"], "summary")
    return buffer.getvalue()


_CSV_FIGURE_COLUMNS = {"agree": 4, "disagree": 5, "passes": 6, "votes": 7}


def _csv_safe(text: str) -> str:
    # Spreadsheets run cells starting with these as formulas (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- Markdown ------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def _md(text: str) -> str:
    """Participants' text, escaped so it cannot turn into links, HTML or headings."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def role_with_article(word: str) -> str:
    """A role with its article ("an owner"); a known role is one translatable phrase."""
    known = {
        "owner": pgettext("approved by …", "an owner"),
        "facilitator": pgettext("approved by …", "a facilitator"),
        "observer": pgettext("approved by …", "an observer"),
        "member": pgettext("approved by …", "a member"),
    }
    return known.get(word) or f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def _pct(x: float | None) -> str:
    return _("n/a") if x is None else f"{x * 100:.0f}%"


def to_markdown(content: dict[str, Any]) -> str:
    """A readable charter: values in order of bridging support, with their figures.

    Its headings and fixed sentences follow the active language (English by
    default); the participants' text and every figure are as stored.
    """
    space, community = content["space"], content["community"]
    prov = content["provenance"]
    counts = prov.get("counts") or {}
    version = (
        _("version %(version)s") % {"version": content["version"]}
        if content["version"]
        else _("draft")
    )
    status_line = _("Profile %(version)s, status %(status)s") % {
        "version": version,
        "status": content["status"],
    }
    if content.get("published_at"):
        status_line += _(", published %(date)s") % {"date": content["published_at"][:10]}
    if content.get("approved_by"):
        status_line += _(", approved by %(role)s") % {
            "role": role_with_article(content["approved_by"]["role"])
        }
    lines = [
        "# " + _("%(space)s: value profile") % {"space": _md(space["name"])},
        "",
        _("*%(community)s* asked: **%(question)s**")
        % {"community": _md(community["name"]), "question": _md(space["question"])},
        "",
        status_line + ".",
    ]
    if content["status"] == "retracted":
        lines += [
            "",
            "> "
            + _("Retracted: %(reason)s") % {"reason": _md(content.get("retraction_reason", ""))},
        ]
    if content.get("summary"):
        lines += ["", "## " + _("Summary"), "", _md(content["summary"])]
    lines += [
        "",
        _(
            "%(participants)s participants (%(voters)s voted), %(statements)s statements, "
            "%(votes)s votes, %(comparisons)s comparisons, %(rankings)s ranked ballots."
        )
        % {
            "participants": counts.get("participants", 0),
            "voters": counts.get("voters", 0),
            "statements": counts.get("statements", 0),
            "votes": counts.get("votes", 0),
            "comparisons": counts.get("comparisons", 0),
            "rankings": counts.get("rankings", 0),
        },
        "",
        "## " + _("Values"),
        "",
        _(
            "In order of bridging support (the cautious end of its 95% interval): agreement "
            "across the opinion groups that the main divide does not explain."
        ),
        "",
    ]
    for v in content["values"]:
        s = v["support"]
        interval = s["agree_rate_interval"]
        agree = _("agree %(rate)s") % {"rate": _pct(s["agree_rate"])}
        if interval:
            agree += " " + _("(95%% %(low)s to %(high)s)") % {
                "low": _pct(interval[0]),
                "high": _pct(interval[1]),
            }
        figures = [
            agree,
            _("%(agree)s agree / %(disagree)s disagree / %(passes)s pass")
            % {"agree": s["agree"], "disagree": s["disagree"], "passes": s["pass"]},
            _("bridging %(score)s") % {"score": f"{v['bridging']['score']:+.2f}"},
            _("group-aware consensus %(score)s") % {"score": f"{v['group_aware_consensus']:.2f}"},
        ]
        if v["pairwise"]:
            figures.append(
                _("pairwise score %(score)s") % {"score": f"{v['pairwise']['score']:.0f}"}
            )
        cls = f" *({v['classification']})*" if v["classification"] else ""
        lines.append(f"{v['rank']}. **{_md(v['text'])}**{cls}  ")
        lines.append(
            f"   #{v['statement']}: " + "; ".join(figures) + ("  " if v.get("note") else "")
        )
        if v.get("note"):
            lines.append("   " + _("*Note:* %(note)s") % {"note": _md(v["note"])})
    if content.get("too_few_votes"):
        lines += [
            "",
            "## " + _("Too few votes to say"),
            "",
            _(
                "Fewer than %(minimum)s people voted on these, so they are not ranked among "
                "the values."
            )
            % {"minimum": content.get("minimum_voters", 5)},
            "",
        ]
        for few in content["too_few_votes"]:
            votes = ngettext("%(count)s vote", "%(count)s votes", few["votes"]) % {
                "count": few["votes"]
            }
            lines.append(f"- {_md(few['text'])} (#{few['statement']}: {votes})")
    if content.get("excluded"):
        lines += ["", "## " + _("Left out by the facilitators"), ""]
        for out in content["excluded"]:
            lines.append(f"- {_md(out['text'])} (#{out['statement']}): {_md(out['reason'])}")
    if content["opinion_groups"]:
        lines += ["", "## " + _("Opinion groups"), ""]
        for g in content["opinion_groups"]:
            people = ngettext("%(count)s person", "%(count)s people", g["size"]) % {
                "count": g["size"]
            }
            lines.append(f"### {group_label(g['id'])} ({people})")
            lines.append("")
            position = stands_for(
                g["representative"], {r["statement"]: r["text"] for r in g["representative"]}
            )
            if position:
                lines += [_md(position[0].upper() + position[1:]) + ".", ""]
            for r in g["representative"]:
                direction = {
                    "agree": pgettext("a group … with a statement", "agrees"),
                    "disagree": pgettext("a group … with a statement", "disagrees"),
                }.get(r["direction"], f"{r['direction']}s")
                lines.append(f"- {direction}: {_md(r['text'])} (#{r['statement']})")
            lines.append("")
    rankings = content.get("rankings")
    if rankings and rankings.get("winners"):
        lines += ["", "## " + _("Ranked ballots"), ""]
        for rule, winner in sorted(rankings["winners"].items()):
            lines.append(
                f"- {rule}: #{winner}" if winner is not None else f"- {rule}: " + _("no winner")
            )
    if content.get("notes"):
        lines += ["", "## " + _("Notes"), ""]
        lines += [f"- {_md(n)}" for n in content["notes"]]
    lines += [
        "",
        "---",
        _(
            "Analysis run %(run)s, engine %(engine)s, input fingerprint `%(fingerprint)s`. "
            "Schema %(schema)s."
        )
        % {
            "run": prov["analysis_run"],
            "engine": prov["engine_version"],
            "fingerprint": prov["input_fingerprint"][:16],
            "schema": content["schema"],
        },
        "",
    ]
    return "\n".join(lines)
