"""History and projection apart; supply per year; the centre's selection reported with its exposure."""

from __future__ import annotations

import numpy as np

from diffusion import DiffusionModel, make_parameters, tables
from diffusion.mandate import record_end_date
from diffusion.ensemble import batches_table, run_ensemble
from diffusion.scenario import load_scenario


def test_the_baseline_replays_the_record_and_projects_nothing():
    model = DiffusionModel(load_scenario("baseline").parameters(), seed=0).run()
    batches = batches_table(model)
    assert len(batches) and not batches["projected"].any()
    assert model.summary()["projected_batches"] == 0 and tables.metrics_row(model)["projected_batches"] == 0
    assert (batches[batches["kind"] == "binding"]["number"].max()) == 7   # the 7 real State Council batches


def test_batches_after_the_record_are_projections_and_none_is_invented_inside_it():
    scenario = load_scenario("projection-2030")
    model = DiffusionModel(scenario.parameters(), seed=0).run()
    batches = batches_table(model)
    end = model.timeline.years_of(record_end_date())
    when = np.array([b.years for bs in model.schedule.by_step.values() for b in bs])
    flags = np.array([b.projected for bs in model.schedule.by_step.values() for b in bs])
    assert flags.any() and (when[flags] > end).all() and (when[~flags] <= end).all()
    assert batches["projected"].sum() == flags.sum()
    assert model.summary()["record_end"] == record_end_date().isoformat()
    adoptions = tables.adoptions(model)
    years = model.events()["years"]
    assert (adoptions["projected"].to_numpy() == (years > end)).all()


def test_supply_per_year_does_not_depend_on_the_length_of_the_run():
    def born_by_2025(years):
        params = make_parameters({"time": {"years": years}})
        counts = []
        for k in range(6):
            model = DiffusionModel(params, seed=0, replicate=k)
            counts.append((model.innovations.birth_years < 12.0).sum())
        return np.mean(counts)
    short, long = born_by_2025(12.0), born_by_2025(17.5)
    assert abs(long - short) <= 0.05 * short, (short, long)   # about 349 either way
    assert abs(short - 349) <= 0.1 * 349


def test_the_share_never_scaled_up_is_reported_among_pilots_old_enough():
    rows = run_ensemble(make_parameters({}), 3).tables["metrics"]
    for _, row in rows.iterrows():
        assert 0 < row["mature_pilots"] < row["pilots"]
        assert 0 <= row["share_never_scaled_up_mature"] <= 1 and 0 <= row["share_never_scaled_up"] <= 1
        # young pilots have had no time: the raw share overstates how often the centre passes pilots over
        assert row["share_never_scaled_up_mature"] < row["share_never_scaled_up"]
    everyone = run_ensemble(make_parameters({"output": {"mature_pilot_years": 0}}), 1).tables["metrics"].iloc[0]
    assert everyone["share_never_scaled_up_mature"] == everyone["share_never_scaled_up"]
