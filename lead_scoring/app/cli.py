"""The `lead-scoring` command."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from lead_scoring.errors import LeadScoringError
from lead_scoring.redaction import redacted
from lead_scoring.settings import Settings
from lead_scoring.simulator.scenarios import Scenario


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} must be greater than 0")
    return value


def _iso_date(text: str):

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-21") from None


def _scenario(text: str):

    try:
        return Scenario.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lead-scoring", description="Lead-scoring platform on Dagster, dbt and MLflow.")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="simulate a CRM history and run the whole platform on it")
    demo.add_argument("--days", type=_positive, default=120, help="days of history (default 120, at least 60)")
    demo.add_argument("--leads-per-day", type=_positive, default=250, help="mean new leads per day (default 250)")
    demo.add_argument("--seed", type=int, default=7, help="simulator and training seed (default 7)")
    demo.add_argument("--scenario", type=_scenario, action="append", default=[], metavar="NAME@DAY",
                      help="change the simulated world from DAY on (repeatable); default: clean")
    demo.add_argument("--end-date", type=_iso_date, default=None, metavar="YYYY-MM-DD",
                      help="last simulated day (default: yesterday)")
    demo.add_argument("--reset", action="store_true", help="wipe an existing home first")

    replay = commands.add_parser("replay", help="months of the platform's life on a simulated clock: daily runs, sensors, retrains")
    replay.add_argument("--days", type=_positive, default=120, help="simulated days (default 120; the first 60 are the first model's history)")
    replay.add_argument("--leads-per-day", type=_positive, default=250, help="mean new leads per day (default 250)")
    replay.add_argument("--seed", type=int, default=7, help="simulator and training seed (default 7)")
    replay.add_argument("--scenario", type=_scenario, action="append", default=[], metavar="NAME@DAY",
                        help="change the world from DAY on (repeatable): concept_drift, new_channel, tracking_outage, "
                        "seasonality, stale_source, or a fault scenario; default: clean")
    replay.add_argument("--no-scheduled-retrain", action="store_true", help="leave the weekly retrain schedule off")
    replay.add_argument("--end-date", type=_iso_date, default=None, metavar="YYYY-MM-DD", help="last simulated day (default: yesterday)")
    replay.add_argument("--reset", action="store_true", help="wipe an existing home first")

    status = commands.add_parser("status", help="where everything is and what state it is in")
    status.add_argument("--json", action="store_true", help="machine-readable output")

    flat = commands.add_parser("import", help="load a flat CRM export (one row per lead) by its mapping, then train and score on it")
    flat.add_argument("path", nargs="?", type=Path, default=None, help="the export file (default: the mapping's `path`)")
    flat.add_argument("--mapping", type=Path, required=True, help="the export's mapping YAML (see examples/mappings/)")
    flat.add_argument("--no-train", action="store_true", help="only load, check and generate the export's dbt project")
    flat.add_argument("--seed", type=int, default=7, help="training seed (default 7)")
    flat.add_argument("--json", action="store_true", help="print the import record and status as JSON at the end")

    land = commands.add_parser("land", help="land a CRM's own tables by their source mapping, then run the platform on them")
    land.add_argument("--mapping", required=True, type=Path, help="the source mapping (examples/mappings/crm_*.yml)")
    land.add_argument("--root", type=Path, default=None, help="folder the mapping's relative paths start from (default: the mapping's folder)")
    land.add_argument("--no-run", action="store_true", help="land only: no Dagster runs")
    shape = commands.add_parser("export-shape", help="write this home's simulated CRM as a CRM export (to try a mapping on)")
    shape.add_argument("shape", choices=("hubspot", "salesforce"))
    shape.add_argument("--to", default=None, help="hubspot: the folder for the CSV files; salesforce: the warehouse to sync into")
    role = commands.add_parser("grant-pipeline-role", help="Postgres: let a role run everything after ingestion, without the "
                               "personal-data columns of raw (run as the raw data's owner)")
    role.add_argument("role", help="an existing login role (create role ... login password ...)")
    role.add_argument("--personal", action="append", default=[], metavar="COLUMN",
                      help="a further personal-data column name to withhold (repeatable); names like email, phone, "
                      "full_name, company, address are withheld anyway")
    commands.add_parser("rollback", help="point the `champion` alias back at `previous_champion` (scoring uses it from the next run)")
    commands.add_parser("prepare", help="parse the dbt project into the manifest the code location reads")
    commands.add_parser("quality-sync", help="write the Great Expectations suites and checkpoints (expectations/) from code")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()  # a bad variable is refused like bad input: one line, exit code 2
        if args.command == "demo":
            from lead_scoring.app import demo  # each command imports only what it runs: `status` loads no Dagster

            report = demo.run_demo(
                settings, args.days, args.leads_per_day, args.seed, tuple(args.scenario), args.reset, args.end_date
            )
            print(demo.render_summary(report, settings))
        elif args.command == "replay":
            from lead_scoring.app import replay, replay_timeline  # each command imports only what it runs

            report = replay.run_replay(
                settings, args.days, args.leads_per_day, args.seed, tuple(args.scenario),
                not args.no_scheduled_retrain, args.reset, args.end_date,
            )
            print(replay_timeline.render(report))
        elif args.command == "status":
            from lead_scoring.app import status  # each command imports only what it runs

            report = status.collect(settings)
            print(json.dumps(report, indent=2) if args.json else status.render(report))
        elif args.command == "import":
            from lead_scoring.app.imports import import_and_run  # each command imports only what it runs

            result = import_and_run(settings, args.mapping, args.path, not args.no_train, args.seed)
            if args.json:
                print(json.dumps(result, indent=2, default=str))
        elif args.command == "land":
            from lead_scoring.app.crm import land_and_run  # each command imports only what it runs

            land_and_run(settings, args.mapping, args.root, not args.no_run)
        elif args.command == "export-shape":
            from lead_scoring.app.crm import export_shape  # each command imports only what it runs

            print(export_shape(settings, args.shape, args.to))
        elif args.command == "grant-pipeline-role":
            from lead_scoring.quality.guards import PII_PATTERN  # each command imports only what it runs
            from lead_scoring.warehouse.postgres_roles import grant_pipeline_role  # each command imports only what it runs

            extra = {name.lower() for name in args.personal}
            grants = grant_pipeline_role(settings.landing_warehouse(), args.role,
                                         lambda column: bool(PII_PATTERN.search(column)) or column.lower() in extra)
            print(grants.describe())
        elif args.command == "rollback":
            from lead_scoring.app.status import require_home  # each command imports only what it runs
            from lead_scoring.ml import registry  # MLflow: rollback only

            require_home(settings)
            done = registry.rollback_champion(registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifacts))
            print(f"champion is now version {done.champion} (was {done.rolled_back}); previous_champion cleared")
        elif args.command == "prepare":
            from lead_scoring.platform import dbt_cli  # each command imports only what it runs

            print(f"dbt manifest written to {dbt_cli.prepare_manifest(settings)}")
        elif args.command == "quality-sync":
            if settings.flat_source_file.exists():
                raise LeadScoringError(
                    f"{settings.home} holds a flat export: the Great Expectations suites in expectations/ are the "
                    "simulated CRM's, and a flat export has no features suite yet; run quality-sync in a simulated home"
                )
            from lead_scoring.ml.features import feature_contract  # quality-sync only
            from lead_scoring.quality.gx_project import GX_PROJECT_DIR, GxProject  # Great Expectations: quality-sync only
            from lead_scoring.quality.suites import all_suites  # quality-sync only

            suites = all_suites(feature_contract(settings.dbt_manifest_path))
            GxProject(settings.home / "great_expectations").sync(suites)
            print(f"{len(suites)} suites synced to {GX_PROJECT_DIR}")
    except LeadScoringError as error:  # one clear line, not a traceback; a URL quoted in it loses its credentials
        print(f"lead-scoring {args.command}: error: {redacted(str(error))}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
