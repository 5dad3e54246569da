"""DuckDB's memory, threads and spill folder: set by the settings on every connection, dbt's included."""

import re

import pandas as pd
import pytest

from lead_scoring.settings import DBT_PROJECT_DIR, Settings, SettingsError
from lead_scoring.warehouse import Warehouse
from lead_scoring.warehouse.duckdb_engine import keep_open
from lead_scoring.warehouse.limits import DEFAULT_MEMORY_LIMIT, DEFAULT_THREADS, DuckDbLimits

SHOWN = "select current_setting('memory_limit') as memory, current_setting('threads') as threads, current_setting('temp_directory') as spill"


def _settings(tmp_path, **env) -> Settings:
    return Settings.from_env({"LEAD_SCORING_HOME": str(tmp_path), **env})


def test_settings_default_to_a_laptop_share_and_take_overrides(tmp_path):
    limits = _settings(tmp_path).duckdb_limits
    assert (limits.memory_limit, limits.threads, limits.temp_directory) == ("2GB", 2, str(tmp_path / "duckdb_tmp"))
    limits = _settings(tmp_path, LEAD_SCORING_DUCKDB_MEMORY_LIMIT="512MB", LEAD_SCORING_DUCKDB_THREADS="1",
                       LEAD_SCORING_DUCKDB_TEMP_DIRECTORY=str(tmp_path / "spill")).duckdb_limits
    assert (limits.memory_limit, limits.threads, limits.temp_directory) == ("512MB", 1, str(tmp_path / "spill"))


@pytest.mark.parametrize("name, value", [
    ("LEAD_SCORING_DUCKDB_MEMORY_LIMIT", "2GB'; attach 'x"),
    ("LEAD_SCORING_DUCKDB_MEMORY_LIMIT", "80%"),
    ("LEAD_SCORING_DUCKDB_MEMORY_LIMIT", "lots"),
    ("LEAD_SCORING_DUCKDB_THREADS", "0"),
    ("LEAD_SCORING_DUCKDB_THREADS", "four"),
])
def test_a_limit_that_is_not_a_size_or_a_thread_count_is_refused(tmp_path, name, value):
    with pytest.raises(SettingsError, match=name):
        _settings(tmp_path, **{name: value})


def test_limits_refuse_an_empty_spill_folder_which_would_turn_spilling_off():
    with pytest.raises(ValueError, match="temp_directory"):
        DuckDbLimits(temp_directory="")


def test_every_connection_of_the_warehouse_carries_the_limits(tmp_path):
    settings = _settings(tmp_path, LEAD_SCORING_DUCKDB_MEMORY_LIMIT="300MB", LEAD_SCORING_DUCKDB_THREADS="1",
                         LEAD_SCORING_DUCKDB_TEMP_DIRECTORY=str(tmp_path / "it's spill"))
    warehouse = settings.warehouse()
    warehouse.overwrite("raw.numbers", pd.DataFrame({"n": [1, 2]}))
    expected = ("286.1 MiB", 1, str(tmp_path / "it's spill"))  # a quote in the folder name stays a folder name
    assert tuple(warehouse.query(SHOWN).iloc[0]) == expected
    with keep_open(settings.warehouse_path, settings.duckdb_limits):
        assert tuple(warehouse.query(SHOWN).iloc[0]) == expected
        with pytest.raises(Exception, match="different configuration"):  # why every opener must pass the same configuration
            import duckdb

            duckdb.connect(str(settings.warehouse_path)).close()
    # the guard both ways: without limits a connection has DuckDB's own (80% of RAM, a thread per core)
    assert tuple(Warehouse(settings.warehouse_path).query(SHOWN).iloc[0]) != expected


def test_a_query_larger_than_the_memory_limit_spills_instead_of_failing(tmp_path):
    import duckdb

    # a window over 6 M rows ordered by a hash: a sort of ~250 MB
    big = ("select count(*) as n from (select i, pad, row_number() over (order by h) as r from "
           "(select i, hash(i) as h, repeat('x', 20) as pad from range(6000000) t(i))) where r % 7 = 0")
    with duckdb.connect(str(tmp_path / "bare.duckdb")) as bare:  # the same limit with spilling off: the query does not fit
        bare.execute("set memory_limit = '100MB'; set threads = 1; set temp_directory = ''")
        with pytest.raises(duckdb.OutOfMemoryException):
            bare.execute(big)
    limits = DuckDbLimits(temp_directory=str(tmp_path / "spill"), memory_limit="100MB", threads=1)
    warehouse = Warehouse(tmp_path / "wh.duckdb", limits)
    warehouse.overwrite("raw.numbers", pd.DataFrame({"n": [1]}))
    assert warehouse.query(big).n.iloc[0] == 6000000 // 7


def test_the_dbt_profile_defaults_are_the_package_defaults():
    profile = (DBT_PROJECT_DIR / "profiles.yml").read_text()
    assert re.search(r"LEAD_SCORING_DUCKDB_MEMORY_LIMIT', '([^']+)'", profile).group(1) == DEFAULT_MEMORY_LIMIT
    assert re.search(r"LEAD_SCORING_DUCKDB_THREADS', '([^']+)'", profile).group(1) == str(DEFAULT_THREADS)


def test_dbt_gets_the_same_limits_through_its_environment(tmp_path):
    settings = _settings(tmp_path, LEAD_SCORING_DUCKDB_MEMORY_LIMIT="300MB", LEAD_SCORING_DUCKDB_THREADS="1")
    env = settings.dbt_env()
    assert (env["LEAD_SCORING_DUCKDB_MEMORY_LIMIT"], env["LEAD_SCORING_DUCKDB_THREADS"]) == ("300MB", "1")
    assert env["LEAD_SCORING_DUCKDB_TEMP_DIRECTORY"] == str(tmp_path / "duckdb_tmp")
