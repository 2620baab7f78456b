"""Our opinion groups against the group-id Pol.is exported for each conversation."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from aggregation.engine.polis_io import (
    analyze_export,
    export_rules,
    read_polis_export,
    read_polis_groups,
)

from .conftest import BIODIVERSITY_META, POLIS_DATA, conversations, require_data

TARGET = 0.97
# Measured shortfalls, kept as floors so that a regression still fails (the
# target stays 97%; these are not accepted as final). Pol.is's groups here depend
# on history the export does not record: its base k-means is warm-started from
# the previous update's clusters across thousands of updates, and the group
# count only changes after a new best k wins 4 consecutive updates. What was
# measured (engine-fidelity branch):
# - Given Pol.is's own grouped set as in-conv, a from-scratch run still picks
#   k = 3 for brexit (silhouette 0.410 vs 0.398 for k = 2; forcing k = 2 gives
#   93.9%) and gives 85.5% for 15-per-hour, so neither the in-conv rule nor the
#   group step alone explains the gap.
# - For brexit, the best k is 3 at each of the last 60 vote-by-vote snapshots,
#   so the k smoother over a replay cannot bring back k = 2 without the warm
#   start; Pol.is also grouped six people with 3 to 6 votes whom the current
#   in-conv rule never clusters (at most 96.95% reachable).
# - A warm-started replay (base and group k-means, k smoother) depends on the
#   guessed update boundaries and is not stable: per 60-minute gap 15-per-hour
#   97.1%, biodiversity 99.1%, but brexit 40.6% (k = 5) and vtaiwan 94.8%;
#   one update per 1/50 of the votes: 15-per-hour 82.6%, biodiversity 99.3%,
#   brexit 72.6%, vtaiwan 97.1%; per 1/20 of the votes brexit 41.6%. No choice of boundaries improved every conversation, so none ships.
# Measured on polis-groups (runs from scratch below use Pol.is's grouped set
# as in-conv, to isolate the step measured):
# - Row order: rows in (comment, participant) order, as Pol.is's at-time export
#   rebuilds its matrix, give 15-per-hour 87.7%, brexit 75.1% (k = 3), vtaiwan
#   98.3%, biodiversity 99.8%, bg2050 100%, against 85.5%, 76.1%, 97.3%, 98.7%,
#   100% in first-vote order; forcing k = 2 on brexit gives 96.4% in both.
# - Not zeroing moderated-out comments is worse (vtaiwan 88.1%, bg2050 85.2%,
#   biodiversity 95.9%; 15-per-hour unchanged).
# - Pol.is's grouped set for 15-per-hour is exactly the in-conv rule applied to
#   the final votes: none of the six early voters a sticky replay keeps. Its
#   votes span 2014-2019 (a demo conversation), so its stored in-conv must have
#   been rebuilt at some point; the other four keep their early voters.
# - Brexit's six: every brexit participant with 3 or more votes is grouped and
#   the seven with 1 vote are not; the six voted when 18 to 50 comments had
#   votes, so min(7, n-cmts) never admits them in any of the three Pol.is
#   versions read (earliest stored to current), which count votes on the raw
#   or an unzeroed matrix. Counting on the zeroed matrix would admit them only
#   if 4 or 5 comments had been meta or moderated out; the export has no
#   is-meta column and all 50 comments are accepted.
# - Replaying one update per 1-second poll window (Pol.is's poller interval),
#   with warm-started base and group k-means, the k smoother, sticky in-conv
#   and the final moderation: brexit 94.9% with k = 2 (5 s windows 94.9%,
#   30 s 94.4%), but 15-per-hour 87.7% (92.8% without sticky in-conv) and
#   bg2050 97.2% (100% when, as after a worker restart, the group step starts
#   cold: Pol.is reloads in-conv, PCA and base clusters but not the group
#   clusterings or the k smoother). It costs one full analysis per poll
#   window (136 s for brexit's 4,828 windows), so it cannot be the default.
# - Biodiversity's own output shows how much history shapes the base
#   clusters: ids run to 126 (27 clusters split off in warm starts, 23 of the
#   final 100 have ids >= 100) and only 8 of its 100 base clusters equal those
#   of a from-scratch run. The 1-second replay ends close to it: ids to 128,
#   28 clusters with ids >= 100, 62 of the 100 base clusters identical to
#   Pol.is's, 99.8% agreement (98.2% with a cold group step), at 29,587
#   windows (43 minutes on a loaded machine). vtaiwan was not replayed.
KNOWN_SHORTFALL = {"brexit-consensus": 0.77, "15-per-hour-seattle": 0.93}
# With the rules Pol.is ran when each conversation was last analysed
# (`--polis-rules auto`, polis_eras.py): brexit's last vote (2017-08-05) fell
# in the era of zero imputation before the PCA and in-conv counts on the zeroed
# matrix; under those rules the best k is 2, as Pol.is had, and 94.4% of its
# grouped participants match (96.95% is the ceiling without the six
# participants no era's in-conv rule admits). The other four run the same
# rules as today's apart from 10 base k-means iterations and a lower comment
# limit none of them reaches (eras 2018-01-22 and 2022-06-29), and keep their
# figures.
KNOWN_SHORTFALL_AUTO = {"brexit-consensus": 0.944, "15-per-hour-seattle": 0.934}


def best_label_agreement(ours: dict[int, int | None], theirs: dict[int, int | None]) -> float:
    """Share of Pol.is-grouped participants we put in the matching group, best relabelling."""
    grouped = {p: g for p, g in theirs.items() if g is not None}
    their_labels: list[int] = sorted({g for g in theirs.values() if g is not None})
    present: list[int] = sorted({g for g in ours.values() if g is not None})
    our_labels: list[int | None] = list(present)
    our_labels += [None] * max(0, len(their_labels) - len(our_labels))
    best = 0
    for perm in itertools.permutations(our_labels, len(their_labels)):
        match = dict(zip(their_labels, perm, strict=True))
        hits = sum(ours.get(p) is not None and ours.get(p) == match[g] for p, g in grouped.items())
        best = max(best, hits)
    return best / len(grouped) if grouped else 1.0


def _agreement(folder: Path, *, auto: bool) -> float:
    require_data(folder)
    meta = BIODIVERSITY_META if folder.name == "scoop-hivemind.biodiversity" else ()
    export = read_polis_export(folder, meta_ids=meta)
    rules = export_rules(export, "auto" if auto else "current").rules
    result = analyze_export(export, rules=rules, fidelity=auto)
    ours = {
        export.participant_ids[i]: (result.groups[g].id if g >= 0 else None)
        for i, g in enumerate(result.participant_group.tolist())
    }
    share = best_label_agreement(ours, read_polis_groups(folder))
    print(f"{folder.name} ({rules.name}): {share:.2%} agreement with Pol.is group-id")
    return share


@pytest.mark.parametrize("folder", conversations(), ids=lambda p: p.name)
def test_groups_agree_with_polis_group_ids(folder: Path) -> None:
    assert _agreement(folder, auto=False) >= KNOWN_SHORTFALL.get(folder.name, TARGET)


@pytest.mark.parametrize("folder", conversations(), ids=lambda p: p.name)
def test_groups_under_the_rules_of_their_era_agree_at_least_as_well(folder: Path) -> None:
    share = _agreement(folder, auto=True)
    assert share >= KNOWN_SHORTFALL_AUTO.get(folder.name, TARGET)
    assert share >= KNOWN_SHORTFALL.get(folder.name, TARGET)


def test_the_shared_data_holds_the_five_conversations() -> None:
    require_data(POLIS_DATA)
    present = sorted(p.name for p in POLIS_DATA.iterdir() if (p / "comments.csv").exists())
    assert present == [folder.name for folder in conversations()]


def test_agreement_is_measured_after_relabelling() -> None:
    theirs: dict[int, int | None] = {1: 0, 2: 0, 3: 1, 4: None}
    ours: dict[int, int | None] = {1: 7, 2: 7, 3: 5, 4: 5}
    assert best_label_agreement(ours, theirs) == 1.0
    assert best_label_agreement({1: 7, 2: 5, 3: 5}, theirs) == pytest.approx(2 / 3)
    assert np.isclose(best_label_agreement({}, theirs), 0.0)


def test_brexits_grouped_set_is_the_2017_in_conv_rule_with_its_demographic_statements_meta() -> (
    None
):
    # Evidence for the February-October 2017 rule (zeroed comments counted as
    # votes): if the five demographic statements (Leave, Remain, changed my
    # mind, working class, middle class) were meta, as Pol.is's seed
    # statements of that kind usually are, that era's in-conv rule admits
    # exactly the 197 participants Pol.is grouped, the six with 3 to 6 votes
    # included; today's rule admits 191. The export has no is-meta column, so
    # this is not applied by default.
    folder = POLIS_DATA / "brexit-consensus"
    require_data(folder)
    export = read_polis_export(folder, meta_ids=(0, 1, 3, 10, 11))
    theirs = {p for p, g in read_polis_groups(folder).items() if g is not None}
    era = analyze_export(export, rules=export_rules(export, "auto").rules, fidelity=True)
    today = analyze_export(export)
    grouped = {export.participant_ids[i] for i in np.flatnonzero(era.in_conv)}
    assert grouped == theirs
    assert int(today.in_conv.sum()) == 191
    ours = {
        export.participant_ids[i]: (era.groups[g].id if g >= 0 else None)
        for i, g in enumerate(era.participant_group.tolist())
    }
    assert best_label_agreement(ours, read_polis_groups(folder)) >= 0.974
