"""How big the hyper-parameter search is; plain values, cheap to import (the Dagster run config reads the defaults)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SearchConfig:
    candidates: int = 10
    logistic_candidates: int = 3  # the rest are gradient boosting
    search_rows: int = 30_000  # each candidate is fitted on at most this many training rows
    final_rows: int = 400_000  # the winner is refitted on at most this many

    def __post_init__(self):
        if not 0 <= self.logistic_candidates <= self.candidates or self.candidates < 1:
            raise ValueError(f"need 1+ candidates and 0..candidates logistic ones, not {self}")
