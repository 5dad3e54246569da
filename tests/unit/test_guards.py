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


def _filled_in_after_the_outcome(n=20000, seed=1):
    """A deal column: filled in for 92% of converted leads (small amounts) and 8% of the others (large amounts).

    Its values alone rank the outcome at about 0.88, under the block level; whether it is filled in, at 0.92 (0.917 on this draw).
    """
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    present = np.where(y == 1, rng.random(n) < 0.92, rng.random(n) < 0.08)
    amount = np.where(present, np.where(y == 1, rng.normal(1, 0.1, n), rng.normal(10, 0.1, n)), np.nan)
    return pd.DataFrame({"deal_amount": amount, "weak": y * 0.3 + rng.normal(size=n), "noise": rng.normal(size=n), "label": y})


def test_a_column_that_leaks_through_its_presence_is_blocked_and_named_for_it():
    report = guards.leakage_scan(_filled_in_after_the_outcome(), ["deal_amount", "weak", "noise"], "label", allow_list=set())
    assert report.value_auc["deal_amount"] < 0.90 < report.presence_auc["deal_amount"]
    assert report.blocked == ["deal_amount"]
    assert report.evidence("deal_amount").startswith("whether it is filled in ranks the outcome with ROC AUC 0.91")
    # quiet on honest columns: always filled in, their presence says nothing
    assert report.presence_auc["weak"] == 0.5 and report.presence_auc["noise"] == 0.5 and "weak" not in report.blocked


def test_leakage_evidence_takes_the_best_honest_feature_and_names_the_suspects():
    evidence = guards.leakage_evidence(_filled_in_after_the_outcome(), ["deal_amount", "weak", "noise"], "label")
    assert evidence.best_feature == "weak" and 0.55 < evidence.best_feature_auc < 0.70
    assert list(evidence.carriers) == ["deal_amount"]
    honest = guards.leakage_evidence(_labelled(), ["noise", "weak"], "label")
    assert honest.best_feature == "weak" and list(honest.carriers) == ["weak", "noise"]  # no suspect: the strongest are named


def test_immature_labels_are_found():
    frame = pd.DataFrame({"lead_id": ["a", "b"], "as_of_date": pd.to_datetime(["2026-01-01", "2026-02-20"])})
    immature = guards.immature_labels(frame, 30, pd.Timestamp("2026-03-01"))
    assert immature.lead_id.tolist() == ["b"]
    assert guards.immature_labels(frame.head(1), 30, pd.Timestamp("2026-03-01")).empty
