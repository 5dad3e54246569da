"""Shadow scoring's comparison: quiet for the same scores, loud for a challenger that would regrade the leads."""

import numpy as np
import pandas as pd
import pytest

from lead_scoring.ml import grading, shadow


def _bands(probability):
    return grading.fit_grade_bands(probability)


def test_the_same_scores_keep_every_grade_and_move_nothing():
    p = np.random.default_rng(0).beta(2, 8, 5_000)
    compared = shadow.compare(p, _bands(p), p.copy(), _bands(p))
    assert compared.grade_agreement == 1.0 and compared.score_psi == pytest.approx(0.0, abs=1e-9)
    assert compared.challenger_grade_shares == compared.champion_grade_shares
    assert sum(compared.champion_grade_shares.values()) == pytest.approx(1.0)


def test_a_challenger_that_ranks_other_leads_on_top_is_seen():
    """Each model grades by its own bands, as scoring does: a reordering shows in the grades, a shift in the PSI."""
    rng = np.random.default_rng(1)
    champion = rng.beta(2, 8, 5_000)
    challenger = np.clip(champion * 2.0 + rng.normal(0, 0.3, 5_000), 0, 1)  # scores doubled and reordered
    compared = shadow.compare(champion, _bands(champion), challenger, _bands(challenger))
    assert compared.grade_agreement < 0.6
    assert compared.score_psi > 0.25  # "significant" by monitoring's prediction drift rule
    assert compared.challenger_mean_probability > compared.champion_mean_probability
    figures = compared.as_dict()
    assert figures["shadow_leads"] == 5_000 and set(figures) >= {"shadow_grade_agreement", "shadow_score_psi", "shadow_grade_A_challenger"}


def test_scores_shifted_in_the_same_order_keep_their_grades_and_move_the_psi():
    champion = np.random.default_rng(2).beta(2, 8, 5_000)
    doubled = champion * 2.0
    compared = shadow.compare(champion, _bands(champion), doubled, _bands(doubled))
    assert compared.grade_agreement == 1.0 and compared.score_psi > 0.25


def test_a_large_population_is_sampled_the_same_way_every_time():
    leads = pd.DataFrame({"lead_id": [f"L{i:06d}" for i in range(250)], "x": range(250)})
    first, shuffled = shadow.sample(leads, 100), shadow.sample(leads.sample(frac=1.0, random_state=5), 100)
    assert len(first) == 100 and first.equals(shuffled) and first.lead_id.is_monotonic_increasing
    assert shadow.sample(leads, 1_000).equals(leads)
