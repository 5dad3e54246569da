"""What the Dagster UI shows without anyone opening the code: groups, owners, kinds, column schemas, links."""

import dagster as dg

from lead_scoring.definitions import defs
from lead_scoring.defs import catalog
from lead_scoring.settings import Settings
from lead_scoring.ml.scoring import SCORE_COLUMNS

# flat_import: the job that loads a flat CRM export (a home of its own source, see docs/bring-your-own-data.md);
# crm_landing: the job that lands a CRM's own deliveries by a source mapping (docs/bring-your-own-crm.md).
AREAS = {"ingestion", "flat_import", "crm_landing", "features", "training", "scoring", "monitoring", "reporting"}


def _nodes():
    graph = defs.resolve_asset_graph()
    return {key.to_user_string(): graph.get(key) for key in graph.get_all_asset_keys()}


def test_every_asset_has_an_area_an_owner_a_kind_and_a_description():
    for name, node in _nodes().items():
        assert node.group_name in AREAS, (name, node.group_name)
        assert node.owners, name
        assert node.kinds, name
        assert node.description, name


def test_kinds_name_the_tools_behind_each_asset():
    nodes = _nodes()
    assert {"dbt", "duckdb"} <= nodes["marts/lead_snapshots"].kinds
    assert "great_expectations" in nodes["marts/lead_features_current"].kinds
    assert "great_expectations" in nodes["raw/leads"].kinds
    assert {"sklearn", "mlflow"} <= nodes["candidate_model"].kinds
    assert {"sklearn", "mlflow"} <= nodes["lead_scores"].kinds
    assert "mlflow" in nodes["stakeholder_report"].kinds


def test_tables_show_their_documented_columns():
    nodes = _nodes()
    scores = nodes["lead_scores"].metadata["dagster/column_schema"]
    assert [c.name for c in scores.columns] == SCORE_COLUMNS and all(c.description for c in scores.columns)
    snapshots = nodes["marts/lead_snapshots"].metadata["dagster/column_schema"]
    described = {c.name: c.description for c in snapshots.columns}
    assert described["activities_7d"] and described["converted_within_30d"]  # dbt docs flow through
    training = {c.name for c in nodes["training_set"].metadata["dagster/column_schema"].columns}
    assert {"activities_7d", "split", "converted_within_30d"} <= training
    assert "email" in {c.name for c in nodes["raw/leads"].metadata["dagster/column_schema"].columns}


def test_dbt_models_link_to_the_feature_catalog():
    path = _nodes()["marts/lead_snapshots"].metadata["feature_catalog"].path
    assert path.startswith("/") and path.endswith("/dbt_docs/static_index.html")


def test_mlflow_links_follow_the_configured_ui_address():
    local = Settings.from_env({"MLFLOW_TRACKING_URI": "sqlite:///tmp/x.db"})
    assert catalog.model_version_url(local, "3") == "http://127.0.0.1:5000/#/models/lead_scoring/versions/3"
    server = Settings.from_env({"MLFLOW_TRACKING_URI": "http://mlflow.internal:5000"})
    assert catalog.mlflow_run_url(server, "1", "abc") == "http://mlflow.internal:5000/#/experiments/1/runs/abc"
    own_ui = Settings.from_env({"MLFLOW_TRACKING_URI": "http://mlflow.internal:5000", "LEAD_SCORING_MLFLOW_UI_URL": "https://mlflow.example.com/"})
    assert catalog.model_version_url(own_ui, "3") == "https://mlflow.example.com/#/models/lead_scoring/versions/3"


def test_the_warehouse_kind_follows_the_warehouse():
    duckdb = Settings.from_env({})
    assert catalog.describe(duckdb, dg.AssetSpec("x", kinds={"duckdb"})).kinds == {"duckdb"}
    postgres = Settings.from_env({"LEAD_SCORING_WAREHOUSE_URL": "postgresql://postgres@127.0.0.1:5432/warehouse"})
    assert catalog.describe(postgres, dg.AssetSpec("x", kinds={"duckdb"})).kinds == {"postgres"}


def test_dbt_models_report_their_row_counts(demo_settings):
    from dagster import DagsterInstance

    from lead_scoring.warehouse import Warehouse

    with DagsterInstance.from_config(str(demo_settings.dagster_home)) as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey(["marts", "lead_snapshots"]))
    counted = event.asset_materialization.metadata["dagster/row_count"].value
    rows = Warehouse(demo_settings.warehouse_path).query("select count(*) as n from marts.lead_snapshots").n.iloc[0]
    assert counted == rows > 0


def test_row_counts_cover_the_relations_that_exist_and_only_those(tmp_path):
    from lead_scoring.warehouse import Warehouse

    wh = Warehouse(tmp_path / "wh.duckdb")
    assert catalog.row_counts(wh, [dg.AssetKey(["marts", "a"])]) == {}  # no warehouse file yet
    wh.execute("create schema marts")
    wh.execute("create table marts.a as select * from range(3)")
    wh.execute("create table marts.b as select * from range(0)")
    keys = [dg.AssetKey(["marts", "a"]), dg.AssetKey(["marts", "b"]), dg.AssetKey(["marts", "missing"]), dg.AssetKey(["a"])]
    assert catalog.row_counts(wh, keys) == {keys[0]: {"dagster/row_count": 3}, keys[1]: {"dagster/row_count": 0}}
