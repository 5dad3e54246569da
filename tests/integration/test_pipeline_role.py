"""`lead-scoring grant-pipeline-role`: the role reads raw but its personal columns and the quarantined rows, and
what cannot be made safe is refused with one line and exit code 2 (the whole pipeline runs as such a role in
tests/integration/test_topology.py)."""

import psycopg2
import pytest

from lead_scoring.app import cli
from lead_scoring.quality.guards import PII_PATTERN
from lead_scoring.warehouse import Warehouse
from lead_scoring.warehouse.postgres_roles import grant_pipeline_role
from tests.postgres import as_role, fresh_databases, login_role

pytestmark = pytest.mark.integration


def personal(column: str) -> bool:
    return bool(PII_PATTERN.search(column))


@pytest.fixture()
def warehouse():
    """A warehouse with a raw table holding personal data, a quarantined row, and a fresh login role."""
    with login_role("ls_role") as role, fresh_databases("ls_role", "warehouse") as urls:
        wh = Warehouse(urls["warehouse"])
        wh.execute("create schema raw; create schema quarantine; create schema marts")
        wh.execute("create table raw.leads (lead_id text, email text, country text)")
        wh.execute("insert into raw.leads values ('L1', 'a@example.com', 'DE')")
        wh.execute("create table quarantine.leads (_line text, _reason text)")
        wh.execute("create table quarantine.load_stats (source text, landed int)")
        wh.execute("create table marts.lead_features_current (lead_id text)")
        yield wh, role, as_role(urls["warehouse"], role)


def test_the_role_reads_all_but_personal_columns_and_quarantined_rows(warehouse):
    wh, role, role_url = warehouse
    grants = grant_pipeline_role(wh, role, personal)
    assert grants.withheld == {"raw.leads": ["email"]} and grants.owned == ["marts.lead_features_current"]
    pipeline = Warehouse(role_url)
    assert pipeline.query("select lead_id, country from raw.leads").lead_id.tolist() == ["L1"]
    assert pipeline.query("select count(*) as n from quarantine.load_stats").n.iloc[0] == 0
    for sql in ("select email from raw.leads", "select * from raw.leads", "select * from quarantine.leads"):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            pipeline.query(sql)
    assert grant_pipeline_role(wh, role, personal).owned == []  # a second run: the same grants, nothing left to hand over


def test_a_role_that_could_still_read_personal_data_is_refused(warehouse, monkeypatch, capsys):
    wh, role, _ = warehouse
    wh.execute("grant usage on schema raw to public; grant select on raw.leads to public")
    monkeypatch.setenv("LEAD_SCORING_WAREHOUSE_URL", str(wh.location))
    assert cli.main(["grant-pipeline-role", role]) == 2
    error = capsys.readouterr().err
    assert f"role '{role}' can still read raw.leads.email (through PUBLIC" in error and "Traceback" not in error


def test_a_duckdb_home_a_missing_role_and_a_superuser_are_refused(monkeypatch, tmp_path, capsys):
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
        assert cli.main(["grant-pipeline-role", "postgres"]) == 2
        assert "role 'postgres' is a superuser" in capsys.readouterr().err
