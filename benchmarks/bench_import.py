"""Benchmark: import a flat export of 1,000,000 rows x 50 columns and train on it.

    python benchmarks/bench_import.py --rows 1000000

Generates the export (comma-separated, UTF-8: an id, an outcome, 30 numbers,
14 categories with a missing token and mixed case, 3 yes/no columns, an e-mail
column), then runs the same functions as `lead-scoring import` and the
`retrain` job: import (read, normalise, type, quarantine, leakage scan, load,
generate the dbt project), dbt build, training set, train + evaluate + log to
MLflow + register, promote. Prints wall time per stage and the peak memory of
this process and of dbt (its own process). Target: under 5 minutes, under 4 GB.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

NUMBERS, CATEGORIES, FLAGS = 30, 14, 3


def write_export(path: Path, rows: int, seed: int = 7, chunk: int = 200_000) -> None:
    rng = np.random.default_rng(seed)
    labels = ["Alpha", "alpha ", "Beta", "GAMMA", "delta", "Select"]
    with open(path, "w", encoding="utf-8") as handle:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            numbers = rng.normal(size=(n, NUMBERS))
            cats = rng.integers(0, len(labels), size=(n, CATEGORIES))
            logit = -0.8 + 0.9 * numbers[:, 0] - 0.6 * numbers[:, 1] + 0.5 * (cats[:, 0] == 2)
            frame = pd.DataFrame(numbers.round(3), columns=[f"Metric {i}" for i in range(NUMBERS)])
            for j in range(CATEGORIES):
                frame[f"Attribute {j}"] = np.asarray(labels, dtype=object)[cats[:, j]]
            for j in range(FLAGS):
                frame[f"Opt In {j}"] = np.where(rng.random(n) < 0.3, "Yes", "No")
            frame.insert(0, "Lead Id", [f"L{i:08d}" for i in range(start, start + n)])
            frame.insert(1, "Converted", (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int))
            frame["Email"] = [f"lead{i}@example.com" for i in range(start, start + n)]
            frame.to_csv(handle, index=False, header=start == 0)


MAPPING = """name: bench_export
id_column: Lead Id
label: {column: Converted, positive: ["1"], negative: ["0"]}
missing_tokens: ["", Select]
pii: [Email]
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=1,
                        help="OpenMP / BLAS threads (default 1: on a busy shared machine spinning threads cost 10x)")
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(args.threads):
        home = Path(tmp) / "home"
        os.environ["LEAD_SCORING_HOME"] = str(home)
        for variable in ("DAGSTER_HOME", "MLFLOW_TRACKING_URI", "LEAD_SCORING_WAREHOUSE_PATH"):
            os.environ.pop(variable, None)
        from lead_scoring.steps import training as training_steps
        from lead_scoring.flat import importer
        from lead_scoring.platform.dbt_cli import dbt_build
        from lead_scoring.ml import registry
        from lead_scoring.settings import Settings
        from lead_scoring.warehouse import Warehouse

        export, mapping = Path(tmp) / "export.csv", Path(tmp) / "mapping.yml"
        mapping.write_text(MAPPING)
        started = time.perf_counter()
        write_export(export, args.rows)
        generate = time.perf_counter() - started
        print(f"  ... export generated in {generate:.0f} s ({export.stat().st_size / 2**20:.0f} MiB)", flush=True)
        settings = Settings.from_env()
        warehouse = Warehouse(settings.warehouse_path)
        timings: dict[str, float] = {}

        def stage(name, fn, *a, **kw):
            begun = time.perf_counter()
            result = fn(*a, **kw)
            timings[name] = time.perf_counter() - begun
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"  ... {name} done in {timings[name]:.1f} s (peak RSS so far {peak:.0f} MiB)", flush=True)
            return result

        report = stage("import", importer.import_export, settings, mapping, export)
        stage("dbt build", dbt_build, settings)
        client = registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifacts)
        frame = stage("training set", training_steps.build_training_set, warehouse, settings).frame
        candidate = stage("train + log", training_steps.train_candidate, warehouse, client, settings, 7, "benchmark", {})
        stage("promote", training_steps.promote_challenger, warehouse, client, settings)
        size = export.stat().st_size / 2**20
    total = sum(timings.values())
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"flat export: {args.rows:,} rows x {len(report.columns) + 1} columns, {size:.0f} MiB CSV (generated in {generate:.0f} s)")
    for name, seconds in timings.items():
        print(f"  {name:<14}{seconds:>8.1f} s")
    print(f"  {'total':<14}{total:>8.1f} s   (target < 300 s)")
    print(f"  peak RSS      {own:>8.0f} MiB this process (target < 4096 MiB); dbt subprocess <= {children:.0f} MiB "
          "(counts pages shared with this process at fork)")
    print(f"  rows          {report.loaded:,} loaded, {report.quarantined:,} quarantined; training set {len(frame):,} rows; "
          f"{len(report.features)} features")
    print(f"  ROC AUC       model {candidate.outcome.metrics['roc_auc']:.3f} | baseline {candidate.outcome.baseline_metrics['roc_auc']:.3f}")
    print(f"  machine       {os.cpu_count()} cores, {args.threads} OpenMP thread(s), load average {os.getloadavg()[0]:.1f} "
          "(shared with other work when measured)")


if __name__ == "__main__":
    main()
