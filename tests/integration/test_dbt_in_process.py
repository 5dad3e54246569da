"""dbt in the Dagster process: the CLI's results, the project parsed once, the warehouse free afterwards."""

import json
import os
import shutil
import subprocess
import uuid
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from dbt.cli.main import dbtRunner

from lead_scoring.platform import dbt_in_process
from lead_scoring.platform.resources import ENVIRONMENT_DBT, ProjectDbtResource
from lead_scoring.settings import DBT_PROJECT_DIR, environment
from tests.integration.simulated import simulated_warehouse

pytestmark = pytest.mark.integration
START = date(2026, 3, 2)
DAYS = 20


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("in_process")
    wh = simulated_warehouse(tmp, START, DAYS, 30, seed=5)
    project = tmp / "dbt_project"  # a copy, so that a test may edit a model
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    return wh, tmp, ProjectDbtResource(project_dir=str(project), target="dev")


@pytest.fixture()
def invoked(monkeypatch):
    """The dbt commands run in this process, in order, with their arguments (dbt itself runs as usual)."""
    commands = []
    invoke = dbtRunner.invoke

    def recording(self, args, **kwargs):
        commands.append(list(args))
        return invoke(self, args, **kwargs)

    monkeypatch.setattr(dbtRunner, "invoke", recording)
    return commands


def run(setup, args, **env):
    wh, tmp, resource = setup
    with environment({"LEAD_SCORING_WAREHOUSE_PATH": str(wh.path), **env}):
        return resource.cli(args, raise_on_error=False, target_path=tmp / "runs" / uuid.uuid4().hex).wait()


def result_statuses(invocation) -> dict[str, str]:
    return {r["unique_id"]: r["status"] for r in invocation.get_artifact("run_results.json")["results"]}


def test_a_build_in_process_runs_what_the_cli_runs_and_the_warehouse_is_free_after(setup):
    wh, tmp, resource = setup
    in_process = run(setup, ["build"], LEAD_SCORING_AS_OF_DATE="")
    assert in_process.is_successful(), in_process._error_messages
    cli = subprocess.run(
        [ENVIRONMENT_DBT, "build", "--project-dir", resource.project_dir, "--profiles-dir", resource.project_dir,
         "--target-path", str(tmp / "cli"), "--quiet"],
        env={**os.environ, "LEAD_SCORING_WAREHOUSE_PATH": str(wh.path), "LEAD_SCORING_AS_OF_DATE": ""},
        capture_output=True, text=True,
    )
    assert cli.returncode == 0, cli.stdout
    cli_statuses = {r["unique_id"]: r["status"] for r in json.loads((tmp / "cli" / "run_results.json").read_text())["results"]}
    assert result_statuses(in_process) == cli_statuses and len(cli_statuses) > 50
    # dbt-duckdb keeps its database open after a command unless released: this read would fail.
    assert wh.query("select count(*) as n from marts.lead_features_current").n.iloc[0] > 0


def test_the_project_is_parsed_once_until_a_file_changes_and_models_read_the_current_environment(setup, invoked):
    wh, _, resource = setup
    scoring_date = lambda: wh.query("select scoring_date from intermediate.int_scoring_date").scoring_date.iloc[0]  # noqa: E731
    select = ["run", "--select", "int_scoring_date"]
    assert run(setup, select, LEAD_SCORING_AS_OF_DATE="2026-03-10").is_successful()
    assert run(setup, select, LEAD_SCORING_AS_OF_DATE="2026-03-12").is_successful()
    assert str(scoring_date())[:10] == "2026-03-12", "a cached project must still render the day's environment"
    commands = [args[0] for args in invoked]
    assert commands.count("parse") <= 1 and commands.count("run") == 2

    model = Path(resource.project_dir) / "models" / "intermediate" / "int_scoring_date.sql"
    model.write_text(model.read_text() + "\n-- edited\n")
    invoked.clear()
    assert run(setup, select, LEAD_SCORING_AS_OF_DATE="2026-03-11").is_successful()
    assert [args[0] for args in invoked] == ["parse", "run"]
    assert invoked[0] == ["parse", "--target", "dev"], "the project is parsed for the command's target"
    assert str(scoring_date())[:10] == "2026-03-11"


