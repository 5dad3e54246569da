"""The flat import as a plain step: the checked export loaded and its dbt project parsed, all or nothing.

Shared by `lead-scoring import` and the `flat_import` job.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator

from lead_scoring.flat import importer, journal
from lead_scoring.platform.dbt_cli import prepare_manifest
from lead_scoring.settings import Settings


@contextlib.contextmanager
def staged_import(settings: Settings, checked, out: Callable[[str], None] = print) -> Iterator:
    """The checked export loaded and its project parsed, all undone unless the block completes (``journal``).

    The block adds what must pass too: the dbt build, or the retrain, the gate and the first scoring.
    """
    with journal.all_or_nothing(settings) as recovered:
        if recovered:
            out("an earlier import that did not finish was undone first")
        report = importer.write_import(settings, checked)
        out(importer.render(report))
        prepare_manifest(settings)
        out(f"  dbt project {report.dbt_project_dir} (generated; features in its manifest)")
        yield report
