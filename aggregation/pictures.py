"""Geometry of the server-rendered pictures: the opinion map, vote bars, activity charts.

Pure functions over plain numbers (no Django): they return coordinates in an
SVG viewBox, and the templates (templates/aggregation/_opinion_map.html and
friends) write the SVG elements. Every picture has a table beside it carrying
the same numbers, built from the same objects.

Colours: the Okabe-Ito palette, distinguishable by colour-blind readers; each
group also has its own marker shape, so the map reads in grey print too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from aggregation.naming import group_letter

# Okabe & Ito (2008), "Color Universal Design". Yellow last: weakest on white.
GROUP_COLOURS = ["#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442"]
# One shape per group, drawn centred on (0, 0); see _opinion_map.html's <defs>.
GROUP_MARKERS = ["circle", "square", "triangle", "diamond", "cross", "circle", "square"]
# Votes: blue for agree, vermillion for disagree, grey for pass (also Okabe-Ito).
AGREE_COLOUR, DISAGREE_COLOUR, PASS_COLOUR = "#0072B2", "#D55E00", "#9A9A9A"
UNGROUPED_COLOUR = "#7a7a7a"

MAP_WIDTH, MAP_HEIGHT, MAP_PAD = 640.0, 440.0, 28.0
# Above this many participants the map draws hexagonal bins instead of points:
# a point costs about 45 bytes of HTML, so 2,500 points are about 110 kB.
DENSITY_ABOVE = 2500
HEX_RADIUS = 9.0
# Statements shown as labelled points: the farthest from the centre (the ones
# that pull people apart most), no more than this many so labels stay legible.
STATEMENT_LABELS = 12


@dataclass(frozen=True)
class GroupStyle:
    index: int
    letter: str
    colour: str
    marker: str


def group_style(index: int) -> GroupStyle:
    return GroupStyle(
        index=index,
        letter=group_letter(index),
        colour=GROUP_COLOURS[index % len(GROUP_COLOURS)],
        marker=GROUP_MARKERS[index % len(GROUP_MARKERS)],
    )


@dataclass(frozen=True)
class MapPoint:
    x: float
    y: float

    @property
    def label_x(self) -> float:  # where a label to the right of the point starts
        return _r(self.x + 11)

    @property
    def label_y(self) -> float:
        return _r(self.y + 4)


@dataclass
class MapGroup:
    style: GroupStyle
    size: int
    points: list[MapPoint] = field(default_factory=list)
    hull: str = ""  # SVG polygon "x,y x,y ..." or "" when the group is too small for one
    label_x: float = 0.0
    label_y: float = 0.0


@dataclass(frozen=True)
class HexBin:
    points: str  # SVG polygon points
    counts: tuple[tuple[str, int], ...]  # (group letter, participants), largest first
    colour: str
    opacity: float

    @property
    def total(self) -> int:
        return sum(c for _l, c in self.counts)


@dataclass(frozen=True)
class StatementMark:
    number: int
    x: float
    y: float

    @property
    def label_x(self) -> float:
        return _r(self.x + 4)

    @property
    def label_y(self) -> float:
        return _r(self.y - 3)


@dataclass
class OpinionMap:
    width: float
    height: float
    groups: list[MapGroup]
    density: bool
    hexes: list[HexBin] = field(default_factory=list)
    statements: list[StatementMark] = field(default_factory=list)
    you: MapPoint | None = None
    ungrouped: list[MapPoint] = field(default_factory=list)  # drawn only without density
    ungrouped_count: int = 0

    @property
    def participants(self) -> int:
        return sum(g.size for g in self.groups) + self.ungrouped_count

    @property
    def empty(self) -> bool:
        return self.participants == 0

    @property
    def frame_width(self) -> float:
        return self.width - 1

    @property
    def frame_height(self) -> float:
        return self.height - 1


def _r(x: float) -> float:
    return round(float(x), 1)


def opinion_map(
    positions: Sequence[tuple[float, float, int | None]],
    *,
    n_groups: int,
    statements: Sequence[tuple[int, float, float]] = (),
    you: tuple[float, float] | None = None,
    density_above: int = DENSITY_ABOVE,
    statement_labels: int = STATEMENT_LABELS,
) -> OpinionMap:
    """Lay out the map: participants (x, y, group position or None) in the PCA plane.

    Statement projections are scaled to the participants' extent (as Pol.is
    draws them) and only the `statement_labels` farthest from the centre are
    kept. The y axis is flipped so that "up" in the data is up on screen.
    """
    groups = [MapGroup(style=group_style(g), size=0) for g in range(n_groups)]
    result = OpinionMap(width=MAP_WIDTH, height=MAP_HEIGHT, groups=groups, density=False)
    if not positions:
        return result
    xy = np.array([(p[0], p[1]) for p in positions], dtype=np.float64)
    marks = (
        _statements_in_plane(statements, xy, statement_labels)
        if statements and statement_labels > 0
        else []
    )
    # The frame holds every participant, "you" and the labelled statements.
    extra = [(x, y) for _n, x, y in marks] + ([you] if you is not None else [])
    xy_all = np.vstack([xy, np.array(extra, dtype=np.float64)]) if extra else xy
    lo, hi = xy_all.min(axis=0), xy_all.max(axis=0)
    span = np.maximum(hi - lo, 1e-9)
    inner_w, inner_h = MAP_WIDTH - 2 * MAP_PAD, MAP_HEIGHT - 2 * MAP_PAD
    scale = min(inner_w / span[0], inner_h / span[1])
    # Centre the data's box in the frame.
    off_x = MAP_PAD + (inner_w - span[0] * scale) / 2
    off_y = MAP_PAD + (inner_h - span[1] * scale) / 2

    def to_svg(points: np.ndarray) -> np.ndarray:
        out = np.empty_like(points)
        out[:, 0] = off_x + (points[:, 0] - lo[0]) * scale
        out[:, 1] = MAP_HEIGHT - (off_y + (points[:, 1] - lo[1]) * scale)
        return out

    svg = to_svg(xy)
    labels = np.array([-1 if p[2] is None else int(p[2]) for p in positions], dtype=np.int64)
    result.density = len(positions) > density_above
    for g, group in enumerate(groups):
        mine = svg[labels == g]
        group.size = int(mine.shape[0])
        if group.size == 0:
            continue
        if not result.density:
            group.points = [MapPoint(_r(x), _r(y)) for x, y in mine]
        group.hull = _hull(mine)
        cx, cy = mine.mean(axis=0)
        group.label_x, group.label_y = _r(cx), _r(cy)
    others = svg[(labels < 0) | (labels >= n_groups)]
    result.ungrouped_count = int(others.shape[0])
    if result.density:
        result.hexes = _hexbins(svg, labels, n_groups)
    else:
        result.ungrouped = [MapPoint(_r(x), _r(y)) for x, y in others]
    if you is not None:
        pt = to_svg(np.array([you], dtype=np.float64))[0]
        result.you = MapPoint(_r(pt[0]), _r(pt[1]))
    if marks:
        placed = to_svg(np.array([(x, y) for _n, x, y in marks], dtype=np.float64))
        result.statements = [
            StatementMark(number, _r(pt[0]), _r(pt[1]))
            for (number, _x, _y), pt in zip(marks, placed, strict=True)
        ]
    return result


def _hull(points: np.ndarray) -> str:
    if points.shape[0] < 3:
        return ""
    try:
        hull = ConvexHull(points)
    except (QhullError, ValueError):  # all on a line, or duplicates only
        return ""
    return " ".join(f"{_r(points[i, 0])},{_r(points[i, 1])}" for i in hull.vertices)


def _hexbins(svg: np.ndarray, labels: np.ndarray, n_groups: int) -> list[HexBin]:
    """Pointy-top hexagons of HEX_RADIUS; each drawn in its largest group's colour."""
    size = HEX_RADIUS
    # Axial coordinates, then cube rounding (the standard hexagonal-grid method).
    q = (math.sqrt(3) / 3 * svg[:, 0] - svg[:, 1] / 3) / size
    r = (2 / 3 * svg[:, 1]) / size
    x, z = q, r
    y = -x - z
    rx, ry, rz = np.round(x), np.round(y), np.round(z)
    dx, dy, dz = np.abs(rx - x), np.abs(ry - y), np.abs(rz - z)
    fix_x = (dx > dy) & (dx > dz)
    fix_y = ~fix_x & (dy > dz)
    rx = np.where(fix_x, -ry - rz, rx)
    ry = np.where(fix_y, -rx - rz, ry)
    rz = np.where(~fix_x & ~fix_y, -rx - ry, rz)
    cells: dict[tuple[int, int], dict[int, int]] = {}
    for cq, cr, g in zip(
        rx.astype(int).tolist(), rz.astype(int).tolist(), labels.tolist(), strict=True
    ):
        counts = cells.setdefault((cq, cr), {})
        counts[g] = counts.get(g, 0) + 1
    largest = max((sum(c.values()) for c in cells.values()), default=1)
    out = []
    for (cq, cr), counts in sorted(cells.items()):
        cx = size * math.sqrt(3) * (cq + cr / 2)
        cy = size * 1.5 * cr
        corners = " ".join(
            f"{_r(cx + size * math.cos(math.radians(60 * k - 30)))},"
            f"{_r(cy + size * math.sin(math.radians(60 * k - 30)))}"
            for k in range(6)
        )
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        top = ranked[0][0]
        colour = group_style(top).colour if 0 <= top < n_groups else UNGROUPED_COLOUR
        total = sum(counts.values())
        out.append(
            HexBin(
                points=corners,
                counts=tuple(
                    (group_letter(g) if 0 <= g < n_groups else "none", c) for g, c in ranked
                ),
                colour=colour,
                # Never fainter than 0.3, so a bin of one person stays visible.
                opacity=round(0.3 + 0.7 * math.sqrt(total / largest), 2),
            )
        )
    return out


