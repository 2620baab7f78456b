"""The public report, "where you stand" and the plain words of the profile, from a stored result.

Pure functions over the stored analysis result (schema analysis-result/1)
and statement texts: no database (only Django's gettext, so the sentences
follow the reader's language), so the same shaping feeds
the report page, "where you stand", the profile cards and the API. Older
results without a key (e.g. "map", per-group "disagree") show what they can
and leave the rest out rather than failing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy

from aggregation import pictures
from aggregation.naming import group_letter, group_stands_for
from aggregation.pictures import GroupStyle, OpinionMap, VoteBar, group_style
from aggregation.results import StoredResult

# A section lists at most this many statements; the value profile has them all.
SECTION_LIMIT = 5
# "Areas of uncertainty": many passes, or an agree-rate interval this wide.
MANY_PASSES = 0.3
WIDE_INTERVAL = 0.4
# "Where you stand": statements where you differ most from your group.
DIFFER_SHOWN = 5
IN_CONV_MIN_VOTES = 7  # aggregation/engine/history.py: Pol.is's rule for being placed

CLASS_WORDS = {
    "consensus": gettext_lazy("Common ground"),
    "bridging": gettext_lazy("Bridges the groups"),
    "divisive": gettext_lazy("Divides the groups"),
    "group-defining": gettext_lazy("Defines a group"),
    "uncertain": gettext_lazy("Not settled yet"),
}
CLASS_EXPLAINED = {
    "consensus": gettext_lazy("Most people agree (or most disagree), in every opinion group."),
    "bridging": gettext_lazy("Supported by people on both sides of the main divide."),
    "divisive": gettext_lazy("The opinion groups see this very differently."),
    "group-defining": gettext_lazy("One group holds this much more than the others."),
    "uncertain": gettext_lazy("Too few votes, or the figures could go either way."),
}


def class_word(classification: str | None) -> str:
    """A value's class as a participant would say it ("bridging" -> "Bridges the groups")."""
    if not classification:
        return _("Not classified")
    return str(CLASS_WORDS.get(classification, classification.replace("-", " ").capitalize()))


def group_label(index: int) -> str:
    """ "Group A" in the reader's language (naming.group_label is the English of exports)."""
    return _("Group %(letter)s") % {"letter": group_letter(index)}


def stands_for(representative: Any, texts: Mapping[int, str]) -> str:
    """naming.group_stands_for in the reader's language: 'for “…”, against “…”'."""
    return group_stands_for(
        representative,
        texts,
        for_phrase=pgettext("a group stands …", "for “%(text)s”"),
        against_phrase=pgettext("a group stands …", "against “%(text)s”"),
    )


def _pct(x: float | None) -> str:
    return _("n/a") if x is None else f"{100 * x:.0f}%"


def support_summary(agree_rate: float | None, group_rates: Sequence[float | None]) -> str:
    """One plain line: "82% agree, across all three groups" / "55% agree; group B mostly not (20%)"."""
    if agree_rate is None:
        return _("No votes yet")
    rate = _pct(agree_rate)
    rates = [(i, r) for i, r in enumerate(group_rates) if r is not None]
    if len(rates) < 2:
        return _("%(rate)s agree") % {"rate": rate}
    majority = [i for i, r in rates if r >= 0.5]
    if len(majority) == len(rates):
        if len(rates) == 2:
            return _("%(rate)s agree, in both groups") % {"rate": rate}
        words = {
            3: pgettext("across all … groups", "three"),
            4: pgettext("across all … groups", "four"),
            5: pgettext("across all … groups", "five"),
            6: pgettext("across all … groups", "six"),
            7: pgettext("across all … groups", "seven"),
            8: pgettext("across all … groups", "eight"),
            9: pgettext("across all … groups", "nine"),
        }
        return _("%(rate)s agree, across all %(count)s groups") % {
            "rate": rate,
            "count": words.get(len(rates), str(len(rates))),
        }
    if not majority:
        return _("%(rate)s agree, and no group has a majority for it") % {"rate": rate}
    against = [
        _("group %(letter)s (%(rate)s)") % {"letter": group_letter(i), "rate": _pct(r)}
        for i, r in rates
        if r < 0.5
    ]
    return _("%(rate)s agree; not %(groups)s") % {
        "rate": rate,
        "groups": _(" or ").join(against),
    }


