"""The Great Expectations project in ``expectations/``: sync it from code, run its checkpoints.

Suites, validation definitions and checkpoints are files in git (written by
``lead-scoring quality-sync``); validation results and Data Docs go under the
home folder (``${GX_RUNTIME_HOME}`` in the committed ``great_expectations.yml``).
One pandas data source holds one dataframe asset per suite.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import great_expectations as gx
import pandas as pd
from great_expectations import ExpectationSuite

from lead_scoring.settings import PROJECT_DIR

GX_PROJECT_DIR = PROJECT_DIR / "expectations"
DATASOURCE = "lead_scoring"
SITE = "local_site"
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 10}

logging.getLogger("great_expectations").setLevel(logging.WARNING)


@dataclass
class FailedExpectation:
    expectation: str
    column: str | None
    expected: dict
    observed: object
    unexpected_count: int | None
    unexpected_percent: float | None
    sample_ids: list = field(default_factory=list)

    def sentence(self, table: str) -> str:
        where = f"{table}.{self.column}" if self.column else table
        rows = f": {self.unexpected_count} rows ({self.unexpected_percent:.1f}%)" if self.unexpected_count else ""
        sample = f", e.g. {', '.join(map(str, self.sample_ids[:5]))}" if self.sample_ids else ""
        observed = f", observed {self.observed}" if self.observed is not None else ""
        return f"{self.expectation} on {where} failed{rows}{observed} (expected {self.expected}){sample}"


@dataclass
class ValidationOutcome:
    suite: str
    success: bool
    evaluated: int
    failures: list[FailedExpectation]
    docs_url: str | None


class GxProject:
    def __init__(self, runtime_home: Path, project_dir: Path = GX_PROJECT_DIR):
        runtime_home.mkdir(parents=True, exist_ok=True)
        self.context = gx.get_context(
            mode="file", project_root_dir=str(project_dir), runtime_environment={"GX_RUNTIME_HOME": str(runtime_home)}
        )
        self._unpublished: list = []  # validation results whose Data Docs pages are not built yet

    # --- writing the project (developer action, result committed) -------------------
    def sync(self, suites: list[ExpectationSuite]) -> None:
        """Create or update the data source, suites, validation definitions and checkpoints.

        Unchanged suites are not rewritten, so syncing twice leaves git clean.
        """
        source = self._datasource()
        for suite in suites:
            stored = self._sync_suite(suite)
            asset = self._get(source.get_asset, LookupError, suite.name) or source.add_dataframe_asset(suite.name)
            batch = self._get(asset.get_batch_definition, KeyError, "whole") or asset.add_batch_definition_whole_dataframe("whole")
            definition = self._get(self.context.validation_definitions.get, gx.exceptions.DataContextError, suite.name)
            if definition is None:
                definition = self.context.validation_definitions.add(gx.ValidationDefinition(name=suite.name, data=batch, suite=stored))
            stored_checkpoint = self._get(self.context.checkpoints.get, gx.exceptions.DataContextError, suite.name)
            if stored_checkpoint is None or stored_checkpoint.actions:
                # No actions: the Data Docs of a batch of validations are built once, by publish_docs.
                checkpoint = gx.Checkpoint(name=suite.name, validation_definitions=[definition], actions=[], result_format=RESULT_FORMAT)
                if stored_checkpoint is not None:
                    checkpoint.id = stored_checkpoint.id
                self.context.checkpoints.add_or_update(checkpoint)

    def _datasource(self):
        return self._get(self.context.data_sources.get, KeyError, DATASOURCE) or self.context.data_sources.add_pandas(DATASOURCE)

    @staticmethod
    def _get(getter, missing: type[Exception], name: str):
        try:
            return getter(name)
        except missing:
            return None

    def _sync_suite(self, suite: ExpectationSuite) -> ExpectationSuite:
        """Write the suite only if its content changed, keeping the ids of unchanged expectations
        (``suites.add_or_update`` alone gives every expectation a new id: churn in git)."""
        stored = self._get(self.context.suites.get, gx.exceptions.DataContextError, suite.name)
        if stored is None:
            return self.context.suites.add(suite)
        unmatched = list(stored.expectations)
        for expectation in suite.expectations:
            twin = next((old for old in unmatched if same_expectation(expectation, old)), None)
            if twin is not None:
                expectation.id = twin.id
                unmatched.remove(twin)
        if not unmatched and len(suite.expectations) == len(stored.expectations):
            return stored
        return self.context.suites.add_or_update(suite)

    # --- running (every pipeline run) -----------------------------------------------
    def validate(self, suite: str, frame: pd.DataFrame, parameters: dict, id_column: str | None = None) -> ValidationOutcome:
        frame = _fast_types(frame.reset_index(drop=True))
        result = self.context.checkpoints.get(suite).run(
            batch_parameters={"dataframe": frame}, expectation_parameters=parameters
        )
        key, validation = next(iter(result.run_results.items()))
        failures = [_failure(r, frame, id_column) for r in validation.results if not r.success]
        self._unpublished.append(key)
        urls = self.context.get_docs_sites_urls(resource_identifier=key, site_name=SITE, only_if_exists=False)
        return ValidationOutcome(
            suite=suite,
            success=bool(result.success),
            evaluated=len(validation.results),
            failures=failures,
            docs_url=urls[0]["site_url"] if urls else None,
        )

    def publish_docs(self) -> None:
        """Build the Data Docs pages of the validations run since the last call, and the index, once.

        Building them after every checkpoint cost 0.4 s each, more than validating a day's rows.
        """
        if self._unpublished:
            self.context.build_data_docs(site_names=[SITE], resource_identifiers=self._unpublished)
            self._unpublished = []


# Fields that do not make two expectations different: GX's own identity (id), its rendering, its free-text meta.
_NOT_COMPARED = {"id", "rendered_content", "notes", "meta"}


def same_expectation(new, old) -> bool:
    """The same expectation (type and every argument) with the same notes, whatever its id.

    What GX's suite uses to find an expectation (the private
    ``ExpectationSuite._expectations_are_equalish``), written with public APIs only: the
    expectation's type and its pydantic ``dict()``. Notes are compared too: they show in Data Docs.
    """
    return (
        new.expectation_type == old.expectation_type
        and new.dict(exclude=_NOT_COMPARED) == old.dict(exclude=_NOT_COMPARED)
        and (new.notes or None) == (old.notes or None)
    )


def _fast_types(frame: pd.DataFrame) -> pd.DataFrame:
    """GX compares datetime64[us] (pandas 3's default) row by row, 27x slower than [ns]."""
    for column in frame.columns:
        if str(frame[column].dtype) == "datetime64[us]":
            frame[column] = frame[column].astype("datetime64[ns]")
    return frame


def _failure(result, frame: pd.DataFrame, id_column: str | None) -> FailedExpectation:
    config, details = result.expectation_config, result.result or {}
    labels = details.get("partial_unexpected_index_list") or []
    sample = frame.loc[labels, id_column].tolist() if id_column and labels and not isinstance(labels[0], dict) else []
    error = (result.exception_info or {}).get("exception_message")
    return FailedExpectation(
        expectation=config.type,
        column=config.kwargs.get("column") or ("+".join(config.kwargs["column_list"]) if "column_list" in config.kwargs else None),
        expected={k: str(v) for k, v in config.kwargs.items() if k not in ("column", "column_list", "batch_id", "value_set")},
        observed=details.get("observed_value", error),
        unexpected_count=details.get("unexpected_count"),
        unexpected_percent=details.get("unexpected_percent"),
        sample_ids=sample,
    )
