"""A DuckDB warehouse whose raw schema holds simulated CRM days, for tests that run dbt on it."""

from datetime import date, timedelta
from pathlib import Path

from lead_scoring import ingest
from lead_scoring.simulator.generator import simulate
from lead_scoring.warehouse import Warehouse


def simulated_warehouse(folder: Path, start: date, days: int, leads_per_day: int, seed: int) -> Warehouse:
    simulate(folder / "landing", folder / "truth", start, days, leads_per_day, seed=seed)
    wh = Warehouse(folder / "wh.duckdb")
    ingest.load_days(wh, folder / "landing", [start + timedelta(days=i) for i in range(days)])
    return wh
