"""The load checks of ingestion: quarantined share and late arrivals, judged on a prepared load."""

import dagster as dg

from lead_scoring.defs.check_results import blocking_result
from lead_scoring.quality import arrivals
from lead_scoring.steps import ingest

QUARANTINE_CHECK = "quarantined_share_within_limit"
LATE_CHECK = "late_arrivals"


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey([ingest.RAW_SCHEMA, table])


def _names(tables: list[str]) -> str:
    return ", ".join("raw." + t for t in tables)


def share(report: ingest.LoadReport) -> float:
    return report.quarantined / report.landed if report.landed else 0.0


def blocked(failed_suites: list[str], over_quarantine: list[str], limit: float) -> str:
    reasons = [f"Great Expectations suites failed for {_names(failed_suites)}"] if failed_suites else []
    reasons += [f"quarantined share over {limit:.0%} for {_names(over_quarantine)}"] if over_quarantine else []
    return "nothing was loaded: " + "; ".join(reasons)


def quarantine_result(table: str, report: ingest.LoadReport, limit: float) -> dg.AssetCheckResult:
    found = share(report)
    return blocking_result(
        found <= limit,
        f"{report.quarantined} of {report.landed} rows of raw.{table} ({found:.1%}) went to quarantine.{table}; "
        f"the limit is {limit:.0%}: nothing was loaded",
        raw_key(table),
        QUARANTINE_CHECK,
        quarantined_share=found,
        reasons=dg.MetadataValue.json(report.reasons or {}),
    )


def late_result(table: str, found: arrivals.LateArrivals) -> dg.AssetCheckResult:
    """WARN, never blocking: late rows are true, and the features already count them only from their landing day on."""
    return dg.AssetCheckResult(
        asset_key=raw_key(table),
        check_name=LATE_CHECK,
        passed=not found.warns,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{found.late_rows} of {found.rows} rows of raw.{table} ({found.share:.1%}) landed more than "
            f"{found.policy.late_tolerance_days} day(s) after their {arrivals.EVENT_TIME[table]} (the earliest on "
            f"{found.earliest_late_event}); the warning threshold is {found.policy.late_warn_share:.0%}. They count in "
            "features from their landing day on: past snapshots and training rows do not see them."
        )
        if found.warns
        else None,
        metadata={
            "source": table,
            "rows": found.rows,
            "late_rows": found.late_rows,
            "late_share": found.share,
            "warn_above_share": found.policy.late_warn_share,
            "tolerance_days": found.policy.late_tolerance_days,
            "late_rows_by_landing_day": dg.MetadataValue.json(found.late_by_landing_day),
        },
    )
