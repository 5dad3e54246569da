"""The real X Education export, imported by its shipped mapping, trained, tracked, registered and scored.

The export is not in the repository: it is read from LEAD_SCORING_X_EDUCATION_PATH,
by default the shared data folder of the machines CI runs on.
"""

import dataclasses
import os
from datetime import date
from pathlib import Path

import pytest

from lead_scoring.settings import PROJECT_DIR, Settings

pytestmark = pytest.mark.integration
EXPORT = Path(os.environ.get("LEAD_SCORING_X_EDUCATION_PATH", "/work/shared/data/x_education/Leads.csv"))
MAPPING = PROJECT_DIR / "examples" / "mappings" / "x_education.yml"
SALES_ENTERED = ["Lead Quality", "Lead Profile", "Asymmetrique Activity Index", "Asymmetrique Profile Index",
                 "Asymmetrique Activity Score", "Asymmetrique Profile Score"]


def import_train_promote(home: Path, export: Path, mapping: Path = MAPPING) -> dict:
    """The CLI's sequence, step by step: import, dbt build, training set, candidate, gate."""
    from threadpoolctl import threadpool_limits

    from lead_scoring.steps import training as training_steps, scoring as scoring_steps
    from lead_scoring.flat import importer
    from lead_scoring.platform.dbt_cli import dbt_build
    from lead_scoring.ml import registry
    from lead_scoring.warehouse import Warehouse

    settings = dataclasses.replace(
        Settings.from_env(), home=home, warehouse_path=home / "warehouse.duckdb", mlflow_tracking_uri=f"sqlite:///{home / 'mlflow.db'}",
        mlflow_artifacts=home / "artifacts", dagster_home=home / "dagster")
    report = importer.import_export(settings, mapping, export)
    dbt_build(settings)
    warehouse, client = Warehouse(settings.warehouse_path), registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifacts)
    built = training_steps.build_training_set(warehouse, settings)
    frame, plan = built.frame, built.plan
    with threadpool_limits(1):  # shared 2-core machines: OpenMP threads spinning against each other cost 10x
        candidate = training_steps.train_candidate(warehouse, client, settings, seed=7, trigger="test", run_tags={})
    promotion = training_steps.promote_challenger(warehouse, client, settings)
    if not promotion.decision.promote:
        return dict(settings=settings, report=report, warehouse=warehouse, client=client, promotion=promotion)
    scores, _ = scoring_steps.score_day(warehouse, client, settings, date.fromisoformat(report.imported_at[:10]))
    return dict(settings=settings, report=report, warehouse=warehouse, client=client, frame=frame, plan=plan,
                candidate=candidate, promotion=promotion, scores=scores)


def require_export() -> None:
    if not EXPORT.exists():
        pytest.skip(f"the X Education export is absent: {EXPORT} not found (set LEAD_SCORING_X_EDUCATION_PATH to Leads.csv)")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    require_export()
    return import_train_promote(tmp_path_factory.mktemp("x_education"), EXPORT)


