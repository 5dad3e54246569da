"""The values each categorical column of the raw contract may hold: the suites check them, a mapped source maps into them."""

from __future__ import annotations

from lead_scoring.simulator import world
from lead_scoring.simulator.schema import ACTIVITY_TYPES, COMPANY_SIZES, COUNTRIES, INDUSTRIES, LEAD_SOURCES, OTHER_ACTIVITY, SENIORITIES

DOMAINS: dict[str, tuple[str, ...]] = {
    "country": COUNTRIES,
    "industry": INDUSTRIES,
    "company_size": COMPANY_SIZES,
    "seniority": SENIORITIES,
    "lead_source": LEAD_SOURCES,
    "activity_type": (*ACTIVITY_TYPES, OTHER_ACTIVITY),
    "channel": world.CAMPAIGN_CHANNELS,
    "campaign_channel": world.CAMPAIGN_CHANNELS,
}
