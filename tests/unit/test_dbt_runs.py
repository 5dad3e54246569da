"""A home keeps the parse state of its latest dbt run, and only its newest run folders."""

import os

from lead_scoring.platform import dbt_runs


def test_a_finished_run_leaves_its_parse_state_to_the_home_and_old_runs_are_pruned(tmp_path):
    runs = dbt_runs.runs_dir(tmp_path)
    for i in range(4):
        run = runs / f"dbt_models-{i}"
        run.mkdir(parents=True)
        (run / dbt_runs.PARSE_STATE).write_bytes(f"state {i}".encode())
        os.utime(run, (1_000 + i, 1_000 + i))
    dbt_runs.keep_parse_state(runs / "dbt_models-3", runs, keep=2)
    assert (runs / dbt_runs.PARSE_STATE).read_bytes() == b"state 3"
    assert sorted(p.name for p in runs.iterdir() if p.is_dir()) == ["dbt_models-2", "dbt_models-3"]


def test_a_run_that_wrote_no_parse_state_keeps_the_previous_one(tmp_path):
    runs = dbt_runs.runs_dir(tmp_path)
    (runs / "dbt_models-failed").mkdir(parents=True)
    (runs / dbt_runs.PARSE_STATE).write_bytes(b"earlier")
    dbt_runs.keep_parse_state(runs / "dbt_models-failed", runs)
    assert (runs / dbt_runs.PARSE_STATE).read_bytes() == b"earlier"


def test_the_dbt_resource_knows_its_dbt_version_without_starting_dbt():
    """The resource reads the version from the installed package: it must be what its executable reports."""
    import re
    import subprocess

    from lead_scoring.defs.features.assets import dbt_project
    from lead_scoring.platform.resources import ProjectDbtResource
    from lead_scoring.settings import Settings

    resource = ProjectDbtResource(project_dir=dbt_project(Settings.from_env()), target="dev")
    reported = subprocess.run([resource.dbt_executable, "--version"], capture_output=True, text=True, check=True).stdout
    assert re.search(r"installed:\s+(\d+\.\d+\.\d+)", reported).group(1) == str(resource._cli_version)
