"""Same seed, same numbers; different seed, different numbers."""

import pandas as pd

from diffusion.ensemble import run_once


def test_same_seed_gives_identical_tables():
    first, second = run_once(seed=7), run_once(seed=7)
    assert first.keys() == second.keys()
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name], check_exact=True)


def test_different_seeds_give_different_runs():
    first, second = run_once(seed=1), run_once(seed=2)
    assert not first["adoptions"].equals(second["adoptions"])


def test_no_global_random_state_is_used():
    import random

    import numpy as np

    random.seed(123)
    np.random.seed(123)
    before = (random.random(), np.random.random())
    random.seed(123)
    np.random.seed(123)
    run_once(seed=3)
    assert (random.random(), np.random.random()) == before


def test_a_run_does_not_depend_on_the_runs_before_it_in_the_process():
    """Runs on the same network share its coupling matrices and calendar tables within a process; a
    run's numbers must still be those of a run in a fresh process, whichever runs came before it."""
    from diffusion import model, timeline
    from diffusion.params import make_parameters

    delta = ["Yangtze River Delta"]
    settings = [{}, {"channels": {"competition": {"similarity_scale": 0.2}}},   # each differs in one input
                {"coordination": {"clusters": delta}},
                {"coordination": {"clusters": delta, "shared_data": 0.7}},
                {"coordination": {"clusters": delta, "mutual_recognition": 0.4}},
                {"network": {"kind": "small_world", "n_regions": 40}, "time": {"years": 3}},
                {"network": {"kind": "small_world", "n_regions": 40, "mean_degree": 6}, "time": {"years": 3}},
                {"network": {"kind": "small_world", "n_regions": 40}, "regions": {"capacity_sd": 0.9},
                 "time": {"years": 3}},
                {"time": {"years": 10, "step": "half_year"}}]
    fresh = []
    for setting in settings:
        model._COUPLINGS.clear()
        timeline._date_table.cache_clear()
        fresh.append(run_once(make_parameters(setting), seed=4))
    for order in (settings, settings[::-1]):
        shared = {id(s): run_once(make_parameters(s), seed=4) for s in order}
        for setting, alone in zip(settings, fresh):
            for name in ("adoptions", "series"):
                pd.testing.assert_frame_equal(shared[id(setting)][name], alone[name], check_exact=True)
    assert not fresh[2]["adoptions"].equals(fresh[3]["adoptions"])   # shared data changes who learns
