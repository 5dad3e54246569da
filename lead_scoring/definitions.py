"""The one Dagster code location: every area's definitions plus the shared resources.

The settings are read once, here, and passed down: each area's ``build(settings)``
makes its definitions (partitions from the home's first day, the home's dbt
project), and the ``settings`` resource hands them to every asset, check and sensor.
Importing this module is cheap: it reads settings and the pre-built dbt
manifest, nothing more (no dbt parse, no network, no warehouse connection).
"""

from __future__ import annotations

import functools
import warnings

import dagster as dg

from lead_scoring.defs import catalog, crm_landing, features, flat_import, ingestion, monitoring, quality, reporting, scoring, training
from lead_scoring.platform.resources import GreatExpectationsResource, LandingResource, MlflowResource, ProjectDbtResource, WarehouseResource
from lead_scoring.redaction import redacted
from lead_scoring.settings import Settings


def build_resources(settings: Settings) -> dict:
    uri = settings.mlflow_tracking_uri

    def warehouse_at(location) -> WarehouseResource:
        return WarehouseResource(location=location, pg_options=settings.pg_options, duckdb_memory_limit=settings.duckdb_memory_limit,
                                 duckdb_threads=settings.duckdb_threads, duckdb_temp_directory=str(settings.duckdb_limits.temp_directory))

    warehouse = warehouse_at(dg.EnvVar("LEAD_SCORING_WAREHOUSE_URL") if settings.warehouse_url else str(settings.warehouse_path))
    return {
        # A Postgres URL holds a password: the resource reads it from the environment at run time,
        # so the Dagster UI shows the variable's name, never its value.
        "warehouse": warehouse,
        # Ingestion's connection: the raw data's owner when LEAD_SCORING_LANDING_WAREHOUSE_URL is set (the rest then
        # runs as a role that cannot read personal data, see lead_scoring/warehouse/postgres_roles.py).
        "landing_warehouse": warehouse_at(dg.EnvVar("LEAD_SCORING_LANDING_WAREHOUSE_URL")) if settings.landing_warehouse_url else warehouse,
        "landing": LandingResource(
            landing_dir=str(settings.landing_dir), ground_truth_dir=str(settings.ground_truth_dir)
        ),
        # Likewise a tracking URI with credentials in it (a server behind basic auth, a Postgres store).
        "mlflow": MlflowResource(
            tracking_uri=dg.EnvVar("MLFLOW_TRACKING_URI") if redacted(uri) != uri else uri,
            artifacts_dir=str(settings.mlflow_artifacts),
        ),
        "great_expectations": GreatExpectationsResource(runtime_home=str(settings.home / "great_expectations")),
        "dbt": ProjectDbtResource(
            project_dir=features.assets.dbt_project(settings), target=settings.dbt_target, in_process=settings.dbt_in_process
        ),
        # Plain Python: assets and sensors take it as `settings: dg.ResourceParam[Settings]`.
        "settings": settings,
    }


def _check_keys(parts: list[dg.Definitions]) -> list[dg.AssetCheckKey]:
    """Every asset check of ``parts``: the checks whose latest results the stakeholder report shows."""
    # an AssetSpec (a table written by another asset's step) has no checks
    return [key for part in parts for item in [*(part.assets or []), *(part.asset_checks or [])]
            for key in (() if isinstance(item, dg.AssetSpec) else item.check_keys)]


def build_definitions(settings: Settings) -> dg.Definitions:
    # A home holds one source: landing days (the simulated CRM's, or a CRM's own landed by `crm_landing`) or a flat export.
    flat = settings.flat_source_file.exists()
    areas = ([] if flat else [ingestion, crm_landing]) + [monitoring, flat_import, features, training, scoring, quality]
    built = [area.build(settings) for area in areas]
    merged = dg.Definitions.merge(
        *built,
        reporting.build(_check_keys(built)),
        # One process per run: DuckDB takes one writing process at a time, and on 2 cores the
        # multiprocess executor's per-step start-up (2-4 s) costs more than it parallelises.
        # On Kubernetes, swap in dagster_k8s.k8s_job_executor for a pod per step (docs/production.md).
        dg.Definitions(resources=build_resources(settings), executor=dg.in_process_executor),
    )
    # Owners, kinds, column schemas and catalog links in one place rather than on every asset.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)  # map_asset_specs is "preview" in 1.13
        return merged.map_asset_specs(func=functools.partial(catalog.describe, settings))


defs = build_definitions(Settings.from_env())