def _statements_in_plane(
    statements: Sequence[tuple[int, float, float]], participants_xy: np.ndarray, limit: int
) -> list[tuple[int, float, float]]:
    """The `limit` statements farthest from the centre, scaled to the participants' extent."""
    raw = np.array([(s[1], s[2]) for s in statements], dtype=np.float64)
    reach = float(np.abs(raw).max()) if raw.size else 0.0
    if reach == 0.0:
        return []
    centre = participants_xy.mean(axis=0)
    extent = float(np.abs(participants_xy - centre).max()) or 1.0
    scaled = centre + raw * (0.9 * extent / reach)
    order = np.argsort(-np.hypot(raw[:, 0], raw[:, 1]), kind="stable")[:limit]
    return [(int(statements[i][0]), float(scaled[i, 0]), float(scaled[i, 1])) for i in order]


# --- Vote bars --------------------------------------------------------------------


@dataclass(frozen=True)
class VoteBar:
    """Agree / disagree / pass of one statement among some people, as bar widths in %."""

    label: str
    agree: int
    disagree: int
    passes: int
    colour: str = ""  # the group's colour for its swatch; "" for everyone

    @property
    def votes(self) -> int:
        return self.agree + self.disagree + self.passes

    def _pct(self, n: int) -> float:
        return round(100 * n / self.votes, 1) if self.votes else 0.0

    @property
    def agree_pct(self) -> float:
        return self._pct(self.agree)

    @property
    def disagree_pct(self) -> float:
        return self._pct(self.disagree)

    @property
    def pass_pct(self) -> float:
        return self._pct(self.passes)

    @property
    def disagree_x(self) -> float:
        return self.agree_pct

    @property
    def pass_x(self) -> float:
        return round(self.agree_pct + self.disagree_pct, 1)

    @property
    def description(self) -> str:
        if not self.votes:
            return f"{self.label}: no votes"
        return (
            f"{self.label}: {self.agree_pct:.0f}% agree, {self.disagree_pct:.0f}% disagree, "
            f"{self.pass_pct:.0f}% pass, of {self.votes} votes"
        )


