"""A local alert webhook on 127.0.0.1 that records the JSON bodies posted to it (fixture ``webhook``)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

WEBHOOK_ENV = "LEAD_SCORING_ALERT_WEBHOOK_URL"  # for the CLI's child processes; in-process code gets webhook.url


class Receiver(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):
        pass


class Webhook:
    def __init__(self):
        Receiver.received, Receiver.status = [], 200
        self.server = HTTPServer(("127.0.0.1", 0), Receiver)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def received(self) -> list:
        return Receiver.received

    def fail_with(self, status: int) -> None:
        Receiver.status = status

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook(monkeypatch):
    hook = Webhook()
    monkeypatch.setenv(WEBHOOK_ENV, hook.url)
    yield hook
    hook.close()
