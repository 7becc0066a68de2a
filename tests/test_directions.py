"""Institutions and channels push in the directions the literature argues (properties, not numbers).

Each claim compares two designs over the same seeds (common random numbers) and averages replicates.
"""

import numpy as np
from scipy.stats import spearmanr

from conftest import replicate, run_model
from diffusion import tables

SEEDS = range(6)


def risky_coverage(model):
    """Coverage of the riskiest third of innovations at the end of the run."""
    born = model.innovations.birth_step <= model.steps
    risk = model.innovations.risk
    risky = born & (risk >= np.quantile(risk[born], 2 / 3))
    return model.adopted[:, risky].mean()


def test_fault_tolerance_raises_risky_adoption():
    low = replicate({"institutions": {"fault_tolerance": 0.0}}, SEEDS, risky_coverage)
    high = replicate({"institutions": {"fault_tolerance": 0.9}}, SEEDS, risky_coverage)
    assert high.mean() > low.mean() + 0.05
    assert (high > low).all()


def mandate_delay(model):
    """Mean steps from a binding batch to a region's compliance with its items."""
    ev = model.events()
    issued = model.binding_step[ev["innovation"]]
    complied = (issued > 0) & (ev["step"] >= issued) & ~ev["pilot"]
    return (ev["step"][complied] - issued[complied]).mean()


def test_leading_group_complies_with_mandates_faster_than_joint_conference():
    delays = {model: replicate({"institutions": {"leadership": model}}, SEEDS, mandate_delay).mean()
              for model in ("reform_office", "leading_group", "joint_conference", "none")}
    assert delays["leading_group"] < delays["joint_conference"]
    assert delays["reform_office"] < delays["leading_group"] and delays["joint_conference"] < delays["none"]


def test_without_mandate_diffusion_is_slower_and_more_uneven():
    def coverage_and_gini(model):
        row = tables.metrics(model).iloc[0]
        return row["coverage"], row["gini"]

    with_mandate = np.array([coverage_and_gini(run_model({}, s)) for s in SEEDS])
    without = np.array([coverage_and_gini(run_model({"channels": {"mandate": {"enabled": False}}}, s)) for s in SEEDS])
    assert without[:, 0].mean() < with_mandate[:, 0].mean() - 0.1      # slower: less adopted by the end
    assert without[:, 1].mean() > 2 * with_mandate[:, 1].mean()        # more uneven across regions


def adoptions_per_innovation(model):
    """Adoption events per innovation (abandoned ones included), among innovations old enough to spread."""
    ev = model.events()
    counts = np.bincount(ev["innovation"], minlength=model.n_innovations)
    old = model.innovations.birth_step <= model.steps - 8
    return model.innovations.benefit[old], counts[old]


LEARNING_ONLY = {"channels": {"spontaneous": {"enabled": False}, "competition": {"enabled": False},
                              "mandate": {"enabled": False}}}
COMPETITION_ONLY = {"channels": {"spontaneous": {"enabled": False}, "learning": {"enabled": False},
                                 "mandate": {"enabled": False}},
                    "failure": {"enabled": False}}  # failures would feed benefit back through abandonment


def test_learning_only_spreads_good_innovations_more_than_bad():
    pairs = [adoptions_per_innovation(run_model(LEARNING_ONLY, seed)) for seed in SEEDS]
    for benefit, counts in pairs:   # in every run, and clearly so over all of them
        assert spearmanr(benefit, counts).statistic > 0
    benefit = np.concatenate([b for b, _ in pairs])
    counts = np.concatenate([c for _, c in pairs])
    assert spearmanr(benefit, counts).statistic > 0.1
    good, bad = counts[benefit >= np.quantile(benefit, 2 / 3)], counts[benefit <= np.quantile(benefit, 1 / 3)]
    assert good.mean() > 1.2 * bad.mean()


def test_competition_only_spread_does_not_depend_on_benefit():
    pairs = [adoptions_per_innovation(run_model(COMPETITION_ONLY, seed)) for seed in SEEDS]
    benefit = np.concatenate([b for b, _ in pairs])
    counts = np.concatenate([c for _, c in pairs])
    assert abs(spearmanr(benefit, counts).statistic) < 0.06
    good, bad = counts[benefit >= np.quantile(benefit, 2 / 3)], counts[benefit <= np.quantile(benefit, 1 / 3)]
    assert abs(good.mean() / bad.mean() - 1) < 0.1
