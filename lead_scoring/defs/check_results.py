"""Turning guard findings into Dagster asset check results, the same way for every check."""

import dagster as dg


def sample(ids, n: int = 10) -> str:
    return ", ".join(map(str, list(ids)[:n]))


def blocking_result(
    passed: bool, problem: str, asset_key: dg.AssetKey | None = None, check_name: str | None = None, **metadata
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=None if passed else problem,
        metadata=metadata,
    )


def gx_result(outcomes: list, table: str, asset_key: dg.AssetKey | None = None, check_name: str | None = None) -> dg.AssetCheckResult:
    """One check result from one or more Great Expectations validations (``(batch name, outcome)`` pairs)."""
    failures = [(batch, f) for batch, outcome in outcomes for f in outcome.failures]
    rows = "\n".join(
        f"| {batch} | {f.expectation} | {f.column or ''} | {f.observed} | {f.unexpected_count or ''} | {sample(f.sample_ids, 5)} |"
        for batch, f in failures
    )
    metadata = {
        "suite": outcomes[0][1].suite if outcomes else "",
        "expectations_evaluated": sum(o.evaluated for _, o in outcomes),
        "expectations_failed": len(failures),
    }
    if rows:
        metadata["failed_expectations"] = dg.MetadataValue.md(
            "| batch | expectation | column | observed | unexpected rows | sample ids |\n|---|---|---|---|---|---|\n" + rows
        )
    docs = [o.docs_url for _, o in outcomes if o.docs_url]
    if docs:
        metadata["data_docs"] = dg.MetadataValue.url(docs[-1])
    problem = "; ".join(f"{f.sentence(table)} [{batch}]" for batch, f in failures)
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=not failures,
        severity=dg.AssetCheckSeverity.ERROR,
        description=problem or None,
        metadata=metadata,
    )
