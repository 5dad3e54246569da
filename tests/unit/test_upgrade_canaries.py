"""Upgrade canaries: one test per library internal the platform relies on (docs/platform.md lists them).

Each test names the internal, the version it was checked against, and the file of ours
to revisit when it fails. A failure here after an upgrade means: the internal moved or
changed; read the new library code, fix the file named in the message, or switch the
feature off (its switch is in docs/platform.md) until it is fixed.

Checked against: dagster 1.13.27, dagster-dbt 0.29.27, dbt-core 1.11.16, dbt-common 1.39.0,
dbt-adapters 1.24.5, dbt-duckdb 1.11.1, great-expectations 1.24.1, scikit-learn 1.9.1, CPython 3.11.7.
"""

import dataclasses
import functools
import importlib.metadata
import inspect
import json
import multiprocessing.pool
import multiprocessing.util
import os
import threading
import time
from pathlib import Path

import pytest

RESOURCES = "lead_scoring/platform/resources.py"
DBT_IN_PROCESS = "lead_scoring/platform/dbt_in_process.py"
INSTANCE = "lead_scoring/platform/instance.py"
INSTANCE_STORAGE = "lead_scoring/platform/instance_storage.py"
CHECK_HISTORY = "lead_scoring/platform/check_history.py"
DBT_RUNS = "lead_scoring/platform/dbt_runs.py"
GX_PROJECT = "lead_scoring/quality/gx_project.py"
MODEL_SPACE = "lead_scoring/platform/model_space.py"
PROJECT = str(Path(__file__).resolve().parents[2] / "dbt_project")  # the repository's dbt project


def revisit(ours: str, internal: str, what: str) -> str:
    versions = ", ".join(f"{p} {importlib.metadata.version(p)}" for p in ("dagster", "dagster-dbt", "dbt-core", "dbt-duckdb"))
    return f"{internal} changed ({what}); revisit {ours} and docs/platform.md (installed: {versions})"


def parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


# --- dagster-dbt ------------------------------------------------------------------------------------------

def test_dagster_dbt_cli_version_is_a_cached_property_cli_reads():
    """``dagster_dbt.core.resource.DbtCliResource._cli_version`` (dagster-dbt 0.29.27): a ``functools.cached_property``
    giving a ``packaging`` Version, read by ``cli()``; the stock one runs ``dbt --version`` through the module's ``check_output``."""
    import dagster_dbt.core.resource as stock_module
    from dagster_dbt import DbtCliResource

    from lead_scoring.platform.resources import ProjectDbtResource

    message = revisit(RESOURCES, "DbtCliResource._cli_version", "no longer a cached_property read by cli()")
    assert isinstance(inspect.getattr_static(DbtCliResource, "_cli_version"), functools.cached_property), message
    assert "self._cli_version" in inspect.getsource(DbtCliResource.cli), message
    assert hasattr(stock_module, "check_output"), message

    def no_subprocess(*args, **kwargs):
        raise AssertionError("in process, the version must not come from `dbt --version`")

    original = stock_module.check_output
    stock_module.check_output = no_subprocess
    try:
        assert str(ProjectDbtResource(project_dir=PROJECT, target="dev")._cli_version) == importlib.metadata.version("dbt-core")
        stock_module.check_output = lambda args: b"Core:\n  - installed: 9.8.7\n"
        assert str(ProjectDbtResource(project_dir=PROJECT, target="dev", in_process=False)._cli_version) == "9.8.7", message
    finally:
        stock_module.check_output = original


