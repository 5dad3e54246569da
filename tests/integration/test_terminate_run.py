"""Terminating a run stops its in-process dbt build: dbt's own Ctrl-C path, no dbt thread left behind.

The dbt project is a copy of the repository's with one more model that never ends
on its own (it hashes 10^12 numbers: hours on 2 cores) and depends on ``stg_leads``,
so the build is mid-way (staging built, marts running) when the run is terminated.

How the Dagster UI terminates a run (Dagster 1.13.27), and what each test exercises:

1. the UI sends the GraphQL mutation ``Terminate`` (``terminateRuns``, policy SAFE_TERMINATE);
2. ``instance.run_coordinator.cancel_run`` -> ``DefaultRunLauncher.terminate``: the run
   becomes CANCELING and the code server gets a gRPC ``CancelExecution``;
3. the code server sets the run's termination event; in the run's process the
   termination thread (``dagster._utils.start_termination_thread``) sends SIGINT to
   its own process (``dagster_shared.ipc.send_interrupt``);
4. the step's main thread, blocked reading dbt's events, gets
   ``DagsterExecutionInterruptedError``; dagster-dbt calls ``process.send_signal(SIGINT)``
   and ``process.wait(timeout=25)`` on our ``DbtThread``;
5. the run ends CANCELED.

``test_terminating_from_the_ui_stops_the_dbt_build`` goes through all five with a real
code server and run process (only the HTTP layer of the webserver and the daemon's
dequeue loop are replaced: the mutation is executed against the same workspace, and the
queued run is launched with ``instance.launch_run``, which is what the daemon calls).
The run's threads live in the run's process, so that test checks what dagster-dbt logs there.

``test_a_terminated_run_leaves_no_dbt_thread_behind`` runs steps 3-5 in this process, so
``threading.enumerate()`` can be checked: the run executes as the run process executes it
(``core_execute_run`` inside ``capture_interrupts``, with the termination thread), and the
test does what steps 1-2 do on the other side (``report_run_canceling``, then setting the
termination event as the code server does on ``CancelExecution``).
"""

import json
import multiprocessing
import os
import re
import shutil
import subprocess
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus

from lead_scoring.platform.instance import ensure_dagster_home
from lead_scoring.platform.resources import ENVIRONMENT_DBT
from lead_scoring.settings import DBT_PROJECT_DIR, environment
from tests.integration.services import DagsterGraphQL
from tests.integration.simulated import simulated_warehouse

pytestmark = pytest.mark.integration
START = date(2026, 3, 2)
SLOW_MODEL = "slow_model"
# dagster-dbt's wait for a signalled dbt command (DAGSTER_DBT_TERMINATION_TIMEOUT_SECONDS): a stop must beat it.
DAGSTER_DBT_WAIT = 25
LOCATION = '''
import dagster as dg
from dagster_dbt import dbt_assets

from lead_scoring.platform.resources import ProjectDbtResource

PROJECT = {project!r}


@dbt_assets(manifest=PROJECT + "/target/manifest.json")
def project_models(context: dg.AssetExecutionContext, dbt: ProjectDbtResource):
    yield from dbt.cli(["build"], context=context).stream()


defs = dg.Definitions(
    assets=[project_models],
    jobs=[dg.define_asset_job("build_all")],
    resources={{"dbt": ProjectDbtResource(project_dir=PROJECT, target="dev")}},
    executor=dg.in_process_executor,
)
'''
# The mutation the UI's "Terminate" dialog sends (dagster-webserver 1.13.27's bundle), trimmed to what is read here.
TERMINATE = """
mutation Terminate($runIds: [String!]!, $terminatePolicy: TerminateRunPolicy) {
  terminateRuns(runIds: $runIds, terminatePolicy: $terminatePolicy) {
    __typename
    ... on TerminateRunsResult { terminateRunResults { __typename ... on TerminateRunFailure { message } } }
    ... on PythonError { message }
  }
}
"""


