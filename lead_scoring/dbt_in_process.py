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
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import threading
from pathlib import Path
from typing import Any, Iterator, Sequence

from lead_scoring.dbt_runs import PARSE_STATE
from lead_scoring.settings import environment

# Commands that run on a parsed project and accept a pre-parsed one.
_MANIFEST_COMMANDS = {"build", "run", "test", "compile", "seed", "snapshot", "docs", "show", "list", "ls", "source"}
_ENV_VAR = re.compile(r"env_var\(\s*['\"](\w+)['\"]")
_SKIPPED_FOLDERS = {"target", "logs", "dbt_packages", ".git"}
_PARSE_OPTIONS = ("--target", "--profile", "--vars")  # options of a command that change what the project parses to
_END = object()

_parsed: dict[tuple, Any] = {}  # project fingerprint -> dbt Manifest
_one_at_a_time = threading.Lock()  # dbt keeps global state (flags, adapters): never two commands at once


def invocation(resource, args, raise_on_error, manifest, dagster_dbt_translator, context, target_path):
    """What ``DbtCliResource.cli`` returns, with the command running in a :class:`DbtThread`.

    Selection, target folder and environment are dagster-dbt's own, as for its subprocess.
    """
    from dagster_dbt import DagsterDbtTranslator
    from dagster_dbt.asset_utils import extract_runtime_selection_from_args, get_updated_cli_invocation_params_for_context
    from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation
    from dagster_dbt.dbt_manifest import validate_manifest

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
        process=DbtThread(command, env, project_dir), manifest=params.manifest,
        dagster_dbt_translator=params.dagster_dbt_translator, project_dir=project_dir, target_path=target_path,
        raise_on_error=raise_on_error, cli_version=resource._cli_version, project=params.dbt_project, context=context,
    )


class DbtThread:
    """A dbt command running in a thread, with the part of ``subprocess.Popen`` that dagster-dbt uses."""

    def __init__(self, args: Sequence[str], env: dict[str, str], project_dir: Path):
        self.args = list(args)
        self.returncode: int | None = None
        self.stdout = _Lines()
        self._thread = threading.Thread(target=self._run, args=(env, project_dir), name="dbt", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> int | None:
        self._thread.join(timeout)
        return self.returncode

    def send_signal(self, signal: int) -> None:
        """dbt cannot be interrupted from another thread: an interrupted run waits for the command to end."""

    def _run(self, env: dict[str, str], project_dir: Path) -> None:
        from dbt.cli.main import dbtRunner
        from dbt_common.events.functions import msg_to_json

        def forward(event) -> None:
            if event.info.level != "debug":  # the CLI's stdout shows info and above
                self.stdout.put((msg_to_json(event) + "\n").encode())

        # Events reach us, not the terminal; the debug log still goes to dbt.log in the target folder.
        with _one_at_a_time, environment({**env, "DBT_LOG_LEVEL": "none", "DBT_LOG_LEVEL_FILE": "debug"}):
            try:
                command = self.args[1:]  # args[0] is the executable, as for a subprocess
                manifest = _manifest(project_dir, command) if command and command[0] in _MANIFEST_COMMANDS else None
                result = dbtRunner(manifest=manifest, callbacks=[forward]).invoke(command)
                self.returncode = 0 if result.success else (2 if result.exception else 1)
                if result.exception is not None:
                    self.stdout.put(_error_line(f"dbt {' '.join(command)} failed: {result.exception}"))
            except BaseException as error:  # the step must end with the error, never hang on an open stream
                self.returncode = 2
                self.stdout.put(_error_line(f"dbt {' '.join(self.args[1:])} failed: {error!r}"))
            finally:
                _release_duckdb()
                self.stdout.put(_END)


class _Lines:
    """The command's output lines, readable once, like a pipe."""

    def __init__(self):
        self._queue: queue.Queue = queue.Queue()
        self.closed = False

    def put(self, line) -> None:
        self._queue.put(line)

    def __iter__(self) -> Iterator[bytes]:
        while (line := self._queue.get()) is not _END:
            yield line

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.closed = True


def copy_parse_state(project_dir: Path, target_path: Path) -> None:
    """Start from the parse state in the current target folder, as dagster-dbt does for its subprocess."""
    current = Path(os.environ.get("DBT_TARGET_PATH", "target"))
    state = (current if current.is_absolute() else project_dir / current) / PARSE_STATE
    if state.exists() and not (target_path / PARSE_STATE).exists():
        target_path.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(state, target_path / PARSE_STATE)


def _manifest(project_dir: Path, command: Sequence[str]):
    """The project parsed for this environment, parsed again when a file or a variable it reads changes."""
    from dbt.cli.main import dbtRunner

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
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter
        return
    if DuckDBConnectionManager._ENV is not None:
        DuckDBConnectionManager._ENV.close()
    DuckDBConnectionManager.close_all_connections()


def _error_line(message: str) -> bytes:
    return (json.dumps({"info": {"level": "error", "msg": message, "name": "InProcessError"}, "data": {}}) + "\n").encode()