def test_dagster_dbt_initialize_adapter_takes_the_args_and_cli_calls_it():
    """``DbtCliResource._initialize_dbt_core_adapter(self, args)`` (dagster-dbt 0.29.27): called by ``cli()`` with the
    command's args (an error there only logs a warning); ours returns None in process and the stock one otherwise."""
    from dagster_dbt import DbtCliResource

    from lead_scoring.platform.resources import ProjectDbtResource

    message = revisit(RESOURCES, "DbtCliResource._initialize_dbt_core_adapter", "signature or call in cli()")
    assert parameters(DbtCliResource._initialize_dbt_core_adapter) == ["self", "args"], message
    assert "self._initialize_dbt_core_adapter(args)" in inspect.getsource(DbtCliResource.cli), message
    assert ProjectDbtResource(project_dir=PROJECT, target="dev")._initialize_dbt_core_adapter(["build"]) is None
    sentinel = object()
    original = DbtCliResource._initialize_dbt_core_adapter
    DbtCliResource._initialize_dbt_core_adapter = lambda self, args: sentinel
    try:
        assert ProjectDbtResource(project_dir=PROJECT, target="dev", in_process=False)._initialize_dbt_core_adapter([]) is sentinel
    finally:
        DbtCliResource._initialize_dbt_core_adapter = original


def test_dagster_dbt_unique_target_path_is_under_dbt_target_path(monkeypatch, tmp_path):
    """``DbtCliResource._get_unique_target_path(self, *, context)`` (dagster-dbt 0.29.27): a fresh folder under
    ``$DBT_TARGET_PATH``, where ``dbt_in_process.invocation`` puts a command's artifacts as dagster-dbt's subprocess would."""
    from dagster_dbt import DbtCliResource

    from lead_scoring.platform.resources import ENVIRONMENT_DBT

    message = revisit(DBT_IN_PROCESS, "DbtCliResource._get_unique_target_path", "signature or folder")
    signature = inspect.signature(DbtCliResource._get_unique_target_path)
    assert list(signature.parameters) == ["self", "context"], message
    assert signature.parameters["context"].kind is inspect.Parameter.KEYWORD_ONLY, message
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path))
    stock = DbtCliResource(project_dir=PROJECT, dbt_executable=ENVIRONMENT_DBT)
    first, second = stock._get_unique_target_path(context=None), stock._get_unique_target_path(context=None)
    assert first.parent == tmp_path and first != second, message


def test_dagster_dbt_asset_utils_selection_helpers():
    """``dagster_dbt.asset_utils.extract_runtime_selection_from_args`` and ``get_updated_cli_invocation_params_for_context``
    (dagster-dbt 0.29.27): the selection dagster-dbt computes for its subprocess, used unchanged for the in-process command."""
    from dagster_dbt import DagsterDbtTranslator
    from dagster_dbt.asset_utils import extract_runtime_selection_from_args, get_updated_cli_invocation_params_for_context

    message = revisit(DBT_IN_PROCESS, "dagster_dbt.asset_utils selection helpers", "signature or result")
    assert extract_runtime_selection_from_args(["build", "--select", "a b", "--exclude", "c", "--full-refresh"]) == (
        ["build", "--full-refresh"], ["a", "b"], ["c"]), message
    # the pipeline's "--exclude-resource-type unit_test" (platform/dbt_cli.py) is not taken for an --exclude
    assert extract_runtime_selection_from_args(["build", "--exclude-resource-type", "unit_test", "--exclude", "c"]) == (
        ["build", "--exclude-resource-type", "unit_test"], [], ["c"]), message
    assert parameters(get_updated_cli_invocation_params_for_context) == [
        "context", "manifest", "dagster_dbt_translator", "runtime_selects", "runtime_excludes"], message
    params = get_updated_cli_invocation_params_for_context(
        context=None, manifest={}, dagster_dbt_translator=DagsterDbtTranslator(), runtime_selects=[], runtime_excludes=[]
    )
    for name in ("manifest", "dagster_dbt_translator", "selection_args", "indirect_selection", "dbt_project"):
        assert hasattr(params, name), message


