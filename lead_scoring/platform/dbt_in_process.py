"""dbt run inside the Dagster run's process, for dagster-dbt to read as if it were the dbt CLI.

dagster-dbt runs every dbt command as a subprocess: each daily run paid about
1.7 s for dbt's imports and 1 s to load the parse state before 1-2 s of work.
Here dbt's own programmatic API (``dbtRunner``) runs the command in a thread of
this process: the imports are paid once per process, and the parsed project is
kept in memory and handed to the next command
(https://docs.getdbt.com/reference/programmatic-invocations#reusing-objects), so a
long-lived process (``lead-scoring demo``/``replay``) parses the project once.

dbt's structured events are written as the JSON lines ``dbt --log-format json``
prints, and :class:`DbtThread` offers them the way ``subprocess.Popen`` offers
stdout, so dagster-dbt's ``DbtCliInvocation`` turns them into asset
materialisations and check results unchanged.

Stopping a command takes dbt's own Ctrl-C path (:meth:`DbtThread.send_signal`):
``KeyboardInterrupt`` is raised in the thread running the command, where dbt's
task runner catches it, cancels the adapter's open queries, stops its worker
threads and writes ``run_results.json``. A command is stopped when

- dagster-dbt signals it: a run terminated from the Dagster UI interrupts the step
  while it waits for dbt's next event, and dagster-dbt calls ``send_signal(SIGINT)``,
  then waits up to ``DAGSTER_DBT_TERMINATION_TIMEOUT_SECONDS`` (25 s);
- its run is CANCELING or CANCELED (checked every second): the interrupt often
  reaches the step while Dagster stores an event, outside dagster-dbt's handler,
  and then nobody signals the command (in the terminate test the step stored each
  model 1.0-1.2 s after dbt reported it, and was still storing staging results
  while dbt ran a mart);
- its reader goes away before the end, as a closed pipe stops a CLI;
- the process exits with the command still running: first thing at exit, before
  ``multiprocessing`` shuts dbt's thread pool down (a run's process is a
  ``multiprocessing`` child); a daemon thread killed inside DuckDB aborts the
  process ("FATAL: exception not rethrown").

Every dbt, dbt-duckdb and dagster-dbt internal this module relies on is listed in
``docs/platform.md`` with its canary in ``tests/unit/test_upgrade_canaries.py``;
``ProjectDbtResource(in_process=False)`` runs the stock dagster-dbt subprocess instead.
"""

from __future__ import annotations

import ctypes
import json
import multiprocessing.util
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import weakref
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from dagster import DagsterRunStatus
from dagster_dbt import DagsterDbtTranslator
from dagster_dbt.asset_utils import extract_runtime_selection_from_args, get_updated_cli_invocation_params_for_context
from dagster_dbt.core.dbt_cli_invocation import DAGSTER_DBT_TERMINATION_TIMEOUT_SECONDS, DbtCliInvocation
from dagster_dbt.dbt_manifest import validate_manifest

from lead_scoring.platform.dbt_runs import PARSE_STATE
from lead_scoring.settings import environment

# Commands that run on a parsed project and accept a pre-parsed one.
_MANIFEST_COMMANDS = {"build", "run", "test", "compile", "seed", "snapshot", "docs", "show", "list", "ls", "source"}
_ENV_VAR = re.compile(r"env_var\(\s*['\"](\w+)['\"]")
_SKIPPED_FOLDERS = {"target", "logs", "dbt_packages", ".git"}
_PARSE_OPTIONS = ("--target", "--profile", "--vars")  # options of a command that change what the project parses to
_END = object()

_parsed: dict[tuple, Any] = {}  # project fingerprint -> dbt Manifest
_one_at_a_time = threading.Lock()  # dbt keeps global state (flags, adapters): never two commands at once
_commands: "weakref.WeakSet[DbtThread]" = weakref.WeakSet()  # the commands not ended yet, to stop at exit
_WATCH_SECONDS = 1.0  # how often a command asks whether its run was terminated
_EXIT_PRIORITY = 100  # multiprocessing runs finalizers by decreasing priority; its thread pools' is 15


