"""The simulator: deterministic, streamed, and its ground truth means what it says."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from lead_scoring.simulator import world
from lead_scoring.simulator.generator import CrmSimulator, simulate
from lead_scoring.simulator.scenarios import Scenario
from lead_scoring.simulator.schema import RAW_TABLES

START = date(2026, 3, 2)


def _days(seed: int, n: int, leads_per_day: int = 80):
    sim = CrmSimulator(START, leads_per_day=leads_per_day, seed=seed)
    return [sim.next_day() for _ in range(n)]


def test_same_seed_gives_identical_tables():
    first, second = _days(7, 5), _days(7, 5)
    for (day_a, tables_a, truth_a), (day_b, tables_b, truth_b) in zip(first, second):
        assert day_a == day_b
        assert truth_a.equals(truth_b)
        for name in RAW_TABLES:
            assert tables_a[name].equals(tables_b[name]), name


def test_other_seed_gives_other_data():
    (_, a, _), (_, b, _) = _days(7, 1)[0], _days(8, 1)[0]
    assert not a["leads"].equals(b["leads"])


def test_tables_follow_the_raw_contract():
    for _, tables, _ in _days(7, 3):
        for name, schema in RAW_TABLES.items():
            assert tables[name].schema.equals(schema), name


def test_events_fall_inside_their_landing_day_and_after_lead_creation():
    created = {}
    for day, tables, _ in _days(7, 10):
        leads = tables["leads"].to_pandas()
        created.update(zip(leads.lead_id, leads.created_at))
        acts = tables["activities"].to_pandas()
        assert (acts.occurred_at.dt.date == day).all()
        assert (acts.occurred_at >= acts.lead_id.map(created)).all()
        conv = tables["conversions"].to_pandas()
        assert (conv.converted_at.dt.date == day).all()


def test_memory_is_bounded_by_the_open_life_of_leads():
    sim = CrmSimulator(START, leads_per_day=5, seed=1)
    for _ in range(world.LEAD_OPEN_DAYS + 30):
        sim.next_day()
    assert len(sim._open) <= world.LEAD_OPEN_DAYS


def test_conversions_follow_the_true_probability():
    """Leads of the top true-probability decile convert several times more often than the bottom one."""
    sim = CrmSimulator(START, leads_per_day=400, seed=3)
    truths, conversions = [], []
    for _ in range(world.CONVERSION_HORIZON_DAYS + 20):
        _, tables, truth = sim.next_day()
        truths.append(truth.to_pandas())
        conversions.append(tables["conversions"].to_pandas())
    truth = pd.concat(truths)
    first_days = truth[truth.created_at < pd.Timestamp(START) + pd.Timedelta(days=20)]  # fully observed
    converted = first_days.lead_id.isin(pd.concat(conversions).lead_id)
    assert converted.mean() == pytest.approx(first_days.p_convert.mean(), abs=0.02)
    decile = pd.qcut(first_days.p_convert, 10, labels=False)
    assert converted[decile == 9].mean() > 3 * converted[decile == 0].mean()


def test_engagement_grows_with_propensity():
    z = np.array([-4.0, 0.0])
    assert (world.activity_rate(z, np.zeros(2)) > 0).all()
    assert world.activity_rate(z, np.zeros(2))[1] > world.activity_rate(z, np.zeros(2))[0]
    demo = world.activity_type_probabilities(z)[:, 6]
    assert demo[1] > demo[0]


def test_window_probability_is_a_probability_and_decays_with_age():
    p = np.full(5, 0.4)
    ages = np.array([0.0, 10.0, 30.0, 59.0, 70.0])
    window = world.window_probability(p, ages, 30)
    assert ((window >= 0) & (window <= 1)).all()
    assert np.all(np.diff(window) <= 0)
    assert window[0] == pytest.approx(0.4 * world.delay_cdf(np.array(30.0)))
    assert window[-1] == 0.0


def test_simulate_lands_one_file_per_table_per_day(tmp_path):
    counts = simulate(tmp_path / "landing", tmp_path / "truth", START, 3, 20, seed=2)
    for table in RAW_TABLES:
        assert len(list((tmp_path / "landing" / table).glob("*.parquet"))) == 3
    assert len(list((tmp_path / "truth" / "lead_propensity").glob("*.parquet"))) == 3
    assert counts["leads"] > 0


@pytest.mark.parametrize("text,expected", [("clean", Scenario("clean", 0)), ("clean@12", Scenario("clean", 12))])
def test_scenario_names_parse(text, expected):
    assert Scenario.parse(text) == expected


@pytest.mark.parametrize("text", ["drift@3", "clean@x"])
def test_bad_scenarios_are_refused_with_the_reason(text):
    with pytest.raises(ValueError, match="scenario"):
        Scenario.parse(text)
