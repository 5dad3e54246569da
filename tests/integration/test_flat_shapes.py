"""Two more export shapes, generated here, through the same code as X Education: only the mappings differ.

Narrow: ';'-delimited cp1252 with accents, Won/Lost outcomes, open deals without
an outcome, a creation timestamp (so a time split), an e-mail column.
Wide: tab-delimited UTF-8 with a byte-order mark, yes/no outcomes, 58 columns,
`unknown` as missing, upper-case categories, a post-outcome column and a
leaking column the mapping forgot (the leakage scan catches it).
"""

import dataclasses
import numpy as np
import pandas as pd
import pytest

from lead_scoring.settings import Settings

pytestmark = pytest.mark.integration


def _settings(home, warehouse_url: str = "") -> Settings:
    return dataclasses.replace(
        Settings.from_env(), home=home, warehouse_path=home / "warehouse.duckdb", mlflow_tracking_uri=f"sqlite:///{home / 'mlflow.db'}",
        mlflow_artifacts=home / "artifacts", dagster_home=home / "dagster", warehouse_url=warehouse_url,
        dbt_target="prod" if warehouse_url else "dev")


def narrow_export(folder, n=2400, seed=1):
    rng = np.random.default_rng(seed)
    region = rng.choice(["Île-de-France", "Bretagne", "Provence-Alpes-Côte d'Azur", "n/a"], n)
    employees = rng.lognormal(3, 1, n).round()
    revenue = (employees * rng.lognormal(11, 0.5, n)).round(2)  # continuous: few identical feature rows
    logit = -1.0 + 0.6 * (np.log(employees) - 3) + np.where(region == "Île-de-France", 1.2, 0.0)
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    stage = np.where(won, "Won", "Lost").astype(object)
    stage[rng.random(n) < 0.1] = ""  # still open: no outcome yet
    created = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    frame = pd.DataFrame({
        "Opportunité": [f"OPP-{i:06d}" for i in range(n)], "Étape": stage, "Créé le": created.strftime("%d.%m.%Y"),
        "Région": region, "Employés": employees, "Chiffre d'affaires": revenue, "Courriel": [f"contact{i}@exemple.fr" for i in range(n)],
    })
    path = folder / "opportunites.csv"
    text = frame.to_csv(sep=";", index=False) + "OPP-999999;Peut-être;01.02.2025;Bretagne;12;1000.5;x@exemple.fr\n"
    path.write_bytes(text.encode("cp1252"))
    mapping = folder / "narrow.yml"
    mapping.write_text(
        "name: opportunites\nid_column: Opportunité\nlabel: {column: Étape, positive: [Won], negative: [Lost]}\n"
        "timestamp: {column: Créé le, format: '%d.%m.%Y'}\nmissing_tokens: ['', 'n/a']\npii: [Courriel]\n"
        "csv: {delimiter: ';', encoding: auto}\n", encoding="utf-8")
    return path, mapping


def wide_export(folder, n=2500, seed=2):
    rng = np.random.default_rng(seed)
    numbers = rng.normal(size=(n, 48))
    colours = rng.choice(["red", "Green ", "green", "unknown"], (n, 6))
    logit = 1.5 * numbers[:, 0] - 1.0 * numbers[:, 1] + np.where(np.char.strip(np.char.lower(colours[:, 0].astype(str))) == "green", 1.0, 0)
    converted = rng.random(n) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame(numbers.round(4), columns=[f"metric {i}" for i in range(48)])
    for j in range(6):
        frame[f"colour {j}"] = colours[:, j]
    frame.insert(0, "uuid", [f"u{i}" for i in range(n)])
    frame["closed_won"] = np.where(converted, "yes", "no")
    frame["owner name"] = [f"Rep {i % 17}" for i in range(n)]
    frame["stage after close"] = np.where(converted, "onboarding", "archived")  # known only after the outcome
    frame["rep score"] = np.where(converted, rng.integers(70, 100, n), rng.integers(0, 75, n))  # leaks, not declared
    path = folder / "wide.tsv"
    path.write_bytes(b"\xef\xbb\xbf" + frame.to_csv(sep="\t", index=False).encode("utf-8"))
    mapping = folder / "wide.yml"
    mapping.write_text(
        "name: wide_crm\nid_column: uuid\nlabel: {column: closed_won, positive: ['yes'], negative: ['no']}\n"
        "missing_tokens: ['', unknown]\nnormalise: {case: upper}\npii: [owner name]\npost_outcome: [stage after close]\n"
        "csv: {delimiter: \"\\t\"}\nsplit_seed: 3\n")
    return path, mapping


