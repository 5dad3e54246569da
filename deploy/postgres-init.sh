#!/bin/sh
# First start of the postgres service: the Dagster and MLflow stores get databases of their own
# next to the warehouse ($POSTGRES_DB). Names match the URLs in .env.example.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
create database dagster;
create database mlflow;
SQL
