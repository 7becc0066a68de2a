"""The historical default reproduces the order of magnitude of real replication (data/batches.csv).

Real: 7 State Council batches with 167 items by the end of 2023. Tolerance: exactly 7 batches in every
replicate (the schedule is historical) and a mean of 134-200 mandated items (167 +- 20%) over 5 seeds;
items are promoted only if the centre judges them good enough, so the count is an outcome, not an input.
"""

import numpy as np

from diffusion import china

from conftest import run_model
from diffusion import tables


def test_historical_default_issues_about_7_batches_and_167_items_by_2023():
    rows = [tables.metrics(run_model({}, seed)).iloc[0] for seed in range(5)]
    assert all(row["binding_batches_by_2023"] == 7 for row in rows)
    items = np.array([row["binding_items_by_2023"] for row in rows])
    assert 134 <= items.mean() <= 200, items


def test_default_pilots_about_349_innovations_in_real_category_proportions(baseline_model):
    inn = tables.innovations(baseline_model)
    assert 300 <= len(inn) <= 400
    shares = inn["category"].value_counts(normalize=True)
    weights = china.category_weights()
    total = sum(weights.values())
    for category, weight in weights.items():   # each category's share within 4 binomial standard errors
        expected = weight / total
        assert abs(shares.get(category, 0.0) - expected) <= 4 * np.sqrt(expected * (1 - expected) / len(inn)), category


def test_pilots_start_only_in_open_ftzs_except_autonomous_ones(baseline_model):
    inn = baseline_model.innovations
    origin_open = baseline_model.regions.ftz_step[inn.origin] <= inn.birth_step
    assert origin_open[inn.pathway != 2].all()   # plan-pilot and request-authorise come from open FTZs
    first_ftz = baseline_model.regions.ftz_step.min()
    assert baseline_model.regions.names[int(np.argmin(baseline_model.regions.ftz_step))] == "Shanghai"
    assert inn.birth_step.min() >= first_ftz
