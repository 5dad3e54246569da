"""One notifier for every alert: always logged, and posted to a webhook when one is configured.

The webhook URL comes from the environment (``LEAD_SCORING_ALERT_WEBHOOK_URL``,
e.g. a Slack or Teams incoming webhook); it is a secret: logs show its host only. The
body is JSON: ``{"text": ..., "kind": ..., "details": {...}}``. A failing
webhook is logged and does not fail the sensor or run that raised the alert.
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.request
from dataclasses import dataclass, field

from lead_scoring.redaction import redacted

TIMEOUT_SECONDS = 5
logger = logging.getLogger("lead_scoring.alerts")


@dataclass(frozen=True)
class Alert:
    kind: str  # run_failure, stale_data, retrain_triggered
    text: str
    details: dict = field(default_factory=dict)


def notify(alert: Alert, url: str = "", log: logging.Logger | None = None) -> bool:
    """Log the alert and post it to the webhook ``url`` (``Settings.alert_webhook_url``) if any; True when it accepted it."""
    (log or logger).warning(f"[alert:{alert.kind}] {alert.text}")
    if not url:
        return False
    body = json.dumps({"text": alert.text, "kind": alert.kind, "details": alert.details}, default=str).encode()
    try:
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return 200 <= response.status < 300
    # A malformed URL raises ValueError / InvalidURL quoting the URL, token and all: it is logged redacted.
    except (ValueError, http.client.HTTPException, OSError) as error:
        shown = redacted(url, keep_path=False)
        reason = redacted(str(error).replace(url, shown))
        (log or logger).error(f"alert webhook failed ({type(error).__name__}: {reason}) at {shown}; the alert was logged above")
        return False