def invocation(resource, args, raise_on_error, manifest, dagster_dbt_translator, context, target_path):
    """What ``DbtCliResource.cli`` returns, with the command running in a :class:`DbtThread`.

    Selection, target folder and environment are dagster-dbt's own, as for its subprocess.
    """

    cleaned_args, selects, excludes = extract_runtime_selection_from_args(args)
    params = get_updated_cli_invocation_params_for_context(
        context=context, manifest=validate_manifest(manifest) if manifest else {},
        dagster_dbt_translator=dagster_dbt_translator or DagsterDbtTranslator(),
        runtime_selects=selects, runtime_excludes=excludes,
    )
    project_dir = Path(params.dbt_project.project_dir if params.dbt_project else resource.project_dir)
    target_path = Path(target_path or resource._get_unique_target_path(context=context))
    if not target_path.is_absolute():
        target_path = project_dir / target_path
    env = {
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_TARGET_PATH": str(target_path),
        "DBT_LOG_PATH": str(target_path),
        "DBT_PROJECT_DIR": str(project_dir),
        # The CLI runs in the project folder and finds profiles.yml there; this process does not move.
        "DBT_PROFILES_DIR": str(resource.profiles_dir or project_dir),
        **({"DBT_INDIRECT_SELECTION": params.indirect_selection} if params.indirect_selection else {}),
    }
    profile = [*(["--profile", resource.profile] if resource.profile else []), *(["--target", resource.target] if resource.target else [])]
    command = [resource.dbt_executable, *resource.global_config_flags, *cleaned_args, *profile, *params.selection_args]
    copy_parse_state(project_dir, target_path)
    return DbtCliInvocation(
        process=DbtThread(command, env, project_dir, cancelled=_run_cancelled(context) if context else None),
        manifest=params.manifest,
        dagster_dbt_translator=params.dagster_dbt_translator, project_dir=project_dir, target_path=target_path,
        raise_on_error=raise_on_error, cli_version=resource._cli_version, project=params.dbt_project, context=context,
    )


