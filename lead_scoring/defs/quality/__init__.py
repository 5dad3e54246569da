"""Quality: the blocking checks between the data and training, promotion and scoring (``checks``)."""

import dagster as dg

from lead_scoring.defs.quality.checks import any_source_checks, checks
from lead_scoring.settings import Settings


def build(settings: Settings) -> dg.Definitions:
    """A flat export has no consent history and no Great Expectations features suite: only the checks of any source."""
    return dg.Definitions(asset_checks=any_source_checks if settings.flat_source_file.exists() else checks)