def run_shape(tmp_path, make_export, warehouse_url: str = ""):
    from threadpoolctl import threadpool_limits

    from lead_scoring.steps import training as training_steps
    from lead_scoring.flat import importer
    from lead_scoring.platform.dbt_cli import dbt_build
    from lead_scoring.ml import training

    tmp_path.mkdir(parents=True, exist_ok=True)
    settings = _settings(tmp_path / "home", warehouse_url)
    export, mapping = make_export(tmp_path)
    report = importer.import_export(settings, mapping, export)
    dbt_build(settings)
    warehouse = settings.warehouse()
    built = training_steps.build_training_set(warehouse, settings)
    frame, plan = built.frame, built.plan
    features = training_steps.feature_list(settings)
    with threadpool_limits(1):
        outcome = training.train_and_evaluate(frame, features, seed=7)
    return report, warehouse, frame, plan, features, outcome


def test_narrow_semicolon_cp1252_won_lost_export_with_a_timestamp(tmp_path):
    from lead_scoring.ml import dataset

    report, warehouse, frame, plan, features, outcome = run_shape(tmp_path, narrow_export)
    assert report.encoding == "cp1252" and report.split_method == "time"
    assert report.quarantine_reasons == {"label 'Étape' outside the declared values": 1}
    assert [f.name for f in features] == ["region", "employes", "chiffre_d_affaires"]
    assert isinstance(plan, dataset.SplitPlan)
    starts = pd.to_datetime(frame["lead_created_date"]).groupby(frame["split"]).min()
    assert starts["train"] < starts["validation"] < starts["test"]
    assert "île-de-france" in set(frame["region"].dropna()) and "n/a" not in set(frame["region"].dropna())
    open_leads = warehouse.query("select count(*) as n from marts.lead_features_current f join raw.opportunites r "
                                 "on r.opportunite = f.lead_id where r.etape is null").n.iloc[0]
    assert open_leads > 150 and frame["lead_id"].isin(warehouse.query("select opportunite from raw.opportunites where etape is null").opportunite).sum() == 0
    for table in ("marts.lead_snapshots", "marts.lead_features_current", "staging.stg_flat_export"):
        assert "courriel" not in warehouse.query(f"select * from {table} limit 1").columns
    assert outcome.rows["test"] > 250  # few rows dropped as repeats of training rows
    assert outcome.metrics["roc_auc"] > 0.65 and outcome.baseline_metrics["roc_auc"] > 0.55


def test_the_same_export_on_postgres_gives_the_same_training_set_and_model(tmp_path):
    """Engine parity: rows read back in another order and types read back from Postgres must not change the model."""
    from tests.postgres import fresh_databases

    _, _, on_duckdb, _, _, duckdb_outcome = run_shape(tmp_path / "duckdb", narrow_export)
    with fresh_databases("ls_flat", "warehouse") as urls:
        _, warehouse, on_postgres, _, _, postgres_outcome = run_shape(tmp_path / "postgres", narrow_export, urls["warehouse"])
        assert warehouse.engine == "postgres" and not (tmp_path / "postgres" / "home" / "warehouse.duckdb").exists()
    pd.testing.assert_frame_equal(on_postgres, on_duckdb, check_dtype=False, check_exact=False, rtol=1e-12)
    assert postgres_outcome.metrics == pytest.approx(duckdb_outcome.metrics, rel=1e-9)


def test_wide_tab_separated_yes_no_export_without_a_timestamp(tmp_path):
    report, warehouse, frame, plan, features, outcome = run_shape(tmp_path, wide_export)
    assert report.encoding == "utf-8" and report.split_method == "stratified_random"
    assert plan.as_dict() == {"split_method": "stratified_random", "split_seed": "3"}
    assert report.leakage_flagged == ["rep_score"]  # the mapping forgot it; the scan did not
    names = {f.name for f in features}
    assert len(names) == 54 and not names & {"rep_score", "stage_after_close", "owner_name", "uuid", "closed_won"}
    assert set(frame["colour_0"].dropna()) == {"RED", "GREEN"}  # case and whitespace; `unknown` is missing
    assert frame["colour_0"].isna().mean() == pytest.approx(0.25, abs=0.03)
    assert warehouse.query("select count(distinct owner_name) as n from raw.wide_crm").n.iloc[0] == 17  # PII: raw only
    assert outcome.metrics["roc_auc"] > outcome.baseline_metrics["roc_auc"]
    assert abs(frame.groupby("split")["converted_within_30d"].mean().diff().abs().max()) < 0.02  # stratified


