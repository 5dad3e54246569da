"""Guards fire on bad input and stay quiet on good input."""

import numpy as np
import pandas as pd

from lead_scoring.quality import guards


def test_pii_columns_are_named_and_feature_names_are_not_mistaken_for_them():
    found = guards.unexpected_columns(["lead_id", "email_open_30d", "company_size", "email", "Full_Name"], {"lead_id", "email_open_30d", "company_size", "email"})
    assert found == {"not_allowed": ["Full_Name"], "pii": ["email", "Full_Name"]}
    assert guards.unexpected_columns(["lead_id", "email_click_30d"], {"lead_id", "email_click_30d"}) == {"not_allowed": [], "pii": []}


def _labelled(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.2).astype(int)
    return pd.DataFrame(
        {
            "noise": rng.normal(size=n),
            "weak": y * 0.3 + rng.normal(size=n),
            "leaky": y + rng.normal(scale=0.05, size=n),
            "leaky_category": np.where(y == 1, "referral", rng.choice(["web", "ads", "referral"], n, p=[0.5, 0.45, 0.05])),
            "label": y,
        }
    )


def test_leakage_scan_blocks_leaky_features_and_passes_honest_ones():
    report = guards.leakage_scan(_labelled(), ["noise", "weak", "leaky", "leaky_category"], "label", allow_list=set())
    assert set(report.blocked) == {"leaky", "leaky_category"}
    assert report.auc["noise"] < 0.55 and report.auc["weak"] < 0.8


def test_an_allow_listed_feature_is_reported_not_blocked():
    report = guards.leakage_scan(_labelled(), ["leaky"], "label", allow_list={"leaky"})
    assert report.blocked == [] and report.allowed == ["leaky"]


def test_immature_labels_are_found():
    frame = pd.DataFrame({"lead_id": ["a", "b"], "as_of_date": pd.to_datetime(["2026-01-01", "2026-02-20"])})
    immature = guards.immature_labels(frame, 30, pd.Timestamp("2026-03-01"))
    assert immature.lead_id.tolist() == ["b"]
    assert guards.immature_labels(frame.head(1), 30, pd.Timestamp("2026-03-01")).empty