# --- Shapes the templates read -----------------------------------------------------------


@dataclass
class GroupSummary:
    style: GroupStyle
    size: int
    stands_for: str
    representative: list[StatementView] = field(default_factory=list)

    @property
    def letter(self) -> str:
        return self.style.letter

    @property
    def label(self) -> str:
        return group_label(self.style.index)

    @property
    def name(self) -> str:
        return f"{self.label}: {self.stands_for}" if self.stands_for else self.label


@dataclass
class StatementView:
    number: int
    text: str
    classification: str | None
    agree_rate: float | None
    agree_interval: list[float] | None
    bridging_score: float | None
    bridging_interval: list[float] | None
    consensus: float | None  # group-aware consensus
    consensus_interval: list[float] | None
    bars: list[VoteBar]
    direction: str = ""  # for a group's representative statements: agree / disagree
    note: str = ""  # why it is listed (uncertainty) or how you differ (where you stand)

    @property
    def class_word(self) -> str:
        return class_word(self.classification)

    @property
    def everyone(self) -> VoteBar:
        return self.bars[0]

    @property
    def summary(self) -> str:
        return support_summary(
            self.agree_rate, [b.agree / b.votes if b.votes else None for b in self.bars[1:]]
        )


@dataclass
class Sentence:
    text: str
    detail: str = ""


@dataclass
class Report:
    run_id: int | None
    counts: dict[str, int]
    groups: list[GroupSummary]
    map: OpinionMap | None
    consensus: list[StatementView]
    bridging: list[StatementView]
    divisive: list[StatementView]
    uncertain: list[StatementView]
    pairwise: list[Sentence]
    rankings: list[Sentence]
    not_grouped: list[Sentence]
    notes: list[str]

    @property
    def grouped(self) -> int:
        return sum(g.size for g in self.groups)


def _as_interval(raw: Any) -> list[float] | None:
    if isinstance(raw, list) and len(raw) == 2 and all(isinstance(x, int | float) for x in raw):
        return [float(raw[0]), float(raw[1])]
    return None


def statement_view(
    number: int, entry: Mapping[str, Any], text: str, n_groups: int
) -> StatementView:
    """One statement of the result with its bars: everyone first, then each group."""
    votes = entry.get("votes") or {}
    bars = [
        VoteBar(
            label=_("Everyone"),
            agree=int(votes.get("agree", 0)),
            disagree=int(votes.get("disagree", 0)),
            passes=int(votes.get("pass", 0)),
        )
    ]
    for g in entry.get("groups") or []:
        index = int(g["group"])
        # Results stored before per-group "disagree" counts cannot split the
        # rest of a group's votes: those show the bar for everyone only.
        if index >= n_groups or "disagree" not in g:
            continue
        seen, agree, disagree = int(g["votes"]), int(g["agree"]), int(g["disagree"])
        bars.append(
            VoteBar(
                label=group_label(index),
                agree=agree,
                disagree=disagree,
                passes=max(seen - agree - disagree, 0),
                colour=group_style(index).colour,
            )
        )
    bridging = entry.get("bridging") or {}
    return StatementView(
        number=number,
        text=text,
        classification=entry.get("classification"),
        agree_rate=entry.get("agree_rate"),
        agree_interval=_as_interval(entry.get("agree_rate_interval")),
        bridging_score=bridging.get("score"),
        bridging_interval=_as_interval(bridging.get("interval")),
        consensus=entry.get("group_aware_consensus"),
        consensus_interval=_as_interval(entry.get("group_aware_consensus_interval")),
        bars=bars,
    )


