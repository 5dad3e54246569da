"""Training: the training set, the candidate model (tracked in MLflow), its promotion, the weekly retrain."""

import dagster as dg

from lead_scoring.defs.training.assets import defs
from lead_scoring.settings import Settings


def build(settings: Settings) -> dg.Definitions:
    return defs
