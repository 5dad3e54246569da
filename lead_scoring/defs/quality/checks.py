"""Quality checks: the blocking checks that stand between the data and training, promotion and scoring.

Each check calls a plain guard in ``lead_scoring.quality`` and reports what it
found with the table, column and rows. ERROR-severity checks are blocking:
when one fails, the assets after it in the run do not run. (Checks that run
inside ingestion, on the landing files, are in ``defs/ingestion/``.)
"""

import dagster as dg

from lead_scoring import tables
from lead_scoring.defs.check_results import blocking_result, gx_result, sample
from lead_scoring.ml import dataset
from lead_scoring.ml.features import feature_contract
from lead_scoring.platform.resources import GreatExpectationsResource, WarehouseResource
from lead_scoring.quality import validation
from lead_scoring.settings import Settings
from lead_scoring.warehouse.names import quote

TRAINING_TABLE = tables.TRAINING_SET
TRAINING_SET = dg.AssetKey(["training_set"])
LEAD_SCORES = dg.AssetKey(["lead_scores"])
SCORES_TABLE = tables.SCORES
FEATURE_TABLES = {
    dg.AssetKey(["marts", "lead_snapshots"]): "marts.lead_snapshots",
    dg.AssetKey(["marts", "lead_features_current"]): "marts.lead_features_current",
    TRAINING_SET: TRAINING_TABLE,
}


def _allowed_columns(table: str, settings: Settings) -> set[str]:
    from lead_scoring.ml.scoring import SCORE_COLUMNS

    if table == SCORES_TABLE:
        return set(SCORE_COLUMNS)
    return tables.NON_FEATURE_COLUMNS | {f.name for f in feature_contract(settings.dbt_manifest_path)}


def _no_pii_check(asset_key: dg.AssetKey, table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=asset_key,
        name="only_allowed_columns",
        blocking=True,
        description=f"{table} holds only allow-listed columns: no e-mail, phone, name or other identifier.",
    )
    def _check(warehouse: WarehouseResource, settings: dg.ResourceParam[Settings]) -> dg.AssetCheckResult:
        from lead_scoring.quality import guards

        found = guards.unexpected_columns(warehouse.get().columns(table), _allowed_columns(table, settings))
        bad = sorted(set(found["not_allowed"]) | set(found["pii"]))
        return blocking_result(
            not bad,
            f"{table} has columns outside its allow-list: {bad} (personal data: {found['pii']})",
            columns_not_allowed=", ".join(bad) or "none",
        )

    return _check


def _consent_check(asset_key: dg.AssetKey, table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=asset_key,
        name="no_withdrawn_consent",
        blocking=True,
        description=f"No lead in {table} has withdrawn consent (judged on raw.consents, independently of dbt).",
    )
    def _check(warehouse: WarehouseResource, settings: dg.ResourceParam[Settings]) -> dg.AssetCheckResult:
        from lead_scoring.quality import guards

        found = guards.withdrawn_consent(warehouse.get(), table)
        return blocking_result(
            found.empty,
            f"{len(found)} leads in {table} ({int(found.rows.sum()) if len(found) else 0} rows) have withdrawn "
            f"consent in raw.consents, e.g. {sample(found.lead_id)}",
            leads=len(found),
            sample_lead_ids=sample(found.lead_id),
        )

    return _check


@dg.asset_check(asset=TRAINING_SET, blocking=True, description="No lead and no identical feature row appears in two splits.")
def splits_are_disjoint(warehouse: WarehouseResource, settings: dg.ResourceParam[Settings]) -> dg.AssetCheckResult:

    features = [f.name for f in feature_contract(settings.dbt_manifest_path)]
    frame = warehouse.get().query(f"select lead_id, split, {', '.join(map(quote, features))} from {TRAINING_TABLE}")
    found = dataset.split_overlap(frame, features)
    leads, rows = found["leads_in_several_splits"], found["feature_rows_in_several_splits"]
    return blocking_result(
        not leads and not rows,
        f"{len(leads)} leads of {TRAINING_TABLE} are in more than one split (e.g. {sample(leads)}), "
        f"and {rows} identical feature rows are",
        leads_in_several_splits=len(leads),
        sample_lead_ids=sample(leads),
        identical_feature_rows_across_splits=found["feature_rows_in_several_splits"],
    )


