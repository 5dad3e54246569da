# Two commands do all the set-up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
HOME_DIR := $(or $(LEAD_SCORING_HOME),$(CURDIR)/.lead_scoring)
DBT_SOURCES := dbt_project/dbt_project.yml $(shell find dbt_project/models dbt_project/macros dbt_project/tests -type f 2>/dev/null)

.PHONY: install manifest demo test docs ui mlflow-ui bench bench-postgres clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The dbt manifest the Dagster code location reads: parsed here, never at import time.
manifest: dbt_project/target/manifest.json

dbt_project/target/manifest.json: $(VENV)/.installed $(DBT_SOURCES)
	$(BIN)/lead-scoring prepare

demo: install manifest
	$(BIN)/lead-scoring demo --reset

test: install manifest
	bash scripts/test-services.sh
	$(BIN)/mkdocs build --strict --quiet -d $(CURDIR)/site
	$(BIN)/pytest

docs: install
	$(BIN)/mkdocs serve -a 127.0.0.1:8000

# `dg dev` loads the code location [tool.dg.project] names in pyproject.toml (`dagster dev -w workspace.yaml` still works).
# VIRTUAL_ENV as activation would set it: dg warns when the venv it runs from is not the activated one.
ui: install manifest
	DAGSTER_HOME=$(HOME_DIR)/dagster LEAD_SCORING_HOME=$(HOME_DIR) VIRTUAL_ENV=$(abspath $(VENV)) \
	  $(BIN)/dg dev -h 127.0.0.1 -p 3000

mlflow-ui: install
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(HOME_DIR)/mlflow/mlflow.db --host 127.0.0.1 --port 5000

bench: install manifest
	$(BIN)/python benchmarks/bench_demo.py

bench-postgres: install manifest
	$(BIN)/python benchmarks/bench_postgres.py

clean:
	rm -rf $(HOME_DIR) dbt_project/target dbt_project/logs site
