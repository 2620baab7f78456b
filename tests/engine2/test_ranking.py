from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregation.engine.ranking import CONDORCET_RULES, KEMENY_MAX_CANDIDATES, rank_ballots
from aggregation.engine.votes import EngineInputError


def expand(groups: list[tuple[int, str]], names: str) -> list[list[int]]:
    return [[names.index(c) for c in order] for count, order in groups for _ in range(count)]


# Wikipedia, "Schulze method", the 45-voter example with candidates A-E.
SCHULZE_NAMES = "ABCDE"
SCHULZE_BALLOTS = expand(
    [
        (5, "ACBED"),
        (5, "ADECB"),
        (8, "BEDAC"),
        (3, "CABED"),
        (7, "CAEBD"),
        (2, "CBADE"),
        (7, "DCEBA"),
        (8, "EBADC"),
    ],
    SCHULZE_NAMES,
)

# Wikipedia's Tennessee capital election: Memphis, Nashville, Chattanooga, Knoxville.
TENNESSEE_NAMES = "MNCK"
TENNESSEE_BALLOTS = expand(
    [(42, "MNCK"), (26, "NCKM"), (15, "CKNM"), (17, "KCNM")], TENNESSEE_NAMES
)


def names(order: tuple[int, ...], alphabet: str) -> str:
    return "".join(alphabet[i] for i in order)


def test_the_schulze_example_gives_the_published_matrix_and_ordering() -> None:
    result = rank_ballots(SCHULZE_BALLOTS, 5)
    assert result.preference[0] == (0, 20, 26, 30, 22)
    assert result.preference[4] == (23, 27, 21, 31, 0)
    assert names(result.rule("schulze").ordering, SCHULZE_NAMES) == "EACBD"
    assert result.condorcet_winner is None


def test_the_tennessee_example_gives_each_rules_known_result() -> None:
    result = rank_ballots(TENNESSEE_BALLOTS, 4)
    assert names((result.condorcet_winner,), TENNESSEE_NAMES) == "N"  # type: ignore[arg-type]
    for rule in CONDORCET_RULES:
        assert names(result.rule(rule).ordering, TENNESSEE_NAMES) == "NCKM", rule
    borda = result.rule("borda")
    assert borda.scores == (126.0, 194.0, 173.0, 107.0)
    assert names(borda.ordering, TENNESSEE_NAMES) == "NCMK"
    # IRV: Chattanooga out first, then Nashville; Knoxville beats Memphis 58-42.
    assert names(result.rule("instant_runoff").ordering, TENNESSEE_NAMES) == "KMNC"


def test_the_comparison_says_where_rules_disagree() -> None:
    comparison = rank_ballots(TENNESSEE_BALLOTS, 4).comparison
    assert comparison["same_winner"] is False
    assert comparison["winners"]["instant_runoff"] == 3
    assert comparison["winners"]["schulze"] == 1
    assert any("instant_runoff pick 3" in d for d in comparison["disagreements"])
    unanimous = rank_ballots([[0, 1, 2]] * 3, 3).comparison
    assert unanimous["same_winner"] is True
    assert unanimous["same_top_k"] is True
    assert unanimous["disagreements"] == []


def test_unlisted_candidates_sit_below_listed_ones_and_tie() -> None:
    result = rank_ballots([[2], [2, 0]], 4)
    pref = np.array(result.preference)
    assert pref[2, 0] == 2
    assert pref[0, 1] == 1
    assert pref[1, 3] == 0
    assert pref[3, 1] == 0


def test_kemeny_is_refused_above_ten_candidates_with_a_reason() -> None:
    n = KEMENY_MAX_CANDIDATES + 1
    result = rank_ballots([list(range(n))], n)
    kemeny = result.rule("kemeny_young")
    assert kemeny.ordering == ()
    assert kemeny.refused is not None
    assert "10" in kemeny.refused
    assert result.rule("schulze").winner == 0
    assert "kemeny_young" in result.comparison["refused"]


def test_kemeny_matches_brute_force_on_a_small_election() -> None:
    import itertools

    rng = np.random.default_rng(0)
    ballots = [list(rng.permutation(6)[: rng.integers(1, 7)]) for _ in range(25)]
    result = rank_ballots(ballots, 6)
    pref = np.array(result.preference)

    def agreement(order: tuple[int, ...]) -> int:
        return sum(int(pref[a, b]) for i, a in enumerate(order) for b in order[i + 1 :])

    best = max(agreement(p) for p in itertools.permutations(range(6)))
    assert agreement(result.rule("kemeny_young").ordering) == best


@pytest.mark.parametrize(
    ("ballots", "message"),
    [
        ([[0, 1, 0]], "twice"),
        ([[0, 5]], "unknown"),
        ([[0, -1]], "unknown"),
        ([["a"]], "not a candidate"),
    ],
)
def test_bad_ballots_are_refused_with_a_clear_message(
    ballots: list[list[int]], message: str
) -> None:
    with pytest.raises(EngineInputError, match=message):
        rank_ballots(ballots, 3)


def test_too_long_ballots_are_refused_when_a_limit_is_given() -> None:
    with pytest.raises(EngineInputError, match="at most 2"):
        rank_ballots([[0, 1, 2]], 3, max_ranked=2)


def test_no_ballots_gives_a_tied_result_with_a_note() -> None:
    result = rank_ballots([], 3)
    json.dumps(result.to_dict(), allow_nan=False)
    assert result.note is not None
    assert all(r.ordering == (0, 1, 2) for r in result.rules)
    assert rank_ballots([], 0).note == "no candidates"


ballot_lists = st.integers(2, 6).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.permutations(list(range(n))).flatmap(
                lambda p: st.integers(1, len(p)).map(lambda k: p[:k])
            ),
            min_size=1,
            max_size=25,
        ),
    )
)


@settings(max_examples=150, deadline=None)
@given(ballot_lists)
def test_every_condorcet_consistent_rule_picks_the_condorcet_winner(
    case: tuple[int, list[list[int]]],
) -> None:
    n, ballots = case
    result = rank_ballots(ballots, n)
    json.dumps(result.to_dict(), allow_nan=False)
    for r in result.rules:
        assert sorted(r.ordering) == list(range(n)), r.rule
    if result.condorcet_winner is not None:
        for rule in CONDORCET_RULES:
            assert result.rule(rule).winner == result.condorcet_winner, rule
