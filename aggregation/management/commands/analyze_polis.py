"""Run the Pol.is engine on a Pol.is export folder, with no database."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aggregation.engine.bridging import bridging_by_id, fit_bridging
from aggregation.engine.polis import result_to_dict
from aggregation.engine.polis_eras import BY_NAME
from aggregation.engine.polis_io import analyze_export, export_rules, read_polis_export
from aggregation.engine.votes import EngineInputError, latest_votes


def _id_list(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise CommandError(
            f"--meta-ids: {text!r} is not a comma-separated list of comment ids"
        ) from None


class Command(BaseCommand):
    help = "Analyse a Pol.is export folder (comments.csv + votes.csv or participants-votes.csv) and write JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="export folder")
        parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
        parser.add_argument(
            "--meta-ids",
            type=_id_list,
            default=[],
            help="comment ids to treat as meta (for exports without an is-meta column)",
        )
        parser.add_argument(
            "--replay-base-clusters",
            action="store_true",
            help="replay Pol.is's warm-started base clusters over the vote history"
            " (slow: about a minute per 30,000 votes)",
        )
        parser.add_argument(
            "--polis-rules",
            default="current",
            metavar="auto|current|ERA",
            help="which Pol.is rules to run: today's (current, the default), those in force"
            " when the conversation was last analysed (auto: from its vote dates), or an era"
            f" by the date its rules came in ({', '.join(BY_NAME)}); auto and an era also apply"
            " the era's size limits and leave out a group count Pol.is's k smoother cannot"
            " have reached by the last vote",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            export = read_polis_export(options["path"], meta_ids=options["meta_ids"])
            read_s = time.perf_counter() - started
            choice = export_rules(export, str(options["polis_rules"]))
            result = analyze_export(
                export,
                replay_base_clusters=bool(options["replay_base_clusters"]),
                rules=choice.rules,
                # Fidelity to Pol.is (auto or an era) also applies the era's size
                # limits and bounds the group count by what its k smoother can have
                # reached (group_count.py).
                fidelity=options["polis_rules"] != "current",
            )
            bridging_started = time.perf_counter()
            # Bridging reads each participant's latest vote; passes are not ratings
            # (fit_bridging drops them).
            latest = latest_votes(
                participant=export.participant,
                statement=export.statement,
                value=export.value,
                time=export.time,
                n_participants=len(export.participant_ids),
                n_statements=len(export.statement_ids),
            )
            bridging = fit_bridging(latest)
            bridging_s = time.perf_counter() - bridging_started
        except EngineInputError as exc:
            raise CommandError(str(exc)) from exc
        out = result_to_dict(
            result, participant_ids=export.participant_ids, statement_ids=export.statement_ids
        )
        out["polis_rules"] = {
            "era": choice.rules.name,
            "source": choice.rules.source,
            "why": choice.why,
        }
        out["bridging"] = bridging_by_id(bridging, export.statement_ids)
        out["timings_s"] = {
            "read": round(read_s, 6),
            **out["timings_s"],
            "bridging": round(bridging_s, 6),
        }
        options["out"].write_text(json.dumps(out, allow_nan=False, indent=1) + "\n")
        self.stdout.write(f"Pol.is rules: {choice.why}")
        self.stdout.write(
            f"{len(out['groups'])} groups, {len(out['in_conv'])} clustered participants"
            f" -> {options['out']}"
        )
