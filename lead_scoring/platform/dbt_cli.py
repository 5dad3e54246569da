"""dbt's command line without Dagster: `dbt parse` for the manifest the code location reads, `dbt build` for scripts.

Both run dbt as a child process with the home's locations in its environment
(``Settings.child_env``): this process's environment stays as it was.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lead_scoring.errors import LeadScoringError
from lead_scoring.settings import Settings


# dbt's unit tests check the models' SQL on fixed rows: they run in development and in `make test`
# (tests/integration/test_dbt_unit_tests.py), not in each pipeline run, as dbt advises for production.
PIPELINE_EXCLUDES = ("--exclude-resource-type", "unit_test")


class DbtCommandError(LeadScoringError):
    pass


def dbt_executable() -> str:
    return str(Path(sys.executable).parent / "dbt")


def prepare_manifest(settings: Settings) -> Path:
    """`dbt parse`: the manifest the code location reads (built once, not at import time)."""
    project = settings.dbt_project_dir  # the repo's, or the one generated for an imported flat export
    result = subprocess.run(
        [dbt_executable(), "parse", "--project-dir", str(project), "--profiles-dir", str(project),
         "--target", settings.dbt_target, "--quiet"],
        capture_output=True, text=True, env=settings.child_env(),
    )
    if result.returncode != 0:
        raise DbtCommandError(f"dbt parse of {project} failed:\n{result.stdout}{result.stderr}")
    return settings.dbt_manifest_path


def dbt_build(settings: Settings, *extra: str) -> None:
    """`dbt build` of the home's dbt project without Dagster (benchmarks, tests, `import --no-train`)."""
    project = str(settings.dbt_project_dir)
    result = subprocess.run(
        [dbt_executable(), "build", "--project-dir", project, "--profiles-dir", project, "--target", settings.dbt_target, "--quiet",
         *PIPELINE_EXCLUDES, *extra],
        capture_output=True, text=True, env=settings.child_env(),
    )
    if result.returncode != 0:
        raise DbtCommandError(f"dbt build of {project} failed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