def test_the_cli_names_the_file_when_the_declared_encoding_is_wrong(tmp_path):
    from tests.conftest import run_cli

    export, mapping = narrow_export(tmp_path, n=50)
    mapping.write_text(mapping.read_text().replace("encoding: auto", "encoding: utf-8"))
    result = run_cli(["import", str(export), "--mapping", str(mapping), "--no-train"], tmp_path / "home", check=False)
    assert result.returncode == 2
    assert f"{export} is not utf-8: the byte at offset" in result.stderr and "set csv.encoding" in result.stderr
    assert not (tmp_path / "home" / "warehouse.duckdb").exists()  # nothing written


def test_an_import_whose_first_model_the_gate_rejects_says_why_and_scores_nothing(tmp_path):
    """The narrow export's first model misses the calibration bar (ECE 0.089 > 0.08): a clear error, no scores.
    (The wide export's passes and is scored: test_flat_monitoring.py.)"""
    from tests.conftest import run_cli

    export, mapping = narrow_export(tmp_path)
    home = tmp_path / "home"
    result = run_cli(["import", str(export), "--mapping", str(mapping)], home, check=False)
    assert result.returncode != 0
    assert "did not promote the export's model (version 1), so nothing was scored and the previous import stays current" in result.stderr
    assert "FAIL: expected calibration error" in result.stderr
    from lead_scoring.warehouse import Warehouse

    assert not Warehouse(home / "warehouse.duckdb").table_exists("scoring.lead_scores")


def test_the_dagster_flat_import_job_loads_an_export_by_run_config(tmp_path):
    """The `flat_import` job, run as the UI would (run config: mapping, path), then the home's code location."""
    import json
    import subprocess
    import sys

    from tests.conftest import home_env

    export, mapping = narrow_export(tmp_path, n=300)
    home = tmp_path / "home"
    run = (
        "import json, sys, dagster as dg; from lead_scoring.definitions import defs;"
        "job = defs.resolve_job_def('flat_import');"
        f"r = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), run_config={{'ops': {{'raw__flat_export': "
        f"{{'config': {{'mapping': {str(mapping)!r}, 'path': {str(export)!r}}}}}}}}});"
        "m = r.asset_materializations_for_node('raw__flat_export')[0].metadata;"
        "print(json.dumps({'ok': r.success, 'rows': m['dagster/row_count'].value, 'split': m['split_method'].value}))"
    )
    after = (
        "import json; from lead_scoring.definitions import defs; g = defs.resolve_asset_graph();"
        "print(json.dumps({'checks': sorted({k.name for k in g.asset_check_keys}), "
        "'assets': sorted(k.to_user_string() for k in g.get_all_asset_keys())}))"
    )
    outputs = []
    for code in (run, after):
        result = subprocess.run([sys.executable, "-c", code], env=home_env(home), capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        outputs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    assert outputs[0] == {"ok": True, "rows": 300, "split": "time"}
    checks, assets = outputs[1]["checks"], outputs[1]["assets"]
    assert "staging/stg_flat_export" in assets and "monitoring/live_performance" in assets
    assert not {"raw/leads", "raw/conversions"} & set(assets)  # the export's dbt project, no landing ingestion
    assert {"no_label_leakage", "splits_are_disjoint", "only_allowed_columns"} <= set(checks)
    assert not {"labels_are_mature", "no_withdrawn_consent", "great_expectations"} & set(checks)
    from tests.conftest import run_cli

    refused = run_cli(["quality-sync"], home, check=False)  # would overwrite the simulated CRM's suites
    assert refused.returncode == 2 and "holds a flat export" in refused.stderr


def test_a_failed_import_write_keeps_the_previous_import_whole(tmp_path):
    from lead_scoring.flat import importer
    from lead_scoring.warehouse import WarehouseError

    settings = _settings(tmp_path / "home")
    export, mapping = narrow_export(tmp_path)
    importer.import_export(settings, mapping, export)
    wh = settings.warehouse()
    counts = lambda: {t: int(wh.query(f"select count(*) as n from {t}").n.iloc[0])  # noqa: E731
                      for t in ("raw.opportunites", "quarantine.opportunites", "quarantine.load_stats")}
    first = counts()
    # The last of the import's three writes fails: a retyped counts column refuses the new row.
    wh.execute("create or replace table quarantine.load_stats as "
               "select * replace (date '2025-01-01' as landed) from quarantine.load_stats")
    (tmp_path / "second").mkdir()
    smaller, _ = narrow_export(tmp_path / "second", n=1200)
    with pytest.raises(WarehouseError, match="nothing written, old rows kept"):
        importer.import_export(settings, mapping, smaller)
    assert counts() == first and first["raw.opportunites"] > 1200  # the first import's rows, not half of the second
