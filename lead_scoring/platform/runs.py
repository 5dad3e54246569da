"""Running the platform's jobs in this process, recorded in the persistent Dagster instance.

Used by ``lead-scoring demo`` and ``lead-scoring replay``: every run lands in
the instance under the home folder, so ``dagster dev`` afterwards shows it.
Run logs go to ``<home>/logs/<name>.log``; the terminal gets one line per run.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from dagster import AssetCheckSeverity, BetaWarning, DagsterEventType

from lead_scoring.errors import LeadScoringError
from lead_scoring.platform.instance import open_instance
from lead_scoring.settings import Settings
from lead_scoring.warehouse.duckdb_engine import keep_open


class JobRunError(LeadScoringError):
    pass


class BlockedRun(JobRunError):
    """A run stopped by a blocking check: the guard did its job."""

    def __init__(self, job_name: str, run_id: str, checks: dict[str, str], log_path: Path):
        self.checks = checks
        details = "; ".join(f"{name}: {text}" for name, text in checks.items())
        super().__init__(f"run {run_id[:8]} of job {job_name!r} was stopped by failing checks: {details} (log: {log_path})")


@dataclass
class RunOutcome:
    job_name: str
    run_id: str
    success: bool
    seconds: float
    log_path: Path
    failed_checks: dict[str, str] = field(default_factory=dict)  # blocking or not: "asset:check" -> description
    errors: list[str] = field(default_factory=list)
    step_seconds: dict[str, float] = field(default_factory=dict)
    blocked_by: set = field(default_factory=set)  # the failed checks of ERROR severity

    def raise_for_failure(self) -> None:
        if self.success:
            return
        blocking = {k: v for k, v in self.failed_checks.items() if k in self.blocked_by}
        if blocking:
            raise BlockedRun(self.job_name, self.run_id, blocking, self.log_path)
        raise JobRunError(
            f"Dagster run {self.run_id} of job {self.job_name!r} failed: {self.errors[-1] if self.errors else ''} "
            f"(full log: {self.log_path})"
        )


class JobRunner:
    """Builds the Definitions once and runs jobs of it in the instance under ``settings.dagster_home``."""

    def __init__(self, settings: Settings, log_name: str = "demo"):

        warnings.filterwarnings("ignore", category=BetaWarning)  # backfill_policy is beta; users need not see it
        warnings.filterwarnings("ignore", message="Asset job .* varying BackfillPolicies")
        self.settings = settings
        self.log_path = settings.home / "logs" / f"{log_name}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._defs = None
        self._instance = None

    @property
    def instance(self):
        """One instance for all of this process's runs (its event log keeps its connections unless
        ``settings.pooled_event_log`` is off: ``instance.open_instance``)."""
        if self._instance is None:

            self._instance = open_instance(self.settings.dagster_home, pooled=self.settings.pooled_event_log)
        return self._instance

    def warehouse_open(self) -> contextlib.AbstractContextManager:
        """A DuckDB warehouse stays open for one run or one sensor tick (``warehouse.duckdb_engine.keep_open``)."""
        if self.settings.warehouse_url:
            return contextlib.nullcontext()

        return keep_open(self.settings.warehouse_path, self.settings.duckdb_limits)

    @property
    def definitions(self):
        if self._defs is None:
            from lead_scoring.definitions import build_definitions  # importing definitions builds its module-level defs from the environment

            self._defs = build_definitions(self.settings)
        return self._defs

    def run(self, job_name: str, **kwargs) -> RunOutcome:

        started = time.perf_counter()
        with open(self.log_path, "a") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log), self.warehouse_open():
            job = self.definitions.resolve_job_def(job_name)
            result = job.execute_in_process(instance=self.instance, raise_on_error=False, **kwargs)
        outcome = RunOutcome(job_name, result.run_id, result.success, time.perf_counter() - started, self.log_path)
        for event in result.all_events:
            if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION and not event.event_specific_data.passed:
                data = event.event_specific_data
                key = f"{data.asset_key.to_user_string()}:{data.check_name}"
                outcome.failed_checks[key] = data.description or ""
                if data.severity == AssetCheckSeverity.ERROR:
                    outcome.blocked_by.add(key)
            elif event.is_failure:
                outcome.errors.append(event.message or "")
            if event.event_type == DagsterEventType.STEP_SUCCESS:
                outcome.step_seconds[event.step_key] = event.event_specific_data.duration_ms / 1000
        return outcome