# --- Activity over time ----------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT, CHART_PAD_BOTTOM, CHART_PAD_LEFT = 640.0, 160.0, 22.0, 40.0
MAX_BUCKETS = 60
BUCKETS: list[tuple[str, timedelta]] = [
    ("hour", timedelta(hours=1)),
    ("day", timedelta(days=1)),
    ("week", timedelta(days=7)),
    ("month", timedelta(days=30)),
    ("year", timedelta(days=365)),
]


def bucket_for_span(first: datetime, last: datetime) -> str:
    """The finest of hour / day / week / month / year giving at most MAX_BUCKETS bars."""
    span = last - first
    for name, width in BUCKETS:
        if span / width < MAX_BUCKETS:
            return name
    return "year"


@dataclass(frozen=True)
class ChartBar:
    label: str
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass
class ActivityChart:
    width: float
    height: float
    bucket: str
    bars: list[ChartBar]
    peak: int
    baseline: float = CHART_HEIGHT - CHART_PAD_BOTTOM
    left: float = CHART_PAD_LEFT

    @property
    def total(self) -> int:
        return sum(b.count for b in self.bars)

    @property
    def first_label(self) -> str:
        return self.bars[0].label if self.bars else ""

    @property
    def last_label(self) -> str:
        return self.bars[-1].label if self.bars else ""


def activity_chart(series: Sequence[tuple[str, int]], *, bucket: str) -> ActivityChart:
    """Bars of counts per time bucket, left to right, with empty buckets as given."""
    peak = max((c for _l, c in series), default=0)
    inner_w = CHART_WIDTH - CHART_PAD_LEFT - 4
    inner_h = CHART_HEIGHT - CHART_PAD_BOTTOM - 8
    n = max(len(series), 1)
    slot = inner_w / n
    bars = []
    for i, (label, count) in enumerate(series):
        h = inner_h * count / peak if peak else 0.0
        bars.append(
            ChartBar(
                label=label,
                count=count,
                x=_r(CHART_PAD_LEFT + i * slot + slot * 0.1),
                y=_r(CHART_HEIGHT - CHART_PAD_BOTTOM - h),
                width=_r(max(slot * 0.8, 0.5)),
                height=_r(h),
            )
        )
    return ActivityChart(
        width=CHART_WIDTH, height=CHART_HEIGHT, bucket=bucket, bars=bars, peak=peak
    )
