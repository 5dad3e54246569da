"""The generative model of the simulated CRM: who the leads are and why they convert.

Every lead has a latent propensity ``z`` (a log-odds):

    z = BASE_LOGIT + effect(seniority) + effect(company_size) + effect(lead_source)
        + effect(industry) + effect(country) + Normal(0, HIDDEN_SD)

The last term is what no attribute shows; engagement reveals part of it. The
lead converts at all with probability ``p_convert = sigmoid(z)``; if it does,
the conversion comes after a delay drawn from an exponential distribution with
mean ``DELAY_MEAN_DAYS``, truncated to ``[0, CONVERSION_HORIZON_DAYS)``.

Engagement is noisy evidence of ``z``: a lead of age ``a`` days produces
``Poisson(ACTIVITY_RATE * exp(ENGAGEMENT_SLOPE * (z - BASE_LOGIT)) * exp(-a / ACTIVITY_DECAY_DAYS))``
activities that day, and the activity mix shifts towards pricing views and demo
requests as ``z`` grows (``TYPE_SLOPES``). Activities depend on the lead only
through ``z`` and its age, so ``z`` and the age are all there is to know:
:func:`window_probability` is the Bayes-optimal score, and its ROC AUC on a test
set is the best any model can reach there.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from lead_scoring.simulator.schema import (
    ACTIVITY_TYPES,
    COMPANY_SIZES,
    COUNTRIES,
    INDUSTRIES,
    LEAD_SOURCES,
    SENIORITIES,
)

BASE_LOGIT = -2.0
HIDDEN_SD = 1.0
CONVERSION_HORIZON_DAYS = 60
DELAY_MEAN_DAYS = 15.0
LEAD_OPEN_DAYS = 90
ACTIVITY_RATE = 0.95
ENGAGEMENT_SLOPE = 0.5
ACTIVITY_DECAY_DAYS = 20.0
OPT_OUT_AT_CREATION = 0.02
OPT_OUT_PER_DAY = 0.001

# (share of leads, effect on the log-odds), in the order of the schema's tuples.
SENIORITY = dict(zip(SENIORITIES, [(0.25, -0.6), (0.30, -0.2), (0.20, 0.2), (0.12, 0.5), (0.08, 0.7), (0.05, 0.8)]))
COMPANY_SIZE = dict(zip(COMPANY_SIZES, [(0.20, -0.5), (0.30, -0.1), (0.25, 0.2), (0.15, 0.4), (0.10, 0.3)]))
LEAD_SOURCE = dict(
    zip(
        LEAD_SOURCES,
        [(0.22, 0.0), (0.18, -0.1), (0.14, -0.5), (0.08, 0.7), (0.10, 0.4), (0.08, 0.3), (0.12, -0.2), (0.08, 0.5)],
    )
)
INDUSTRY = dict(
    zip(INDUSTRIES, [(0.25, 0.3), (0.15, 0.2), (0.10, 0.0), (0.10, -0.2), (0.12, 0.1), (0.10, -0.3), (0.08, -0.1), (0.10, 0.0)])
)
COUNTRY = dict(
    zip(
        COUNTRIES,
        [(0.35, 0.1), (0.12, 0.1), (0.10, 0.0), (0.07, -0.1), (0.05, 0.1), (0.05, -0.1), (0.10, -0.3), (0.06, -0.2), (0.06, 0.1), (0.04, 0.0)],
    )
)
ATTRIBUTES = {
    "seniority": SENIORITY,
    "company_size": COMPANY_SIZE,
    "lead_source": LEAD_SOURCE,
    "industry": INDUSTRY,
    "country": COUNTRY,
}

# Activity mix: base share and how fast its log-weight grows with z.
TYPE_BASE_SHARE = dict(
    zip(ACTIVITY_TYPES, [0.40, 0.08, 0.25, 0.10, 0.05, 0.04, 0.03, 0.05])
)
TYPE_SLOPES = dict(zip(ACTIVITY_TYPES, [0.0, 0.6, 0.1, 0.3, 0.4, 0.3, 0.9, 0.3]))

# Campaign channels among the lead sources: leads from these come with a campaign.
CAMPAIGN_CHANNELS = ("paid_search", "social", "webinar", "events", "email", "partner")
CAMPAIGN_EVERY_DAYS = 30


@dataclass(frozen=True)
class World:
    """The parts of the world a scenario may change from a given day on (see scenarios.py).

    ``engagement_signal`` is the correlation between a lead's engagement and its
    propensity: 1 as documented above; lower, engagement keeps its distribution
    but tells less about who converts (concept drift). ``volume`` scales the
    day's new leads, ``base_logit_shift`` moves every new lead's log-odds.
    """

    attributes: dict = field(default_factory=lambda: ATTRIBUTES)
    engagement_signal: float = 1.0
    volume: float = 1.0
    base_logit_shift: float = 0.0

    def with_source(self, name: str, share: float, effect: float) -> "World":
        """A new lead source taking ``share`` of new leads, the others scaled down to make room."""
        sources = {k: (s * (1.0 - share), e) for k, (s, e) in self.attributes["lead_source"].items()}
        return replace(self, attributes={**self.attributes, "lead_source": {**sources, name: (share, effect)}})

    def changed(self, **changes) -> "World":
        return replace(self, **changes)


def engagement_latent(z: np.ndarray, signal: float, rng: np.random.Generator) -> np.ndarray:
    """The latent that drives a lead's engagement: ``z`` itself when ``signal`` is 1.

    Otherwise a mix of ``z`` and another lead's ``z`` (a permutation), weighted so
    the mix has the same mean and spread as ``z``: the engagement features keep
    their distribution while their link to conversion weakens.
    """
    if signal >= 1.0 or len(z) < 2:
        return z
    mean = z.mean()
    other = rng.permutation(z)
    return mean + signal * (z - mean) + np.sqrt(1.0 - signal**2) * (other - mean)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def delay_cdf(days: np.ndarray) -> np.ndarray:
    """P(conversion delay < days) for a lead that converts."""
    d = np.clip(np.asarray(days, dtype=float), 0.0, CONVERSION_HORIZON_DAYS)
    norm = 1.0 - np.exp(-CONVERSION_HORIZON_DAYS / DELAY_MEAN_DAYS)
    return (1.0 - np.exp(-d / DELAY_MEAN_DAYS)) / norm


def sample_delay_days(rng: np.random.Generator, n: int) -> np.ndarray:
    """Inverse-CDF sample of the truncated exponential delay."""
    u = rng.random(n)
    norm = 1.0 - np.exp(-CONVERSION_HORIZON_DAYS / DELAY_MEAN_DAYS)
    return -DELAY_MEAN_DAYS * np.log1p(-u * norm)


def window_probability(p_convert: np.ndarray, age_days: np.ndarray, window_days: float) -> np.ndarray:
    """Bayes-optimal P(convert in [age, age + window) | not converted before age).

    ``age_days`` is the lead's age at the as-of moment (fractional days).
    """
    p = np.asarray(p_convert, dtype=float)
    f_now = delay_cdf(age_days)
    f_end = delay_cdf(np.asarray(age_days, dtype=float) + window_days)
    return p * (f_end - f_now) / (1.0 - p * f_now)


def lookup(values: np.ndarray, mapping: dict) -> np.ndarray:
    """Vectorised ``mapping[value]`` for an array of categorical values."""
    uniques, inverse = np.unique(values, return_inverse=True)
    return np.array([mapping[u] for u in uniques], dtype=float)[inverse] if len(values) else np.zeros(0)


def attribute_logit(attrs: dict[str, np.ndarray], attributes: dict | None = None) -> np.ndarray:
    """The observable part of z: the intercept plus the attribute effects."""
    total = np.full(len(attrs["seniority"]), BASE_LOGIT)
    for name, table in (attributes or ATTRIBUTES).items():
        total += lookup(attrs[name], {value: effect for value, (_, effect) in table.items()})
    return total


def activity_type_probabilities(z: np.ndarray) -> np.ndarray:
    """Rows: leads; columns: ACTIVITY_TYPES; each row sums to 1."""
    base = np.log(np.array([TYPE_BASE_SHARE[t] for t in ACTIVITY_TYPES]))
    slopes = np.array([TYPE_SLOPES[t] for t in ACTIVITY_TYPES])
    logits = base[None, :] + np.outer(z - BASE_LOGIT, slopes)
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=1, keepdims=True)


def activity_rate(z: np.ndarray, age_days: np.ndarray) -> np.ndarray:
    """Expected activities per day for a lead of latent z and age."""
    rate = ACTIVITY_RATE * np.exp(ENGAGEMENT_SLOPE * (z - BASE_LOGIT)) * np.exp(-age_days / ACTIVITY_DECAY_DAYS)
    return np.where(age_days < LEAD_OPEN_DAYS, rate, 0.0)
