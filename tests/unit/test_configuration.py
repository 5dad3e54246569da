"""One configuration path: every variable is read by `Settings` only, documented once, and validated."""

import json
import subprocess
import sys
import re
from pathlib import Path

import pytest

from lead_scoring.app import cli, config_reference
from lead_scoring.monitoring import drift
from lead_scoring.policies import policy_fields
from lead_scoring.settings import CHILD_VARIABLES, VARIABLES, Settings, SettingsError, policy_variable
from tests.unit.test_monitoring_stats import KINDS, _frame

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lead_scoring"
# dbt's own variables, which dbt reads and the in-process runner mirrors to know when to re-parse.
READS_DBT_ENVIRONMENT = {PACKAGE / "platform" / "dbt_in_process.py"}
NAME = re.compile(r"\b(LEAD_SCORING_[A-Z0-9_]*[A-Z0-9]|MLFLOW_TRACKING_URI|DAGSTER_HOME|PGOPTIONS)\b")


def documented() -> set[str]:
    policies = {policy_variable(section, knob.name) for section, _, knob in policy_fields()}
    return {v.name for v in VARIABLES} | policies | set(CHILD_VARIABLES)


def test_the_reference_page_is_generated_from_the_definitions():
    assert config_reference.PAGE.read_text() == config_reference.render(), "run: python -m lead_scoring.app.config_reference"


# Run in a fresh interpreter: deep inside a long pytest session, CPython 3.11.7's ast.parse can raise
# "SystemError: AST constructor recursion depth mismatch" on valid code.
ENVIRONMENT_READERS = """
import ast, json, sys
from pathlib import Path
root, skipped = Path(sys.argv[1]), set(sys.argv[2:])
readers = []
for path in sorted((root / "lead_scoring").rglob("*.py")):
    if str(path) in skipped:
        continue
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv") and getattr(node.value, "id", "") == "os":
            readers.append(f"{path.relative_to(root)}:{node.lineno}")
print(json.dumps(readers))
"""


def test_no_module_but_settings_reads_the_environment():
    skipped = [str(PACKAGE / "settings.py"), *map(str, READS_DBT_ENVIRONMENT)]
    scan = subprocess.run([sys.executable, "-c", ENVIRONMENT_READERS, str(ROOT), *skipped], capture_output=True, text=True, check=True)
    readers = json.loads(scan.stdout)
    assert not readers, f"read the setting through Settings instead: {readers}"


def test_the_environment_scan_finds_a_reader(tmp_path):
    """The scan above can fail: a module that reads os.environ is found."""
    (tmp_path / "lead_scoring").mkdir()
    (tmp_path / "lead_scoring" / "sneaky.py").write_text("import os\nTOKEN = os.environ.get('TOKEN')\n")
    scan = subprocess.run([sys.executable, "-c", ENVIRONMENT_READERS, str(tmp_path)], capture_output=True, text=True, check=True)
    assert json.loads(scan.stdout) == ["lead_scoring/sneaky.py:2"]


def test_every_variable_the_product_names_is_documented():
    sources = [*PACKAGE.rglob("*.py"), *(ROOT / "dbt_project").rglob("*.yml"), *(ROOT / "dbt_project").rglob("*.sql"),
               *(ROOT / "deploy").rglob("*"), ROOT / "docker-compose.yml", ROOT / "Makefile", *(ROOT / "scripts").rglob("*")]
    named = {name for path in sources if path.is_file() for name in NAME.findall(path.read_text(errors="ignore"))}
    assert named - documented() == set(), "add the variable to settings.VARIABLES (or a policy) so the reference lists it"


def test_every_documented_variable_is_read():
    settings_source = (PACKAGE / "settings.py").read_text()
    reader = settings_source.split("def from_env", 1)[1]
    unread = [v.name for v in VARIABLES if f'"{v.name}"' not in reader and f"'{v.name}'" not in reader]
    assert not unread, f"documented but not read by Settings.from_env: {unread}"
    project = [p for p in (ROOT / "dbt_project").rglob("*") if p.suffix in (".yml", ".sql") and p.is_file()
               and not {"target", "logs", "dbt_packages"} & set(p.relative_to(ROOT / "dbt_project").parts)]  # not dbt's own output
    dbt_sources = " ".join(p.read_text() for p in [*project, PACKAGE / "flat" / "dbt_project.py"])
    assert [name for name in CHILD_VARIABLES if name not in dbt_sources] == []
    # Policy variables are read generically: each one, set, changes exactly its field.
    for section, _, knob in policy_fields():
        value = knob.default + 1 if isinstance(knob.default, int) else round(knob.default * 0.99, 6) if knob.default else 0.01
        policies = Settings.from_env({policy_variable(section, knob.name): str(value)}).policies
        assert getattr(getattr(policies, section), knob.name) == value


