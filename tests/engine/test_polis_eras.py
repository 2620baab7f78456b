"""Pol.is's rules by era: the table, the choice of era, and each rule's effect."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import asdict, fields, replace

import numpy as np
import pytest

from aggregation.engine.history import InConvRule, in_conv_replayed, in_conv_snapshot
from aggregation.engine.pca import polis_pca
from aggregation.engine.polis import PolisParams, analyze_votes
from aggregation.engine.polis_eras import (
    BY_NAME,
    CURRENT,
    ERAS,
    UnknownRulesError,
    choose_rules,
    era_at,
    group_k_candidates,
)
from aggregation.engine.rating import build_rating_matrix, participant_order
from aggregation.engine.votes import EngineInputError, latest_votes

_LABELS = {"name", "in_force_from", "commit", "change"}


def _ms(day: str) -> float:
    return dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp() * 1000.0


def test_eras_run_in_date_order_and_each_changes_a_rule() -> None:
    dates = [dt.date.fromisoformat(r.in_force_from) for r in ERAS]
    assert dates == sorted(dates)
    assert len(set(dates)) == len(dates)
    for before, after in itertools.pairwise(ERAS):
        changed = [
            f.name
            for f in fields(after)
            if f.name not in _LABELS and getattr(before, f.name) != getattr(after, f.name)
        ]
        assert changed, f"era {after.name} changes nothing"
    assert CURRENT is ERAS[-1]
    for rules in ERAS:
        assert len(rules.commit) == 40
        assert rules.source.endswith(rules.commit)


def test_todays_rules_are_the_engine_defaults() -> None:
    assert PolisParams().rules is CURRENT
    assert (CURRENT.base_k, CURRENT.max_k, CURRENT.k_smoother_buffer) == (100, 5, 4)
    assert CURRENT.impute == "column_mean"
    assert CURRENT.in_conv_fallback == "greedy15"


def test_the_era_of_a_day_is_the_last_change_on_or_before_it() -> None:
    assert era_at(dt.date(2017, 4, 14)).name == "2017-04-14"
    assert era_at(dt.date(2017, 4, 13)).name == "2017-02-27"
    assert era_at(dt.date(2030, 1, 1)) is CURRENT
    assert era_at(dt.date(2010, 1, 1)) is ERAS[0]


def test_auto_takes_the_rules_in_force_at_the_last_vote_and_says_why() -> None:
    choice = choose_rules(
        "auto", first_vote_ms=_ms("2014-06-18"), last_vote_ms=_ms("2017-08-05T19:57:17")
    )
    assert choice.rules.name == "2017-04-14"
    assert "2017-08-05" in choice.why
    assert "last vote" in choice.why
    assert "2014-06-05" in choice.why  # the first vote's era is named too
    assert "missing votes = 0" in choice.why


def test_auto_without_dates_keeps_todays_rules_and_says_so() -> None:
    choice = choose_rules("auto")
    assert choice.rules is CURRENT
    assert "no vote times" in choice.why


def test_an_unknown_era_is_refused_with_the_list_of_choices() -> None:
    with pytest.raises(UnknownRulesError, match="2017-04-14") as info:
        choose_rules("2015")
    assert isinstance(info.value, EngineInputError)
    assert choose_rules("current").rules is CURRENT
    assert choose_rules("2014-10-15").rules is BY_NAME["2014-10-15"]


def test_group_counts_tried_follow_each_era() -> None:
    assert list(group_k_candidates(BY_NAME["2014-02-19"], 50)) == [3]
    assert list(group_k_candidates(BY_NAME["2014-06-05"], 30)) == list(range(2, 11))
    assert list(group_k_candidates(BY_NAME["2014-08-28"], 30)) == [2, 3, 4, 5]
    assert list(group_k_candidates(CURRENT, 11)) == [2]
    assert list(group_k_candidates(CURRENT, 100)) == [2, 3, 4, 5]


def _counts(per_participant: list[int]) -> np.ndarray:
    return np.array(per_participant, dtype=np.int64)


def test_in_conv_rules_of_each_era_on_one_snapshot() -> None:
    counts = _counts([7, 6, 3, 1, 0])
    rank = np.arange(5)
    today = in_conv_snapshot(counts, 10, rank)
    assert today.tolist() == [True, True, True, True, False]  # topped up to 15
    threshold_only = InConvRule(fallback="none")
    assert in_conv_snapshot(counts, 10, rank, threshold_only).tolist() == [
        True,
        False,
        False,
        False,
        False,
    ]
    strict = InConvRule(strict=True, fallback="none")
    assert not in_conv_snapshot(counts, 10, rank, strict).any()
    top7 = InConvRule(strict=True, fallback="top7_if_empty")
    assert in_conv_snapshot(counts, 10, rank, top7).tolist() == [True] * 4 + [False]
    everyone = InConvRule(all_voters=True)
    assert in_conv_snapshot(counts, 10, rank, everyone).tolist() == [True] * 4 + [False]
    # Feb-Oct 2017: each zeroed column reads as a vote for every voter.
    zeroed = InConvRule(fallback="none", counts_zeroed=True)
    got = in_conv_snapshot(counts, 10, rank, zeroed, n_zeroed_cols=4)
    assert got.tolist() == [True, True, True, False, False]


def test_the_replayed_in_conv_counts_zeroed_columns_only_in_their_era() -> None:
    # Participant 0 votes on 8 statements, 1 and 2 on four; statements 5..7 are
    # moderated out. 20 more participants vote on everything later.
    p = [0] * 8 + [1] * 4 + [2] * 4
    s = [*range(8), 0, 1, 2, 5, 0, 5, 6, 7]
    for q in range(3, 23):
        p += [q] * 8
        s += list(range(8))
    t = np.arange(len(p), dtype=np.float64)
    pa, sa = np.array(p), np.array(s)
    final = np.bincount(pa, minlength=23)
    zeroed = np.zeros(8, dtype=bool)
    zeroed[5:] = True

    def replay(rule: InConvRule) -> np.ndarray:
        return in_conv_replayed(
            participant=pa,
            statement=sa,
            time=t,
            final_counts=final,
            n_statements=8,
            rank=np.arange(23),
            rule=rule,
            zeroed=zeroed,
        )

    plain = replay(InConvRule(fallback="none"))
    counted = replay(InConvRule(fallback="none", counts_zeroed=True))
    assert not plain[1]
    assert not plain[2]
    # 4 real votes + 3 zeroed columns = 7: in.
    assert counted[1]
    assert counted[2]


def _small_matrix() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    grid = rng.choice([np.nan, -1.0, 0.0, 1.0], size=(12, 6), p=[0.3, 0.3, 0.1, 0.3])
    grid[:, 0] = np.where(np.isnan(grid[:, 0]), 1.0, grid[:, 0])
    p, s = np.nonzero(~np.isnan(grid))
    return p, s, grid[p, s].astype(np.int64)


def test_zero_imputation_decomposes_the_zero_filled_centred_matrix() -> None:
    p, s, v = _small_matrix()
    table = latest_votes(
        participant=p, statement=s, value=v, time=None, n_participants=12, n_statements=6
    )
    rm = build_rating_matrix(
        table,
        row_order=participant_order(table, participant=p, time=None),
        moderated_out=np.zeros(6, dtype=bool),
    )
    pca, positions = polis_pca(rm, impute="zero", sparse_projection=False)
    dense = np.zeros((12, 6))
    dense[rm.row, rm.col] = rm.value
    centre = dense.mean(axis=0)
    np.testing.assert_allclose(pca.center, centre, atol=1e-12)
    _, _, vt = np.linalg.svd(dense - centre, full_matrices=False)
    for i in range(2):
        assert abs(abs(float(vt[i] @ pca.components[i])) - 1.0) < 1e-9
    np.testing.assert_allclose(positions, (dense - centre) @ pca.components.T, atol=1e-9)
    # The sparsity-aware projection reads only voted cells, then scales out.
    _, sparse_pos = polis_pca(rm, impute="zero", sparse_projection=True)
    voted = np.zeros((12, 6), dtype=bool)
    voted[rm.row, rm.col] = True
    raw = np.where(voted, dense - centre, 0.0) @ pca.components.T
    scale = np.sqrt(6 / voted.sum(axis=1))
    np.testing.assert_allclose(sparse_pos, raw * scale[:, None], atol=1e-9)


def test_an_era_before_zeroing_keeps_moderated_comments_in_the_pca() -> None:
    p, s, v = _small_matrix()
    out = np.zeros(6, dtype=bool)
    out[1] = True
    today = analyze_votes(participant=p, statement=s, value=v, moderated_out=out)
    old = analyze_votes(
        participant=p,
        statement=s,
        value=v,
        moderated_out=out,
        params=PolisParams(rules=BY_NAME["2014-11-10"]),
    )
    np.testing.assert_allclose(today.pca_components[:, 1], 0.0, atol=1e-12)
    assert np.abs(old.pca_components[:, 1]).max() > 1e-3
    # Representative and consensus statements never include it, in any era.
    for r in (today, old):
        assert all(x.statement != 1 for g in r.groups for x in g.representative)
        assert all(c.statement != 1 for c in r.consensus_agree + r.consensus_disagree)
    assert old.rules == "2014-11-10"
    assert today.rules == CURRENT.name


def test_rules_are_plain_data_for_the_run_record() -> None:
    data = asdict(PolisParams())
    assert data["rules"]["name"] == CURRENT.name


def test_fidelity_mode_keeps_only_the_comments_and_participants_pol_is_admitted() -> None:
    # Statements first voted on in the order 3, 0, 2, 1; participants 0..4.
    p = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4])
    s = np.array([3, 0, 0, 2, 2, 1, 3, 1, 0, 1])
    v = np.array([1, -1, 1, 1, -1, 1, 1, -1, 1, 1])
    t = np.arange(10, dtype=np.float64)
    small = replace(CURRENT, max_cmts=2, max_ptpts=3)

    def run(size_limits: bool) -> set[int]:
        r = analyze_votes(
            participant=p,
            statement=s,
            value=v,
            time=t,
            params=PolisParams(rules=small, size_limits=size_limits),
        )
        return {int(c) for c in r.voted_statements}

    assert run(False) == {0, 1, 2, 3}
    assert run(True) == {0, 3}
    limited = analyze_votes(
        participant=p,
        statement=s,
        value=v,
        time=t,
        params=PolisParams(rules=small, size_limits=True),
    )
    # Votes on statements 0 and 3 came from participants 0, 1, 3 and 4; the
    # first three of them count.
    assert limited.n_votes == 4
    assert CURRENT.max_cmts == 10_000
    assert BY_NAME["2014-08-28"].max_cmts == 800
