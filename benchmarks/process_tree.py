"""Peak memory of a command's whole process tree, sampled from /proc (Linux).

``ru_maxrss`` (what ``bench_demo.measured`` reports) is the largest single
process. A Dagster run is several processes (the CLI, the run worker, dbt's
threads inside it), so this module adds them up every ``interval`` seconds. It
records two sums: RSS, which counts pages shared between processes once per
process, and PSS, which divides each shared page among the processes that map
it. PSS is the figure the machine has to hold.

    python benchmarks/process_tree.py -- lead-scoring demo --leads-per-day 8334
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class TreePeak:
    rss_mib: float = 0.0  # the largest sum of RSS over the tree at one moment
    pss_mib: float = 0.0  # the largest sum of PSS over the tree at one moment
    largest_process_mib: float = 0.0  # the largest single process's RSS
    largest_process: str = ""  # its command line, shortened
    at_seconds: float = 0.0  # when the PSS peak happened, from the start
    samples: int = 0
    timeline: list = field(default_factory=list)  # (seconds, rss MiB, pss MiB), one a second


def _children(pid: int) -> list[int]:
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found = []
    for task in tasks:
        try:
            found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
        except OSError:
            pass
    return found


def _tree(root: int) -> list[int]:
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo += _children(pid)
    return pids


def _memory(pid: int) -> tuple[float, float, str]:
    """RSS and PSS in MiB and the command line of one process (zeros when it has ended)."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return 0.0, 0.0, ""
    values = {line.split(":")[0]: int(line.split()[1]) for line in rollup[1:] if line.split()[-1] == "kB"}
    return values.get("Rss", 0) / 1024, values.get("Pss", 0) / 1024, cmdline[:120]


def sample(process: subprocess.Popen, interval: float = 0.5) -> TreePeak:
    """Sample until ``process`` ends."""
    peak, started, last_timeline = TreePeak(), time.perf_counter(), -1.0
    while process.poll() is None:
        rss = pss = 0.0
        for pid in _tree(process.pid):
            one_rss, one_pss, cmdline = _memory(pid)
            rss, pss = rss + one_rss, pss + one_pss
            if one_rss > peak.largest_process_mib:
                peak.largest_process_mib, peak.largest_process = one_rss, cmdline
        now = time.perf_counter() - started
        peak.samples += 1
        peak.rss_mib = max(peak.rss_mib, rss)
        if pss > peak.pss_mib:
            peak.pss_mib, peak.at_seconds = pss, now
        if now - last_timeline >= 1.0:
            peak.timeline.append((round(now, 1), round(rss), round(pss)))
            last_timeline = now
        time.sleep(interval)
    return peak


def run_sampled(command: list[str], env: dict[str, str] | None = None, interval: float = 0.5, **popen) -> tuple[int, float, TreePeak]:
    """Run ``command``; its return code, wall seconds and the tree's peak memory."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, **popen)
    box: dict = {}
    sampler = threading.Thread(target=lambda: box.update(peak=sample(process, interval)))
    sampler.start()
    code = process.wait()
    sampler.join()
    return code, time.perf_counter() - started, box["peak"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeline", type=Path, help="write the per-second (seconds, RSS, PSS) timeline here as JSON")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    code, wall, peak = run_sampled(command)
    if args.timeline:
        args.timeline.write_text(json.dumps(asdict(peak)))
    print(f"wall {wall:.1f} s, exit {code}; peak of the process tree: PSS {peak.pss_mib:.0f} MiB at {peak.at_seconds:.0f} s, "
          f"RSS sum {peak.rss_mib:.0f} MiB; largest process {peak.largest_process_mib:.0f} MiB ({peak.largest_process})",
          file=sys.stderr)
    sys.exit(code)


if __name__ == "__main__":
    main()
