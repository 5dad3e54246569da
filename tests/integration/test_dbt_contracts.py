"""The two marts that training and serving read have enforced dbt contracts: the shipped models build, and a
model change that retypes or drops a column fails `dbt build` with dbt's contract error, before the mart's
table is replaced. On DuckDB and on Postgres."""

import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml

from lead_scoring.settings import DBT_PROJECT_DIR
from lead_scoring.warehouse import Warehouse
from tests.integration.simulated import dbt_build, run_dbt, simulated_warehouse

pytestmark = pytest.mark.integration
START, DAYS = date(2026, 3, 2), 20
BUILT_AS_OF, BROKEN_AS_OF = START + timedelta(days=15), START + timedelta(days=DAYS)
MARTS = ("lead_snapshots", "lead_features_current")
RETYPED, DROPPED = ("lead_features_current", "activities_7d"), ("lead_snapshots", "has_campaign")


def declared_columns(project: Path) -> dict[str, list[str]]:
    models = yaml.safe_load((project / "models" / "marts" / "schema.yml").read_text())["models"]
    return {model["name"]: [column["name"] for column in model["columns"]] for model in models}


def edited(path: Path, old: str, new: str) -> None:
    sql = path.read_text()
    assert old in sql, f"{path.name} no longer has {old!r}: update this test's model change"
    path.write_text(sql.replace(old, new))


def broken_project(folder: Path) -> Path:
    """A copy of the dbt project in which lead_features_current casts activities_7d to a string and
    lead_snapshots no longer selects has_campaign; the schema files, and so the contracts, are the shipped ones."""
    project = folder / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    mart, column = RETYPED
    selected = ", ".join(f"cast({c} as {{{{ dbt.type_string() }}}}) as {c}" if c == column else c
                         for c in declared_columns(project)[mart])
    edited(project / "models" / "marts" / f"{mart}.sql", "select * from current_features", f"select {selected} from current_features")
    mart, column = DROPPED
    edited(project / "models" / "marts" / f"{mart}.sql", "reject('equalto', '_loaded_at')", f"reject('in', ['_loaded_at', '{column}'])")
    return project


def table(wh: Warehouse, mart: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    columns = wh.query("select column_name, data_type from information_schema.columns "
                       f"where table_schema = 'marts' and table_name = '{mart}' order by ordinal_position")
    rows = wh.query(f"select * from marts.{mart}")
    return columns, rows.sort_values(list(rows.columns)).reset_index(drop=True)


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_a_mart_that_breaks_its_contract_fails_the_build_and_keeps_its_table(tmp_path, engine):
    from tests.postgres import fresh_databases

    def test(wh: Warehouse) -> None:
        dbt_build(wh, tmp_path / "target", BUILT_AS_OF)
        declared = declared_columns(DBT_PROJECT_DIR)
        before = {mart: table(wh, mart) for mart in MARTS}
        for mart in MARTS:  # the contract creates the table: the schema file's columns, in its order
            assert list(before[mart][0].column_name) == declared[mart]
        assert pd.to_datetime(before["lead_features_current"][1].as_of_date).unique().tolist() == [pd.Timestamp(BUILT_AS_OF)]

        result = run_dbt(wh, tmp_path / "broken_target", BROKEN_AS_OF, project=broken_project(tmp_path), quiet=False)
        output = result.stdout + result.stderr
        assert result.returncode != 0
        for (mart, column), reason in ((RETYPED, "data type mismatch"), (DROPPED, "missing in definition")):
            error = output[output.index(f"Compilation Error in model {mart} "):]
            error = error[:error.index("compiled code at")]
            assert "This model has an enforced contract that failed" in error
            assert reason in next(line for line in error.splitlines() if line.strip().startswith(f"| {column} "))
        # the rest of the project was rebuilt as of the later date, which would have changed both marts
        assert pd.Timestamp(wh.query("select scoring_date from intermediate.int_scoring_date").iloc[0, 0]) == pd.Timestamp(BROKEN_AS_OF)
        for mart in MARTS:
            for was, now in zip(before[mart], table(wh, mart)):
                pd.testing.assert_frame_equal(now, was)

    folder = tmp_path / "raw"
    if engine == "duckdb":
        test(simulated_warehouse(folder, START, DAYS, 20, seed=3))
    else:
        with fresh_databases("ls_contracts", "warehouse") as urls:
            test(simulated_warehouse(folder, START, DAYS, 20, seed=3, location=urls["warehouse"]))