@pytest.mark.parametrize("variable, value, message", [
    ("LEAD_SCORING_RETRAIN_WINDOW_DAYS", "three", "expected an integer"),
    ("LEAD_SCORING_PROMOTION_MAX_ECE", "1.5", "between 0.0 and 1.0"),
    ("LEAD_SCORING_DRIFT_PSI_MODERATE", "0.5", "must not exceed LEAD_SCORING_DRIFT_PSI_SIGNIFICANT"),
    ("LEAD_SCORING_DBT_IN_PROCESS", "maybe", "expected true or false"),
    ("LEAD_SCORING_START_DATE", "01/02/2026", "YYYY-MM-DD"),
    ("LEAD_SCORING_WAREHOUSE_URL", "mysql://u:pw@h/db", "expected postgresql://"),
    ("LEAD_SCORING_LANDING_WAREHOUSE_URL", "postgresql://u:pw@h/db", "beside a Postgres LEAD_SCORING_WAREHOUSE_URL"),
    # Values that reach libpq, dbt's argv, links in the UI and the report, or a gate's comparisons.
    ("LEAD_SCORING_PROMOTION_MAX_ECE", "nan", "finite"),
    ("LEAD_SCORING_DRIFT_NOISE_FACTOR", "inf", "finite"),
    ("LEAD_SCORING_PG_WORK_MEM", "1GB -c search_path=evil", "a size such as 256MB"),
    ("LEAD_SCORING_MLFLOW_UI_URL", "javascript:alert(1)", "an http:// or https:// URL"),
    ("LEAD_SCORING_ALERT_WEBHOOK_URL", "file:///srv/hooks/pw-token", "an http:// or https:// URL"),
    ("LEAD_SCORING_DBT_TARGET", "dev --vars {x: 1}", "a dbt target name"),
    ("LEAD_SCORING_MODEL_THREADS", "99999999999", "between 1 and 256"),
])
def test_a_bad_value_is_refused_naming_the_variable(variable, value, message):
    with pytest.raises(SettingsError, match=message) as refused:
        Settings.from_env({variable: value})
    assert variable in str(refused.value) and "pw" not in str(refused.value)


def test_good_values_of_the_same_variables_are_taken():
    settings = Settings.from_env({
        "LEAD_SCORING_WAREHOUSE_URL": "postgresql://u:pw@h/db", "LEAD_SCORING_PG_WORK_MEM": "1GB", "LEAD_SCORING_DBT_TARGET": "prod_eu",
        "LEAD_SCORING_MLFLOW_UI_URL": "https://mlflow.example.com/", "LEAD_SCORING_ALERT_WEBHOOK_URL": "https://hooks.example.com/T/B/x",
        "LEAD_SCORING_PROMOTION_MAX_ECE": "0.05", "LEAD_SCORING_MODEL_THREADS": "2",
        "LEAD_SCORING_LANDING_WAREHOUSE_URL": "postgresql://owner:pw@h/db",
    })
    assert str(settings.landing_warehouse().location) == "postgresql://owner:pw@h/db"
    assert str(settings.warehouse().location) == "postgresql://u:pw@h/db"
    assert settings.dbt_env()["PGOPTIONS"] == "-c work_mem=1GB" and settings.dbt_target == "prod_eu"
    assert settings.mlflow_browser_url() == "https://mlflow.example.com"
    assert settings.alert_webhook_url == "https://hooks.example.com/T/B/x"
    assert settings.policies.promotion.max_ece == 0.05 and settings.model_threads == 2


def test_a_bad_value_stops_the_cli_with_exit_code_2(monkeypatch, capsys):
    monkeypatch.setenv("LEAD_SCORING_QUARANTINE_MAX_SHARE", "lots")
    assert cli.main(["status"]) == 2
    assert "LEAD_SCORING_QUARANTINE_MAX_SHARE='lots'" in capsys.readouterr().err


def test_an_overridden_policy_changes_the_decision_and_the_default_keeps_it():
    shifted = drift.feature_drift(_frame(800, seed=1), _frame(400, shift=2.0, new_category_share=0.3, seed=2), KINDS,
                                  Settings.from_env({}).policies.drift)
    assert {f.severity for f in shifted} == {"error"}
    tolerant = Settings.from_env({"LEAD_SCORING_DRIFT_PSI_SIGNIFICANT": "50", "LEAD_SCORING_DRIFT_PSI_MODERATE": "40"}).policies.drift
    relaxed = drift.feature_drift(_frame(800, seed=1), _frame(400, shift=2.0, new_category_share=0.3, seed=2), KINDS, tolerant)
    assert {f.severity for f in relaxed} == {"ok"}