def test_dagster_dbt_validate_manifest_reads_a_path(tmp_path):
    """``dagster_dbt.dbt_manifest.validate_manifest`` (dagster-dbt 0.29.27): a manifest path or mapping -> the mapping."""
    from dagster_dbt.dbt_manifest import validate_manifest

    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"nodes": {}, "metadata": {}}))
    assert validate_manifest(path)["nodes"] == {}, revisit(DBT_IN_PROCESS, "dagster_dbt.dbt_manifest.validate_manifest", "result")


def test_dagster_dbt_invocation_takes_a_popen_like_process_and_signals_it_on_interrupt():
    """``dagster_dbt.core.dbt_cli_invocation.DbtCliInvocation`` (dagster-dbt 0.29.27): built directly with our
    ``DbtThread`` as ``process``; reads ``process.stdout`` (bytes lines, a context manager), ``args``, ``wait()`` and
    ``returncode``; on ``DagsterExecutionInterruptedError`` calls ``send_signal(SIGINT)`` then ``wait(timeout=...)``."""
    from dagster._core.errors import DagsterExecutionInterruptedError
    from dagster_dbt import DagsterDbtTranslator
    from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation
    from packaging import version

    from lead_scoring.platform import dbt_in_process

    message = revisit(DBT_IN_PROCESS, "DbtCliInvocation", "constructor fields or use of the process")
    fields = [f.name for f in dataclasses.fields(DbtCliInvocation) if f.init]
    assert {"process", "manifest", "dagster_dbt_translator", "project_dir", "target_path", "raise_on_error",
            "cli_version", "project", "context"} <= set(fields), message
    source = inspect.getsource(DbtCliInvocation._stream_stdout)
    assert "except DagsterExecutionInterruptedError" in source and "self.process.send_signal(signal.SIGINT)" in source, message
    assert "self.process.wait(timeout=self.termination_timeout_seconds)" in source, message

    class Process:
        def __init__(self, stdout):
            self.args, self.stdout, self.returncode, self.signals, self.waits = ["dbt", "build"], stdout, 0, [], []

        def wait(self, timeout=None):
            self.waits.append(timeout)
            return self.returncode

        def send_signal(self, sig):
            self.signals.append(sig)

    lines = dbt_in_process._Lines()
    lines.put(dbt_in_process._error_line("boom"))
    lines.put(dbt_in_process._END)
    invocation = DbtCliInvocation(process=Process(lines), manifest={}, dagster_dbt_translator=DagsterDbtTranslator(),
                                  project_dir=Path("."), target_path=Path("."), raise_on_error=False, cli_version=version.parse("1.11.0"))
    assert [e.raw_event["info"]["msg"] for e in invocation.stream_raw_events()] == ["boom"], message
    assert invocation._error_messages == ["boom"], message

    class Interrupted:
        closed = False

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

        def __iter__(self):
            raise DagsterExecutionInterruptedError()

    process = Process(Interrupted())
    interrupted = DbtCliInvocation(process=process, manifest={}, dagster_dbt_translator=DagsterDbtTranslator(),
                                   project_dir=Path("."), target_path=Path("."), raise_on_error=False, cli_version=version.parse("1.11.0"))
    with pytest.raises(DagsterExecutionInterruptedError):
        list(interrupted.stream_raw_events())
    assert process.signals == [2] and process.waits == [interrupted.termination_timeout_seconds], message


