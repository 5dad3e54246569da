"""On the local instance (SQLite, DuckDB file), two warehouse writers launched at once queue, never collide.

A real `dagster-daemon run` dequeues; the runs are submitted with `dagster job
launch` as two users would, at the same moment. DuckDB lets one process write
at a time, so the second run must wait in the queue until the first is done
instead of failing on the file lock.
"""

import os
import subprocess
import time
from datetime import date, timedelta

import pytest
from dagster import DagsterInstance, DagsterRunStatus

from lead_scoring.platform.instance import ensure_dagster_home
from lead_scoring.simulator.generator import simulate
from lead_scoring.warehouse import Warehouse
from tests.integration.services import BIN, ROOT, Services

pytestmark = pytest.mark.integration

START = date.today() - timedelta(days=6)
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


def test_two_duckdb_writers_launched_at_once_queue_instead_of_failing(tmp_path):
    home = tmp_path / "home"
    simulate(home / "landing", home / "ground_truth", START, 4, 20, seed=3)
    dagster_home = home / "dagster"
    ensure_dagster_home(dagster_home)
    with DagsterInstance.from_config(str(dagster_home)) as instance:  # create the SQLite storage once, not in three
        instance.get_runs(limit=1)                                       # processes at the same moment (alembic race)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEAD_SCORING_", "DAGSTER_", "MLFLOW_"))}
    env.update(LEAD_SCORING_HOME=str(home), DAGSTER_HOME=str(dagster_home))
    services = Services(env, home / "logs")
    try:
        services.start("daemon", ["dagster-daemon", "run", "--module-name", "lead_scoring.definitions"])
        launches = [
            subprocess.Popen(
                [str(BIN / "dagster"), "job", "launch", "--module-name", "lead_scoring.definitions", "--job", "ingestion",
                 "--tags", f'{{"dagster/asset_partition_range_start": "{first}", "dagster/asset_partition_range_end": "{last}"}}'],
                env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )
            # The same four days twice: whichever run the queue starts first, the other re-loads them
            # (idempotent), so the outcome does not depend on the order (later days' activities need earlier leads).
            for first, last in [(START, START + timedelta(days=3))] * 2
        ]
        for launch in launches:
            output, _ = launch.communicate(timeout=120)
            assert launch.returncode == 0, output

        seen: set[tuple[str, ...]] = set()
        with DagsterInstance.from_config(str(dagster_home)) as instance:
            deadline = time.monotonic() + 150
            while time.monotonic() < deadline:
                runs = instance.get_runs()
                seen.add(tuple(sorted(r.status.value for r in runs)))
                if len(runs) == 2 and all(r.status in FINISHED for r in runs):
                    break
                time.sleep(0.5)
            assert len(runs) == 2 and all(r.status == DagsterRunStatus.SUCCESS for r in runs), (
                f"{[(r.run_id, r.status) for r in runs]}\n{services.started[0].log_tail()}"
            )
            stats = sorted((instance.get_run_stats(r.run_id) for r in runs), key=lambda s: s.start_time)
        assert stats[0].end_time <= stats[1].start_time, "the two DuckDB writers ran at the same time"
        assert any("QUEUED" in statuses and "STARTED" in statuses for statuses in seen), seen
    finally:
        services.stop_all()

    wh = Warehouse(home / "warehouse.duckdb")
    days = wh.query("select _landed_date, count(*) as n, count(distinct lead_id) as leads from raw.leads group by 1 order by 1")
    assert len(days) == 4 and (days.n == days.leads).all()
