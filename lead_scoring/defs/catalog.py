"""What the Dagster UI shows about every asset, applied in one place (``definitions.py``):
owners by area, kinds (the warehouse engine, dbt, MLflow, scikit-learn, Great Expectations),
column schemas of the tables Python writes, and links to the feature catalog and MLflow.
"""

from functools import lru_cache
from pathlib import Path

import dagster as dg
import pyarrow as pa

from lead_scoring import tables
from lead_scoring.ml.features import FeatureContractError, load_manifest
from lead_scoring.settings import REGISTERED_MODEL, Settings
from lead_scoring.simulator.schema import GROUND_TRUTH_SCHEMA, GROUND_TRUTH_TABLE, RAW_TABLES

OWNERS = {
    "ingestion": "team:data-platform",
    "features": "team:growth-analytics",
    "training": "team:data-science",
    "scoring": "team:data-science",
    "monitoring": "team:ml-platform",
    "reporting": "team:growth-analytics",
    "flat_import": "team:data-platform",
    "crm_landing": "team:data-platform",
}
GX_CHECKED = {dg.AssetKey(["raw", t]) for t in RAW_TABLES} | {dg.AssetKey(["marts", "lead_features_current"])}
EXTRA_KINDS = {dg.AssetKey("lead_scores"): {"sklearn", "mlflow"}} | {key: {"great_expectations"} for key in GX_CHECKED}
SCORE_COLUMNS = {
    "lead_id": ("string", "The CRM's lead identifier (no other personal data leaves the raw schema)."),
    "as_of_date": ("date", "The morning the score is for: features use events strictly before it."),
    "probability": ("double", "Calibrated chance that the lead converts within 30 days."),
    "score": ("integer", "The probability as a 0-100 score, for sales."),
    "grade": ("string", "A (top 10% at training time), B (next 20%), C (next 30%), D (the rest)."),
    **{
        f"reason_{rank}": ("string", f"Reason {rank} of the top three: a feature and the direction it moves this lead's "
                           "probability, against a typical lead (empty when the lead is typical).")
        for rank in (1, 2, 3)
    },
    "model_name": ("string", "Registered MLflow model that produced the score."),
    "model_version": ("string", "Its version (the `champion` alias at scoring time)."),
    "scored_at": ("timestamp", "When the score was written (UTC)."),
}
FEATURE_CATALOG_FILE = "static_index.html"


def mlflow_run_url(settings: Settings, experiment_id: str, run_id: str) -> str:
    return f"{settings.mlflow_browser_url()}/#/experiments/{experiment_id}/runs/{run_id}"


def model_version_url(settings: Settings, version: str) -> str:
    return f"{settings.mlflow_browser_url()}/#/models/{REGISTERED_MODEL}/versions/{version}"


def feature_catalog_path(settings: Settings) -> str:
    """The dbt docs site (one self-contained page) written by the `feature_catalog` asset."""
    return str(settings.home / "dbt_docs" / FEATURE_CATALOG_FILE)


def row_counts(warehouse, keys: list[dg.AssetKey]) -> dict[dg.AssetKey, dict]:
    """``dagster/row_count`` of dbt models' relations (``schema.name`` from their asset keys), counted after
    the dbt run, once dbt has let go of the warehouse. Two queries for all (a DuckDB connection costs ~10 ms)."""
    if warehouse.engine == "duckdb" and not warehouse.path.exists():
        return {}
    relations = set(warehouse.query("select table_schema || '.' || table_name as name from information_schema.tables").name)
    counted = [(key, ".".join(key.path)) for key in keys if ".".join(key.path) in relations]
    if not counted:
        return {}
    counts = warehouse.query(" union all ".join(f"select {i} as i, count(*) as n from {name}" for i, (_, name) in enumerate(counted)))
    return {counted[i][0]: {"dagster/row_count": int(n)} for i, n in zip(counts.i, counts.n)}


def warehouse_kind(settings: Settings) -> str:
    return "postgres" if settings.warehouse_url else "duckdb"


def _arrow_schema(schema: pa.Schema, descriptions: dict[str, str] | None = None) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[dg.TableColumn(f.name, str(f.type), description=(descriptions or {}).get(f.name)) for f in schema]
    )


@lru_cache(maxsize=4)
def _training_set_schema(manifest_path: Path) -> dg.TableSchema | None:
    """``marts.lead_snapshots``' documented columns plus the split (read from the dbt manifest)."""

    try:
        nodes = load_manifest(manifest_path)["nodes"]
    except FeatureContractError:
        return None
    model = next((n for n in nodes.values() if n.get("name") == "lead_snapshots" and n["resource_type"] == "model"), None)
    if model is None:
        return None
    columns = [dg.TableColumn(name, c.get("data_type") or "?", description=c.get("description")) for name, c in model["columns"].items()]
    columns.append(dg.TableColumn("split", "string", description="train, validation or test (by lead creation date)."))
    return dg.TableSchema(columns=columns)


def column_schema(key: dg.AssetKey, settings: Settings) -> dg.TableSchema | None:
    path = key.path
    if len(path) == 2 and path[0] == "raw" and path[1] in RAW_TABLES:
        return _arrow_schema(RAW_TABLES[path[1]])
    if key == dg.AssetKey(["ground_truth", GROUND_TRUTH_TABLE]):
        return _arrow_schema(GROUND_TRUTH_SCHEMA)
    if key == dg.AssetKey("lead_scores"):
        return dg.TableSchema(columns=[dg.TableColumn(n, t, description=d) for n, (t, d) in SCORE_COLUMNS.items()])
    if key == dg.AssetKey("training_set"):
        return _training_set_schema(settings.dbt_manifest_path)
    return None


def describe(settings: Settings, spec: dg.AssetSpec) -> dg.AssetSpec:
    """Owners, kinds, column schema and catalog link for one asset, leaving what it declares itself."""
    kinds = {warehouse_kind(settings) if k in ("duckdb", "postgres") else k for k in spec.kinds} | EXTRA_KINDS.get(spec.key, set())
    metadata = dict(spec.metadata)
    schema = column_schema(spec.key, settings)
    if schema is not None and "dagster/column_schema" not in metadata:
        metadata["dagster/column_schema"] = schema
    if "dbt" in spec.kinds:
        metadata["feature_catalog"] = dg.MetadataValue.path(feature_catalog_path(settings))
    if spec.key == dg.AssetKey("lead_scores"):
        metadata.setdefault("dagster/table_name", tables.SCORES)
    owners = spec.owners or ([OWNERS[spec.group_name]] if spec.group_name in OWNERS else [])
    return spec.replace_attributes(kinds=kinds, metadata=metadata, owners=owners)


def markdown_table(frame, columns: list[str], digits: int = 3) -> dg.MetadataValue:
    """Rows of ``frame`` as a Markdown table for asset metadata (floats to ``digits`` places)."""
    def cell(value) -> str:
        return f"{value:.{digits}f}" if isinstance(value, float) else str(value)

    rows = "\n".join("| " + " | ".join(cell(v) for v in row) + " |" for row in frame[columns].itertuples(index=False))
    return dg.MetadataValue.md(f"| {' | '.join(columns)} |\n|{'---|' * len(columns)}\n{rows}")
