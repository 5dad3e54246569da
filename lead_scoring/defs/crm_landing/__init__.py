"""Mapped CRM source: the `crm_landing` job lands a CRM's new deliveries by their source mapping."""

import dagster as dg

from lead_scoring.defs.crm_landing.assets import defs
from lead_scoring.settings import Settings


def build(settings: Settings) -> dg.Definitions:
    return defs
