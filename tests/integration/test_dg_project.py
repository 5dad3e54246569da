"""The project as the `dg` CLI sees it: `[tool.dg]` in pyproject.toml points `dg` at lead_scoring.definitions.

Each test runs the real command from the repository root, as `make ui` and a user at the shell do, on a
temporary home (LEAD_SCORING_HOME, DAGSTER_HOME under it). The code location reads the pre-built dbt manifest
(`make manifest`); without it nothing here can load, so the tests skip and say so.
"""

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lead_scoring.platform.instance import ensure_dagster_home
from tests.conftest import BIN, home_env
from tests.integration.services import DagsterGraphQL, Service, free_port, http_ok, wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "dbt_project" / "target" / "manifest.json"
DG = BIN / "dg"
LOCATION = "lead_scoring"  # [tool.dg.project] code_location_name, as in workspace.yaml
START_TIMEOUT_S = 90  # about 20-40 s on two cores: the webserver, the daemon and the code server each import Dagster
STOP_TIMEOUT_S = 30
# Dagster maps SIGTERM to whatever SIGINT does. A pytest started from a script in the background inherits SIGINT
# ignored, and `dg dev` would then ignore SIGTERM too: the child gets SIGINT's default back, as in a terminal.
WITH_DEFAULT_SIGINT = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"


@pytest.fixture
def dg_env(tmp_path) -> dict[str, str]:
    if not MANIFEST.exists():
        pytest.skip(f"{MANIFEST.relative_to(ROOT)} is missing: run `make manifest` first (the code location reads it)")
    assert DG.exists(), f"{DG} not found: `pip install -e '.[dev]'` installs dagster-dg-cli"
    home = tmp_path / "home"
    ensure_dagster_home(home / "dagster")  # the local dagster.yaml a demo home has (telemetry off, run queue)
    # VIRTUAL_ENV as activation sets it: dg warns when the venv it runs from is not the activated one.
    return {**home_env(home), "DAGSTER_HOME": str(home / "dagster"), "VIRTUAL_ENV": str(BIN.parent)}


def run(argv: list[str], env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result


def test_dg_check_defs_loads_the_code_location(dg_env):
    result = run([str(DG), "check", "defs"], dg_env)
    assert "All definitions loaded successfully." in result.stdout
    assert "project_and_activated_venv_mismatch" not in result.stderr


def test_dg_list_defs_shows_the_whole_graph(dg_env):
    listing = json.loads(run([str(DG), "list", "defs", "--json"], dg_env).stdout)
    assets = {asset["asset_key"]: asset for asset in listing["assets"]}
    for expected in ("raw/leads", "staging/stg_leads", "marts/lead_features_current", "training_set", "candidate_model",
                     "model_promotion", "lead_scores"):
        assert expected in assets, expected
    assert {"marts/lead_features_current", "model_promotion"} <= set(assets["lead_scores"]["dependency_keys"])
    assert {"ingestion", "retrain", "daily_scoring", "weekly_report"} <= {job["name"] for job in listing["jobs"]}
    assert {"splits_are_disjoint", "no_label_leakage"} <= {check["name"] for check in listing["asset_checks"]}


@pytest.mark.parametrize("target", [[], ["-w", "workspace.yaml"]], ids=["pyproject", "workspace_yaml"])
def test_dagster_cli_still_loads_the_same_location(dg_env, target):
    """`dagster dev` users keep both ways in: no arguments (pyproject.toml) and `-w workspace.yaml`."""
    result = run([str(BIN / "dagster"), "definitions", "validate", *target], dg_env)
    assert f"Validation successful for code location {LOCATION}" in result.stdout + result.stderr


@pytest.mark.timeout(2 * START_TIMEOUT_S + STOP_TIMEOUT_S + 30)
def test_dg_dev_serves_the_location_on_loopback_and_stops_on_sigterm(dg_env, tmp_path):
    """What `make ui` starts: webserver on 127.0.0.1, the code location loaded; SIGTERM stops the whole group."""
    port = free_port()
    log = tmp_path / "dg-dev.log"
    with open(log, "w") as out:
        popen = subprocess.Popen(
            [sys.executable, "-c", WITH_DEFAULT_SIGINT, str(DG), "dev", "-h", "127.0.0.1", "-p", str(port)],
            cwd=ROOT, env=dg_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    dev = Service("dg dev", popen, log)
    try:
        wait_until("the webserver", lambda: http_ok(f"http://127.0.0.1:{port}/server_info"), START_TIMEOUT_S, dev)
        wait_until(f"code location {LOCATION}", DagsterGraphQL(port, LOCATION).location_loaded, START_TIMEOUT_S, dev)
        assert f"Serving dagster-webserver on http://127.0.0.1:{port} " in dev.log_tail(100_000)
        dev.signal(signal.SIGTERM)
        try:
            returncode = popen.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            returncode = None
        assert returncode == 0, f"dg dev still running {STOP_TIMEOUT_S} s after SIGTERM ({returncode}):\n{dev.log_tail()}"
        assert "Dagster services shut down." in dev.log_tail()
    finally:
        dev.signal(signal.SIGKILL)  # the group: whatever dg dev left behind (code server, daemon)
        popen.wait(timeout=15)
