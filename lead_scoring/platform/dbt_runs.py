"""Where a home's dbt runs keep their artifacts, and the parse state the next run starts from.

dbt re-parses the whole project (2-3 s) unless it finds a saved parse state
made with the same profile, and the profile holds the home's warehouse
location. The state in the repository's ``dbt_project/target`` (written by
``lead-scoring prepare``) matches no home, so each home keeps its own: a run's
artifacts go to ``<home>/dbt_runs/<run>`` and, after the run, its parse state
becomes the home's. Only the newest run folders are kept.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

PARSE_STATE = "partial_parse.msgpack"
KEEP_RUNS = 30


def runs_dir(home: Path) -> Path:
    return home / "dbt_runs"


def keep_parse_state(run_target: Path, runs: Path, keep: int = KEEP_RUNS) -> None:
    """Make a finished run's parse state the home's, and remove all but the newest ``keep`` run folders."""
    state = run_target / PARSE_STATE
    if state.exists():
        staged = runs / f".{PARSE_STATE}.{os.getpid()}"
        shutil.copyfile(state, staged)
        os.replace(staged, runs / PARSE_STATE)  # atomic: a run starting now reads the old state or the new one
    folders = sorted((p for p in runs.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in folders[keep:]:
        shutil.rmtree(old, ignore_errors=True)
