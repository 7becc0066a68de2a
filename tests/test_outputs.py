"""Outputs answer the users' questions: why a region adopted, how fast, how far, how unequal."""

import numpy as np
import pandas as pd

from diffusion import tables
from diffusion.params import CHANNELS


def test_every_decided_adoption_records_channel_shares_that_sum_to_one(baseline_model):
    events = tables.adoptions(baseline_model)
    shares = events[[f"share_{c}" for c in CHANNELS]]
    decided = ~events["pilot"]
    assert np.allclose(shares[decided].sum(axis=1), 1.0)
    assert (shares[events["pilot"]].sum(axis=1) == 0).all()
    assert set(events.loc[decided, "main_channel"]) <= set(CHANNELS)


def test_region_agent_can_say_why_it_adopted(baseline_model):
    events = tables.adoptions(baseline_model)
    row = events[~events["pilot"]].iloc[0]
    region = next(a for a in baseline_model.region_agents if a.name == row["region"])
    why = region.why(int(row["innovation"]))
    assert why["pilot"] is False and abs(sum(why[c] for c in CHANNELS) - 1) < 1e-9


def test_tables_carry_calendar_dates_from_2013q3(baseline_model):
    series = tables.series(baseline_model)
    assert series["period"].iloc[0] == "2013Q3" and series["period"].iloc[-1] == "2025Q2"
    assert pd.Timestamp(series["date"].iloc[0]) == pd.Timestamp("2013-07-01")


def test_time_to_coverage_is_consistent_with_coverage(baseline_model):
    inn = tables.innovations(baseline_model)
    reached_90 = inn["time_to_90"].notna()
    assert (inn.loc[reached_90, "time_to_50"] <= inn.loc[reached_90, "time_to_90"]).all()
    # everything that reached 90% once and was not abandoned since is still broadly adopted
    assert (inn.loc[reached_90, "coverage"] > 0.5).mean() > 0.9


def test_metrics_cover_the_brief(baseline_model):
    row = tables.metrics(baseline_model).iloc[0]
    for name in ("median_time_to_50", "median_time_to_90", "share_national", "failures", "corrections",
                 "ftz_gap", "gini", "share_mandate", "share_learning", "share_competition"):
        assert name in row.index and np.isfinite(row[name])


def test_coverage_tables_match_the_model_state(baseline_model):
    by_region = tables.coverage_by_region(baseline_model)
    last = by_region[by_region["step"] == baseline_model.steps].set_index("region")["coverage"]
    regions = tables.regions(baseline_model).set_index("region")["coverage"]
    assert np.allclose(last.loc[regions.index], regions)


def test_what_a_sweep_keeps_of_a_run_is_the_run_s_own_tables(baseline_model):
    """Experiments keep each run's metrics row and a few series columns as plain arrays (cheaper to send
    between processes); they must be the same values, with the same dtypes, as the tables."""
    series = tables.series(baseline_model)
    names = ("step", "date", "coverage", "ftz_coverage", "binding_items", "failures", "gini")
    kept = pd.DataFrame(tables.series_columns(baseline_model, names))
    pd.testing.assert_frame_equal(kept, series[list(names)].reset_index(drop=True), check_exact=True)
    pd.testing.assert_frame_equal(pd.DataFrame([tables.metrics_row(baseline_model)]), tables.metrics(baseline_model))


def test_a_model_stepped_past_its_horizon_keeps_a_consistent_series():
    from diffusion import DiffusionModel, make_parameters

    model = DiffusionModel(make_parameters({"time": {"years": 1.5}}), seed=2)
    for _ in range(9):
        model.step()
    series = tables.series(model)
    assert len(series) == 9 and series["step"].tolist() == list(range(1, 10))
    born = model.innovations.birth_step[:, None] <= series["step"].to_numpy()[None, :]
    assert (series["innovations"] == born.sum(axis=0)).all()
    assert series["date"].is_monotonic_increasing and series["period"].iloc[-1] == "2015Q3"
