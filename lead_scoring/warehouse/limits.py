"""DuckDB's resources, set rather than inherited: memory, threads and where it spills.

Left alone, DuckDB takes 80% of the machine's RAM for its buffer pool and one
thread per core, in every process that opens the file (the Dagster run, dbt in
it, the sensors, the CLI). ``DuckDbLimits`` is what ``Settings`` reads from
``LEAD_SCORING_DUCKDB_*``. Every connection the package opens is configured
with it (``config``), and dbt's profile gets the same three values through the
environment (``environment``). Queries that do not fit in the memory limit spill
to ``temp_directory``; they do not fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A laptop's share, leaving the pipeline's Python side (training set, scoring) its own memory. At 1,000,000 leads the
# whole demo peaked at 3.3 GB PSS with 2GB (5.2 GB with 4GB) and ran faster (retrain 247 s against 397 s). Before the
# training snapshots were incremental, the lead_snapshots build ran out of memory at 2GB (some of its operators did not
# spill, and each thread holds its own share).
DEFAULT_MEMORY_LIMIT = "2GB"
DEFAULT_THREADS = 2
MEMORY_SIZE = r"\d+(\.\d+)?\s?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)"


@dataclass(frozen=True)
class DuckDbLimits:
    # Where queries spill; always a folder: an empty temp_directory would turn spilling off.
    temp_directory: str
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int = DEFAULT_THREADS

    def __post_init__(self):
        # Validated here too, not only in Settings: a DuckDbLimits may be built by hand.
        if not re.fullmatch(MEMORY_SIZE, self.memory_limit):
            raise ValueError(f"DuckDB memory_limit {self.memory_limit!r}: expected a size such as 2GB")
        if not self.temp_directory:
            raise ValueError("DuckDB temp_directory: expected a folder (empty would stop queries from spilling)")
        if not 1 <= int(self.threads) <= 256:
            raise ValueError(f"DuckDB threads {self.threads!r}: expected 1 to 256")

    def config(self) -> dict[str, str]:
        """The configuration every ``duckdb.connect`` of the file passes, dbt-duckdb's included (profile ``config_options``).

        Given at connect, never by ``SET``: DuckDB refuses to switch the spill folder once a query has spilled
        ("Cannot switch temporary directory after the current one has been used"), and dbt-duckdb repeats its
        ``settings`` on every cursor. It also refuses a second connection to an open file with another
        configuration, so every opener must pass exactly this dict (strings, as the profile renders them).
        """
        return {"memory_limit": self.memory_limit, "threads": str(int(self.threads)), "temp_directory": self.temp_directory}

    def environment(self) -> dict[str, str]:
        """The variables dbt's `dev` profile reads into its DuckDB `config_options`."""
        return {
            "LEAD_SCORING_DUCKDB_MEMORY_LIMIT": self.memory_limit,
            "LEAD_SCORING_DUCKDB_THREADS": str(int(self.threads)),
            "LEAD_SCORING_DUCKDB_TEMP_DIRECTORY": self.temp_directory,
        }

