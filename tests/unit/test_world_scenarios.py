"""The world scenarios the monitoring must notice: each changes what it says, and only from its day on."""

from datetime import date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from lead_scoring.simulator import world
from lead_scoring.simulator.generator import CrmSimulator, simulate
from lead_scoring.simulator.scenarios import NEW_CHANNEL, Scenario

START = date(2026, 3, 2)


def _days(scenarios, days, leads_per_day=300, seed=3):
    sim = CrmSimulator(START, leads_per_day, seed, tuple(Scenario.parse(s) for s in scenarios))
    return [sim.next_day() for _ in range(days)], sim


def test_clean_world_is_unchanged_by_the_world_hooks():
    (clean, _), (explicit, _) = _days([], 3), _days(["clean@0"], 3)
    for (_, a, ta), (_, b, tb) in zip(clean, explicit):
        assert all(a[name].equals(b[name]) for name in a) and ta.equals(tb)
    assert NEW_CHANNEL not in pc.unique(clean[-1][1]["leads"]["lead_source"]).to_pylist()


def test_new_channel_brings_a_share_of_leads_that_convert_better():
    days, _ = _days(["new_channel@2"], 6)
    before = days[1][1]["leads"]["lead_source"].to_pylist()
    after = pa.concat_tables([d[1]["leads"] for d in days[2:]])
    truth = pa.concat_tables([d[2] for d in days[2:]])
    assert NEW_CHANNEL not in before
    is_new = np.array(after["lead_source"].to_pylist()) == NEW_CHANNEL
    assert 0.25 < is_new.mean() < 0.35
    p = truth["p_convert"].to_numpy()
    assert p[is_new].mean() > 1.5 * p[~is_new].mean()


def test_tracking_outage_stops_email_tracking_only():
    days, sim = _days(["tracking_outage@4"], 4)
    before = days[-1][1]["activities"]["activity_type"].to_pylist()
    assert 0.2 < sum(t in ("email_open", "email_click") for t in before) / len(before) < 0.5
    _, after, _ = sim.next_day()
    kinds = set(after["activities"]["activity_type"].to_pylist())
    assert not kinds & {"email_open", "email_click"} and {"page_view", "pricing_page_view"} <= kinds


def test_stale_source_stops_the_activities_file(tmp_path):
    simulate(tmp_path / "landing", tmp_path / "truth", START, 4, 50, 3, (Scenario("stale_source", 2),))
    landed = sorted(p.stem for p in (tmp_path / "landing" / "activities").glob("*.parquet"))
    assert landed == ["2026-03-02", "2026-03-03"]
    assert len(list((tmp_path / "landing" / "leads").glob("*.parquet"))) == 4


def test_concept_drift_keeps_engagement_but_cuts_its_link_to_conversion():
    rng = np.random.default_rng(0)
    z = rng.normal(-2.0, 1.1, 20_000)
    drifted = world.engagement_latent(z, 0.15, rng)
    assert abs(drifted.mean() - z.mean()) < 0.03 and abs(drifted.std() - z.std()) < 0.03
    assert np.corrcoef(z, drifted)[0, 1] < 0.25
    assert world.engagement_latent(z, 1.0, rng) is z


def test_seasonality_thins_weekends_and_moves_propensity():
    days, _ = _days(["seasonality@0"], 14, leads_per_day=400)
    counts = [d[1]["leads"].num_rows for d in days]
    weekend = [c for i, c in enumerate(counts) if i % 7 in (5, 6)]
    weekday = [c for i, c in enumerate(counts) if i % 7 not in (5, 6)]
    assert np.mean(weekend) < 0.7 * np.mean(weekday)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    from lead_scoring.quality.gx_project import GxProject

    return GxProject(tmp_path_factory.mktemp("gx_home"))


def test_the_declared_new_channel_is_admitted_and_garbage_is_not(project):
    from lead_scoring.quality import validation

    days, _ = _days(["new_channel@0"], 1)
    leads = days[0][1]["leads"]
    leads = leads.append_column("_landed_date", pa.array([START] * leads.num_rows, pa.date32()))
    params = {"min_ts": validation.COMPANY_FOUNDED, "max_ts": datetime(2030, 1, 1), "rows_min": 0, "rows_max": 1e9}
    assert validation.validate_raw(project, "leads", [leads], params).success
    sources = leads["lead_source"].to_pylist()
    sources[0] = "marketplace!!"
    garbage = leads.set_column(leads.schema.get_field_index("lead_source"), "lead_source", pa.array(sources))
    outcome = validation.validate_raw(project, "leads", [garbage], params)
    assert not outcome.success
    assert [f.column for f in outcome.failures] == ["lead_source"]