def with_deal_columns(export: Path, target: Path) -> Path:
    """The export plus ten deal columns a CRM fills in as a deal progresses: for 35% to 71% of the converted leads
    and 3% of the others. Each alone ranks the outcome at 0.66 to 0.84; together they give the outcome away."""
    import numpy as np
    import pandas as pd

    frame = pd.read_csv(export, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(3)
    converted = frame["Converted"].astype(int).to_numpy() == 1
    for i in range(10):
        filled = np.where(converted, rng.random(len(frame)) < 0.35 + 0.04 * i, rng.random(len(frame)) < 0.03)
        values = (rng.choice(["Proposal", "Negotiation", "Contract Sent", "Closed Won"], len(frame)) if i % 2 == 0
                  else np.round(rng.lognormal(7, 1, len(frame)), 2).astype(str))
        frame[f"Deal Field {i}"] = np.where(filled, values, "")
    frame.to_csv(target, index=False)
    return target


def test_leakage_scan_flags_tags_in_the_import_and_the_mlflow_run(trained):
    from lead_scoring.flat import importer

    report = trained["report"]
    assert report.leakage_flagged == ["tags"] and 0.90 < report.leakage_auc["tags"] < 0.95
    assert "LEAKAGE     'Tags': leakage: univariate ROC AUC 0.92" in importer.render(report)
    tags = trained["client"].get_run(trained["candidate"].logged.run_id).data.tags
    assert tags["leakage_flagged"] == "tags" and 0.90 < float(tags["leakage_auc.tags"]) < 0.95
    assert tags["excluded.tags"].startswith("Tags: leakage: univariate ROC AUC 0.92")  # key: warehouse name; value: the column as written
    assert tags["split_method"] == "stratified_random" and tags["split_seed"] == "7"


def test_the_training_set_leakage_check_fires_on_tags_and_is_quiet_on_the_contract(trained):
    from lead_scoring.steps import training as training_steps
    from lead_scoring.quality import guards

    frame, warehouse = trained["frame"], trained["warehouse"]
    features = [f.name for f in training_steps.feature_list(trained["settings"])]
    train = frame[frame["split"] == "train"]
    assert guards.leakage_scan(train, features, "converted_within_30d", set()).blocked == []
    with_tags = train.merge(warehouse.query("select prospect_id as lead_id, tags from raw.x_education"), on="lead_id")
    assert guards.leakage_scan(with_tags, [*features, "tags"], "converted_within_30d", set()).blocked == ["tags"]


def test_sales_entered_columns_are_excluded_by_the_mapping_and_pii_stays_raw(trained):
    from lead_scoring.steps import training as training_steps

    features = {f.name for f in training_steps.feature_list(trained["settings"])}
    columns = {c["original"]: c for c in trained["report"].columns}
    for name in SALES_ENTERED:
        assert columns[name]["role"] == "post_outcome" and columns[name]["name"] not in features
    assert "tags" not in features and "lead_number" not in features and "prospect_id" not in features
    assert {"total_time_spent_on_website", "lead_source", "last_activity"} <= features


def test_select_is_missing_and_google_is_one_category(trained):
    warehouse = trained["warehouse"]
    sources = warehouse.query("select lead_source, count(*) as n from marts.lead_snapshots group by 1")
    values = set(sources.lead_source.dropna())
    assert "google" in values and "Google" not in values
    heard = warehouse.query("select count(*) filter (where lower(how_did_you_hear_about_x_education) = 'select') as selected, "
                            "avg(case when how_did_you_hear_about_x_education is null then 1.0 else 0 end) as missing "
                            "from marts.lead_snapshots")
    assert heard.selected.iloc[0] == 0 and heard.missing.iloc[0] > 0.5  # 54.6% `Select` + real nulls


def test_model_auc_is_in_the_published_range_and_beats_the_baseline(trained):
    outcome = trained["candidate"].outcome
    assert 0.89 <= outcome.metrics["roc_auc"] <= 0.93  # 0.8935 measured; published 0.90 / 0.91 without the sales-entered columns
    assert outcome.metrics["roc_auc"] > outcome.baseline_metrics["roc_auc"]
    assert trained["promotion"].decision.promote
    assert trained["promotion"].decision.reasons[0].startswith("PASS: no probable leakage")  # quiet on an honest model
    metrics = trained["client"].get_run(trained["candidate"].logged.run_id).data.metrics
    assert metrics["test_roc_auc"] == pytest.approx(outcome.metrics["roc_auc"])


def test_unconverted_leads_are_scored_by_the_champion(trained):
    scores, frame = trained["scores"], trained["frame"]
    assert len(scores) == trained["warehouse"].query("select count(*) as n from marts.lead_features_current").n.iloc[0] > 5000
    assert set(scores.grade) == set("ABCD") and scores.score.between(0, 100).all()
    assert len(frame) <= 9237 and set(frame.split) == {"train", "validation", "test"}


def test_deal_columns_filled_in_after_conversion_are_refused_as_probable_leakage(tmp_path):
    require_export()
    leaky = import_train_promote(tmp_path / "home", with_deal_columns(EXPORT, tmp_path / "leads_with_deals.csv"))
    decision = leaky["promotion"].decision
    assert not decision.promote and leaky["promotion"].champion_version is None  # nothing is scored with it
    reason = decision.reasons[0]
    assert reason.startswith("FAIL: probable leakage: test ROC AUC 0.99") and "is at least 0.97" in reason
    named = reason.split("carry it: ")[1]
    assert sum(f"deal_field_{i} (" in named for i in range(10)) >= 8  # the carriers are named, the honest columns not
    assert "total_time_spent_on_website" not in named
    registered = leaky["client"].get_model_version("lead_scoring", leaky["promotion"].challenger_version)
    assert registered.tags["promotion_decision"] == "rejected"