def test_dagster_dbt_termination_wait_and_parse_state_name():
    """``dagster_dbt.core.dbt_cli_invocation.DAGSTER_DBT_TERMINATION_TIMEOUT_SECONDS`` (25 s unless set) and
    ``PARTIAL_PARSE_FILE_NAME`` (dagster-dbt 0.29.27; dbt-core 1.11.16's ``dbt.constants.PARTIAL_PARSE_FILE_NAME``): how long
    a stopped command may take (``DbtThread.stop``), and the parse state file ``dbt_runs`` keeps per home."""
    from dagster_dbt.core import dbt_cli_invocation
    from dbt import constants

    from lead_scoring.platform.dbt_runs import PARSE_STATE

    wait = dbt_cli_invocation.DAGSTER_DBT_TERMINATION_TIMEOUT_SECONDS
    assert wait == int(os.environ.get("DAGSTER_DBT_TERMINATION_TIMEOUT_SECONDS", "25")), revisit(DBT_IN_PROCESS, "DAGSTER_DBT_TERMINATION_TIMEOUT_SECONDS", "default")
    assert dbt_cli_invocation.PARTIAL_PARSE_FILE_NAME == constants.PARTIAL_PARSE_FILE_NAME == PARSE_STATE, revisit(DBT_RUNS, "PARTIAL_PARSE_FILE_NAME", "file name")


# --- dbt-core / dbt-common / dbt-adapters -----------------------------------------------------------------

def test_dbt_msg_to_json_writes_the_lines_of_log_format_json():
    """``dbt_common.events.functions.msg_to_json`` (dbt-common 1.39.0): an event as the JSON line ``dbt --log-format json``
    prints (``info`` with ``level``/``msg``/``name``, and ``data``), which dagster-dbt parses."""
    from dbt_common.events.base_types import msg_from_base_event
    from dbt_common.events.functions import msg_to_json
    from dbt_common.events.types import Note

    line = json.loads(msg_to_json(msg_from_base_event(Note(msg="hello"))))
    message = revisit(DBT_IN_PROCESS, "dbt_common.events.functions.msg_to_json", "JSON shape")
    assert line["info"]["msg"] == "hello" and line["info"]["name"] == "Note" and "level" in line["info"] and "data" in line, message


def test_dbt_adapter_registered_event_names_the_adapter_whose_queries_are_cancelled():
    """``dbt.adapters.events.types.AdapterRegistered.adapter_name``, ``dbt.adapters.factory.get_adapter_by_type`` and
    ``BaseAdapter.cancel_open_connections`` (dbt-adapters 1.24.5): ``DbtThread.send_signal`` cancels the running queries."""
    from dbt.adapters.base.impl import BaseAdapter
    from dbt.adapters.events.types import AdapterRegistered
    from dbt.adapters.factory import get_adapter_by_type
    from dbt_common.events.base_types import msg_from_base_event

    message = revisit(DBT_IN_PROCESS, "dbt adapter registration / cancellation", "event fields or factory")
    event = msg_from_base_event(AdapterRegistered(adapter_name="duckdb", adapter_version="=1.11.1"))
    assert event.info.name == "AdapterRegistered" and event.data.adapter_name == "duckdb", message
    assert parameters(get_adapter_by_type) == ["adapter_type"], message
    assert parameters(BaseAdapter.cancel_open_connections) == ["self"], message
    with pytest.raises(KeyError):
        get_adapter_by_type("no_such_adapter")  # what send_signal meets between two commands (it catches it)


def test_dbt_stops_a_command_on_keyboard_interrupt_in_the_thread_running_it():
    """``dbt.task.runnable.GraphRunnableTask.execute_nodes`` (dbt-core 1.11.16) catches ``KeyboardInterrupt``, cancels
    the open connections (``_cancel_connections``), writes run_results.json and re-raises; ``dbtRunner.invoke`` turns any
    ``BaseException`` into a failed result. The behaviour is exercised end to end in tests/integration/test_terminate_run.py."""
    from dbt.cli.main import dbtRunner
    from dbt.task.runnable import GraphRunnableTask

    message = revisit(DBT_IN_PROCESS, "dbt's Ctrl-C path", "KeyboardInterrupt handling")
    source = inspect.getsource(GraphRunnableTask.execute_nodes)
    assert "except (KeyboardInterrupt, SystemExit)" in source and "self._cancel_connections(pool)" in source, message
    assert "except BaseException" in inspect.getsource(dbtRunner.invoke), message


