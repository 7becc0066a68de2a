"""Results do not depend on the step length: rates are per year and the step converts them.

Claim: the same scenario run at monthly and at quarterly steps gives the same distribution of coverage
at common dates. Tolerance: at every year's end the two means over 100 replicates are within 3 standard
errors of their difference (the replicates of the two step lengths are independent draws: their
random numbers are keyed by step). What makes it hold: hazards are per year (p = 1 - exp(-lambda dt)),
births, FTZ openings, batches and evaluation lags happen at their dates within a step, outcomes reach
others after the evidence lag whatever the step, and blame decays from the moment of the failure.
"""

import numpy as np
import pytest

from diffusion import DiffusionModel
from diffusion.params import with_changes
from diffusion.scenario import load_scenario

REPLICATES = 100


def coverage_at_year_ends(params, step: str) -> np.ndarray:
    params = with_changes(params, {"time.step": step})
    per_year = {"month": 12, "quarter": 4}[step]
    runs = [DiffusionModel(params, seed=0, replicate=k).run().datacollector.get_model_vars_dataframe()["coverage"]
            for k in range(REPLICATES)]
    return np.array([run.to_numpy()[per_year - 1::per_year] for run in runs])


@pytest.mark.parametrize("name", ["baseline", "no-mandate", "coordination-rotating-lead"])
def test_monthly_and_quarterly_steps_give_the_same_coverage_at_common_dates(name):
    params = load_scenario(name).parameters()
    quarterly, monthly = coverage_at_year_ends(params, "quarter"), coverage_at_year_ends(params, "month")
    assert quarterly.shape == monthly.shape == (REPLICATES, 12)
    difference = monthly.mean(axis=0) - quarterly.mean(axis=0)
    error = np.sqrt(monthly.var(axis=0, ddof=1) / REPLICATES + quarterly.var(axis=0, ddof=1) / REPLICATES)
    assert (np.abs(difference) <= 3 * error).all(), np.round(difference / error, 2)
    assert quarterly.mean(axis=0)[-1] > 0.1   # something spread


def test_the_horizon_is_in_years_whatever_the_step():
    params = load_scenario("baseline").parameters()
    for step, steps in (("week", 626), ("month", 144), ("quarter", 48), ("half_year", 24), ("year", 12)):
        assert with_changes(params, {"time.step": step}).time.steps == steps
    model = DiffusionModel(with_changes(params, {"time.step": "week", "time.years": 1.0}), seed=0).run()
    assert model.steps == 52 and model.timeline.label(52) == "2014-06-23"
