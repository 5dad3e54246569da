"""`lead-scoring import PATH --mapping FILE`: import, then train, promote and score through Dagster.

The import runs first, in plain Python: it decides the home's dbt project, which
the Dagster definitions read when they load. Then the same jobs as for the
simulated CRM run in the persistent instance under the home folder
(`retrain`, then `daily_scoring` for the day before the import, i.e. scores as
of the import day), so the Dagster UI shows them.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Callable

from lead_scoring.app import demo, status
from lead_scoring.errors import LeadScoringError
from lead_scoring.flat import importer
from lead_scoring.platform.dbt_cli import dbt_build
from lead_scoring.platform.instance import ensure_dagster_home
from lead_scoring.platform.runs import JobRunner
from lead_scoring.settings import Settings
from lead_scoring.steps.flat_import import staged_import


class NoChampionError(LeadScoringError):
    pass


def require_promoted(settings: Settings, challenger_before: str | None) -> None:
    """After the retrain: this import's model must be the champion, else the import does not count.

    The gate may reject the export's first model (nothing to score with), or a
    later export's model that loses to the champion: either way the journal puts
    the previous import back, champion and scores included.
    """
    from lead_scoring.ml import registry  # MLflow: only once the retrain has run

    client = registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifacts)
    champion, challenger = (registry.version_by_alias(client, alias) for alias in (registry.CHAMPION, registry.CHALLENGER))
    if challenger is None or challenger.version == challenger_before:
        raise NoChampionError("the retrain registered no model for the export, so nothing was scored; the previous import stays current")
    if champion is None or champion.version != challenger.version:
        reasons = challenger.tags.get("promotion_reasons", "no decision recorded")
        raise NoChampionError(f"the promotion gate did not promote the export's model (version {challenger.version}), so nothing "
                              f"was scored and the previous import stays current: {reasons}")


def import_and_run(
    settings: Settings,
    mapping_file: Path,
    export_path: Path | None,
    train: bool = True,
    seed: int = 7,
    out: Callable[[str], None] = print,
) -> dict:
    """Check the export, then load, build, train, promote and score it as one change of the home."""
    from lead_scoring.ml import registry  # MLflow: only once an import gets this far

    checked = importer.read_and_check(settings, mapping_file, export_path)  # refusals before the journal: nothing to undo
    with staged_import(settings, checked, out) as report:
        if not train:
            dbt_build(settings)  # its models and tests must build before the import counts
            out("  dbt build passed")
            return {"import": report.__dict__}
        ensure_dagster_home(settings.dagster_home)
        client = registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifacts)
        challenger_before = getattr(registry.version_by_alias(client, registry.CHALLENGER), "version", None)
        runner = JobRunner(settings, "import")  # its definitions load after the import: the export's dbt project
        out("training, tracking in MLflow, promoting (job `retrain`)")
        demo.run_job(runner, "retrain", out, run_config={"ops": {"candidate_model": {"config": {"seed": seed}}}})
        require_promoted(settings, challenger_before)
        day_before = date.fromisoformat(report.imported_at[:10]) - timedelta(days=1)
        out(f"scoring and monitoring the leads without a conversion as of {report.imported_at[:10]} (job `daily_scoring`)")
        demo.run_job(runner, "daily_scoring", out, partition_key=day_before.isoformat())
    return {"import": report.__dict__, "status": status.collect(settings)}