def test_cpython_raises_an_exception_in_another_thread():
    """``ctypes.pythonapi.PyThreadState_SetAsyncExc`` (CPython 3.11's C API, through ``dbt_in_process._raise_in_thread``):
    how ``DbtThread.send_signal`` interrupts the thread running dbt."""
    from lead_scoring.platform.dbt_in_process import _raise_in_thread

    caught = threading.Event()
    started = threading.Event()

    def loop():
        started.set()
        try:
            while True:
                time.sleep(0.01)
        except KeyboardInterrupt:
            caught.set()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    started.wait(5)
    _raise_in_thread(thread.ident, KeyboardInterrupt)
    assert caught.wait(5), revisit(DBT_IN_PROCESS, "PyThreadState_SetAsyncExc", "no exception raised in the thread")
    _raise_in_thread(threading.get_ident(), None)  # withdrawing: nothing pending, no error


def test_multiprocessing_stops_dbt_before_its_thread_pools():
    """``multiprocessing.util.Finalize`` and ``multiprocessing.pool.Pool``'s finalizer priority 15 (CPython 3.11), and
    ``dbt.graph.thread_pool.DbtThreadPool`` being a ``ThreadPool`` (dbt-core 1.11.16): at exit ``_stop_at_exit`` must run
    before the pools are terminated, or a stopped command never ends."""
    from dbt.graph.thread_pool import DbtThreadPool

    from lead_scoring.platform import dbt_in_process

    message = revisit(DBT_IN_PROCESS, "multiprocessing exit finalizers", "priorities")
    assert issubclass(DbtThreadPool, multiprocessing.pool.ThreadPool), message
    assert "exitpriority=15" in inspect.getsource(multiprocessing.pool.Pool.__init__), message
    ours = [key for key, finalizer in multiprocessing.util._finalizer_registry.items() if finalizer._callback is dbt_in_process._stop_at_exit]
    assert ours and ours[0][0] == dbt_in_process._EXIT_PRIORITY > 15, message


# --- dbt-duckdb -------------------------------------------------------------------------------------------

def test_dbt_duckdb_keeps_one_environment_that_release_closes():
    """``dbt.adapters.duckdb.connections.DuckDBConnectionManager._ENV`` and ``close_all_connections`` (dbt-duckdb 1.11.1):
    the database dbt-duckdb keeps open after a command, closed by ``dbt_in_process._release_duckdb``."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    from lead_scoring.platform.dbt_in_process import _release_duckdb

    message = revisit(DBT_IN_PROCESS, "DuckDBConnectionManager._ENV", "attribute or close_all_connections")
    assert "_ENV" in vars(DuckDBConnectionManager), message

    class Environment:
        closed = False

        def close(self):
            self.closed = True

    environment, previous = Environment(), DuckDBConnectionManager._ENV
    DuckDBConnectionManager._ENV = environment
    try:
        _release_duckdb()
        assert environment.closed and DuckDBConnectionManager._ENV is None, message
    finally:
        DuckDBConnectionManager._ENV = previous


def test_dbt_duckdb_cancels_a_query_by_interrupting_its_cursor():
    """``dbt.adapters.duckdb.environments.local.LocalEnvironment.is_cancelable`` / ``cancel`` (dbt-duckdb 1.11.1): what
    ``cancel_open_connections`` does for a DuckDB file, so that a stopped command's running query ends."""
    from dbt.adapters.duckdb.environments.local import LocalEnvironment

    message = revisit(DBT_IN_PROCESS, "LocalEnvironment.cancel", "no longer interrupts the cursor")
    assert LocalEnvironment.is_cancelable() is True, message
    assert ".interrupt()" in inspect.getsource(LocalEnvironment.cancel), message


# --- Dagster ----------------------------------------------------------------------------------------------

