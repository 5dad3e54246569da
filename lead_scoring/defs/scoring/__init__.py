"""Scoring: the champion scores the open, consenting leads each day; the scores go back to the warehouse."""

from lead_scoring.defs.scoring.assets import build

__all__ = ["build"]
