"""Flat CRM exports (one row per lead) as a lead-scoring source: mapping, reading, checking, loading, dbt."""