def test_dagster_instance_ref_takes_our_event_log_when_the_unified_storage_is_removed(tmp_path):
    """``dagster._core.instance.ref.InstanceRef`` (``from_dir``, ``storage_data`` / ``run_storage_data`` /
    ``event_storage_data``, NamedTuple ``_replace``), ``dagster._serdes.ConfigurableClassData`` and
    ``DagsterInstance.from_ref`` (Dagster 1.13.27): how ``open_instance`` swaps in the pooled event log."""
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef
    from dagster._serdes import ConfigurableClassData

    from lead_scoring.platform.instance import ensure_dagster_home, pooled_instance_ref
    from lead_scoring.platform.instance_storage import PooledSqliteEventLogStorage

    message = revisit(INSTANCE, "InstanceRef / ConfigurableClassData", "fields or precedence")
    assert {"storage_data", "run_storage_data", "event_storage_data"} <= set(InstanceRef._fields), message
    assert ConfigurableClassData._fields == ("module_name", "class_name", "config_yaml"), message
    ensure_dagster_home(tmp_path)
    stock = InstanceRef.from_dir(str(tmp_path))
    assert stock.storage_data is not None and stock.event_storage_data.class_name == "SqliteEventLogStorage", message
    with DagsterInstance.from_ref(pooled_instance_ref(tmp_path)) as instance:
        assert type(instance.event_log_storage) is PooledSqliteEventLogStorage, message
        assert type(instance.run_storage).__name__ == "SqliteRunStorage", message


