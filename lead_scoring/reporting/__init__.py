"""The stakeholder report: figures gathered from the warehouse and the MLflow registry,
drawn with matplotlib and written as one self-contained HTML file.

Plain modules, testable without Dagster: ``data`` (SQL aggregation and the
registry), ``figures`` (statistics on the small aggregates), ``charts``,
``html`` and ``build`` (files, last headline, MLflow).
"""
