"""Flat export: the `flat_import` job loads a CRM export (one row per lead) with its mapping file."""

import dagster as dg

from lead_scoring.defs.flat_import.assets import defs
from lead_scoring.settings import Settings


def build(settings: Settings) -> dg.Definitions:
    return defs
