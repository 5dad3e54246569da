"""The library versions a model was trained with, and what has changed since.

A model is a function of its code, its data and the libraries that ran both:
scikit-learn can change a tree's predictions or refuse an older file, dbt or
Great Expectations can change what the features and their checks mean, and
Dagster or MLflow how runs and models are recorded. The retrain records each
version as a tag of the model version, and the daily run compares them with
the versions it runs on, so an upgrade is noticed the day it reaches scoring.
"""

from __future__ import annotations

from importlib import metadata

TRACKED = ("dagster", "dagster-dbt", "dbt-core", "mlflow", "scikit-learn", "great_expectations")
TAG_PREFIX = "library_"
NOT_INSTALLED = "not installed"


def installed() -> dict[str, str]:
    """The version of each tracked library in this process's environment."""
    versions = {}
    for package in TRACKED:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = NOT_INSTALLED
    return versions


def as_tags(versions: dict[str, str]) -> dict[str, str]:
    return {f"{TAG_PREFIX}{package}": version for package, version in versions.items()}


def changes(recorded_tags: dict[str, str], now: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Library -> (version at training, version now), for each tracked library that differs.

    A library the model's tags do not record (a model trained before versions were recorded) is not compared.
    """
    recorded = {key[len(TAG_PREFIX):]: value for key, value in recorded_tags.items() if key.startswith(TAG_PREFIX)}
    return {package: (recorded[package], version) for package, version in now.items()
            if package in recorded and recorded[package] != version}