def test_dagster_sqlite_event_log_connects_through_one_overridable_method(tmp_path):
    """``dagster._core.storage.event_log.sqlite.sqlite_event_log.SqliteEventLogStorage`` (Dagster 1.13.27): ``__init__(base_dir,
    inst_data)``, every connection through ``_connect(shard)`` (``run_connection``, ``index_connection``), ``_db_lock``,
    ``_initialized_dbs``, ``_initdb(engine)``, ``conn_string_for_shard``; ``dagster._core.storage.sql.create_engine`` and
    ``dagster._core.storage.sqlite.SQLITE_BUSY_TIMEOUT_SECONDS``: what ``PooledSqliteEventLogStorage`` overrides and uses."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
    from dagster._core.storage.sql import create_engine
    from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS

    from lead_scoring.platform.instance_storage import PooledSqliteEventLogStorage

    message = revisit(INSTANCE_STORAGE, "SqliteEventLogStorage", "constructor, _connect or helpers")
    assert parameters(SqliteEventLogStorage.__init__) == ["self", "base_dir", "inst_data"], message
    assert parameters(SqliteEventLogStorage._connect) == ["self", "shard"], message
    assert parameters(SqliteEventLogStorage._initdb)[:2] == ["self", "engine"], message
    for method in (SqliteEventLogStorage.run_connection, SqliteEventLogStorage.index_connection):
        assert "self._connect(" in inspect.getsource(method), message
    assert "url" in parameters(create_engine) and isinstance(SQLITE_BUSY_TIMEOUT_SECONDS, (int, float)), message
    storage = PooledSqliteEventLogStorage(str(tmp_path))
    try:
        assert isinstance(storage._db_lock, type(threading.Lock())) and isinstance(storage._initialized_dbs, set), message
        assert storage.conn_string_for_shard("index").startswith("sqlite:///"), message
        with storage.index_connection() as conn:
            assert conn.exec_driver_sql("select count(*) from event_logs").scalar() == 0, message
    finally:
        storage.dispose()


def test_dagster_latest_asset_check_executions_by_key():
    """``DagsterInstance.event_log_storage`` and ``EventLogStorage.get_latest_asset_check_execution_by_key(check_keys,
    partition_filter=None)`` (Dagster 1.13.27, neither marked public; no public equivalent): the records' ``event``
    (``EventLogEntry.asset_check_evaluation``) and ``create_timestamp``, read by ``check_history.latest_check_outcomes``."""
    import dagster as dg
    from dagster._core.storage.event_log.base import EventLogStorage

    from lead_scoring.platform.check_history import latest_check_outcomes

    message = revisit(CHECK_HISTORY, "get_latest_asset_check_execution_by_key", "signature or record")
    assert parameters(EventLogStorage.get_latest_asset_check_execution_by_key) == ["self", "check_keys", "partition_filter"], message

    @dg.asset(check_specs=[dg.AssetCheckSpec("positive", asset="numbers")])
    def numbers():
        yield dg.Output(-1)
        yield dg.AssetCheckResult(check_name="positive", passed=False, description="-1 is not positive")

    @dg.asset_check(asset=numbers)
    def never_run():
        return dg.AssetCheckResult(passed=True)

    with dg.DagsterInstance.ephemeral() as instance:
        assert dg.materialize([numbers], instance=instance).success
        outcomes = latest_check_outcomes(instance, [never_run.check_key, dg.AssetCheckKey(dg.AssetKey("numbers"), "positive")])
    assert [(o.asset, o.check, o.passed, o.severity, o.description) for o in outcomes] == [
        ("numbers", "positive", False, "ERROR", "-1 is not positive")], message
    assert outcomes[0].at is not None and outcomes[0].at.tzinfo is not None, message


# --- Great Expectations -----------------------------------------------------------------------------------

def test_gx_expectation_identity_is_its_type_and_arguments():
    """No GX internal any more: ``gx_project.same_expectation`` replaced the private
    ``ExpectationSuite._expectations_are_equalish`` with the public ``Expectation.expectation_type`` and pydantic
    ``dict(exclude=...)`` (great-expectations 1.24.1). This checks that an id does not make two expectations
    different, and an argument or the notes do (otherwise ``quality-sync`` rewrites unchanged suites, or misses changes)."""
    import great_expectations.expectations as gxe

    from lead_scoring.quality.gx_project import same_expectation

    message = f"Expectation.dict() or expectation_type changed (great-expectations {importlib.metadata.version('great-expectations')}); revisit {GX_PROJECT}"
    base = gxe.ExpectColumnValuesToNotBeNull(column="lead_id", mostly=0.5, notes="n")
    assert same_expectation(base, gxe.ExpectColumnValuesToNotBeNull(column="lead_id", mostly=0.5, notes="n", id="x")), message
    assert not same_expectation(base, gxe.ExpectColumnValuesToNotBeNull(column="lead_id", mostly=0.6, notes="n")), message
    assert not same_expectation(base, gxe.ExpectColumnValuesToNotBeNull(column="email", mostly=0.5, notes="n")), message
    assert not same_expectation(base, gxe.ExpectColumnValuesToBeUnique(column="lead_id", notes="n")), message
    assert not same_expectation(base, gxe.ExpectColumnValuesToNotBeNull(column="lead_id", mostly=0.5, notes="other")), message


# --- scikit-learn -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def synthetic():
    from lead_scoring.ml import explain
    from tests.model.synthetic import FEATURES, training_set

    frame = training_set(3000)
    return frame, FEATURES, explain.population_reference(frame[frame.split == "train"], FEATURES)


def _calibrated(pipeline, frame, features):
    import skops.io

    from lead_scoring.ml import model
    from lead_scoring.ml.dataset import LABEL
    from lead_scoring.ml.registry import TRUSTED_TYPES

    train, validation = frame[frame.split == "train"], frame[frame.split == "validation"]
    with model.model_threads():
        pipeline.fit(model.feature_frame(train, features), train[LABEL].to_numpy())
    calibrated = model.calibrate(pipeline, validation, validation[LABEL].to_numpy(), features)
    return skops.io.loads(skops.io.dumps(calibrated), trusted=TRUSTED_TYPES)  # as scoring loads it


@pytest.mark.parametrize("family", ["hist_gradient_boosting", "logistic_regression"])
def test_sklearn_model_space_effects_are_the_stock_effects(synthetic, family):
    """``platform/model_space.py`` reads ``CalibratedClassifierCV.calibrated_classifiers_[i].estimator`` (replaced by
    a raw-score classifier), ``HistGradientBoostingClassifier._predictors`` / ``_baseline_prediction`` /
    ``_bin_mapper.make_known_categories_bitsets()`` / ``_preprocess_X``, ``TreePredictor.predict(X, bitsets,
    f_idx_map, n_threads)`` and ``TreePredictor.nodes['feature_idx' | 'is_leaf']``, and
    ``sklearn.utils._openmp_helpers._openmp_effective_n_threads`` (scikit-learn 1.9.1), after a skops round trip.
    Its effects must be the stock ones, and the reasons the same texts."""
    import numpy as np
    import sklearn

    from lead_scoring.ml import explain, model
    from lead_scoring.platform import model_space

    frame, features, reference = synthetic
    message = f"scikit-learn {sklearn.__version__}: model-space effects differ from the stock ones; revisit {MODEL_SPACE}"
    fitted = _calibrated(model.build_pipeline(family, features, {}, 7), frame, features)
    assert model_space._parts(fitted, features) is not None, message + " (the model's shape is no longer recognised)"
    leads = frame[frame.split == "test"].reset_index(drop=True)
    stock, ours = explain.effects(fitted, leads, features, reference), model_space.effects(fitted, leads, features, reference)
    np.testing.assert_allclose(ours.by_feature, stock.by_feature, rtol=0, atol=1e-12, err_msg=message)
    # the leads' own probabilities are what scoring writes: the stock prediction's, to the last bit
    np.testing.assert_array_equal(ours.probability, model.predict(fitted, leads, features), err_msg=message)
    assert 0.1 < (np.abs(stock.by_feature) > explain.NEGLIGIBLE_EFFECT).mean() < 0.95, "the synthetic leads should move many effects"
    reasons = [explain.top_reasons(leads, features, reference, e.by_feature) for e in (stock, ours)]
    assert (reasons[0] == reasons[1]).all(), message


def test_sklearn_a_model_with_a_preprocessing_block_of_several_features_gets_the_stock_effects(synthetic):
    """A model trained before transformers were per feature (one encoder for all categories) has no per-feature
    columns: ``model_space.effects`` must give exactly the stock computation for it, not a wrong shortcut."""
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    from lead_scoring.ml import explain
    from lead_scoring.platform import model_space

    frame, features, reference = synthetic
    categorical = [f.name for f in features if f.feature_type == "categorical"]
    numeric = [f.name for f in features if f.feature_type != "categorical"]
    encode = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan)
    joint = Pipeline([
        ("preprocess", ColumnTransformer([("categorical", encode, categorical), ("numeric", "passthrough", numeric)])),
        ("classifier", HistGradientBoostingClassifier(categorical_features=[True] * len(categorical) + [False] * len(numeric),
                                                      max_iter=30, random_state=7)),
    ])
    fitted = _calibrated(joint, frame, features)
    assert model_space._parts(fitted, features) is None
    leads = frame[frame.split == "test"].head(300).reset_index(drop=True)
    for ours, stock in zip(model_space.effects(fitted, leads, features, reference), explain.effects(fitted, leads, features, reference)):
        np.testing.assert_array_equal(ours, stock)


def test_switched_off_the_scoring_step_computes_the_stock_effects(tmp_path):
    from lead_scoring.ml import explain
    from lead_scoring.platform import model_space
    from lead_scoring.settings import Settings
    from lead_scoring.steps.scoring import reason_effects

    home = {"LEAD_SCORING_HOME": str(tmp_path)}
    assert reason_effects(Settings.from_env(home)) is model_space.effects
    assert reason_effects(Settings.from_env({**home, "LEAD_SCORING_MODEL_SPACE_REASONS": "false"})) is explain.effects