@pytest.fixture(scope="module")
def location(tmp_path_factory):
    """A warehouse of simulated days, the project copy with the endless model parsed, and the code location file."""
    tmp = tmp_path_factory.mktemp("terminate")
    wh = simulated_warehouse(tmp, START, 20, 30, seed=5)
    project = tmp / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    (project / "models" / "marts" / f"{SLOW_MODEL}.sql").write_text(
        "select (select count(*) from {{ ref('stg_leads') }}) as leads, sum(hash(i)) as h from range(1000000000000) t(i)\n"
    )
    env = {"LEAD_SCORING_WAREHOUSE_PATH": str(wh.path), "LEAD_SCORING_AS_OF_DATE": "", "LEAD_SCORING_DBT_TARGET": "dev"}
    parsed = subprocess.run(
        [ENVIRONMENT_DBT, "parse", "--project-dir", str(project), "--profiles-dir", str(project), "--target", "dev", "--quiet"],
        env={**os.environ, **env}, capture_output=True, text=True,
    )
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr
    file = tmp / "location.py"
    file.write_text(LOCATION.format(project=str(project)))
    return {"tmp": tmp, "wh": wh, "project": project, "file": file, "env": env}


def wait_until_the_slow_model_runs(project: Path, run_id: str, timeout: float = 240) -> Path:
    """The run's dbt target folder, once dbt has started the endless model (dbt's debug log says so)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for log in (project / "target").glob(f"*-{run_id[:7]}-*/dbt.log"):
            if any("START" in line and SLOW_MODEL in line for line in log.read_text(errors="replace").splitlines()):
                time.sleep(1)  # the query is running, not just announced
                return log.parent
        time.sleep(0.25)
    raise AssertionError(f"dbt never started {SLOW_MODEL} in run {run_id}")


def run_process_id(instance: DagsterInstance, run_id: str) -> int:
    """The run's process, from the code server's engine event "Started process for run (pid: N)."."""
    messages = [entry.dagster_event.message or "" for entry in instance.all_logs(run_id) if entry.dagster_event]
    started = next(message for message in messages if message.startswith("Started process for run"))
    return int(re.search(r"pid: (\d+)", started).group(1))


def process_gone(pid: int) -> bool:
    """Ended (a zombie until the code server reaps it counts as ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except FileNotFoundError:
        return True


def wait_until_finished(instance: DagsterInstance, run_id: str, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        if run.is_finished:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} still {instance.get_run_by_id(run_id).status} {timeout:.0f} s after it was terminated")


def step_failure_errors(instance: DagsterInstance, run_id: str) -> list[str]:
    """The error class of each failed step: DagsterExecutionInterruptedError once dagster-dbt's wait for dbt returned.

    Had dbt not ended within dagster-dbt's 25 s wait, ``DbtThread.wait`` would raise
    ``subprocess.TimeoutExpired`` there, as ``Popen.wait`` does, and the step would fail with that.
    """
    return [
        entry.dagster_event.event_specific_data.error.cls_name
        for entry in instance.all_logs(run_id)
        if entry.dagster_event_type is not None and entry.dagster_event_type.value == "STEP_FAILURE"
    ]


def assert_dbt_stopped_itself(target: Path, wh) -> None:
    """dbt's Ctrl-C path ran: it wrote run_results.json with the endless model interrupted, and never created it."""
    results = {r["unique_id"]: r for r in json.loads((target / "run_results.json").read_text())["results"]}
    slow = results[f"model.lead_scoring.{SLOW_MODEL}"]
    assert slow["status"] == "error" and "INTERRUPT" in slow["message"], slow
    assert wh.query(f"select count(*) as n from information_schema.tables where table_name = '{SLOW_MODEL}'").n.iloc[0] == 0


def test_terminating_from_the_ui_stops_the_dbt_build(location, tmp_path):
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import PythonFileTarget
    from dagster_graphql.test.utils import execute_dagster_graphql

    home = tmp_path / "dagster_home"
    ensure_dagster_home(home)  # the local instance: queued run coordinator, default run launcher
    target = PythonFileTarget(python_file=str(location["file"]), attribute="defs", working_directory=str(location["tmp"]),
                              location_name="terminate_test")
    with environment({**location["env"], "DAGSTER_HOME": str(home)}), DagsterInstance.from_config(str(home)) as instance, \
            WorkspaceProcessContext(instance, target) as workspace:
        selector = {"repositoryLocationName": "terminate_test", "repositoryName": "__repository__", "jobName": "build_all"}
        launched = execute_dagster_graphql(workspace.create_request_context(), DagsterGraphQL.LAUNCH, {"executionParams": {"selector": selector}})
        assert launched.data["launchRun"]["__typename"] == "LaunchRunSuccess", launched
        run_id = launched.data["launchRun"]["run"]["runId"]
        assert instance.get_run_by_id(run_id).status == DagsterRunStatus.QUEUED
        instance.launch_run(run_id, workspace.create_request_context())  # what the daemon does with a queued run

        run_target = wait_until_the_slow_model_runs(location["project"], run_id)
        terminated = execute_dagster_graphql(
            workspace.create_request_context(), TERMINATE, {"runIds": [run_id], "terminatePolicy": "SAFE_TERMINATE"}
        )
        stopped_at = time.monotonic()
        result = terminated.data["terminateRuns"]
        assert [r["__typename"] for r in result["terminateRunResults"]] == ["TerminateRunSuccess"], result
        run = wait_until_finished(instance, run_id, timeout=DAGSTER_DBT_WAIT + 60)
        seconds = time.monotonic() - stopped_at
        errors = step_failure_errors(instance, run_id)
        pid = run_process_id(instance, run_id)
        deadline = time.monotonic() + 30
        while not (exited := process_gone(pid)) and time.monotonic() < deadline:
            time.sleep(0.2)  # the run's process lets go of the warehouse file when it exits
        exit_seconds = time.monotonic() - stopped_at

    assert run.status == DagsterRunStatus.CANCELED
    assert errors == ["DagsterExecutionInterruptedError"], errors
    # The no-op send_signal this replaces let dbt run on: the run ended only after dagster-dbt's full 25 s wait.
    assert seconds < DAGSTER_DBT_WAIT, f"the run took {seconds:.1f} s to end after the terminate request"
    assert exited, f"the run's process {pid} still running 30 s after the run ended"
    print(f"run CANCELED {seconds:.1f} s after the terminate request, its process gone after {exit_seconds:.1f} s")
    assert_dbt_stopped_itself(run_target, location["wh"])


def test_a_terminated_run_leaves_no_dbt_thread_behind(location, tmp_path):
    from dagster._core.definitions.reconstruct import ReconstructableRepository
    from dagster._grpc.impl import core_execute_run
    from dagster._utils import start_termination_thread
    from dagster._utils.interrupts import capture_interrupts

    home = tmp_path / "dagster_home"
    ensure_dagster_home(home)
    recon_job = ReconstructableRepository.for_file(str(location["file"]), "defs", str(location["tmp"])).get_reconstructable_job("build_all")
    before = set(threading.enumerate())
    with environment({**location["env"], "DAGSTER_HOME": str(home)}), DagsterInstance.from_config(str(home)) as instance:
        run = instance.create_run_for_job(job_def=recon_job.get_definition(), job_code_origin=recon_job.get_python_origin())
        termination_event, done = multiprocessing.Event(), threading.Event()
        seen: dict = {}

        def terminate_like_the_launcher() -> None:  # DefaultRunLauncher.terminate, then the code server's CancelExecution
            seen["target"] = wait_until_the_slow_model_runs(location["project"], run.run_id)
            instance.report_run_canceling(instance.get_run_by_id(run.run_id))
            seen["stopped_at"] = time.monotonic()
            termination_event.set()

        terminator = threading.Thread(target=terminate_like_the_launcher, daemon=True)
        terminator.start()
        with capture_interrupts():  # as the run's process (dagster._grpc.impl.start_run_in_subprocess)
            start_termination_thread(termination_event, done)
            try:
                for _ in core_execute_run(recon_job, instance.get_run_by_id(run.run_id), instance, inject_env_vars=False):
                    pass
            finally:
                done.set()
                termination_event.set()
        seconds = time.monotonic() - seen["stopped_at"]
        terminator.join(5)
        final = instance.get_run_by_id(run.run_id)
        errors = step_failure_errors(instance, run.run_id)

    assert final.status == DagsterRunStatus.CANCELED
    assert errors == ["DagsterExecutionInterruptedError"], errors
    assert seconds < DAGSTER_DBT_WAIT, f"the run took {seconds:.1f} s to end after the terminate request"
    deadline = time.monotonic() + 5
    while (left := [t for t in threading.enumerate() if t not in before and t.is_alive()]) and time.monotonic() < deadline:
        time.sleep(0.1)  # the termination thread returns once it sees the run done
    assert not left, f"threads still running after the run: {[t.name for t in left]}"
    assert_dbt_stopped_itself(seen["target"], location["wh"])
