"""Our Pol.is engine against Pol.is's own output for the biodiversity conversation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from aggregation.engine.clusters import Clustering, group_clusterings
from aggregation.engine.consensus import group_aware_consensus
from aggregation.engine.pca import polis_pca
from aggregation.engine.polis import PolisResult
from aggregation.engine.polis_io import PolisExport
from aggregation.engine.rating import RatingMatrix, build_rating_matrix, participant_order
from aggregation.engine.repness import count_votes, group_stats, select_representative
from aggregation.engine.routing import comment_priorities
from aggregation.engine.votes import latest_votes

TOL = 1e-9


def _columns(export: PolisExport, result: PolisResult, math: dict[str, Any]) -> NDArray[np.int64]:
    """Statement index of each of Pol.is's `tids`, checking the column sets agree."""
    sid = {t: i for i, t in enumerate(export.statement_ids)}
    cols = np.array([sid[t] for t in math["tids"]])
    assert np.array_equal(np.sort(cols), result.voted_statements)
    return cols


def _rating(export: PolisExport) -> RatingMatrix:
    n_p, n_s = len(export.participant_ids), len(export.statement_ids)
    table = latest_votes(
        participant=export.participant,
        statement=export.statement,
        value=export.value,
        time=export.time,
        n_participants=n_p,
        n_statements=n_s,
    )
    order = participant_order(table, participant=export.participant, time=export.time)
    return build_rating_matrix(
        table, row_order=order, moderated_out=export.moderated_out | export.meta
    )


def _polis_row_groups(
    export: PolisExport, rm: RatingMatrix, math: dict[str, Any]
) -> NDArray[np.int64]:
    pindex = {p: i for i, p in enumerate(export.participant_ids)}
    row_of = np.full(len(export.participant_ids), -1)
    row_of[rm.rows] = np.arange(rm.n_rows)
    base = math["base-clusters"]
    members = dict(zip(base["id"], base["members"], strict=True))
    row_group = np.full(rm.n_rows, -1, dtype=np.int64)
    for g, cluster in enumerate(math["group-clusters"]):
        assert cluster["id"] == g
        for bid in cluster["members"]:
            row_group[row_of[[pindex[p] for p in members[bid]]]] = g
    return row_group


def test_pca_center_components_and_statement_projections_match_polis(
    biodiversity_export: PolisExport, biodiversity_result: PolisResult, polis_math: dict[str, Any]
) -> None:
    cols = _columns(biodiversity_export, biodiversity_result, polis_math)
    pca = polis_math["pca"]
    np.testing.assert_allclose(
        biodiversity_result.pca_center[cols], pca["center"], rtol=0, atol=TOL
    )
    for c in range(2):
        ours = biodiversity_result.pca_components[c, cols]
        theirs = np.asarray(pca["comps"][c])
        sign = np.sign(ours @ theirs)
        np.testing.assert_allclose(sign * ours, theirs, rtol=0, atol=TOL)
        proj = biodiversity_result.statement_projection[c, cols]
        np.testing.assert_allclose(sign * proj, pca["comment-projection"][c], rtol=0, atol=TOL)
    np.testing.assert_allclose(
        biodiversity_result.statement_extremity[cols], pca["comment-extremity"], rtol=0, atol=TOL
    )


def test_in_conv_set_matches_polis_including_sticky_early_voters(
    biodiversity_export: PolisExport, biodiversity_result: PolisResult, polis_math: dict[str, Any]
) -> None:
    ours = {
        biodiversity_export.participant_ids[i] for i in np.flatnonzero(biodiversity_result.in_conv)
    }
    assert ours == set(polis_math["in-conv"])


def test_participant_projection_puts_polis_base_clusters_at_polis_centres(
    biodiversity_export: PolisExport, polis_math: dict[str, Any]
) -> None:
    # Pol.is's base-cluster centres are the means of its participant projections,
    # so this checks our projections, including the sqrt(n_cols / n_votes) scaling
    # in which zeroed moderated-out columns count as votes.
    rm = _rating(biodiversity_export)
    pca, positions = polis_pca(rm)
    pindex = {p: i for i, p in enumerate(biodiversity_export.participant_ids)}
    row_of = np.full(len(pindex), -1)
    row_of[rm.rows] = np.arange(rm.n_rows)
    base = polis_math["base-clusters"]
    sign = np.sign(pca.components @ np.asarray(polis_math["pca"]["comps"]).T).diagonal()
    for members, x, y in zip(base["members"], base["x"], base["y"], strict=True):
        centre = positions[row_of[[pindex[p] for p in members]]].mean(axis=0) * sign
        np.testing.assert_allclose(centre, [x, y], rtol=0, atol=TOL)