@dg.asset_check(asset=TRAINING_SET, blocking=True, description="Every label's 30-day window has closed before the latest data.")
def labels_are_mature(warehouse: WarehouseResource, settings: dg.ResourceParam[Settings]) -> dg.AssetCheckResult:
    from lead_scoring.quality import guards

    wh = warehouse.get()
    through = wh.query("select max(cast(occurred_at as date)) as d from raw.activities").d.iloc[0]
    frame = wh.query(f"select lead_id, as_of_date from {TRAINING_TABLE}")
    immature = guards.immature_labels(frame, 30, through)
    return blocking_result(
        immature.empty,
        f"{len(immature)} rows of {TRAINING_TABLE} have a label window ending after the data ({through}), "
        f"e.g. leads {sample(immature.lead_id)}",
        immature_rows=len(immature),
        data_through=str(through),
    )


class LeakageConfig(dg.Config):
    allow_list: list[str] = []


def _auc_table(report) -> dg.MetadataValue:
    rows = "\n".join(f"| {name} | {report.value_auc[name]:.3f} | {report.presence_auc[name]:.3f} |"
                     for name, _ in sorted(report.auc.items(), key=lambda i: -i[1]))
    return dg.MetadataValue.md("| feature | ROC AUC of its values | ROC AUC of \"is filled in\" |\n|---|---|---|\n" + rows)


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "no_label_leakage",
            asset=TRAINING_SET,
            blocking=True,
            description="No feature predicts the label suspiciously well on its own (the ROC AUC of its values, or of whether "
            "it is filled in, above the leakage policy's block_auc, default 0.90), unless allow-listed: such a feature is usually "
            "filled in after the outcome.",
        ),
        dg.AssetCheckSpec(
            "label_leakage_warnings",
            asset=TRAINING_SET,
            description="Warns when a feature's univariate ROC AUC exceeds the leakage policy's warn_auc (default 0.80): worth a look before it is trusted.",
        ),
    ]
)
def label_leakage(config: LeakageConfig, warehouse: WarehouseResource, settings: dg.ResourceParam[Settings]):
    """One leakage scan of the training split, reported as a blocking check and a warning."""
    from lead_scoring.quality import guards

    features = [f.name for f in feature_contract(settings.dbt_manifest_path)]
    frame = warehouse.get().query(f"select * from {TRAINING_TABLE} where split = 'train'")
    report = guards.leakage_scan(frame, features, "converted_within_30d", set(config.allow_list), settings.policies.leakage)
    top = "; ".join(f"{name}: {report.evidence(name)}" for name in report.blocked) or "none"
    yield blocking_result(
        not report.blocked,
        f"features of {TRAINING_TABLE} that rank the outcome above ROC AUC {settings.policies.leakage.block_auc:.2f} on their own "
        f"(likely filled in after the outcome): {top}",
        TRAINING_SET,
        "no_label_leakage",
        blocked=", ".join(report.blocked) or "none",
        allow_listed=", ".join(report.allowed) or "none",
        univariate_auc=_auc_table(report),
    )
    warned = {name: round(report.auc[name], 3) for name in report.warned}
    yield dg.AssetCheckResult(
        asset_key=TRAINING_SET,
        check_name="label_leakage_warnings",
        passed=not warned,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"features with univariate ROC AUC between {settings.policies.leakage.warn_auc:.2f} and {settings.policies.leakage.block_auc:.2f}: {warned}" if warned else None,
        metadata={"warned": ", ".join(warned) or "none"},
    )


@dg.asset_check(
    asset=dg.AssetKey(["marts", "lead_features_current"]),
    name="great_expectations",
    blocking=True,
    description="The features suite: one row per lead, every feature in its range or domain, and no feature "
    "that was under 10% null in the training reference now over 50% null (checked on all open leads and on "
    "the newest cohort). Results and Data Docs under the home folder.",
)
def features_expectations(warehouse: WarehouseResource, great_expectations: GreatExpectationsResource, settings: dg.ResourceParam[Settings]) -> dg.AssetCheckResult:

    wh = warehouse.get()
    features = feature_contract(settings.dbt_manifest_path)
    frame = wh.query("select * from marts.lead_features_current")
    outcomes = validation.validate_features(great_expectations.project(), wh, frame, features)
    return gx_result(outcomes, "marts.lead_features_current")


# The checks any source gets. A flat export has no activity stream, consent table or
# features suite of its own: maturity, consent and the GX features suite are the simulated CRM's.
any_source_checks = [
    splits_are_disjoint,
    label_leakage,
    _no_pii_check(LEAD_SCORES, SCORES_TABLE),
    *[_no_pii_check(key, table) for key, table in FEATURE_TABLES.items()],
]
checks = [
    features_expectations,
    labels_are_mature,
    _consent_check(TRAINING_SET, TRAINING_TABLE),
    _consent_check(LEAD_SCORES, SCORES_TABLE),
    *any_source_checks,
]