def test_a_failing_model_fails_the_invocation_with_dbts_error(setup):
    _, _, resource = setup
    broken = Path(resource.project_dir) / "models" / "intermediate" / "int_scoring_date.sql"
    original = broken.read_text()
    broken.write_text("select * from a_table_that_does_not_exist")
    try:
        invocation = run(setup, ["run", "--select", "int_scoring_date"])
    finally:
        broken.write_text(original)
    assert not invocation.is_successful()
    assert any("a_table_that_does_not_exist" in message for message in invocation._error_messages)
    assert isinstance(invocation.get_error(), Exception)


def test_another_dbt_executable_runs_as_a_subprocess(setup, tmp_path):
    """The in-process path is for this environment's dbt only (a Fusion binary, say, keeps the CLI)."""
    _, _, resource = setup
    other = tmp_path / "dbt"
    other.symlink_to(ENVIRONMENT_DBT)
    invocation = ProjectDbtResource(project_dir=resource.project_dir, target="dev", dbt_executable=str(other)).cli(
        ["--version"], raise_on_error=False, target_path=tmp_path / "t"
    )
    assert not isinstance(invocation.process, dbt_in_process.DbtThread)
    invocation.wait()


def test_switched_off_it_is_dagster_dbts_subprocess_and_builds_the_same(setup, monkeypatch):
    """``in_process=False`` (LEAD_SCORING_DBT_IN_PROCESS=false): the stock DbtCliResource, every override off."""
    from dagster_dbt import DbtCliResource

    wh, tmp, resource = setup
    stock = ProjectDbtResource(project_dir=resource.project_dir, target="dev", in_process=False)
    adapters = []
    initialize = DbtCliResource._initialize_dbt_core_adapter
    monkeypatch.setattr(DbtCliResource, "_initialize_dbt_core_adapter",
                        lambda self, args: adapters.append(initialize(self, args)) or adapters[-1])
    with environment({"LEAD_SCORING_WAREHOUSE_PATH": str(wh.path), "LEAD_SCORING_AS_OF_DATE": ""}):
        invocation = stock.cli(["build"], raise_on_error=False, target_path=tmp / "runs" / "stock").wait()
    assert isinstance(invocation.process, subprocess.Popen)
    assert invocation.is_successful(), invocation._error_messages
    assert adapters and adapters[0] is not None and invocation.adapter is adapters[0], "dagster-dbt's own adapter set-up ran"
    assert stock._cli_version == ProjectDbtResource(project_dir=resource.project_dir, target="dev")._cli_version
    in_process = run(setup, ["build"], LEAD_SCORING_AS_OF_DATE="")
    assert result_statuses(invocation) == result_statuses(in_process) and len(result_statuses(invocation)) > 50


def test_dbt_sessions_run_with_the_warehouse_resources_duckdb_limits_after_a_query_spilled(tmp_path):
    from lead_scoring.platform.resources import WarehouseResource
    from lead_scoring.warehouse.duckdb_engine import keep_open

    resource = WarehouseResource(location=str(tmp_path / "wh.duckdb"), duckdb_memory_limit="100MB", duckdb_threads=1)
    warehouse = resource.get()
    warehouse.overwrite("raw.numbers", pd.DataFrame({"n": [1]}))
    inline = "select current_setting('memory_limit') as m, current_setting('threads') as t, current_setting('temp_directory') as d"
    # As in a run: the database held open with the limits, a step's query spills, then dbt connects in the same process
    # (DuckDB refuses to switch the spill folder once used, and to open the file with another configuration).
    with keep_open(warehouse.path, warehouse.duckdb_limits):
        warehouse.query("select count(*) from (select i, row_number() over (order by hash(i)) as r, repeat('x', 20) as pad "
                        "from range(6000000) t(i)) where r % 7 = 0")
        with resource.exported_for_dbt():
            shown = dbtRunner().invoke(["show", "--inline", inline, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
                                        str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"), "--quiet"])
        dbt_in_process._release_duckdb()
    assert shown.success, shown.exception
    assert tuple(shown.result.results[0].agate_table.rows[0]) == ("95.3 MiB", 1, f"{tmp_path / 'wh.duckdb'}.tmp")
