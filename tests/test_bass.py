"""Check against a known result: the Bass model on a complete graph.

With only the spontaneous term (p) and imitation (q, the competition channel with equal rival weights)
on a complete graph, the mean adoption share must follow the continuous Bass closed form

    F(t) = (1 - exp(-(p + q) t)) / (1 + (q / p) exp(-(p + q) t)).

Steps are months with p = 0.003 and q = 0.04 per month (0.036 and 0.48 a year, typical Bass values).
The model's per-step probability 1 - exp(-(p + q F)) freezes F within a step; at these rates that
discretisation costs at most 1.2 percentage points, inside the 2-point tolerance.
"""

import numpy as np

from diffusion import DiffusionModel, make_parameters

P, Q, STEPS, REGIONS, REPLICATES = 0.003, 0.04, 150, 200, 200


def bass_closed_form(t):
    decay = np.exp(-(P + Q) * t)
    return (1 - decay) / (1 + (Q / P) * decay)


def test_mean_adoption_follows_bass_closed_form():
    params = make_parameters({
        "time": {"period_months": 1, "steps": STEPS},
        "network": {"kind": "complete", "n_regions": REGIONS, "ftz_share": 0.0},
        "innovations": {"source": "initial", "n_initial": 10},
        "channels": {"spontaneous": {"rate": P}, "learning": {"enabled": False}, "mandate": {"enabled": False},
                     "competition": {"weight": Q, "similarity_scale": 0.0, "include_ftz_peers": False}},
        "regions": {"risk_aversion": 0.0},
        "failure": {"enabled": False},
    })
    curves = np.array([DiffusionModel(params, seed=seed).run().datacollector.get_model_vars_dataframe()["coverage"]
                       for seed in range(REPLICATES)])
    mean = curves.mean(axis=0)
    expected = bass_closed_form(np.arange(1, STEPS + 1))
    gap = np.abs(mean - expected)
    assert gap.max() < 0.02, f"largest gap {100 * gap.max():.2f} pp at step {gap.argmax() + 1}"
    assert mean[-1] > 0.95  # the process actually ran to saturation
