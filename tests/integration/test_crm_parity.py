"""One world, three ways in: the simulator's native landing, and the same world exported as two CRMs would hand it over.

The HubSpot-style export (daily CSV files, display labels, +02:00 timestamps, deal rows with stages) and the
Salesforce-style sync (warehouse tables stamped by the sync tool, -05:00 strings and zoned timestamps,
opportunity stages) are landed by their mappings (examples/mappings/crm_*.yml); each must give the native
path's training set row for row, and a model within 0.005 ROC AUC, on DuckDB and on Postgres.
"""

import dataclasses
from datetime import date, timedelta

import pandas as pd
import pytest

from lead_scoring.settings import PROJECT_DIR, Settings

pytestmark = pytest.mark.integration
END, DAYS, LEADS_PER_DAY, SEED = date(2026, 6, 30), 65, 60, 7
MAPPINGS = PROJECT_DIR / "examples" / "mappings"


def _settings(home, warehouse_url: str = "") -> Settings:
    return dataclasses.replace(
        Settings.from_env(), home=home, warehouse_path=home / "warehouse.duckdb", mlflow_tracking_uri=f"sqlite:///{home / 'mlflow.db'}",
        mlflow_artifacts=home / "artifacts", dagster_home=home / "dagster", warehouse_url=warehouse_url,
        dbt_target="prod" if warehouse_url else "dev")


def _train(settings: Settings) -> tuple[pd.DataFrame, float]:
    """The plain steps the Dagster assets call: load every landing day, dbt build, training set, one training run."""
    from threadpoolctl import threadpool_limits

    from lead_scoring.ml import registry
    from lead_scoring.simulator import landing
    from lead_scoring.steps import ingest, training as training_steps
    from tests.integration.simulated import dbt_build

    warehouse = settings.warehouse()
    ingest.load_days(warehouse, settings.landing_dir, landing.landed_days(settings.landing_dir, "leads"))
    dbt_build(warehouse, settings.home / "dbt_target", END + timedelta(days=1))  # its own target: the repo's manifest stays
    frame = training_steps.build_training_set(warehouse, settings).frame
    client = registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifacts)
    with threadpool_limits(1):
        candidate = training_steps.train_candidate(warehouse, client, settings, seed=SEED, trigger="test", run_tags={})
    rows = frame.drop(columns=[c for c in frame.columns if c.startswith("_")]).sort_values(["lead_id", "as_of_date"]).reset_index(drop=True)
    # Engines differ in how a null number comes back (DuckDB: NaN in a float column, Postgres: NA in Int32): compare values.
    numbers = [c for c in rows.columns if pd.api.types.is_numeric_dtype(rows[c]) or pd.api.types.is_bool_dtype(rows[c])]
    return rows.astype({c: "float64" for c in numbers}), candidate.outcome.metrics["roc_auc"]


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    from lead_scoring.simulator.generator import simulate

    settings = _settings(tmp_path_factory.mktemp("native"))
    simulate(settings.landing_dir, settings.ground_truth_dir, END - timedelta(days=DAYS - 1), DAYS, LEADS_PER_DAY, seed=SEED)
    rows, auc = _train(settings)
    assert len(rows) > 5000 and auc > 0.6
    return settings, rows, auc


def _same(rows: pd.DataFrame, auc: float, native) -> None:
    _, native_rows, native_auc = native
    pd.testing.assert_frame_equal(rows, native_rows, check_dtype=False, check_exact=False, rtol=1e-12)
    assert abs(auc - native_auc) <= 0.005
    print(f"parity: {len(rows)} training rows, {rows.shape[1]} columns, ROC AUC {auc:.4f} (native {native_auc:.4f})")


def _on(engine: str, run) -> None:
    from tests.postgres import fresh_databases

    if engine == "duckdb":
        run("")
    else:
        with fresh_databases("ls_crm", "warehouse") as urls:
            run(urls["warehouse"])


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_a_hubspot_style_csv_export_gives_the_native_training_set(native, tmp_path, engine):
    from lead_scoring.simulator import exports
    from lead_scoring.simulator.schema import RAW_TABLES
    from lead_scoring.steps.crm_landing import land_source

    assert exports.write_hubspot(native[0].landing_dir, tmp_path / "export", tuple(RAW_TABLES)) == 5 * DAYS

    def run(url: str) -> None:
        settings = _settings(tmp_path / "home", url)
        report = land_source(settings, MAPPINGS / "crm_hubspot_style.yml", root=tmp_path / "export")
        assert len(report.landed_days) == DAYS and "not a conversion" in report.render()  # the Contract Sent rows
        _same(*_train(settings), native)

    _on(engine, run)


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_a_salesforce_style_warehouse_sync_gives_the_native_training_set(native, tmp_path, engine):
    from lead_scoring.simulator import exports
    from lead_scoring.simulator.schema import RAW_TABLES
    from lead_scoring.steps.crm_landing import land_source

    def run(url: str) -> None:
        settings = _settings(tmp_path / "home", url)
        settings.home.mkdir(parents=True, exist_ok=True)
        assert exports.write_salesforce(native[0].landing_dir, settings.warehouse(), tuple(RAW_TABLES)) > 50_000
        assert len(land_source(settings, MAPPINGS / "crm_salesforce_sync.yml").landed_days) == DAYS
        _same(*_train(settings), native)

    _on(engine, run)
