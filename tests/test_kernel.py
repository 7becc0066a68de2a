"""The compiled decision kernel (numba, the ``fast`` extra) gives the numpy path's numbers exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from diffusion import DiffusionModel, kernel, learning, make_parameters
from diffusion.run import model_tables
from diffusion.scenario import load_scenario

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))

CASES = {
    "default": {},
    "small world": {"network": {"kind": "small_world", "n_regions": 120, "mean_degree": 6}},
    "initial innovations": {"innovations": {"source": "initial", "n_initial": 40}},
    "spontaneous only": {"channels": {"learning": {"enabled": False}, "competition": {"enabled": False},
                                      "mandate": {"enabled": False}}},
    "no risk aversion": {"regions": {"risk_aversion": 0.0}},
    "competition without FTZ peers or similarity": {
        "channels": {"competition": {"include_ftz_peers": False, "similarity_scale": 0.0}}},
    "periodic mandate, no failures": {"channels": {"mandate": {"schedule": "periodic"}},
                                      "failure": {"enabled": False}},
    # imitation from rare spontaneous starts: few adopters first (pushed sums), then few left (pulled sums)
    "pure imitation": {"network": {"kind": "small_world", "n_regions": 300, "mean_degree": 6},
                       "innovations": {"source": "initial", "n_initial": 2},
                       "channels": {"spontaneous": {"rate": 0.002}, "learning": {"enabled": False},
                                    "mandate": {"enabled": False},
                                    "competition": {"weight": 2.0, "include_ftz_peers": False}},
                       "regions": {"risk_aversion": 0.0}, "failure": {"enabled": False}},
}


def compiled_or_skip() -> None:
    usable, reason = kernel.available()
    if not usable:
        pytest.skip(f"numba kernel not usable here: {reason}")


def assert_same_run(params, seed: int) -> None:
    fast = DiffusionModel(params, rng=seed, kernel="numba").run()
    slow = DiffusionModel(params, rng=seed, kernel="numpy").run()
    assert (fast.kernel, slow.kernel) == ("numba", "numpy")
    for name, table in model_tables(slow).items():
        pd.testing.assert_frame_equal(model_tables(fast)[name], table, check_exact=True, obj=name)
    # the kept learning hazard too: the compiled path computes it again only where a belief moved, and a
    # last-bit difference there would rarely change an adoption, so the tables alone would not show it
    for state in ("adopted", "abandoned", "adoption_step", "belief_mean", "belief_precision", "blame",
                  "learning_term"):
        a, b = getattr(fast, state), getattr(slow, state)
        assert (a is None) == (b is None), f"{state} is kept on one path only"
        assert a is None or a.tobytes() == b.tobytes(), f"{state} differs between the kernels"


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_compiled_kernel_reproduces_numpy_bit_for_bit(case):
    compiled_or_skip()
    params = make_parameters(CASES[case])
    for seed in (0, 17):
        assert_same_run(params, seed)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_compiled_kernel_reproduces_every_library_scenario(path):
    compiled_or_skip()
    assert_same_run(load_scenario(path).parameters(), seed=5)


def test_every_belief_that_moves_has_its_learning_term_computed_again():
    """The compiled path keeps the learning term and computes it again only where a belief moved. A
    region that saw nothing still has its mean multiplied and divided by its precision, as numpy does,
    and that moves the last bit of about one mean in ten: those pairs must be computed again too.
    (Whole runs rarely show a miss, since 1 + tanh usually absorbs a last-bit change.)"""
    compiled_or_skip()
    rng = np.random.default_rng(3)
    regions, innovations = 60, 30
    mean = rng.normal(0.0, 1.0, (regions, innovations))
    precision = 4.0 + rng.exponential(3.0, (regions, innovations))   # not powers of two: roundings happen
    columns = np.array([2, 5, 7, 11, 29])
    count = np.where(rng.random((regions, columns.size)) < 0.3, rng.integers(1, 4, (regions, columns.size)), 0)
    count = count.astype(float)
    signal_sum = count * rng.normal(0.5, 1.0, count.shape)
    signal_precision = rng.uniform(0.5, 2.0, innovations)
    fit, cost = rng.uniform(0.5, 1.5, mean.shape), rng.uniform(0.0, 1.0, mean.shape)
    expected_mean, expected_precision = mean.copy(), precision.copy()
    learning.update_beliefs(expected_mean, expected_precision, signal_sum, count, signal_precision, columns)
    new_mean, new_precision = mean.copy(), precision.copy()
    rows, cols, argument = kernel.compiled.update_beliefs(new_mean, new_precision, signal_sum, count,
                                                          signal_precision, columns, fit, cost, 2.0, True)
    assert new_mean.tobytes() == expected_mean.tobytes() and new_precision.tobytes() == expected_precision.tobytes()
    moved = (expected_mean != mean) | (expected_precision != precision)
    assert (moved & (expected_precision == precision)).any(), "no mean moved without a signal: the test proves nothing"
    assert sorted(zip(rows.tolist(), cols.tolist())) == sorted(zip(*map(np.ndarray.tolist, np.nonzero(moved))))
    term = np.zeros(mean.shape)
    kernel.compiled.store_learning_term(term, np.tanh(argument), rows, cols, new_precision, 0.7, 4.0)
    expected = learning.learning_hazard(0.7, 2.0, expected_mean, expected_precision, 4.0, fit, cost)
    assert term[rows, cols].tobytes() == expected[rows, cols].tobytes()


@pytest.mark.parametrize("changes", [{}, {"weight": 0.0}, {"sensitivity": 0.0, "prior_mean": -10.0},
                                      {"prior_sd": 10.0, "prior_mean": 10.0, "cost": 10.0}])
def test_the_starting_learning_term_is_the_equation_without_computing_it(changes):
    """Before any evidence (tau = tau0) the learning hazard is w x 0 x logistic: the model fills in that
    zero instead of a tanh per pair, and it must be the very value the equation gives."""
    model = DiffusionModel({"channels": {"learning": changes}}, rng=4, kernel="numpy")
    spec = model.params.channels.learning
    expected = learning.learning_hazard(spec.weight, spec.sensitivity, model.belief_mean, model.belief_precision,
                                        model.prior_precision, model.innovations.fit, model.learning_cost)
    assert model.learning_term.tobytes() == expected.tobytes()


def test_unknown_kernel_names_the_setting_and_the_choices(monkeypatch):
    with pytest.raises(ValueError, match=r"kernel: unknown kernel 'fortran'; allowed: auto, numpy, numba"):
        DiffusionModel(rng=0, kernel="fortran")
    monkeypatch.setenv(kernel.ENVIRONMENT, "gpu")
    with pytest.raises(ValueError, match=r"FTZ_DIFFUSION_KERNEL: unknown kernel 'gpu'"):
        DiffusionModel(rng=0)
    monkeypatch.setenv(kernel.ENVIRONMENT, "numpy")
    assert DiffusionModel(rng=0).kernel == "numpy"


def test_an_unusable_kernel_falls_back_under_auto_and_is_refused_when_demanded(monkeypatch):
    monkeypatch.setattr(kernel, "_verdict", (False, "numba is not installed"))
    assert DiffusionModel(rng=0, kernel="auto").kernel == "numpy"
    with pytest.raises(ValueError, match="numba kernel cannot be used here: numba is not installed"):
        DiffusionModel(rng=0, kernel="numba")


def test_the_exactness_probe_refuses_an_exp_that_differs_in_the_last_bit(monkeypatch):
    compiled_or_skip()
    real_exp = np.exp

    def one_ulp_off(values, *args, **kwargs):
        return np.nextafter(real_exp(values, *args, **kwargs), np.inf)

    monkeypatch.setattr(np, "exp", one_ulp_off)
    usable, reason = kernel._check()
    assert not usable and "differs in the last bit" in reason


def test_cli_kernel_option_reaches_the_model_and_an_unusable_one_is_a_sentence(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from diffusion.cli import main

    monkeypatch.delenv(kernel.ENVIRONMENT, raising=False)   # restored after the test
    monkeypatch.setattr(kernel, "_verdict", (False, "numba is not installed"))
    out = tmp_path / "results"
    result = CliRunner().invoke(main, ["--kernel", "numba", "run", "baseline", "--steps", "4", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "numba kernel cannot be used here: numba is not installed" in result.output
    assert "Traceback" not in result.output and not out.exists()
    result = CliRunner().invoke(main, ["--kernel", "numpy", "run", "baseline", "--steps", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "manifest.json").exists()
