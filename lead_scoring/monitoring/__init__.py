"""Monitoring statistics as plain Python: drift, live performance, freshness and the retrain triggers.

Nothing here imports Dagster; ``lead_scoring/defs/monitoring.py`` wires these
functions into daily assets, checks and sensors.
"""
