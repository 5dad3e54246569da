"""`lead-scoring import`: one flat export into the warehouse, its dbt project generated, its record kept.

Order matters for "nothing good lost": the file is read, normalised, typed
and split into valid and quarantined rows, and the leakage scan runs, all
before anything is written; a file that cannot be used (missing id or label
column, wrong encoding, too many bad rows) stops here with the old import
untouched. The record (``<home>/flat/source.json``) makes the home's source
the flat export: the settings then point dbt, training and scoring at the
generated dbt project.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lead_scoring.errors import LeadScoringError
from lead_scoring.flat import conform as conform_lib
from lead_scoring.flat import dbt_project
from lead_scoring.flat.mapping import Mapping, load_mapping
from lead_scoring.flat.reader import read_export
from lead_scoring.ml import dataset
from lead_scoring.policies import LeakagePolicy
from lead_scoring.settings import Settings
from lead_scoring.simulator import landing
from lead_scoring.tables import LOAD_STATS
from lead_scoring.warehouse import Replacement, Warehouse

LEAKAGE_SAMPLE_ROWS = 200_000


class FlatImportError(LeadScoringError):
    pass


@dataclass
class ImportReport:
    name: str
    export_path: str
    mapping_file: str
    mapping_digest: str
    encoding: str
    raw_table: str
    quarantine_table: str
    landed: int
    loaded: int
    quarantined: int
    labelled: int
    positive_rate: float
    quarantine_reasons: dict[str, int]
    columns: list[dict]
    leakage_auc: dict[str, float]
    leakage_flagged: list[str]
    leakage_warned: list[str]
    leakage_evidence: dict[str, str]
    timestamp_column: str | None
    split_method: str
    split_seed: int
    imported_at: str
    dbt_project_dir: str = ""
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def features(self) -> list[str]:
        return [c["name"] for c in self.columns if c["role"] == "feature" and not c["excluded"]]


def leakage_findings(
    conformed: conform_lib.ConformedExport, mapping: Mapping, policy: LeakagePolicy
) -> tuple[dict[str, float], list[str], list[str], dict[str, str]]:
    """ROC AUC of each would-be feature's values and presence on the labelled rows; above ``policy.block_auc`` it is excluded.

    The same scan the training set's `no_label_leakage` check runs; here it keeps
    the leaking column out of the generated feature contract (unless the mapping
    allow-lists it), and the finding is recorded for the import's output and the MLflow run.
    """
    from lead_scoring.quality import guards  # scikit-learn: at run time only

    label_name = conformed.by_role("label")[0].name
    candidates = [c for c in conformed.by_role("feature") if not c.excluded]
    labelled = conformed.valid.filter(pc.is_valid(conformed.valid.column(label_name)))
    if labelled.num_rows > LEAKAGE_SAMPLE_ROWS:
        keep = np.sort(np.random.default_rng(mapping.split_seed).choice(labelled.num_rows, LEAKAGE_SAMPLE_ROWS, replace=False))
        labelled = labelled.take(pa.array(keep))
    frame = labelled.select([label_name, *[c.name for c in candidates]]).to_pandas()
    report = guards.leakage_scan(frame, [c.name for c in candidates], label_name, {c.name for c in candidates if c.original in mapping.leakage_allow}, policy)
    for spec in candidates:
        if spec.name in report.blocked:
            spec.excluded = f"leakage: {report.evidence(spec.name)}, above {policy.block_auc:.2f}"
    evidence = {name: report.evidence(name) for name in report.blocked + report.warned}
    return {k: round(v, 4) for k, v in report.auc.items()}, report.blocked, report.warned, evidence


def _write(warehouse: Warehouse, mapping: Mapping, conformed: conform_lib.ConformedExport, loaded_at: datetime) -> None:
    stamp = lambda t: t.append_column("_loaded_at", pa.array([loaded_at] * t.num_rows, pa.timestamp("us")))
    stats = pd.DataFrame({
        "load_key": [f"flat/{mapping.name}"], "source": [mapping.name],
        "landed": [conformed.valid.num_rows + conformed.quarantined.num_rows],
        "loaded": [conformed.valid.num_rows], "quarantined": [conformed.quarantined.num_rows],
        "_landed_date": [loaded_at.date()], "_loaded_at": [loaded_at],
    })
    # Whole tables, as the export is a whole snapshot (its columns may change between exports);
    # one transaction, so a failed write leaves the previous import's rows, quarantine and counts together.
    warehouse.replace([
        Replacement.whole(f"quarantine.{mapping.name}", stamp(conformed.quarantined)),
        Replacement.whole(f"raw.{mapping.name}", stamp(conformed.valid)),
        Replacement(LOAD_STATS, "load_key", stats["load_key"].tolist(), stats),
    ])


def refuse_simulated_home(settings: Settings) -> None:
    if settings.landing_dir.exists():
        held = landing.read_manifest(settings.landing_dir).get("source") or "a simulated CRM"
        raise FlatImportError(
            f"{settings.home} holds {held} (landing files in {settings.landing_dir}): import a flat export "
            "into its own home (LEAD_SCORING_HOME=<another folder>) or start over with `lead-scoring demo --reset` elsewhere"
        )


@dataclass
class CheckedExport:
    """An export read, typed, split into valid and quarantined rows and scanned for leakage: nothing written yet."""

    mapping: Mapping
    encoding: str
    conformed: conform_lib.ConformedExport
    labels: np.ndarray
    leakage: tuple[dict[str, float], list[str], list[str], dict[str, str]]  # AUC, flagged, warned, why each is suspect
    notes: list[str]  # how the file was read, when it needed more than the mapping says (an unwrapped file)
    warnings: list[str]  # what the user should know before relying on the import (a generated id)


def read_and_check(settings: Settings, mapping_file: Path, export_path: Path | None = None) -> CheckedExport:
    """Everything that can refuse an export before a single write."""
    refuse_simulated_home(settings)
    mapping = load_mapping(Path(mapping_file), Path(export_path) if export_path else None)
    if mapping.path is None:
        raise FlatImportError(f"no export file: pass PATH or set `path` in {mapping.source_file}")
    raw = read_export(mapping.path, mapping.csv)
    conformed = conform_lib.conform(raw, mapping)
    conform_lib.check_quarantine_share(conformed, mapping, mapping.path)
    labels = conformed.valid.column(conformed.by_role("label")[0].name).drop_null().to_numpy()
    if len(np.unique(labels)) < 2:
        raise FlatImportError(f"{mapping.path}: column {mapping.label.column!r} holds {len(labels)} outcomes of one class only: nothing to learn")
    leakage = leakage_findings(conformed, mapping, settings.policies.leakage)
    if not [c for c in conformed.by_role("feature") if not c.excluded]:
        raise FlatImportError(f"{mapping.path}: no usable feature column is left after the mapping and the leakage scan")
    warnings = []
    if mapping.id_column is None:
        warnings.append(f"{mapping.source_file} has `id_column: null`: leads are numbered by their row in the file, so a later "
                     "import cannot be linked to this one (the same lead in another row is a new lead to scores and monitoring); "
                     "map an id column when the export has one")
    return CheckedExport(mapping, raw.encoding, conformed, labels, leakage, list(raw.notes), warnings)


def write_import(settings: Settings, checked: CheckedExport) -> ImportReport:
    """Load the rows, generate the export's dbt project and record the import (``source.json``)."""
    mapping, conformed, labels = checked.mapping, checked.conformed, checked.labels
    auc, flagged, warned, evidence = checked.leakage
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    _write(settings.landing_warehouse(), mapping, conformed, loaded_at)  # raw and quarantine: the owner's
    project = dbt_project.write_project(settings.flat_dir / "dbt", mapping, conformed.columns)
    reasons = pd.Series(conformed.quarantined.column("_reason").to_pylist(), dtype=object).value_counts().to_dict()
    report = ImportReport(
        name=mapping.name,
        export_path=str(mapping.path),
        mapping_file=str(mapping.source_file),
        mapping_digest=mapping.digest,
        encoding=checked.encoding,
        raw_table=f"raw.{mapping.name}",
        quarantine_table=f"quarantine.{mapping.name}",
        landed=conformed.valid.num_rows + conformed.quarantined.num_rows,
        loaded=conformed.valid.num_rows,
        quarantined=conformed.quarantined.num_rows,
        labelled=len(labels),
        positive_rate=round(float(labels.mean()), 4),
        quarantine_reasons={str(k): int(v) for k, v in reasons.items()},
        columns=[c.as_dict() for c in conformed.columns],
        leakage_auc=auc,
        leakage_flagged=flagged,
        leakage_warned=warned,
        leakage_evidence=evidence,
        timestamp_column=mapping.timestamp.column if mapping.timestamp else None,
        split_method="time" if mapping.timestamp else "stratified_random",
        split_seed=mapping.split_seed,
        imported_at=loaded_at.isoformat(),
        dbt_project_dir=str(project),
        warnings=checked.warnings,
        notes=[*checked.notes, *(c.note for c in conformed.columns if c.note)],
    )
    settings.flat_dir.mkdir(parents=True, exist_ok=True)
    settings.flat_source_file.write_text(json.dumps(report.__dict__, indent=2))
    return report