def test_group_step_on_polis_base_clusters_gives_polis_groups(polis_math: dict[str, Any]) -> None:
    base = polis_math["base-clusters"]
    n = len(base["id"])
    clustering = Clustering(
        ids=np.asarray(base["id"], dtype=np.int64),
        centers=np.column_stack([base["x"], base["y"]]),
        names=np.concatenate([np.asarray(m, dtype=np.int64) for m in base["members"]]),
        labels=np.repeat(np.arange(n), [len(m) for m in base["members"]]),
    )
    step = group_clusterings(clustering, max_k=5, iters=20, k_buffer=4)
    chosen = step.chosen
    assert len(chosen.ids) == len(polis_math["group-clusters"])
    for g, theirs in enumerate(polis_math["group-clusters"]):
        assert int(chosen.ids[g]) == theirs["id"]
        assert sorted(int(b) for b in chosen.members(g)) == sorted(theirs["members"])
        np.testing.assert_allclose(chosen.centers[g], theirs["center"], rtol=0, atol=TOL)


def test_representative_statements_given_polis_groups_match_polis_in_order(
    biodiversity_export: PolisExport, polis_math: dict[str, Any]
) -> None:
    rm = _rating(biodiversity_export)
    row_group = _polis_row_groups(biodiversity_export, rm, polis_math)
    counts = count_votes(rm, row_group, len(polis_math["group-clusters"]))
    sids = biodiversity_export.statement_ids
    for g in range(len(polis_math["group-clusters"])):
        ours = select_representative(group_stats(counts, g), ~rm.col_out)
        theirs = polis_math["repness"][str(g)]
        assert [(sids[int(rm.cols[r.col])], r.direction) for r in ours] == [
            (t["tid"], t["repful-for"]) for t in theirs
        ]
        for r, t in zip(ours, theirs, strict=True):
            assert (r.n_success, r.n_trials, r.best_agree) == (
                t["n-success"],
                t["n-trials"],
                t.get("best-agree", False),
            )
            assert r.p_success == pytest.approx(t["p-success"], abs=TOL)
            assert r.p_test == pytest.approx(t["p-test"], abs=TOL)
            assert r.repness == pytest.approx(t["repness"], abs=TOL)
            # Pol.is rounds repness-test to a 32-bit float before writing it out.
            assert r.repness_test == pytest.approx(t["repness-test"], rel=1e-6)


def test_group_aware_consensus_and_priorities_given_polis_groups_match_polis(
    biodiversity_export: PolisExport, polis_math: dict[str, Any]
) -> None:
    rm = _rating(biodiversity_export)
    row_group = _polis_row_groups(biodiversity_export, rm, polis_math)
    counts = count_votes(rm, row_group, len(polis_math["group-clusters"]))
    tid = [biodiversity_export.statement_ids[int(c)] for c in rm.cols]
    gac = group_aware_consensus(counts.agree, counts.seen)
    theirs = np.array([polis_math["group-aware-consensus"][str(t)] for t in tid])
    np.testing.assert_allclose(gac, theirs, rtol=0, atol=TOL)

    pca, _ = polis_pca(rm)
    a, d, s = counts.agree.sum(0), counts.disagree.sum(0), counts.seen.sum(0)
    prio = comment_priorities(
        agree=a,
        passes=s - a - d,
        seen=s,
        extremity=pca.statement_extremity,
        is_meta=biodiversity_export.meta[rm.cols],
    )
    theirs_prio = np.array([polis_math["comment-priorities"][str(t)] for t in tid])
    np.testing.assert_allclose(prio, theirs_prio, rtol=TOL, atol=0)


def test_consensus_statements_match_polis(
    biodiversity_export: PolisExport, biodiversity_result: PolisResult, polis_math: dict[str, Any]
) -> None:
    sids = biodiversity_export.statement_ids
    for side, ours in (
        ("agree", biodiversity_result.consensus_agree),
        ("disagree", biodiversity_result.consensus_disagree),
    ):
        theirs = polis_math["consensus"][side]
        assert [sids[c.statement] for c in ours] == [t["tid"] for t in theirs]
        for c, t in zip(ours, theirs, strict=True):
            assert (c.n_success, c.n_trials) == (t["n-success"], t["n-trials"])
            assert c.p_success == pytest.approx(t["p-success"], abs=TOL)
            assert c.p_test == pytest.approx(t["p-test"], abs=TOL)


def test_end_to_end_groups_agree_with_polis_for_most_participants(
    biodiversity_export: PolisExport, biodiversity_result: PolisResult, polis_math: dict[str, Any]
) -> None:
    base = polis_math["base-clusters"]
    members = dict(zip(base["id"], base["members"], strict=True))
    theirs = [{p for b in g["members"] for p in members[b]} for g in polis_math["group-clusters"]]
    ours = [
        {biodiversity_export.participant_ids[m] for m in g.members}
        for g in biodiversity_result.groups
    ]
    assert len(ours) == len(theirs)
    same = max(
        len(ours[0] & theirs[0]) + len(ours[1] & theirs[1]),
        len(ours[0] & theirs[1]) + len(ours[1] & theirs[0]),
    )
    share = same / len(polis_math["in-conv"])
    print(f"biodiversity: {share:.2%} of clustered participants in the same group as Pol.is")
    assert share >= 0.97
