"""The production topology as real processes on loopback, against fresh Postgres databases.

`mlflow server` (Postgres backend store, local artifact destination), the code
server (`dagster api grpc`), `dagster-daemon run` and `dagster-webserver`, with
the production dagster.yaml (Postgres storage, queued runs, run monitoring).
Ingestion writes as the raw data's owner and everything else runs as a role that
cannot read the personal-data columns of raw (`lead-scoring grant-pipeline-role`).
The pipeline is launched through the webserver's GraphQL API as the UI does;
everything is read back where a user would look: Dagster's tables in Postgres,
the MLflow server over HTTP, the Postgres warehouse. Then the daemon is killed
with a run in the queue, and the queue recovers when it comes back.
"""

import os
import signal
import subprocess
import time
from datetime import date, timedelta

import psycopg2
import pytest

from lead_scoring.platform.instance import ensure_dagster_home
from lead_scoring.quality.guards import PII_PATTERN
from lead_scoring.simulator.generator import simulate
from lead_scoring.warehouse import Warehouse
from tests.integration.services import BIN, ROOT, DagsterGraphQL, Services, free_port, http_json, http_ok, tcp_open, wait_until
from tests.postgres import as_role, fresh_databases, login_role

pytestmark = pytest.mark.integration

DAYS, LEADS_PER_DAY, SEED = 65, 60, 7  # the demo fixture's history
START = date.today() - timedelta(days=DAYS + 1)
LAST_DAY = START + timedelta(days=DAYS - 1)


def sqlalchemy_url(url: str) -> str:
    """MLflow's and Dagster's stores go through SQLAlchemy, which must be told to use psycopg2."""
    return url.replace("postgresql://", "postgresql+psycopg2://", 1)


@pytest.fixture(scope="module")
def databases():
    """The databases, and the pipeline's login role: ``pipeline`` is the warehouse URL as that role."""
    with login_role("ls_pipeline") as role, fresh_databases("ls_topo", "warehouse", "dagster", "mlflow") as urls:
        yield {**urls, "role": role, "pipeline": as_role(urls["warehouse"], role)}


@pytest.fixture(scope="module")
def topology(tmp_path_factory, databases):
    home = tmp_path_factory.mktemp("topology")
    simulate(home / "landing", home / "ground_truth", START, DAYS, LEADS_PER_DAY, SEED)
    dagster_home = home / "dagster"
    ensure_dagster_home(dagster_home, production=True)
    ports = {name: free_port() for name in ("mlflow", "grpc", "webserver")}
    workspace = home / "workspace.yaml"
    # deploy/workspace.yaml with the code server on loopback instead of the compose service name
    workspace.write_text(
        (ROOT / "deploy" / "workspace.yaml").read_text()
        .replace("host: dagster-code", "host: 127.0.0.1").replace("port: 4000", f"port: {ports['grpc']}")
    )
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("LEAD_SCORING_", "DAGSTER_", "MLFLOW_"))
    }
    env.update(
        LEAD_SCORING_HOME=str(home),
        LEAD_SCORING_WAREHOUSE_URL=databases["pipeline"],
        LEAD_SCORING_LANDING_WAREHOUSE_URL=databases["warehouse"],
        MLFLOW_TRACKING_URI=f"http://127.0.0.1:{ports['mlflow']}",
        MLFLOW_ALLOW_PICKLE_DESERIALIZATION="false",
        DAGSTER_HOME=str(dagster_home),
        DAGSTER_POSTGRES_URL=sqlalchemy_url(databases["dagster"]),
        DAGSTER_MAX_CONCURRENT_RUNS="4",
    )
    services = Services(env, home / "logs")
    try:
        mlflow = services.start("mlflow", [
            "mlflow", "server", "--backend-store-uri", sqlalchemy_url(databases["mlflow"]),
            "--artifacts-destination", str(home / "mlflow-artifacts"),
            "--host", "127.0.0.1", "--port", str(ports["mlflow"]), "--workers", "1",
        ])
        code = services.start("code", [
            "dagster", "api", "grpc", "--module-name", "lead_scoring.definitions",
            "--host", "127.0.0.1", "--port", str(ports["grpc"]),
        ])
        daemon = services.start("daemon", ["dagster-daemon", "run", "--workspace", str(workspace)])
        webserver = services.start("webserver", [
            "dagster-webserver", "--host", "127.0.0.1", "--port", str(ports["webserver"]), "--workspace", str(workspace),
        ])
        wait_until("MLflow /health", lambda: http_ok(f"http://127.0.0.1:{ports['mlflow']}/health"), 90, mlflow)
        wait_until("the code server's port", lambda: tcp_open(ports["grpc"]), 120, code)
        graphql = DagsterGraphQL(ports["webserver"], "lead_scoring")
        wait_until("the code location in the webserver", graphql.location_loaded, 120, webserver)
        yield {"home": home, "env": env, "ports": ports, "services": services, "graphql": graphql, "daemon": daemon,
               "workspace": workspace, "databases": databases}
    finally:
        services.stop_all()


def dagster_rows(url: str, sql: str) -> list[tuple]:
    con = psycopg2.connect(url)
    try:
        with con.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        con.close()


def logs(topology) -> str:
    return "\n".join(f"--- {s.name}\n{s.log_tail(3000)}" for s in topology["services"].started)


