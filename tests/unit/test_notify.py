"""The notifier: always logged; posted to the configured webhook when there is one."""

import logging

from lead_scoring.monitoring.notify import Alert, notify
from tests.webhook_server import webhook  # noqa: F401 (fixture)


def test_alert_is_posted_to_the_webhook_and_logged(webhook, caplog):
    with caplog.at_level(logging.WARNING, logger="lead_scoring.alerts"):
        assert notify(Alert("stale_data", "activities did not land", {"sources": ["activities"]}), webhook.url)
    assert webhook.received == [{"text": "activities did not land", "kind": "stale_data", "details": {"sources": ["activities"]}}]
    assert "[alert:stale_data] activities did not land" in caplog.text
    assert "127.0.0.1" not in caplog.text  # the webhook URL is a secret: never logged


def test_without_a_webhook_the_alert_is_only_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="lead_scoring.alerts"):
        assert notify(Alert("run_failure", "run 1234 failed")) is False
    assert "run 1234 failed" in caplog.text


def test_a_failing_webhook_does_not_raise(webhook, caplog):
    webhook.fail_with(500)
    with caplog.at_level(logging.WARNING, logger="lead_scoring.alerts"):
        assert notify(Alert("run_failure", "run 99 failed"), webhook.url) is False
    assert "alert webhook failed" in caplog.text and "run 99 failed" in caplog.text


def test_a_malformed_webhook_url_does_not_raise_and_its_token_is_not_logged(caplog):
    url = "hooks.slack.com/services/T000/B000/XXXXsecret"  # the scheme forgotten
    with caplog.at_level(logging.WARNING, logger="lead_scoring.alerts"):
        assert notify(Alert("run_failure", "run 7 failed"), url) is False
    assert "alert webhook failed" in caplog.text and "XXXXsecret" not in caplog.text


def test_a_failing_webhook_is_logged_by_its_host_only(webhook, caplog):
    webhook.fail_with(404)
    with caplog.at_level(logging.WARNING, logger="lead_scoring.alerts"):
        assert notify(Alert("run_failure", "run 8 failed"), webhook.url) is False
    assert f"{webhook.url.rsplit('/', 1)[0]}/***" in caplog.text and "/hook" not in caplog.text
