"""Check against a known result: the Bass model on a complete graph, for any p and q.

With only the spontaneous term (p, 1/year) and imitation (q, 1/year: the competition channel with
equal rival weights) on a complete graph, the mean adoption share must follow the continuous Bass
closed form

    F(t) = (1 - exp(-(p + q) t)) / (1 + (q / p) exp(-(p + q) t)).

Tolerance: the mean over 200 replicates of 300 regions stays within 2 percentage points of F at every
weekly step, for four (p, q) pairs spread over an order of magnitude in each (none of them the
library's teaching-bass values, 0.036 and 0.48), each run until F passes 97%. At weekly steps the
discrete-time error (the share is frozen within a step) is far below the tolerance; docs/model.md gives
it at coarser steps. The replicates run on two worker processes.
"""

import math

import numpy as np
import pytest

from diffusion import DiffusionModel, make_parameters
from diffusion.ensemble import map_jobs

REGIONS, REPLICATES = 300, 200
PAIRS = [(0.05, 0.5), (0.2, 1.0), (0.1, 2.0), (0.5, 5.0)]


def bass(p: float, q: float, t: np.ndarray) -> np.ndarray:
    decay = np.exp(-(p + q) * t)
    return (1 - decay) / (1 + (q / p) * decay)


def years_to(share: float, p: float, q: float) -> float:
    """When F reaches ``share``: from exp(-(p+q)t) = (1 - F) / (1 + F q / p)."""
    return -math.log((1 - share) / (1 + share * q / p)) / (p + q)


def bass_parameters(p: float, q: float):
    return make_parameters({
        "time": {"step": "week", "years": years_to(0.97, p, q)},
        "network": {"kind": "complete", "n_regions": REGIONS, "ftz_share": 0.0},
        "innovations": {"source": "initial", "n_initial": 1, "relevance": 1.0},   # everyone at risk
        "channels": {"spontaneous": {"rate_per_year": p}, "learning": {"enabled": False},
                     "mandate": {"enabled": False},
                     "competition": {"weight_per_year": q, "similarity_scale": 0.0, "include_ftz_peers": False}},
        "regions": {"risk_aversion": 0.0, "voluntary_capacity_exponent": 0.0},   # a homogeneous population
        "failure": {"enabled": False},
    })


def adoption_curve(job) -> np.ndarray:
    p, q, replicate = job
    model = DiffusionModel(bass_parameters(p, q), seed=7, replicate=replicate).run()
    return model.datacollector.get_model_vars_dataframe()["coverage"].to_numpy()


@pytest.mark.parametrize("p, q", PAIRS)
def test_mean_adoption_follows_the_bass_closed_form_at_weekly_steps(p, q):
    assert (p, q) != (0.036, 0.48)
    curves = np.array(map_jobs(adoption_curve, [(p, q, k) for k in range(REPLICATES)], workers=2))
    weeks = np.arange(1, curves.shape[1] + 1)
    expected = bass(p, q, weeks * bass_parameters(p, q).time.dt)
    gap = np.abs(curves.mean(axis=0) - expected)
    assert gap.max() < 0.02, f"largest gap {100 * gap.max():.2f} pp at week {gap.argmax() + 1}"
    assert curves.mean(axis=0)[-1] > 0.95   # the process ran to saturation
