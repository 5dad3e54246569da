"""Ingestion: the landing days into the raw schema, with the checks that gate each load (``assets``, ``checks``)."""

from lead_scoring.defs.ingestion.assets import build

__all__ = ["build"]
