"""Reporting: the feature catalog (dbt docs) and the weekly stakeholder report."""

from lead_scoring.defs.reporting.assets import build

__all__ = ["build"]