def import_export(settings: Settings, mapping_file: Path, export_path: Path | None = None) -> ImportReport:
    """Read, check, load and record one export (no journal: ``pipeline`` and the ``flat_import`` job add it)."""
    return write_import(settings, read_and_check(settings, mapping_file, export_path))


def read_record(settings: Settings) -> dict | None:
    """The home's import record, or None when the home's source is the simulated CRM."""
    path = settings.flat_source_file
    return json.loads(path.read_text()) if path.exists() else None


def split_seed(settings: Settings) -> int:
    record = read_record(settings)
    return int(record["split_seed"]) if record else dataset.SPLIT_SEED


def run_tags(settings: Settings) -> dict[str, str]:
    """What a training run on a flat export records: the source, its mapping, the split and the leakage finding."""
    record = read_record(settings)
    if record is None:
        return {}
    # Tag keys allow only a few characters (MLflow refuses `(` or `?`): keys use the warehouse name, values the original.
    excluded = {c["name"]: f"{c['original']}: {c['excluded']}" for c in record["columns"] if c["excluded"]}
    tags = {
        "source": f"flat:{record['name']}",
        "flat_export": record["export_path"],
        "flat_mapping_digest": record["mapping_digest"],
        "split_method": record["split_method"],
        "split_seed": str(record["split_seed"]) if record["split_method"] == "stratified_random" else "none",
        "leakage_flagged": ",".join(record["leakage_flagged"]) or "none",
        "leakage_warned": ",".join(record["leakage_warned"]) or "none",
        "excluded_post_outcome": ",".join(c["original"] for c in record["columns"] if c["role"] == "post_outcome") or "none",
    }
    tags.update({f"leakage_auc.{name}": f"{record['leakage_auc'][name]:.4f}" for name in record["leakage_flagged"] + record["leakage_warned"]})
    tags.update({f"excluded.{name}": reason for name, reason in excluded.items()})
    return tags


