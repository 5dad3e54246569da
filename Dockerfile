# One image for the MLflow server and the three Dagster processes (code server, webserver, daemon).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DAGSTER_HOME=/opt/dagster/home \
    LEAD_SCORING_HOME=/data \
    LEAD_SCORING_DBT_TARGET=prod \
    # Models load from their skops file only; MLflow's own loader must never unpickle.
    MLFLOW_ALLOW_PICKLE_DESERIALIZATION=false

RUN apt-get update && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 app

WORKDIR /opt/lead_scoring
COPY pyproject.toml README.md ./
COPY lead_scoring ./lead_scoring
COPY dbt_project ./dbt_project
COPY expectations ./expectations
COPY deploy ./deploy
# Editable: the package finds dbt_project/ and expectations/ next to itself.
RUN pip install -e . \
    # The dbt manifest the code location reads, parsed once at build time (not on import).
    && lead-scoring prepare \
    && mkdir -p "$DAGSTER_HOME" /data /mlflow/artifacts \
    && cp deploy/dagster.yaml "$DAGSTER_HOME/dagster.yaml" \
    && chown -R app "$DAGSTER_HOME" /data /mlflow dbt_project

USER app
