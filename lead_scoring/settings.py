"""The one configuration path: ``Settings``, read from the environment once, then passed down.

``Settings.from_env()`` is called once per process (the code location, a CLI
command, a benchmark) and the object travels as an argument to plain code and
as the ``settings`` resource to Dagster assets and sensors. No other module
reads the environment; the only writes are the child-process variables dbt
needs (``child_env``, ``dbt_environment``). Every variable is listed in
``VARIABLES`` or derived from a policy field (``lead_scoring.policies``), and
docs/configuration-reference.md is generated from both
(``python -m lead_scoring.app.config_reference``).
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterator, Mapping
from urllib.parse import unquote, urlsplit

from lead_scoring.errors import LeadScoringError
from lead_scoring.policies import Policies, policy_fields
from lead_scoring.redaction import redacted
from lead_scoring.simulator import landing
from lead_scoring.warehouse import Warehouse, is_postgres_url
from lead_scoring.warehouse.limits import DEFAULT_MEMORY_LIMIT, DEFAULT_THREADS, MEMORY_SIZE, DuckDbLimits

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"
REGISTERED_MODEL = "lead_scoring"
EXPERIMENT = "lead_scoring"
DEFAULT_START_DATE = date(2026, 1, 1)
# Postgres work_mem of dbt's sessions: at the default 4 MB the feature models spill gigabytes to temporary files.
PG_WORK_MEM = "256MB"


class SettingsError(LeadScoringError):
    """A variable holds a value the platform cannot use (exit code 2 from the CLI)."""


@dataclass(frozen=True)
class Variable:
    name: str
    default: str  # as the reference shows it
    doc: str
    secret: bool = False  # redacted wherever it is printed


VARIABLES = (
    Variable("LEAD_SCORING_HOME", "<project>/.lead_scoring", "the home folder: warehouse, landing, MLflow store and Dagster home"),
    Variable("LEAD_SCORING_WAREHOUSE_URL", "unset (the DuckDB file)", "`postgresql://user:password@host:port/db` puts the warehouse on Postgres", secret=True),
    Variable("LEAD_SCORING_LANDING_WAREHOUSE_URL", "unset (the warehouse URL)",
             "Postgres only: the URL that ingestion writes `raw`, `quarantine` and `ground_truth` with, when everything "
             "else connects as a role that cannot read personal data (`lead-scoring grant-pipeline-role`)", secret=True),
    Variable("LEAD_SCORING_WAREHOUSE_PATH", "$LEAD_SCORING_HOME/warehouse.duckdb", "the DuckDB warehouse file"),
    Variable("LEAD_SCORING_DBT_TARGET", "dev (DuckDB), prod (Postgres)", "the dbt profile target"),
    Variable("MLFLOW_TRACKING_URI", "sqlite:///$LEAD_SCORING_HOME/mlflow/mlflow.db", "the MLflow tracking store and model registry", secret=True),
    Variable("LEAD_SCORING_MLFLOW_ARTIFACTS", "$LEAD_SCORING_HOME/mlflow/artifacts", "where MLflow stores models and reports of a local store"),
    Variable("LEAD_SCORING_MLFLOW_UI_URL", "http://127.0.0.1:5000 (a server's own URL for an http store)", "the MLflow UI (http or https) that Dagster's links open"),
    Variable("DAGSTER_HOME", "$LEAD_SCORING_HOME/dagster", "the Dagster instance (dagster.yaml, runs, event log)"),
    Variable("LEAD_SCORING_START_DATE", "first landed day, else 2026-01-01", "the first daily partition"),
    Variable("LEAD_SCORING_ALERT_WEBHOOK_URL", "unset (alerts only logged)", "an http(s) webhook that receives monitoring and run-failure alerts as JSON", secret=True),
    Variable("LEAD_SCORING_MODEL_THREADS", "1", "OpenMP and BLAS threads of training and scoring, 1 to 256 (1 keeps metrics reproducible)"),
    Variable("LEAD_SCORING_PG_WORK_MEM", PG_WORK_MEM, "Postgres work_mem of dbt's sessions, a size such as 1GB (via PGOPTIONS; a PGOPTIONS of your own wins)"),
    Variable("PGOPTIONS", "-c work_mem=$LEAD_SCORING_PG_WORK_MEM", "libpq options of dbt's Postgres sessions"),
    Variable("LEAD_SCORING_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT,
             "DuckDB's memory limit in every process that opens the warehouse, dbt's included (larger queries spill to disk)"),
    Variable("LEAD_SCORING_DUCKDB_THREADS", str(DEFAULT_THREADS), "DuckDB's threads per process, 1 to 256"),
    Variable("LEAD_SCORING_DUCKDB_TEMP_DIRECTORY", "$LEAD_SCORING_HOME/duckdb_tmp", "where DuckDB queries spill what does not fit in memory"),
    Variable("LEAD_SCORING_DBT_IN_PROCESS", "true", "run dbt inside the Dagster run's process; false = dagster-dbt's stock subprocess (docs/platform.md)"),
    Variable("LEAD_SCORING_POOLED_EVENT_LOG", "true", "CLI runs keep the SQLite event log's connections; false = Dagster's stock event log (docs/platform.md)"),
    Variable("LEAD_SCORING_MODEL_SPACE_REASONS", "true", "reasons computed on preprocessed rows and, for boosting, only the trees a feature is in; false = every variant lead predicted whole (docs/platform.md)"),
)

# Set by the platform for dbt's child processes and read by profiles.yml and the models, never by users.
CHILD_VARIABLES = {
    "LEAD_SCORING_PG_HOST": "Postgres host, from the warehouse URL",
    "LEAD_SCORING_PG_PORT": "Postgres port, from the warehouse URL",
    "LEAD_SCORING_PG_USER": "Postgres user, from the warehouse URL",
    "LEAD_SCORING_PG_PASSWORD": "Postgres password, from the warehouse URL",
    "LEAD_SCORING_PG_DBNAME": "Postgres database, from the warehouse URL",
    "LEAD_SCORING_AS_OF_DATE": "the scoring date of a daily run's features (empty: the latest day)",
}


def policy_variable(section: str, name: str) -> str:
    return f"LEAD_SCORING_{section}_{name}".upper()


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}={value!r}: expected true or false")


def _number(name: str, value: str, kind: type, low, high):
    try:
        number = kind(value)
    except ValueError:
        raise SettingsError(f"{name}={value!r}: expected {'an integer' if kind is int else 'a number'}") from None
    if not math.isfinite(number):  # NaN passes every comparison, so a gate would never decide on it
        raise SettingsError(f"{name}={value!r}: expected a finite number")
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        raise SettingsError(f"{name}={value!r}: must be {bounds}")
    return number


def _matching(env: Mapping[str, str], name: str, default: str, pattern: str, expected: str, secret: bool = False) -> str:
    """The variable's value if it is the kind of value it should be; these reach dbt's argv, libpq and links."""
    value = env.get(name, "").strip() or default
    if value and not re.fullmatch(pattern, value):
        shown = redacted(value, keep_path=False) if secret else value  # a webhook carries its token in the path
        raise SettingsError(f"{name}={shown!r}: expected {expected}")
    return value


HTTP_URL = r"https?://[^\s]+"


def read_policies(env: Mapping[str, str]) -> Policies:
    """The policies with the overrides found in ``env`` (``LEAD_SCORING_<POLICY>_<FIELD>``), validated."""
    overrides: dict[str, dict] = {}
    for section, cls, knob_field in policy_fields():
        name = policy_variable(section, knob_field.name)
        if env.get(name, "").strip():
            kind = int if isinstance(knob_field.default, int) else float
            overrides.setdefault(section, {})[knob_field.name] = _number(
                name, env[name].strip(), kind, knob_field.metadata["low"], knob_field.metadata["high"]
            )
    policies = Policies(**{section: getattr(Policies(), section).__class__(**values) for section, values in overrides.items()})
    if policies.drift.psi_moderate > policies.drift.psi_significant:
        raise SettingsError("LEAD_SCORING_DRIFT_PSI_MODERATE must not exceed LEAD_SCORING_DRIFT_PSI_SIGNIFICANT")
    if policies.leakage.warn_auc > policies.leakage.block_auc:
        raise SettingsError("LEAD_SCORING_LEAKAGE_WARN_AUC must not exceed LEAD_SCORING_LEAKAGE_BLOCK_AUC")
    return policies


@dataclass(frozen=True)
class Settings:
    home: Path
    warehouse_path: Path
    dbt_target: str
    mlflow_tracking_uri: str
    mlflow_artifacts: Path
    dagster_home: Path
    # A Postgres URL when the warehouse is Postgres; empty = the DuckDB file at warehouse_path.
    warehouse_url: str = ""
    # Postgres only: ingestion's own URL (the raw data's owner); empty = warehouse_url.
    landing_warehouse_url: str = ""
    start_date: date | None = None
    mlflow_ui_url: str = ""
    alert_webhook_url: str = ""
    model_threads: int = 1
    pg_options: str = f"-c work_mem={PG_WORK_MEM}"
    duckdb_memory_limit: str = DEFAULT_MEMORY_LIMIT
    duckdb_threads: int = DEFAULT_THREADS
    duckdb_temp_directory: Path | None = None  # None: <home>/duckdb_tmp
    dbt_in_process: bool = True
    pooled_event_log: bool = True
    model_space_reasons: bool = True
    policies: Policies = Policies()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        home = Path(env.get("LEAD_SCORING_HOME") or PROJECT_DIR / ".lead_scoring").resolve()
        warehouse_url = env.get("LEAD_SCORING_WAREHOUSE_URL", "")
        if warehouse_url and not is_postgres_url(warehouse_url):
            raise SettingsError(f"LEAD_SCORING_WAREHOUSE_URL={redacted(warehouse_url)!r}: expected postgresql://user:password@host:port/database")
        landing_url = env.get("LEAD_SCORING_LANDING_WAREHOUSE_URL", "")
        if landing_url and not (warehouse_url and is_postgres_url(landing_url)):
            raise SettingsError(f"LEAD_SCORING_LANDING_WAREHOUSE_URL={redacted(landing_url)!r}: expected a postgresql:// URL "
                                "beside a Postgres LEAD_SCORING_WAREHOUSE_URL (a DuckDB file has one writer)")
        start = env.get("LEAD_SCORING_START_DATE", "").strip()
        try:
            start_date = date.fromisoformat(start) if start else None
        except ValueError:
            raise SettingsError(f"LEAD_SCORING_START_DATE={start!r}: expected a date as YYYY-MM-DD") from None
        return cls(
            home=home,
            warehouse_path=Path(env.get("LEAD_SCORING_WAREHOUSE_PATH") or home / "warehouse.duckdb"),
            warehouse_url=warehouse_url,
            landing_warehouse_url=landing_url,
            dbt_target=_matching(env, "LEAD_SCORING_DBT_TARGET", "prod" if is_postgres_url(warehouse_url) else "dev",
                                 r"[A-Za-z0-9_-]+", "a dbt target name (letters, digits, _ and -)"),
            mlflow_tracking_uri=env.get("MLFLOW_TRACKING_URI") or f"sqlite:///{home / 'mlflow' / 'mlflow.db'}",
            mlflow_artifacts=Path(env.get("LEAD_SCORING_MLFLOW_ARTIFACTS") or home / "mlflow" / "artifacts"),
            dagster_home=Path(env.get("DAGSTER_HOME") or home / "dagster"),
            start_date=start_date,
            mlflow_ui_url=_matching(env, "LEAD_SCORING_MLFLOW_UI_URL", "", HTTP_URL, "an http:// or https:// URL", secret=True),
            alert_webhook_url=_matching(env, "LEAD_SCORING_ALERT_WEBHOOK_URL", "", HTTP_URL, "an http:// or https:// URL", secret=True),
            model_threads=_number("LEAD_SCORING_MODEL_THREADS", env.get("LEAD_SCORING_MODEL_THREADS") or "1", int, 1, 256),
            # One libpq option of ours: a work_mem with a unit, never a second `-c` smuggled into dbt's sessions.
            pg_options=env.get("PGOPTIONS") or "-c work_mem=" + _matching(env, "LEAD_SCORING_PG_WORK_MEM", PG_WORK_MEM, r"\d+\s?(kB|MB|GB|TB)?",
                                                                      "a size such as 256MB"),
            duckdb_memory_limit=_matching(env, "LEAD_SCORING_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT, MEMORY_SIZE, "a size such as 2GB"),
            duckdb_threads=_number("LEAD_SCORING_DUCKDB_THREADS", env.get("LEAD_SCORING_DUCKDB_THREADS") or str(DEFAULT_THREADS), int, 1, 256),
            duckdb_temp_directory=Path(env["LEAD_SCORING_DUCKDB_TEMP_DIRECTORY"]) if env.get("LEAD_SCORING_DUCKDB_TEMP_DIRECTORY", "").strip() else None,
            dbt_in_process=_flag(env, "LEAD_SCORING_DBT_IN_PROCESS", True),
            pooled_event_log=_flag(env, "LEAD_SCORING_POOLED_EVENT_LOG", True),
            model_space_reasons=_flag(env, "LEAD_SCORING_MODEL_SPACE_REASONS", True),
            policies=read_policies(env),
        )

    def mlflow_browser_url(self) -> str:
        """Where people open MLflow: LEAD_SCORING_MLFLOW_UI_URL, else a tracking server's own address, else
        the local `make mlflow-ui` (a server's tracking URI is not always its browser address).

        Redacted: the link lands in Dagster metadata and the report, which anyone with the UI can read."""
        tracking = self.mlflow_tracking_uri
        fallback = tracking if tracking.startswith("http") else "http://127.0.0.1:5000"
        return redacted((self.mlflow_ui_url or fallback).rstrip("/"))

    def warehouse(self) -> Warehouse:
        """The configured warehouse: the DuckDB file, or Postgres when LEAD_SCORING_WAREHOUSE_URL says so."""
        return Warehouse(self.warehouse_url or self.warehouse_path, self.duckdb_limits)

    def landing_warehouse(self) -> Warehouse:
        """The warehouse as ingestion writes it: LEAD_SCORING_LANDING_WAREHOUSE_URL, else the same as ``warehouse()``."""
        return Warehouse(self.landing_warehouse_url) if self.landing_warehouse_url else self.warehouse()

    @property
    def duckdb_limits(self) -> DuckDbLimits:
        return DuckDbLimits(temp_directory=str(self.duckdb_temp_directory or self.home / "duckdb_tmp"),
                            memory_limit=self.duckdb_memory_limit, threads=self.duckdb_threads)

    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def ground_truth_dir(self) -> Path:
        return self.home / "ground_truth"

    @property
    def flat_dir(self) -> Path:
        """Where `lead-scoring import` keeps the imported export's record and generated dbt project."""
        return self.home / "flat"

    @property
    def flat_source_file(self) -> Path:
        return self.flat_dir / "source.json"

    @property
    def dbt_project_dir(self) -> Path:
        """The dbt project of this home's source: the repo's (simulated CRM) or the one generated for a flat export."""
        return self.flat_dir / "dbt" if self.flat_source_file.exists() else DBT_PROJECT_DIR

    @property
    def dbt_manifest_path(self) -> Path:
        return self.dbt_project_dir / "target" / "manifest.json"

    def history_start(self) -> date:
        """First partition of the daily assets."""
        if self.start_date:
            return self.start_date
        started = landing.read_manifest(self.landing_dir).get("start_date")
        return date.fromisoformat(started) if started else DEFAULT_START_DATE

    def dbt_env(self) -> dict[str, str]:
        """The variables dbt's profile reads: the warehouse file and target, or Postgres' parts and session options."""
        return {
            "LEAD_SCORING_WAREHOUSE_PATH": str(self.warehouse_path),
            "LEAD_SCORING_DBT_TARGET": self.dbt_target,
            **self.duckdb_limits.environment(),
            **dbt_connection_env(self.warehouse_url, self.pg_options),
        }

    def child_env(self, **extra: str) -> dict[str, str]:
        """This process's environment plus what dbt needs, for a dbt child process (this process's stays as it was)."""
        return {**os.environ, **self.dbt_env(), **extra}


@contextlib.contextmanager
def environment(overrides: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``overrides`` inside the block, as it was after (dbt reads its settings from it)."""
    previous = {name: os.environ.get(name) for name in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def dbt_connection_env(warehouse_url: str, pg_options: str) -> dict[str, str]:
    """The variables dbt's `prod` profile reads, taken apart from the Postgres URL (empty for DuckDB).

    One source of truth: users set the URL once; dbt gets host, port, user,
    password and database from it through the environment, never from a file.
    """
    if not is_postgres_url(warehouse_url):
        return {}
    parts = urlsplit(warehouse_url)
    return {
        "LEAD_SCORING_PG_HOST": parts.hostname or "127.0.0.1",
        "LEAD_SCORING_PG_PORT": str(parts.port or 5432),
        "LEAD_SCORING_PG_USER": unquote(parts.username or "postgres"),
        "LEAD_SCORING_PG_PASSWORD": unquote(parts.password or ""),
        "LEAD_SCORING_PG_DBNAME": parts.path.lstrip("/") or "postgres",
        # The feature models and tests hash and sort millions of rows: with Postgres' default 4 MB per
        # operation they spill gigabytes to temporary files (Settings.pg_options).
        "PGOPTIONS": pg_options,
    }
