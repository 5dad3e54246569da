"""Data-quality guards as plain Python: source contracts, row quarantine, and the checks
that gate training and scoring. Dagster wiring lives in ``defs/quality.py``."""