def _statements(
    result: StoredResult, texts: Mapping[int, str], n_groups: int
) -> dict[int, StatementView]:
    out: dict[int, StatementView] = {}
    for number, entry in result.statements.items():
        if number in texts:
            out[number] = statement_view(number, entry, texts[number], n_groups)
    return out


def group_summaries(
    result: StoredResult,
    texts: Mapping[int, str],
    views: Mapping[int, StatementView] | None = None,
) -> list[GroupSummary]:
    views = views if views is not None else _statements(result, texts, len(result.groups))
    out = []
    for group in result.groups:
        reps = group.representative
        summary = GroupSummary(
            style=group_style(group.index),
            size=int(group.size or 0),
            stands_for=stands_for(reps, texts),
        )
        for rep in reps:
            number = int(rep["statement"])
            if number in views:
                view = views[number]
                summary.representative.append(
                    StatementView(**{**view.__dict__, "direction": rep.get("direction", "")})
                )
        out.append(summary)
    return out


def map_of(
    result: StoredResult,
    *,
    you: int | None = None,
    density_above: int = pictures.DENSITY_ABOVE,
) -> OpinionMap | None:
    """The opinion map of a result; None for results stored before maps were (no "map" key).

    `you` is a participant number to mark "you are here" (when placed).
    """
    plane = result.map
    if not plane:
        return None
    n_groups = len(result.groups)
    positions: list[tuple[float, float, int | None]] = []
    you_xy = None
    for key, xy in (plane.get("participants") or {}).items():
        group = result.participants.get(int(key))
        positions.append((float(xy[0]), float(xy[1]), group if isinstance(group, int) else None))
        if you is not None and key == str(you):
            you_xy = (float(xy[0]), float(xy[1]))
    statements = [
        (int(key), float(xy[0]), float(xy[1]))
        for key, xy in (plane.get("statements") or {}).items()
    ]
    return pictures.opinion_map(
        positions,
        n_groups=n_groups,
        statements=statements,
        you=you_xy,
        density_above=density_above,
    )


def _spread(view: StatementView) -> float:
    rates = [b.agree / b.votes for b in view.bars[1:] if b.votes]
    return max(rates) - min(rates) if len(rates) >= 2 else 0.0


def _width(interval: list[float] | None) -> float:
    return interval[1] - interval[0] if interval else 0.0


