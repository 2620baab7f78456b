"""Geometry of the pictures: everything inside the frame, every person counted once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from aggregation import pictures

coordinate = st.floats(min_value=-50, max_value=50, allow_nan=False, allow_infinity=False)
person = st.tuples(coordinate, coordinate, st.one_of(st.none(), st.integers(0, 3)))


def _inside(x: float, y: float) -> bool:
    return 0 <= x <= pictures.MAP_WIDTH and 0 <= y <= pictures.MAP_HEIGHT


@settings(max_examples=60, deadline=None)
@given(
    people=st.lists(person, min_size=1, max_size=60),
    statements=st.lists(st.tuples(st.integers(1, 999), coordinate, coordinate), max_size=20),
    density_above=st.sampled_from([5, 1000]),
)
def test_every_participant_is_drawn_once_inside_the_frame(
    people: list[tuple[float, float, int | None]],
    statements: list[tuple[int, float, float]],
    density_above: int,
) -> None:
    drawn = pictures.opinion_map(
        people,
        n_groups=4,
        statements=statements,
        you=(people[0][0], people[0][1]),
        density_above=density_above,
    )
    assert drawn.participants == len(people)
    for g in range(4):
        assert drawn.groups[g].size == sum(1 for p in people if p[2] == g)
    assert drawn.ungrouped_count == sum(1 for p in people if p[2] is None)
    assert drawn.you is not None
    assert _inside(drawn.you.x, drawn.you.y)
    for mark in drawn.statements:
        assert _inside(mark.x, mark.y)
    assert len(drawn.statements) <= pictures.STATEMENT_LABELS
    if drawn.density:
        counted: dict[str, int] = {}
        for hexagon in drawn.hexes:
            for letter, n in hexagon.counts:
                counted[letter] = counted.get(letter, 0) + n
        assert sum(counted.values()) == len(people)
        for g in range(4):
            assert counted.get("ABCD"[g], 0) == drawn.groups[g].size
    else:
        points = [pt for g in drawn.groups for pt in g.points] + drawn.ungrouped
        assert len(points) == len(people)
        assert all(_inside(pt.x, pt.y) for pt in points)
    for group in drawn.groups:
        for corner in group.hull.split():
            x, y = (float(v) for v in corner.split(","))
            assert _inside(x, y)


def test_a_group_on_one_line_gets_no_hull_but_keeps_its_points() -> None:
    drawn = pictures.opinion_map([(0, 0, 0), (1, 1, 0), (2, 2, 0), (5, 0, 1)], n_groups=2)
    assert drawn.groups[0].hull == ""
    assert len(drawn.groups[0].points) == 3


def test_vote_bars_split_a_hundred_percent() -> None:
    bar = pictures.VoteBar(label="Group A", agree=3, disagree=1, passes=0)
    assert (bar.agree_pct, bar.disagree_pct, bar.pass_pct) == (75.0, 25.0, 0.0)
    assert bar.pass_x == 100.0
    assert bar.description == "Group A: 75% agree, 25% disagree, 0% pass, of 4 votes"
    empty = pictures.VoteBar(label="Everyone", agree=0, disagree=0, passes=0)
    assert empty.description == "Everyone: no votes"


def test_the_activity_bucket_keeps_the_chart_under_sixty_bars() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert pictures.bucket_for_span(start, start + timedelta(hours=20)) == "hour"
    assert pictures.bucket_for_span(start, start + timedelta(days=20)) == "day"
    assert pictures.bucket_for_span(start, start + timedelta(days=200)) == "week"
    assert pictures.bucket_for_span(start, start + timedelta(days=1500)) == "month"
    chart = pictures.activity_chart([("a", 0), ("b", 10), ("c", 5)], bucket="day")
    assert [b.count for b in chart.bars] == [0, 10, 5]
    assert chart.bars[1].height > chart.bars[2].height > chart.bars[0].height == 0
    assert chart.total == 15
