"""A small synthetic training set with the CRM's column names and a known latent propensity."""

import numpy as np
import pandas as pd

from lead_scoring.ml.features import Feature

FEATURES = [
    Feature("demo_requested_30d", "numeric", "", "increasing"),
    Feature("pricing_page_view_30d", "numeric", "", "increasing"),
    Feature("email_click_30d", "numeric", ""),
    Feature("days_since_last_activity", "numeric", ""),
    Feature("seniority", "categorical", ""),
    Feature("country", "categorical", ""),
    Feature("has_campaign", "boolean", ""),
]


def training_set(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(-2, 1, n)
    seniority = rng.choice(["junior", "mid", "vp"], n)
    z += np.select([seniority == "vp", seniority == "junior"], [0.6, -0.4], 0.0)
    last = rng.integers(1, 40, n).astype(float)
    last[rng.random(n) < 0.2] = np.nan  # no activity yet
    frame = pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(n)],
            "as_of_date": pd.Timestamp("2026-03-01"),
            "lead_created_date": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(n) * 60 // n, unit="D"),
            "demo_requested_30d": rng.poisson(np.exp(z + 1.5)),
            "pricing_page_view_30d": rng.poisson(np.exp(z + 2)),
            "email_click_30d": rng.poisson(1, n),
            "days_since_last_activity": last,
            "seniority": seniority,
            "country": rng.choice(["US", "DE", "FR"], n),
            "has_campaign": rng.random(n) < 0.5,
        }
    )
    frame["converted_within_30d"] = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    frame["split"] = np.select([np.arange(n) >= 0.8 * n, np.arange(n) >= 0.6 * n], ["test", "validation"], "train")
    return frame