class DbtThread:
    """A dbt command running in a thread, with the part of ``subprocess.Popen`` that dagster-dbt uses.

    ``cancelled``: asked every second while the command runs; once it says yes the command is stopped.
    """

    def __init__(self, args: Sequence[str], env: dict[str, str], project_dir: Path, cancelled: Callable[[], bool] | None = None):
        self.args = list(args)
        self.returncode: int | None = None
        self.stdout = _Lines(on_abandoned=self._reader_gone)
        self._stop_lock = threading.Lock()
        self._in_dbt = False  # the thread is inside dbt: an interrupt raised there goes to dbt's own handler
        self._stopping = False
        self._ended = threading.Event()
        self._adapter_type: str | None = None  # from dbt's AdapterRegistered event: whose queries to cancel
        self._thread = threading.Thread(target=self._run, args=(env, project_dir), name="dbt", daemon=True)
        _commands.add(self)
        self._thread.start()
        if cancelled is not None:
            threading.Thread(target=self._watch, args=(cancelled,), name="dbt-watch", daemon=True).start()

    def wait(self, timeout: float | None = None) -> int:
        """The exit code once the command has ended; ``subprocess.TimeoutExpired`` after ``timeout`` seconds, as ``Popen.wait``."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise subprocess.TimeoutExpired(self.args, timeout)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        """Stop the command the way Ctrl-C stops the dbt CLI (any signal: dagster-dbt only sends SIGINT).

        dbt's task runner handles ``KeyboardInterrupt`` in the thread that runs the
        command (``GraphRunnableTask.execute_nodes``): it cancels the open queries,
        stops its worker threads, writes ``run_results.json`` and ends. A signal only
        reaches a process's main thread, so the interrupt is raised in this command's
        thread with CPython's ``PyThreadState_SetAsyncExc``; it takes effect when that
        thread next runs Python code, which it does when a node ends, so the queries
        running now are cancelled through the adapter too. A command still waiting
        for its turn does not start.
        """
        if self._stopping:  # once: the interrupt is raised at most one time
            return
        with self._stop_lock:
            self._stopping = True
            if not self._in_dbt or self._thread.ident is None:
                return
            _raise_in_thread(self._thread.ident, KeyboardInterrupt)
        self._cancel_queries()

    def stop(self, timeout: float | None = None) -> None:
        """Stop the command and wait up to ``timeout`` seconds (dagster-dbt's termination wait by default) for it to end."""
        if timeout is None:
            timeout = DAGSTER_DBT_TERMINATION_TIMEOUT_SECONDS
        self.send_signal(signal.SIGINT)
        self._thread.join(timeout)

    def _reader_gone(self) -> None:
        """The step stopped reading the events before the command ended: nobody will wait for it, stop it."""
        if self._thread.is_alive():
            self.stop()

    def _watch(self, cancelled: Callable[[], bool]) -> None:
        while not self._ended.wait(_WATCH_SECONDS):
            try:
                if cancelled():
                    self.send_signal(signal.SIGINT)
                    return
            except Exception:  # the run storage unreachable for a moment: ask again next time
                pass

    def _cancel_queries(self) -> None:
        if self._adapter_type is None:
            return
        from dbt.adapters.factory import get_adapter_by_type  # dbt-core: only once dbt has run in this process

        try:
            get_adapter_by_type(self._adapter_type).cancel_open_connections()
        except Exception:  # no adapter (yet, or any more): dbt's own handler cancels what is open
            pass

    def _run(self, env: dict[str, str], project_dir: Path) -> None:
        from dbt_common.events.functions import msg_to_json  # dbt-core: only once dbt has run in this process

        def forward(event) -> None:
            if event.info.name == "AdapterRegistered":
                self._adapter_type = event.data.adapter_name
            if event.info.level != "debug":  # the CLI's stdout shows info and above
                self.stdout.put((msg_to_json(event) + "\n").encode())

        # Events reach us, not the terminal; the debug log still goes to dbt.log in the target folder.
        code = 2
        with _one_at_a_time, environment({**env, "DBT_LOG_LEVEL": "none", "DBT_LOG_LEVEL_FILE": "debug"}):
            command = self.args[1:]  # args[0] is the executable, as for a subprocess
            try:
                result = self._invoke(command, project_dir, forward)
                if result is None or isinstance(result.exception, KeyboardInterrupt):
                    self.stdout.put(_error_line(f"dbt {' '.join(command)} stopped: the run was terminated"))
                else:
                    code = 0 if result.success else (2 if result.exception else 1)
                    if result.exception is not None:
                        self.stdout.put(_error_line(f"dbt {' '.join(command)} failed: {result.exception}"))
            except BaseException as error:  # the step must end with the error, never hang on an open stream
                self.stdout.put(_error_line(f"dbt {' '.join(command)} failed: {error!r}"))
            finally:
                try:
                    _release_duckdb()
                finally:
                    self.returncode = code  # as for a process: set once the command has ended
                    _commands.discard(self)
                    self._ended.set()
                    self.stdout.put(_END)

    def _invoke(self, command: list[str], project_dir: Path, forward):
        """dbt's result, or None when the command was stopped before dbt ended it."""
        from dbt.cli.main import dbtRunner  # dbt-core: imported by the first command, not when the code location loads

        try:
            with self._stop_lock:
                if self._stopping:
                    return None
                self._in_dbt = True
            try:
                manifest = _manifest(project_dir, command) if command and command[0] in _MANIFEST_COMMANDS else None
                if self._stopping:  # stopped while parsing
                    return None
                return dbtRunner(manifest=manifest, callbacks=[forward]).invoke(command)
            finally:
                with self._stop_lock:
                    self._in_dbt = False
                    _raise_in_thread(threading.get_ident(), None)  # an interrupt sent too late to matter
        except KeyboardInterrupt:  # the interrupt arrived outside dbt's handlers (here, or between two dbt calls)
            return None


def _run_cancelled(context) -> Callable[[], bool]:
    """Whether the Dagster run of ``context`` has been asked to stop (public API: ``DagsterInstance.get_run_by_id``)."""
    instance, run_id = context.instance, context.run.run_id
    stopping = {DagsterRunStatus.CANCELING, DagsterRunStatus.CANCELED}
    return lambda: instance.get_run_by_id(run_id).status in stopping


class _Lines:
    """The command's output lines, readable once, like a pipe; closed before the last line, ``on_abandoned`` is called."""

    def __init__(self, on_abandoned: Callable[[], None] | None = None):
        self._queue: queue.Queue = queue.Queue()
        self._on_abandoned = on_abandoned
        self.closed = False
        self.ended = False

    def put(self, line) -> None:
        self._queue.put(line)

    def __iter__(self) -> Iterator[bytes]:
        while (line := self._queue.get()) is not _END:
            yield line
        self.ended = True

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.closed = True
        if not self.ended and self._on_abandoned is not None:
            self._on_abandoned()


def _stop_at_exit() -> None:
    """Stop the commands still running when the process exits, and give each up to 10 s to end."""
    running = list(_commands)
    for command in running:
        command.send_signal(signal.SIGINT)
    for command in running:
        command.stop(timeout=10)


# At exit, before multiprocessing terminates every thread pool (dbt's among them, finalizer priority 15): a dbt
# command whose pool is gone never ends. multiprocessing runs these finalizers at the end of a child process
# (a run's process is one), before any atexit callback, and from its own atexit callback in any other process.
multiprocessing.util.Finalize(None, _stop_at_exit, exitpriority=_EXIT_PRIORITY)


def copy_parse_state(project_dir: Path, target_path: Path) -> None:
    """Start from the parse state in the current target folder, as dagster-dbt does for its subprocess."""
    current = Path(os.environ.get("DBT_TARGET_PATH", "target"))
    state = (current if current.is_absolute() else project_dir / current) / PARSE_STATE
    if state.exists() and not (target_path / PARSE_STATE).exists():
        target_path.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(state, target_path / PARSE_STATE)


def _manifest(project_dir: Path, command: Sequence[str]):
    """The project parsed for this environment, parsed again when a file or a variable it reads changes."""
    from dbt.cli.main import dbtRunner  # dbt-core: imported by the first command, not when the code location loads

    options = [part for flag in _PARSE_OPTIONS if flag in command[:-1] for part in (flag, command[command.index(flag) + 1])]
    key = (_fingerprint(project_dir), tuple(options))
    if key not in _parsed:
        result = dbtRunner().invoke(["parse", *options])
        if not result.success:
            return None  # the command itself parses and reports the error
        _parsed.clear()
        _parsed[key] = result.result
    return _parsed[key]


def _fingerprint(project_dir: Path) -> tuple:
    """Every file of the project (name, size, time) and the environment variables its configuration reads.

    Models may read variables too (the scoring date): dbt renders them anew on every
    command, so they need no new parse.
    """
    files = []
    for folder, subfolders, names in os.walk(project_dir):
        subfolders[:] = sorted(s for s in subfolders if s not in _SKIPPED_FOLDERS)
        for name in sorted(names):
            stat = os.stat(os.path.join(folder, name))
            files.append((folder, name, stat.st_size, stat.st_mtime_ns))
    configs = [project_dir / "dbt_project.yml", Path(os.environ.get("DBT_PROFILES_DIR", project_dir)) / "profiles.yml"]
    read = sorted({name for path in configs if path.exists() for name in _ENV_VAR.findall(path.read_text())})
    return str(project_dir), tuple(files), tuple((name, os.environ.get(name)) for name in read)


def _release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open after a command.

    Left open, every other connection to the file from this process fails
    ("Can't open a connection to same database file with a different configuration").
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager  # dbt-duckdb: only once dbt has run in this process
    except ImportError:  # another adapter
        return
    if DuckDBConnectionManager._ENV is not None:
        DuckDBConnectionManager._ENV.close()
    DuckDBConnectionManager.close_all_connections()


def _raise_in_thread(thread_id: int, exception: type[BaseException] | None) -> None:
    """Raise ``exception`` in the thread ``thread_id`` at its next Python instruction (None: withdraw a pending one).

    CPython's documented C API ``PyThreadState_SetAsyncExc``, the only way to interrupt
    another thread; the exception is checked for between bytecodes, never inside a C call.
    """
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exception) if exception else None)


def _error_line(message: str) -> bytes:
    return (json.dumps({"info": {"level": "error", "msg": message, "name": "InProcessError"}, "data": {}}) + "\n").encode()
