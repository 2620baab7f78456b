"""Which rules Pol.is ran, when: its math as it changed over the years.

Read from the git history of Pol.is's math code (github.com/compdemocracy/polis,
math/src/polismath/math/conversation.clj, clusters.clj, pca.clj,
named_matrix.clj; before the April 2020 move into the monorepo the same files
lived under src/polismath/ of polisMath, whose history the monorepo kept). Each
change below names the commit and its author date; the dates are when the
change was written, not when pol.is deployed it, which the repository does
not record, so a conversation analysed within days of a change may have run
either side of it.

The rules are cumulative: an era is the state after a change and before the
next one. Only what changes who is clustered, where participants sit and how
many groups there are is tracked here; representative comments, consensus and
priorities follow today's rules in every era (they do not change group-id).

What the export shows: `group-id` in participants-votes.csv comes from the
group clusters stored with the conversation (darwin/export.clj,
`participants-votes-table`, since 2015-08-13 dc073719): a participant carries
the group whose base clusters hold them, so only participants the base
clustering saw (the in-conv set of the era) get one. An export made with
`--at-time` instead recomputes everything in a single update from the votes up
to that time.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, replace
from typing import Literal

from .votes import EngineInputError

REPO = "https://github.com/compdemocracy/polis/commit/"

InConv = Literal["all_voters", "threshold"]
Fallback = Literal["none", "top7_if_empty", "greedy15"]
Impute = Literal["zero", "column_mean"]
GroupK = Literal["fixed", "silhouette"]


@dataclass(frozen=True)
class PolisRules:
    """The parts of Pol.is's math that changed over time, as the engine reads them.

    in_conv: who the base clustering sees. "all_voters": everyone with a vote;
      "threshold": participants with at least min(7, n_cmts) votes (more than,
      when `in_conv_strict`), kept once in ("sticky").
    in_conv_fallback: what tops the set up: "top7_if_empty" (the 7 biggest
      voters when nobody qualifies), "greedy15" (the biggest voters until 15 are
      in), or nothing.
    in_conv_counts_zeroed: votes are counted on the matrix with moderated-out
      columns set to 0 for everyone, so each such column counts as a vote.
    zero_moderated: moderated-out and meta comments are zeroed before the PCA;
      before that they took part like any other comment.
    impute: what a missing vote becomes before the PCA (0, or its column's mean).
    sparse_projection: participants are projected from their own votes only and
      pushed out by sqrt(n_cmts / n_votes); before, the whole imputed row was
      projected.
    base_k, base_iters: base k-means clusters and iteration budget.
    group_k: "fixed" (3 groups, 4 from 99 base clusters) or "silhouette" over
      k = 2 .. min(max_k, max_k_offset + n_base // max_k_divisor).
    group_weighted: group k-means weights base clusters by their size.
    k_smoother_buffer: a new best k must win this many updates in a row before
      the group count changes (None: no smoother).
    max_ptpts, max_cmts: Pol.is's "customs": votes from participants, or on
      comments, beyond the first this many (in arrival order) are ignored
      (None: no limit).
    """

    name: str
    in_force_from: str
    commit: str
    change: str
    in_conv: InConv
    in_conv_strict: bool
    in_conv_fallback: Fallback
    in_conv_counts_zeroed: bool
    zero_moderated: bool
    impute: Impute
    sparse_projection: bool
    base_k: int
    base_iters: int
    group_k: GroupK
    max_k: int
    max_k_offset: int
    max_k_divisor: int
    group_weighted: bool
    group_iters: int
    k_smoother_buffer: int | None
    max_ptpts: int | None = None
    max_cmts: int | None = None

    @property
    def source(self) -> str:
        return REPO + self.commit

    def summary(self) -> str:
        """The era's rules in one line, for people reading the output."""
        if self.in_conv == "all_voters":
            who = "every voter clustered"
        else:
            cmp = ">" if self.in_conv_strict else ">="
            who = f"clustered: {cmp} min(7, n_cmts) votes"
            if self.in_conv_counts_zeroed:
                who += " (zeroed comments counted as votes)"
            who += {
                "none": "",
                "top7_if_empty": ", else the 7 biggest voters",
                "greedy15": ", topped up to 15",
            }[self.in_conv_fallback]
        if self.group_k == "fixed":
            k = "3 groups (4 from 99 base clusters)"
        else:
            k = f"k by silhouette up to min({self.max_k}, "
            k += f"{self.max_k_offset} + " if self.max_k_offset else ""
            k += f"n_base/{self.max_k_divisor})"
            if self.k_smoother_buffer:
                k += f", smoothed over {self.k_smoother_buffer} updates"
        parts = [
            who,
            f"missing votes = {'column mean' if self.impute == 'column_mean' else '0'}",
            "moderated-out comments zeroed"
            if self.zero_moderated
            else "moderated-out comments kept",
            "sparsity-aware projection" if self.sparse_projection else "plain projection",
            f"{self.base_k} base clusters ({self.base_iters} iterations)",
            *(
                [f"at most {self.max_ptpts:,} participants and {self.max_cmts:,} comments"]
                if self.max_ptpts and self.max_cmts
                else []
            ),
            k,
            "weighted group k-means" if self.group_weighted else "unweighted group k-means",
        ]
        return "; ".join(parts)

    def top_k(self, n_base: int) -> int:
        """The largest group count tried for `n_base` base clusters."""
        return min(self.max_k, self.max_k_offset + n_base // self.max_k_divisor)


# 2014-02-19, b1580237 "set base k to 50 (bucketize beyond 50 people)": the
# earliest state tracked. Every voter is clustered; missing votes are 0 and the
# whole row is projected; 3 groups (the :group-k 3 option; `choose-group-k`
# from b04e660c 2014-02-28 gave 1 or 2 groups below 5 base clusters until
# bc2ba995 2014-03-05 "group-k always at least 3": 3 below 99 base clusters,
# else 4, which 50 base clusters never reach; the week of fewer groups for
# tiny conversations is not modelled); k-means runs its
# default budget of 20 iterations because the option passed (:cluster-iters)
# is not the one `kmeans` reads (:max-iters), which stays true of the group
# k-means to this day.
_FIRST = PolisRules(
    name="2014-02-19",
    in_force_from="2014-02-19",
    commit="b15802373e1761dfa35979d475c72a627699c4f3",
    change="base k-means with 50 clusters over every voter; 3 groups",
    in_conv="all_voters",
    in_conv_strict=False,
    in_conv_fallback="none",
    in_conv_counts_zeroed=False,
    zero_moderated=False,
    impute="zero",
    sparse_projection=False,
    base_k=50,
    base_iters=20,
    group_k="fixed",
    max_k=3,
    max_k_offset=0,
    max_k_divisor=1,
    group_weighted=False,
    group_iters=20,
    k_smoother_buffer=None,
)


def _then(
    previous: PolisRules, *, name: str, commit: str, change: str, **rules: object
) -> PolisRules:
    return replace(previous, name=name, in_force_from=name, commit=commit, change=change, **rules)  # type: ignore[arg-type]


_CHANGES: list[PolisRules] = [_FIRST]
_CHANGES.append(
    # 7e3a531b "Base-clustering now only operates on those ptpts with a minimum
    # number of comments": in-conv is born, `(> cnt (min 7 n-cmts))`, sticky.
    _then(
        _CHANGES[-1],
        name="2014-05-15",
        commit="7e3a531bb6f205891bb6d5fd80e01a96e41c82af",
        change="only participants with more than min(7, n_cmts) votes are clustered (sticky)",
        in_conv="threshold",
        in_conv_strict=True,
    )
)
_CHANGES.append(
    # dacb9a79 "'has voted enough' check >= instead of >".
    _then(
        _CHANGES[-1],
        name="2014-05-19",
        commit="dacb9a7962cee66c3c02494d2ae077297fee7f44",
        change="at least min(7, n_cmts) votes (>= instead of >)",
        in_conv_strict=False,
    )
)
_CHANGES.append(
    # 05277780 "... Take 7 if empty": when nobody qualifies, the 7 biggest voters.
    _then(
        _CHANGES[-1],
        name="2014-05-22",
        commit="05277780b0171ab35a7722a10263526f55e4ee14",
        change="when nobody qualifies, the 7 participants with most votes",
        in_conv_fallback="top7_if_empty",
    )
)
_CHANGES.append(
    # 3d89774a "Hooked up silhouette for picking optimal K value":
    # k = 2 .. min(12, n_base / 3), best silhouette at every update.
    _then(
        _CHANGES[-1],
        name="2014-06-05",
        commit="3d89774a21f487d28320c725ba954bee102ebf18",
        change="group count by silhouette, k = 2 .. min(12, n_base / 3)",
        group_k="silhouette",
        max_k=12,
        max_k_offset=0,
        max_k_divisor=3,
    )
)
_CHANGES.append(
    # b5f20ac2 and 3a8d6b19 (same day) "include first 15 in-conv regardless of
    # vote count": the set is topped up with the biggest voters to 15.
    _then(
        _CHANGES[-1],
        name="2014-07-24",
        commit="3a8d6b192a320a040e4b96be57b7121d800e0809",
        change="in-conv topped up with the biggest voters to 15",
        in_conv_fallback="greedy15",
    )
)
_CHANGES.append(
    # 58239370 "Lowered maximum group function" with its fix 99fef1fc:
    # min(12, 2 + n_base / 8). The same day 37d3e58c "Maximum conversation
    # size" and 3d5f694c set the customs to 80,000 participants and 800
    # comments.
    _then(
        _CHANGES[-1],
        name="2014-08-28",
        commit="99fef1fcb46636c0fb600fd580beb2eec1660067",
        change="k tried up to min(12, 2 + n_base / 8); at most 80,000 participants, 800 comments",
        max_k_offset=2,
        max_k_divisor=8,
        max_ptpts=80_000,
        max_cmts=800,
    )
)
_CHANGES.append(
    # eaa29c66 "Build K-smoother for group clustering": a new best k must win
    # :group-k-buffer = 4 updates in a row.
    _then(
        _CHANGES[-1],
        name="2014-08-30",
        commit="eaa29c666cf6f015e82340fcf4ed345f1f606e3b",
        change="k smoother: a new best k must win 4 updates in a row",
        k_smoother_buffer=4,
    )
)
_CHANGES.append(
    # 36ab1e7c added `sparsity-aware-project-ptpts`, 60506a35 took it out the
    # same day, 6133a9f2 "Hopefully fixed weird occasional indexing issue" put
    # it back for good.
    _then(
        _CHANGES[-1],
        name="2014-10-03",
        commit="6133a9f2b98e7e77a63acd21c6d17ec132d46a0e",
        change="participants projected from their own votes, scaled by sqrt(n_cmts / n_votes)",
        sparse_projection=True,
    )
)
_CHANGES.append(
    # 5dc04d08 "Flattened/lowered the max-k-fn, for fewer groups":
    # :max-k 5, min(5, 2 + n_base / 12): today's rule.
    _then(
        _CHANGES[-1],
        name="2014-10-15",
        commit="5dc04d08ee8991b4b9768443bb7958e9486e92c4",
        change="k tried up to min(5, 2 + n_base / 12)",
        max_k=5,
        max_k_divisor=12,
    )
)
_CHANGES.append(
    # 24d5f83d "Actually hooked up base-clusters-weights to group-clusterings"
    # (weights written 2014-10-21..11-09).
    _then(
        _CHANGES[-1],
        name="2014-11-10",
        commit="24d5f83d34f8eb0ae4f7291fe060e636ae3c0172",
        change="group k-means weights base clusters by their size",
        group_weighted=True,
    )
)
_CHANGES.append(
    # b68ca8b6 "reversibly ignore is_meta and moderated out comments on pca etc":
    # `zero-out-columns` sets every cell of those columns to 0, and
    # :user-vote-counts still read :rating-mat, now the zeroed one, so every
    # zeroed column counted as a vote for everyone.
    _then(
        _CHANGES[-1],
        name="2017-02-27",
        commit="b68ca8b6a86e3d0e57ce1c32547685344d02e346",
        change="moderated-out and meta comments zeroed; in-conv counts them as votes",
        zero_moderated=True,
        in_conv_counts_zeroed=True,
    )
)
_CHANGES.append(
    # 32988e40 "try base-k = 100".
    _then(
        _CHANGES[-1],
        name="2017-04-14",
        commit="32988e40508bb45adad369e034d0d423f694da93",
        change="100 base clusters",
        base_k=100,
    )
)
_CHANGES.append(
    # 90b5b9e6 "Use column/comment averages instead of 0s for missing votes".
    _then(
        _CHANGES[-1],
        name="2017-10-21",
        commit="90b5b9e6223247ead3b272f917bdca7b9768f7ae",
        change="a missing vote becomes its comment's mean vote before the PCA",
        impute="column_mean",
    )
)
_CHANGES.append(
    # 30355e11 "fix bad counting bug for :user-vote-counts" (+ acd818c9):
    # votes counted on the raw matrix again.
    _then(
        _CHANGES[-1],
        name="2017-10-31",
        commit="30355e118186f333d5a219e2e3f05b1c8138376b",
        change="in-conv counts only real votes again",
        in_conv_counts_zeroed=False,
    )
)
_CHANGES.append(
    # e07aec5a "fix max-iters specification in base-clusters k-means call":
    # base k-means runs :base-iters = 10. The same day 7dc6f1e5 "up
    # conversation size limits": 100,000 participants, 1,000 comments.
    _then(
        _CHANGES[-1],
        name="2017-12-08",
        commit="e07aec5ac428c653565167ed9a22710282c8096c",
        change="base k-means runs :base-iters (10) iterations; at most 100,000 participants,"
        " 1,000 comments",
        base_iters=10,
        max_ptpts=100_000,
        max_cmts=1000,
    )
)
_CHANGES.append(
    # b49a1c5c "increase max-cmts to 1500".
    _then(
        _CHANGES[-1],
        name="2018-01-22",
        commit="b49a1c5c54bb804dac05dc97dc9697420f4bd9ac",
        change="at most 1,500 comments",
        max_cmts=1500,
    )
)
_CHANGES.append(
    # 87b57243 "bump the max cmnts".
    _then(
        _CHANGES[-1],
        name="2020-06-18",
        commit="87b572435cd779b105803d11094d9abb97cf0ae8",
        change="at most 10,000 comments",
        max_cmts=10_000,
    )
)
_CHANGES.append(
    # a2efd9ba "more robust export arguments": :base-iters (and :pca-iters)
    # 10 -> 100. Today's rules (unchanged up to the October 2024 snapshot read).
    _then(
        _CHANGES[-1],
        name="2022-06-29",
        commit="a2efd9ba4791c70b3c7776f0c5c57030ab2cb916",
        change="base k-means runs 100 iterations",
        base_iters=100,
    )
)

ERAS: tuple[PolisRules, ...] = tuple(_CHANGES)
CURRENT: PolisRules = ERAS[-1]
BY_NAME: dict[str, PolisRules] = {r.name: r for r in ERAS}


class UnknownRulesError(EngineInputError):
    """A --polis-rules value that names no era."""


def era_at(when: _dt.date) -> PolisRules:
    """The rules in force on `when` (the earliest tracked era before 2014-02-19)."""
    chosen = ERAS[0]
    for rules in ERAS:
        if _dt.date.fromisoformat(rules.in_force_from) <= when:
            chosen = rules
    return chosen


def _date(epoch_ms: float) -> _dt.date:
    return _dt.datetime.fromtimestamp(epoch_ms / 1000.0, tz=_dt.UTC).date()


@dataclass(frozen=True)
class RulesChoice:
    rules: PolisRules
    why: str


def choose_rules(
    spec: str, *, first_vote_ms: float | None = None, last_vote_ms: float | None = None
) -> RulesChoice:
    """Resolve `--polis-rules`: "current", an era name, or "auto" (from the vote dates).

    "auto" takes the rules in force at the last vote: Pol.is recomputes a
    conversation when votes arrive, so its stored groups come from the update
    after the last vote. Without dates it keeps today's rules and says so.
    """
    if spec == "current":
        return RulesChoice(
            CURRENT, f"today's rules (era {CURRENT.name}: {CURRENT.summary()}), as asked"
        )
    if spec in BY_NAME:
        asked = BY_NAME[spec]
        return RulesChoice(asked, f"era {spec} ({asked.summary()}; {asked.source}), as asked")
    if spec != "auto":
        names = ", ".join(["auto", "current", *BY_NAME])
        raise UnknownRulesError(f"--polis-rules: {spec!r} is not one of {names}")
    if last_vote_ms is None or first_vote_ms is None:
        return RulesChoice(
            CURRENT,
            f"today's rules (era {CURRENT.name}: {CURRENT.summary()}): the export has no vote times"
            " (participants-votes.csv only), so the era cannot be told",
        )
    first, last = _date(first_vote_ms), _date(last_vote_ms)
    rules = era_at(last)
    earliest = (
        " (the earliest tracked; the conversation predates it)"
        if last < _dt.date.fromisoformat(ERAS[0].in_force_from)
        else ""
    )
    why = (
        f"era {rules.name}{earliest} ({rules.summary()}; latest change: {rules.change},"
        f" {rules.source}): in force at the last vote,"
        f" {last.isoformat()}, when Pol.is last recomputed the groups"
    )
    opening = era_at(first)
    if opening.name != rules.name:
        why += (
            f"; the first vote ({first.isoformat()}) fell in era {opening.name}, and"
            " Pol.is keeps earlier in-conv members, so early participants may have been"
            " admitted under older rules"
        )
    return RulesChoice(rules, why)


def group_k_candidates(rules: PolisRules, n_base: int) -> range:
    """The group counts an era tries for `n_base` base clusters."""
    if rules.group_k == "fixed":
        # `choose-group-k`: 3 below 99 base clusters, else 4.
        k = 3 if n_base < 99 else 4
        return range(k, k + 1)
    return range(2, rules.top_k(n_base) + 1)
