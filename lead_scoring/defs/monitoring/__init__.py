"""Monitoring: the daily monitoring assets (``assets.build``) and the sensors they drive (``sensors``)."""

import dagster as dg

from lead_scoring.defs.monitoring import assets, sensors
from lead_scoring.settings import Settings


def build(settings: Settings) -> dg.Definitions:
    return dg.Definitions.merge(assets.build(settings), sensors.defs)
