"""Real service processes on loopback for the topology tests, and the Dagster GraphQL calls the UI makes.

Every process starts in its own process group and is stopped with its
children (SIGTERM, then SIGKILL) by ``Services.stop_all``, which the fixtures
call from a finalizer whatever happens in the test.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_json(url: str, payload: dict | None = None, timeout: float = 30) -> dict:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status == 200


def wait_until(what: str, ready: Callable[[], object], timeout: float, process: "Service | None" = None) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.popen.poll() is not None:
            raise AssertionError(f"{process.name} exited ({process.popen.returncode}) before {what}:\n{process.log_tail()}")
        try:
            result = ready()
            if result:
                return result
        except (OSError, urllib.error.URLError, ConnectionError, ValueError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}" + (f":\n{process.log_tail()}" if process else ""))


@dataclass
class Service:
    name: str
    popen: subprocess.Popen
    log: Path

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def signal(self, sig: int) -> None:
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass


@dataclass
class Services:
    env: dict[str, str]
    logs: Path
    started: list[Service] = field(default_factory=list)

    def start(self, name: str, argv: list[str]) -> Service:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{name}-{len(self.started)}.log"
        with open(log, "w") as out:
            popen = subprocess.Popen(
                [str(BIN / argv[0]), *argv[1:]], env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        service = Service(name, popen, log)
        self.started.append(service)
        return service

    def stop_all(self) -> None:
        """SIGTERM to every group at once, a few seconds' grace, then SIGKILL to whatever is left."""
        for service in self.started:
            if service.popen.poll() is None:
                service.signal(signal.SIGTERM)
        deadline = time.monotonic() + 8
        for service in self.started:
            try:
                service.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            service.signal(signal.SIGKILL)  # the group: children the service left behind too
            service.popen.wait(timeout=15)


def tcp_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class DagsterGraphQL:
    """The calls the Dagster UI makes to launch and follow runs."""

    LAUNCH = """
    mutation Launch($executionParams: ExecutionParams!) {
      launchRun(executionParams: $executionParams) {
        __typename
        ... on LaunchRunSuccess { run { runId status } }
        ... on PythonError { message stack }
        ... on Error { message }
      }
    }"""
    RUN = """
    query Run($runId: ID!) {
      runOrError(runId: $runId) {
        __typename
        ... on Run { runId status startTime endTime }
        ... on Error { message }
      }
    }"""
    WORKSPACE = """
    query { workspaceOrError { ... on Workspace { locationEntries { name loadStatus
      locationOrLoadError { __typename ... on PythonError { message } } } } } }"""

    def __init__(self, port: int, location: str):
        self.url = f"http://127.0.0.1:{port}/graphql"
        self.location = location

    def call(self, query: str, variables: dict | None = None) -> dict:
        answer = http_json(self.url, {"query": query, "variables": variables or {}})
        if answer.get("errors"):
            raise AssertionError(f"GraphQL errors: {answer['errors']}")
        return answer["data"]

    def location_loaded(self) -> bool:
        entries = self.call(self.WORKSPACE)["workspaceOrError"]["locationEntries"]
        entry = next((e for e in entries if e["name"] == self.location), None)
        if entry and entry["locationOrLoadError"] and entry["locationOrLoadError"]["__typename"] == "PythonError":
            raise AssertionError(f"code location failed to load: {entry['locationOrLoadError']['message']}")
        return bool(entry) and entry["loadStatus"] == "LOADED"

    def launch(self, job: str, tags: dict[str, str], run_config: dict | None = None) -> str:
        params = {
            "selector": {"repositoryLocationName": self.location, "repositoryName": "__repository__", "jobName": job},
            "runConfigData": run_config or {},
            "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
        }
        result = self.call(self.LAUNCH, {"executionParams": params})["launchRun"]
        if result["__typename"] != "LaunchRunSuccess":
            raise AssertionError(f"launching {job} failed: {result}")
        return result["run"]["runId"]

    def run(self, run_id: str) -> dict:
        return self.call(self.RUN, {"runId": run_id})["runOrError"]

    def wait_for(self, run_id: str, timeout: float, logs: Callable[[], str] = lambda: "") -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.run(run_id)
            if run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
                assert run["status"] == "SUCCESS", f"run {run_id} ended {run['status']}:\n{logs()}"
                return run
            time.sleep(1)
        raise AssertionError(f"run {run_id} still {self.run(run_id)['status']} after {timeout:.0f} s:\n{logs()}")