def render(report: ImportReport) -> str:
    columns = report.columns
    by_role = lambda role: [c["original"] for c in columns if c["role"] == role]
    lines = [
        f"imported {report.export_path} ({report.encoding}) with mapping {report.mapping_file}",
        f"  rows        {report.landed} landed = {report.loaded} loaded into {report.raw_table} + "
        f"{report.quarantined} quarantined in {report.quarantine_table}",
        f"  outcomes    {report.labelled} labelled, {report.positive_rate:.1%} positive; {report.loaded - report.labelled} without an outcome (scored only)",
        f"  features    {len(report.features)}: " + ", ".join(
            f"{c['name']} ({c['feature_type']})" for c in columns if c["role"] == "feature" and not c["excluded"]),
        f"  not features: post-outcome {by_role('post_outcome') or 'none'}; personal data (raw only) {by_role('pii') or 'none'}",
        f"  split       {report.split_method}" + (f" on {report.timestamp_column}" if report.timestamp_column else f", seed {report.split_seed} (the export has no timestamp)"),
    ]
    for reason, n in report.quarantine_reasons.items():
        lines.append(f"  quarantined {n} rows: {reason}")
    for c in columns:
        if c["excluded"] and c["excluded"].startswith("leakage"):
            lines.append(f"  LEAKAGE     {c['original']!r}: {c['excluded']}; excluded from the features "
                         "(likely filled in after the outcome; allow it with `leakage_allow` in the mapping)")
    for name in report.leakage_warned:
        lines.append(f"  warning     {name}: {report.leakage_evidence[name]}, above the warning level; kept: worth a look")
    for note in report.notes:
        lines.append(f"  note        {note}")
    for warning in report.warnings:
        lines.append(f"  WARNING     {warning}")
    constant = [c["original"] for c in columns if c["excluded"] == "constant"]
    if constant:
        lines.append(f"  constant    {constant}: one value only, not features")
    return "\n".join(lines)