def build_report(
    result: StoredResult,
    *,
    texts: Mapping[int, str],
    counts: Mapping[str, int],
    run_id: int | None = None,
    density_above: int = pictures.DENSITY_ABOVE,
) -> Report:
    """Every section of the public report from one stored result.

    `texts` holds the accepted statements' texts by number (others are not
    shown); `counts` are the run's counts (participants, voters, votes...).
    """
    views = _statements(result, texts, len(result.groups))
    in_profile = {n: v for n, v in views.items() if result.statements[n].get("in_profile")}

    def by_class(name: str) -> list[StatementView]:
        return [v for v in in_profile.values() if v.classification == name]

    consensus = sorted(
        by_class("consensus"), key=lambda v: (-abs((v.agree_rate or 0) - 0.5), v.number)
    )
    if not consensus:
        # No value passes the classifier's interval test: fall back to Pol.is's own list.
        numbers = [*result.consensus_agree, *result.consensus_disagree]
        consensus = [in_profile[n] for n in numbers if n in in_profile]
    bridging = sorted(
        [
            v
            for v in in_profile.values()
            if v.classification == "bridging"
            or (result.statements[v.number].get("bridging") or {}).get("status") == "bridging"
        ],
        key=lambda v: (-(v.bridging_score or 0), v.number),
    )
    divisive = sorted(by_class("divisive"), key=lambda v: (-_spread(v), v.number))
    uncertain = []
    for v in in_profile.values():
        votes = v.everyone.votes
        reasons = []
        if votes and v.everyone.passes / votes >= MANY_PASSES:
            reasons.append(_("%(share)s passed") % {"share": _pct(v.everyone.passes / votes)})
        if _width(v.agree_interval) >= WIDE_INTERVAL:
            assert v.agree_interval is not None
            reasons.append(
                _("agreement could be anywhere from %(low)s to %(high)s")
                % {"low": _pct(v.agree_interval[0]), "high": _pct(v.agree_interval[1])}
            )
        if reasons:
            v = StatementView(**{**v.__dict__, "note": "; ".join(reasons).capitalize() + "."})
            uncertain.append(v)
    uncertain.sort(key=lambda v: (-_width(v.agree_interval), v.number))

    groups = group_summaries(result, texts, views)
    notes = [
        n
        for n in (
            result.opinion_groups.get("reason"),
            result.bridging.get("note"),
        )
        if n
    ]
    return Report(
        run_id=run_id,
        counts=dict(counts),
        groups=groups,
        map=map_of(result, density_above=density_above),
        consensus=consensus[:SECTION_LIMIT],
        bridging=bridging[:SECTION_LIMIT],
        divisive=divisive[:SECTION_LIMIT],
        uncertain=uncertain[:SECTION_LIMIT],
        pairwise=pairwise_sentences(result, texts),
        rankings=ranking_sentences(result, texts),
        not_grouped=not_grouped_sentences(result, counts, sum(g.size for g in groups)),
        notes=notes,
    )


def _quote(number: int | None, texts: Mapping[int, str]) -> str:
    if number is None:
        return _("no single statement")
    fallback = _("statement #%(number)s") % {"number": number}
    return f"“{texts.get(number, fallback)}”"


def pairwise_sentences(result: StoredResult, texts: Mapping[int, str]) -> list[Sentence]:
    """Bradley-Terry results in plain words: who would be chosen over whom, how often."""
    meta = result.pairwise
    if not meta:
        return []
    scored = sorted(
        (
            (n, e["pairwise"])
            for n, e in result.statements.items()
            if e.get("pairwise") and n in texts
        ),
        key=lambda item: (-item[1]["score"], item[0]),
    )
    comparisons = int(meta.get("comparisons", 0))
    if meta.get("undecided"):
        first_line = ngettext(
            "%(count)s choice between two statements (%(undecided)s “can't decide”).",
            "%(count)s choices between two statements (%(undecided)s “can't decide”).",
            comparisons,
        ) % {"count": comparisons, "undecided": meta["undecided"]}
    else:
        first_line = ngettext(
            "%(count)s choice between two statements.",
            "%(count)s choices between two statements.",
            comparisons,
        ) % {"count": comparisons}
    out = [Sentence(first_line)]
    if len(scored) >= 2:
        (first, a), (second, b) = scored[0], scored[1]
        chance = 1 / (1 + math.exp(-(a["strength"] - b["strength"])))
        out.append(
            Sentence(
                (
                    _("Most people would choose %(first)s over %(second)s")
                    if chance > 0.5
                    else _("People are split between %(first)s and %(second)s")
                )
                % {"first": _quote(first, texts), "second": _quote(second, texts)},
                _(
                    "Estimated chance of choosing the first: %(chance)s. %(first)s wins "
                    "against a random other statement %(score)s%% of the time (95%% interval "
                    "%(low)s to %(high)s)."
                )
                % {
                    "chance": _pct(chance),
                    "first": _quote(first, texts),
                    "score": f"{a['score']:.0f}",
                    "low": f"{a['interval'][0]:.0f}",
                    "high": f"{a['interval'][1]:.0f}",
                },
            )
        )
        last_number, last = scored[-1]
        out.append(
            Sentence(
                _("Chosen least often: %(statement)s") % {"statement": _quote(last_number, texts)},
                _("It wins against a random other statement %(score)s%% of the time.")
                % {"score": f"{last['score']:.0f}"},
            )
        )
    if meta.get("note"):
        out.append(Sentence(str(meta["note"])))
    return out


