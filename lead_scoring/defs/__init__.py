"""Dagster wiring, one module per area. Each module holds its assets, checks, jobs,
schedules and sensors; the statistics and the SQL live elsewhere (``ml/``, ``dbt_project/``)."""
