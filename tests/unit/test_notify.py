"""The notifier: always logged; posted to a webhook from the environment when there is one."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from lead_scoring.notify import WEBHOOK_ENV, Alert, notify


class _Receiver(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook(monkeypatch):
    """A local HTTP server on 127.0.0.1 that records what it is sent."""
    _Receiver.received, _Receiver.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(WEBHOOK_ENV, f"http://127.0.0.1:{server.server_port}/hook")
    yield _Receiver
    server.shutdown()
    server.server_close()


def test_alert_is_posted_to_the_webhook_and_logged(webhook, caplog):
    with caplog.at_level(logging.WARNING, logger="lead_scoring.alerts"):
        assert notify(Alert("stale_data", "activities did not land", {"sources": ["activities"]}))
    assert webhook.received == [{"text": "activities did not land", "kind": "stale_data", "details": {"sources": ["activities"]}}]
    assert "[alert:stale_data] activities did not land" in caplog.text
    assert "127.0.0.1" not in caplog.text  # the webhook URL is a secret: never logged


def test_without_a_webhook_the_alert_is_only_logged(monkeypatch, caplog):
    monkeypatch.delenv(WEBHOOK_ENV, raising=False)
    with caplog.at_level(logging.WARNING, logger="lead_scoring.alerts"):
        assert notify(Alert("run_failure", "run 1234 failed")) is False
    assert "run 1234 failed" in caplog.text


def test_a_failing_webhook_does_not_raise(webhook, caplog):
    webhook.status = 500
    with caplog.at_level(logging.WARNING, logger="lead_scoring.alerts"):
        assert notify(Alert("run_failure", "run 99 failed")) is False
    assert "alert webhook failed" in caplog.text and "run 99 failed" in caplog.text