RULE_NAMES = {
    "borda": pgettext_lazy("ranking rule", "Borda count"),
    "copeland": "Copeland",
    "schulze": "Schulze",
    "ranked_pairs": "Ranked Pairs",
    "instant_runoff": pgettext_lazy("ranking rule", "instant runoff"),
    "kemeny": "Kemeny-Young",
    "kemeny_young": "Kemeny-Young",
}
HEAD_TO_HEAD = {"copeland", "schulze", "ranked_pairs", "kemeny", "kemeny_young"}


def rule_name(rule: str) -> str:
    return str(RULE_NAMES.get(rule, rule.replace("_", " ")))


def _and(items: Sequence[str]) -> str:
    if len(items) == 1:
        return items[0]
    return _("%(items)s and %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def ranking_sentences(result: StoredResult, texts: Mapping[int, str]) -> list[Sentence]:
    """Where the ranked-ballot rules agree and where they differ, with one sentence of why."""
    rankings = result.rankings
    if not rankings or not rankings.get("winners"):
        return []
    winners: dict[str, int | None] = rankings["winners"]
    ballots = int(rankings.get("ballots", 0))
    out = [
        Sentence(
            ngettext("%(count)s ranked ballot.", "%(count)s ranked ballots.", ballots)
            % {"count": ballots}
        )
    ]
    by_winner: dict[int | None, list[str]] = {}
    for rule, winner in sorted(winners.items()):
        by_winner.setdefault(winner, []).append(rule)
    condorcet = rankings.get("condorcet_winner")
    if len(by_winner) == 1:
        (winner,) = by_winner
        text = (
            _("Every rule (%(count)s) puts %(winner)s first, and they agree on the top three.")
            if rankings.get("same_top")
            else _("Every rule (%(count)s) puts %(winner)s first.")
        )
        out.append(Sentence(text % {"count": len(winners), "winner": _quote(winner, texts)}))
    else:
        parts = [
            ngettext(
                "%(rules)s puts %(winner)s first", "%(rules)s put %(winner)s first", len(rules)
            )
            % {"rules": _and([rule_name(r) for r in rules]), "winner": _quote(w, texts)}
            for w, rules in sorted(by_winner.items(), key=lambda item: -len(item[1]))
        ]
        if condorcet is not None:
            why = _(
                "%(statement)s beats every other statement head to head, which the "
                "head-to-head rules (Copeland, Schulze, Ranked Pairs, Kemeny-Young) reward; "
                "Borda adds up positions on every ballot and instant runoff counts first "
                "choices, so broad lower-placed support or a loyal first-choice base can win "
                "there instead."
            ) % {"statement": _quote(condorcet, texts)}
        else:
            why = _(
                "No statement beats every other head to head (the preferences go round in a "
                "cycle), so each rule's way of breaking the cycle picks its own winner."
            )
        out.append(Sentence(_("The rules differ: %(parts)s.") % {"parts": "; ".join(parts)}, why))
    for rule, reason in sorted((rankings.get("refused") or {}).items()):
        out.append(
            Sentence(
                _("%(rule)s was not computed: %(reason)s.")
                % {"rule": rule_name(rule).capitalize(), "reason": reason}
            )
        )
    return out


def not_grouped_sentences(
    result: StoredResult, counts: Mapping[str, int], grouped: int
) -> list[Sentence]:
    """Why some participants are in no group, with the numbers."""
    participants = int(counts.get("participants", 0))
    voters = int(counts.get("voters", 0))
    clustered = int(result.opinion_groups.get("clustered", grouped))
    missing = participants - grouped
    if participants == 0 or missing <= 0:
        return []
    out = [
        Sentence(
            ngettext(
                "%(missing)s of %(participants)s participant is in no opinion group.",
                "%(missing)s of %(participants)s participants are in no opinion group.",
                participants,
            )
            % {"missing": missing, "participants": participants}
        )
    ]
    if participants > voters:
        out.append(Sentence(_("%(count)s did not vote.") % {"count": participants - voters}))
    if voters > clustered:
        out.append(
            Sentence(
                _(
                    "%(count)s voted on too few statements to be compared with the others: as "
                    "in Pol.is, people are placed on the map once they have voted on %(minimum)s "
                    "statements (or on all of them, when there are fewer)."
                )
                % {"count": voters - clustered, "minimum": IN_CONV_MIN_VOTES}
            )
        )
    if clustered > grouped:
        out.append(
            Sentence(
                _("%(count)s were placed but not put in a group.") % {"count": clustered - grouped}
            )
        )
    return out


# --- Where you stand ------------------------------------------------------------------------


@dataclass
class Closeness:
    style: GroupStyle
    shared: int  # statements both you and the group have a side on
    same: int  # ... where your vote matches the group's majority

    @property
    def label(self) -> str:
        return group_label(self.style.index)

    @property
    def percent(self) -> int | None:
        return round(100 * self.same / self.shared) if self.shared else None


@dataclass
class StandingPicture:
    map: OpinionMap | None
    placed: bool
    group: int | None
    closeness: list[Closeness]
    differences: list[StatementView]
    groups: list[GroupSummary]


def standing_picture(
    result: StoredResult,
    *,
    participant_number: int,
    my_votes: Mapping[int, int],
    texts: Mapping[int, str],
) -> StandingPicture:
    """Your point on the map, how often you side with each group, where you differ from yours.

    A group's side on a statement is its majority among agree and disagree
    votes (ties and statements it has not voted on are not counted); your
    passes are not counted either. "Differ most" compares your vote (+1 / -1)
    with your group's mean vote on the statement (agree = +1, disagree = -1,
    pass = 0).
    """
    n_groups = len(result.groups)
    assignment = result.participants.get(participant_number)
    mine = assignment if isinstance(assignment, int) and 0 <= assignment < n_groups else None
    closeness = [Closeness(group_style(g), 0, 0) for g in range(n_groups)]
    differences: list[tuple[float, StatementView]] = []
    for number, value in my_votes.items():
        entry = result.statements.get(number)
        if entry is None or value == 0 or number not in texts:
            continue
        for g in entry.get("groups") or []:
            index = int(g["group"])
            if index >= n_groups or "disagree" not in g:
                continue
            agree, disagree, seen = int(g["agree"]), int(g["disagree"]), int(g["votes"])
            if agree != disagree:
                closeness[index].shared += 1
                if (agree > disagree) == (value > 0):
                    closeness[index].same += 1
            if index == mine and seen:
                gap = abs(value - (agree - disagree) / seen)
                if gap > 1.0:  # you are on the other side of your group's average
                    view = statement_view(number, entry, texts[number], n_groups)
                    note = (
                        _("You agree; in %(group)s %(agree)s agree and %(disagree)s disagree.")
                        if value > 0
                        else _(
                            "You disagree; in %(group)s %(agree)s agree and %(disagree)s disagree."
                        )
                    )
                    view.note = note % {
                        "group": group_label(index),
                        "agree": _pct(agree / seen),
                        "disagree": _pct(disagree / seen),
                    }
                    differences.append((gap, view))
    differences.sort(key=lambda item: (-item[0], item[1].number))
    picture = map_of(result, you=participant_number)
    return StandingPicture(
        map=picture,
        placed=picture is not None and picture.you is not None,
        group=mine,
        closeness=closeness,
        differences=[v for _gap, v in differences[:DIFFER_SHOWN]],
        groups=group_summaries(result, texts),
    )
