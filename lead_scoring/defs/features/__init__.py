"""Features: the home's dbt project (staging -> intermediate -> marts) as Dagster assets, its tests as checks."""

from lead_scoring.defs.features.assets import build

__all__ = ["build"]
