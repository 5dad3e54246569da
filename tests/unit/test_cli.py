"""The command line says what is wrong in one line, never with a traceback."""

import pytest

from tests.conftest import run_cli


@pytest.mark.parametrize(
    "args,message",
    [
        (["status"], "no lead-scoring home at"),
        (["demo", "--days", "abc"], "'abc' is not a whole number"),
        (["demo", "--days", "0"], "0 must be greater than 0"),
        (["demo", "--days", "20"], "the history must span at least"),
        (["demo", "--scenario", "meteor@3"], "unknown scenario 'meteor'"),
    ],
)
def test_bad_input_gets_a_clear_error(tmp_path, args, message):
    result = run_cli(args, tmp_path / "missing_home", check=False)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_demo_refuses_to_overwrite_an_existing_home_without_reset(tmp_path):
    (tmp_path / "warehouse.duckdb").write_bytes(b"")
    result = run_cli(["demo"], tmp_path, check=False)
    assert result.returncode == 2 and "--reset" in result.stderr
    assert (tmp_path / "warehouse.duckdb").exists()
