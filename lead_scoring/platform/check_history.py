"""The latest result of each asset check, read from the Dagster instance (for the stakeholder report).

Dagster 1.13 has no public API for stored check results: ``DagsterInstance`` offers
``get_latest_asset_check_evaluation_record`` (one check per query, not marked public)
and its event log storage ``get_latest_asset_check_execution_by_key`` (all checks in
one query, not marked public either). This module uses the storage's, the one the
Dagster UI's own check queries go through; ``docs/platform.md`` lists it with its
canary. There is no switch: there is no stock alternative to fall back to.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from lead_scoring.reporting.data import CheckOutcome


def latest_check_outcomes(instance, check_keys: Iterable) -> list[CheckOutcome]:
    """The latest completed result of each of ``check_keys`` (``dagster.AssetCheckKey``), by asset then check.

    A check that is only planned, or was skipped, has no result and is left out.
    """
    keys = list(check_keys)
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys) if keys else {}
    outcomes = []
    for key, record in sorted(latest.items(), key=lambda item: item[0].to_user_string()):
        evaluation = record.event.asset_check_evaluation if record.event and record.event.dagster_event else None
        if evaluation is None:  # planned or skipped: no result to report
            continue
        outcomes.append(
            CheckOutcome(
                asset=key.asset_key.to_user_string(),
                check=key.name,
                passed=evaluation.passed,
                severity=evaluation.severity.value,
                description=evaluation.description or "",
                at=datetime.fromtimestamp(record.create_timestamp, tz=timezone.utc),
            )
        )
    return outcomes