def test_pipeline_launched_through_the_webserver_lands_in_postgres_and_the_mlflow_server(topology):
    graphql, databases = topology["graphql"], topology["databases"]
    history_end = LAST_DAY - timedelta(days=1)
    run_ids = []
    def run(job: str, tags: dict) -> None:
        run_ids.append(graphql.launch(job, tags, None))
        graphql.wait_for(run_ids[-1], timeout=240, logs=lambda: logs(topology))

    run("ingestion", {"dagster/asset_partition_range_start": START.isoformat(),
                      "dagster/asset_partition_range_end": history_end.isoformat()})
    # once raw exists: its column privileges are per table
    granted = subprocess.run([str(BIN / "lead-scoring"), "grant-pipeline-role", databases["role"]], env=topology["env"],
                             capture_output=True, text=True)
    assert granted.returncode == 0, granted.stdout + granted.stderr
    assert "raw.leads: email, full_name, phone, company" in granted.stdout
    run("retrain", {})
    run("daily_scoring", {"dagster/partition": LAST_DAY.isoformat()})

    # Dagster's runs and events are in Postgres
    stored = dict(dagster_rows(databases["dagster"], "select run_id, status from runs"))
    assert all(stored.get(run_id) == "SUCCESS" for run_id in run_ids)
    events = dagster_rows(databases["dagster"], f"select count(*) from event_logs where run_id in ({', '.join(repr(r) for r in run_ids)})")
    assert events[0][0] > 50

    # The MLflow server holds the run and the registered champion, read over HTTP
    api = f"http://127.0.0.1:{topology['ports']['mlflow']}/api/2.0/mlflow"
    champion = http_json(f"{api}/registered-models/alias?name=lead_scoring&alias=champion")["model_version"]
    run = http_json(f"{api}/runs/get?run_id={champion['run_id']}")["run"]
    assert run["info"]["status"] == "FINISHED"
    assert {m["key"] for m in run["data"]["metrics"]} >= {"test_roc_auc", "baseline_test_roc_auc"}
    assert champion["source"].startswith(("models:/", "mlflow-artifacts:/"))
    assert list((topology["home"] / "mlflow-artifacts").rglob("model.skops")), "the server stored the artifacts"

    # Everything after ingestion ran as the pipeline role, which cannot read personal data
    pipeline = Warehouse(databases["pipeline"])
    for schema in ("marts", "ml", "scoring"):
        owners = pipeline.query("select distinct tableowner from pg_tables where schemaname = ?", [schema]).tableowner
        assert list(owners) == [databases["role"]], schema
    assert pipeline.query("select count(lead_id) as n, count(country) as c from raw.leads").n.iloc[0] > 0
    for column in ("email", "full_name", "phone", "company"):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="permission denied for table leads"):
            pipeline.query(f"select {column} from raw.leads limit 1")
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        pipeline.query("select * from raw.leads limit 1")

    # Scores are in the Postgres warehouse; personal data stayed in raw
    wh = Warehouse(databases["warehouse"])
    assert any(PII_PATTERN.search(c) for c in wh.columns("raw.leads"))
    for table in ("marts.lead_features_current", "ml.training_set", "scoring.lead_scores"):
        assert wh.columns(table) and not [c for c in wh.columns(table) if PII_PATTERN.search(c)], table
    as_of = LAST_DAY + timedelta(days=1)
    scored = wh.query("select count(*) as n, count(distinct lead_id) as leads from scoring.lead_scores where as_of_date = ?", [as_of])
    assert scored.n.iloc[0] == scored.leads.iloc[0] > 0
    assert champion["version"] == str(wh.query("select max(model_version) as v from scoring.lead_scores").v.iloc[0])


def test_queue_survives_a_killed_daemon_and_postgres_runs_writers_in_parallel(topology):
    """With the daemon dead, launched runs wait in the queue; a new daemon starts them, both at once
    (Postgres takes concurrent writers), and the re-loaded days hold each row once."""
    graphql, wh = topology["graphql"], Warehouse(topology["databases"]["warehouse"])
    per_day = "select _landed_date, count(*) as n, count(distinct activity_id) as ids from raw.activities group by 1 order by 1"
    before = wh.query(per_day)
    daemon = topology["daemon"]
    daemon.signal(signal.SIGKILL)
    daemon.popen.wait(timeout=10)

    halves = [(START + timedelta(days=40), START + timedelta(days=42)), (START + timedelta(days=43), START + timedelta(days=45))]
    run_ids = [
        graphql.launch("ingestion", {"dagster/asset_partition_range_start": first.isoformat(),
                                     "dagster/asset_partition_range_end": last.isoformat()})
        for first, last in halves
    ]
    time.sleep(4)
    assert [graphql.run(run_id)["status"] for run_id in run_ids] == ["QUEUED", "QUEUED"]

    topology["services"].start("daemon", ["dagster-daemon", "run", "--workspace", str(topology["workspace"])])
    runs = [graphql.wait_for(run_id, timeout=180, logs=lambda: logs(topology)) for run_id in run_ids]
    first, second = sorted(runs, key=lambda r: r["startTime"])
    assert second["startTime"] < first["endTime"], f"the runs did not overlap: {runs}"

    after = wh.query(per_day)
    assert after.equals(before) and (after.n == after.ids).all()
    leads = wh.query("select count(*) as n, count(distinct lead_id) as ids from raw.leads")
    assert leads.n.iloc[0] == leads.ids.iloc[0]
