"""`lead-scoring grant-pipeline-role` refuses what it cannot do with one line and exit code 2 (its working path
runs in tests/integration/test_topology.py, where the whole pipeline after ingestion runs as the role)."""

import pytest

from lead_scoring.app import cli
from tests.postgres import fresh_databases

pytestmark = pytest.mark.integration


def test_a_duckdb_home_and_a_missing_role_are_refused(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("LEAD_SCORING_HOME", str(tmp_path))
    monkeypatch.delenv("LEAD_SCORING_WAREHOUSE_URL", raising=False)
    monkeypatch.delenv("LEAD_SCORING_LANDING_WAREHOUSE_URL", raising=False)
    assert cli.main(["grant-pipeline-role", "lead_scoring_pipeline"]) == 2
    assert "a pipeline role is a Postgres feature" in capsys.readouterr().err

    with fresh_databases("ls_role", "warehouse") as urls:
        monkeypatch.setenv("LEAD_SCORING_WAREHOUSE_URL", urls["warehouse"])
        assert cli.main(["grant-pipeline-role", 'no_such_role"; drop table x; --']) == 2
        error = capsys.readouterr().err
        assert "role 'no_such_role\"; drop table x; --' does not exist: create it first" in error
        assert "Traceback" not in error
