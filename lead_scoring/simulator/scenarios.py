"""Scenarios change the simulated world from a given day on.

A scenario is named on the command line as ``NAME@DAY`` (DAY counts from 0,
the first simulated day). Each scenario receives a day's generated tables and
returns them changed; the generator applies every scenario whose start day has
come. ``clean`` changes nothing: it is the world as documented in ``world.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyarrow as pa

DayTables = dict[str, pa.Table]
Transform = Callable[[int, DayTables, np.random.Generator], DayTables]


def _unchanged(day_index: int, tables: DayTables, rng: np.random.Generator) -> DayTables:
    return tables


SCENARIOS: dict[str, tuple[str, Transform]] = {
    "clean": ("the documented world, no faults", _unchanged),
}


@dataclass(frozen=True)
class Scenario:
    name: str
    start_day: int = 0

    @classmethod
    def parse(cls, text: str) -> "Scenario":
        """Parse ``NAME`` or ``NAME@DAY``; the error lists the known names."""
        name, _, day = text.partition("@")
        if name not in SCENARIOS:
            known = ", ".join(sorted(SCENARIOS))
            raise ValueError(f"unknown scenario {name!r} (known: {known})")
        if day and not day.isdigit():
            raise ValueError(f"scenario {text!r}: the day after '@' must be a whole number, e.g. {name}@30")
        return cls(name, int(day or 0))

    def __str__(self) -> str:
        return f"{self.name}@{self.start_day}"

    def apply(self, day_index: int, tables: DayTables, rng: np.random.Generator) -> DayTables:
        if day_index < self.start_day:
            return tables
        return SCENARIOS[self.name][1](day_index, tables, rng)
