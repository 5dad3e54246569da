"""The command line says what is wrong in one line, never with a traceback."""

import json
import subprocess

import pytest

from tests.conftest import BIN, home_env, run_cli


@pytest.mark.parametrize(
    "args,message",
    [
        (["status"], "no lead-scoring home at"),
        (["demo", "--days", "abc"], "'abc' is not a whole number"),
        (["demo", "--days", "0"], "0 must be greater than 0"),
        (["demo", "--days", "20"], "the history must span at least"),
        (["demo", "--scenario", "meteor@3"], "unknown scenario 'meteor'"),
    ],
)
def test_bad_input_gets_a_clear_error(tmp_path, args, message):
    result = run_cli(args, tmp_path / "missing_home", check=False)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_demo_refuses_to_overwrite_an_existing_home_without_reset(tmp_path):
    (tmp_path / "warehouse.duckdb").write_bytes(b"")
    result = run_cli(["demo"], tmp_path, check=False)
    assert result.returncode == 2 and "--reset" in result.stderr
    assert (tmp_path / "warehouse.duckdb").exists()


def _status(home, env: dict, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([str(BIN / "lead-scoring"), "status", *args], env={**home_env(home), **env},
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return result


def test_status_never_prints_a_password_token_or_webhook_path(tmp_path):
    from tests.postgres import fresh_databases

    home = tmp_path / "home"
    home.mkdir()
    # The local server trusts every connection: the passwords below are never checked, only looked for in the output.
    with fresh_databases("status", "mlflow", "warehouse") as urls:
        env = {
            "MLFLOW_TRACKING_URI": urls["mlflow"].replace("postgresql://postgres@", "postgresql+psycopg2://postgres:mlflow-s3cret@") + "?password=mlflow-s3cret",
            "LEAD_SCORING_WAREHOUSE_URL": urls["warehouse"].replace("postgres@", "postgres:wh-s3cret@"),
            "LEAD_SCORING_ALERT_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/hook-s3cret",
        }
        shown = _status(home, env)
        as_json = json.loads(_status(home, env, "--json").stdout)
    assert "s3cret" not in shown.stdout + shown.stderr + json.dumps(as_json)
    assert "postgres:***@127.0.0.1:5432" in shown.stdout and "https://hooks.slack.com/***" in shown.stdout
    assert as_json["mlflow_tracking_uri"].endswith("_mlflow?password=***")
    assert as_json["warehouse"].startswith("postgresql://postgres:***@")
