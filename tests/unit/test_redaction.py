"""One redaction for every URL shown: passwords, secret query parameters and webhook tokens never printed."""

from pathlib import Path

import pytest

from lead_scoring.redaction import redacted


@pytest.mark.parametrize(
    "url, shown",
    [
        ("postgresql://user:s3cret@127.0.0.1/mlflow", "postgresql://user:***@127.0.0.1/mlflow"),
        ("postgresql+psycopg2://lead_scoring:s%40cret@postgres:5432/dagster", "postgresql+psycopg2://lead_scoring:***@postgres:5432/dagster"),
        ("http://user:pw@host:5000", "http://user:***@host:5000"),
        ("postgresql://u:p@ss@h/db", "postgresql://u:***@h/db"),  # an unescaped @ in the password
        ("https://api.example.com/v1?token=abc&limit=5&api_key=k&Secret=s&sslpassword=x",
         "https://api.example.com/v1?token=***&limit=5&api_key=***&Secret=***&sslpassword=***"),
    ],
)
def test_credentials_are_masked(url, shown):
    assert redacted(url) == shown


@pytest.mark.parametrize(
    "text",
    ["sqlite:////home/me/.lead_scoring/mlflow/mlflow.db", "sqlite:///relative.db", "http://mlflow:5000",
     "postgresql://postgres@127.0.0.1:5432/test", "https://host/path?page=2&sort=asc#top", "/data/warehouse.duckdb",
     "no URL here: user:password is just text"],
)
def test_text_without_credentials_is_unchanged(text):
    assert redacted(text) == text


def test_urls_inside_text_are_masked_and_paths_pass_through():
    message = "could not reach postgresql://a:hunter2@db/x (timeout); MLflow at http://u:pw@m:5000?token=t too"
    assert redacted(message) == "could not reach postgresql://a:***@db/x (timeout); MLflow at http://u:***@m:5000?token=*** too"
    assert redacted(Path("/tmp/warehouse.duckdb")) == "/tmp/warehouse.duckdb"


def test_a_webhook_shows_its_host_only():
    assert redacted("https://hooks.slack.com/services/T000/B000/XXXXsecret", keep_path=False) == "https://hooks.slack.com/***"
    assert redacted("https://example.com/hook?token=t", keep_path=False) == "https://example.com/***"
    assert redacted("hooks.slack.com/services/T000/B000/XXXXsecret", keep_path=False) == "***"  # no scheme: not a URL
    assert redacted("https://example.com", keep_path=False) == "https://example.com"


def test_warehouse_and_mlflow_links_are_redacted():
    from lead_scoring.settings import Settings
    from lead_scoring.warehouse import Warehouse

    assert str(Warehouse("postgresql://u:s3cret@h:5432/db?password=s3cret")) == "postgresql://u:***@h:5432/db?password=***"
    assert Settings.from_env({"MLFLOW_TRACKING_URI": "http://u:s3cret@mlflow:5000"}).mlflow_browser_url() == "http://u:***@mlflow:5000"
    assert Settings.from_env({"MLFLOW_TRACKING_URI": "sqlite:///x.db"}).mlflow_browser_url() == "http://127.0.0.1:5000"
    shown = Settings.from_env({"LEAD_SCORING_MLFLOW_UI_URL": "https://u:tok@mlflow.example.com/"}).mlflow_browser_url()
    assert shown == "https://u:***@mlflow.example.com"


def test_the_mlflow_resource_holds_a_credentialed_tracking_uri_by_its_variable(monkeypatch, tmp_path):
    from lead_scoring.definitions import build_resources
    from lead_scoring.settings import Settings

    monkeypatch.setenv("LEAD_SCORING_HOME", str(tmp_path))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://ml:s3cret@mlflow:5000")
    resource = build_resources(Settings.from_env())["mlflow"]
    assert "s3cret" not in repr(resource) and "MLFLOW_TRACKING_URI" in repr(resource)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow:5000")
    assert "'http://mlflow:5000'" in repr(build_resources(Settings.from_env())["mlflow"])
