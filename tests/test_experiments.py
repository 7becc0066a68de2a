"""Experiments at scale: designs, identical results on any backend, resume after SIGKILL, failures, analysis."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from diffusion.cli import main
from diffusion.design import build_design, factors
from diffusion.evaluate import SweepStore
from diffusion.scenario import SweepSpec

GRID = """
name: tiny-grid
extends: baseline
replicates: 2
steps: {steps}
sweep:
  method: grid
  parameters:
    institutions.leadership: [leading_group, joint_conference, none]
    institutions.fault_tolerance: [0.0, 0.5, 0.9]
    {extra}
"""


def write_grid(folder: Path, steps: int = 12, extra: str = "") -> Path:
    path = folder / "grid.yaml"
    path.write_text(GRID.format(steps=steps, extra=extra))
    return path


def sweep(*args):
    result = CliRunner().invoke(main, ["sweep", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result


def test_designs_have_the_promised_sizes_and_respect_categories():
    spec = SweepSpec.model_validate({"method": "lhs", "samples": 40, "parameters": {
        "institutions.fault_tolerance": {"min": 0.2, "max": 0.4}, "institutions.feedback": ["none", "two_way"]}})
    lhs = build_design(spec, seed=1)
    assert len(lhs) == 40 and lhs["institutions.fault_tolerance"].between(0.2, 0.4).all()
    assert set(lhs["institutions.feedback"]) == {"none", "two_way"}
    # Latin hypercube: every tenth of the range holds exactly 4 of the 40 points
    bins = np.floor((lhs["institutions.fault_tolerance"] - 0.2) / 0.02).clip(0, 9)
    assert (np.bincount(bins.astype(int), minlength=10) == 4).all()
    sobol = build_design(spec, seed=1, method="sobol", samples=8)
    assert len(sobol) == 8 * (2 + 2)
    grid = build_design(SweepSpec.model_validate({"method": "grid", "parameters": {
        "institutions.leadership": ["none", "reform_office"], "institutions.fault_tolerance": [0.1, 0.2, 0.3]}}), 0)
    assert len(grid) == 6 and len(factors(SweepSpec.model_validate({"parameters": {"time.steps": [3]}}))) == 1


def test_same_tables_on_one_worker_two_workers_and_dask(tmp_path):
    scenario = write_grid(tmp_path)
    sweep(scenario, "--out", tmp_path / "one", "--workers", 1)
    sweep(scenario, "--out", tmp_path / "two", "--workers", 2)
    sweep(scenario, "--out", tmp_path / "dask", "--workers", 2, "--dask-local")
    for name in ("results", "series"):
        one = pd.read_parquet(tmp_path / "one" / "tables" / f"{name}.parquet")
        assert len(one) > 0
        for other in ("two", "dask"):
            pd.testing.assert_frame_equal(one, pd.read_parquet(tmp_path / other / "tables" / f"{name}.parquet"))
    results = pd.read_parquet(tmp_path / "one" / "tables" / "results.parquet")
    assert results["run_id"].tolist() == list(range(18)) and results["institutions.leadership"].nunique() == 3


def test_sigkill_then_resume_equals_an_uninterrupted_sweep(tmp_path):
    scenario = write_grid(tmp_path, steps=24, extra="channels.learning.weight_per_year: [0.1, 0.2, 0.3, 0.4]")
    total = 3 * 3 * 4 * 2
    sweep(scenario, "--out", tmp_path / "whole")
    folder = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-m", "diffusion.cli", "sweep", str(scenario), "--out", str(folder),
                                "--workers", "2"], start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not list((folder / "metrics").glob("part-*.parquet")):
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done_at_kill = len(SweepStore(folder).completed())
    assert 0 < done_at_kill < total, "the sweep must be killed part-way"
    result = sweep(scenario, "--out", folder, "--workers", 2, "--resume")
    assert f"{done_at_kill} were already done" in result.output
    whole = pd.read_parquet(tmp_path / "whole" / "tables" / "results.parquet")
    resumed = pd.read_parquet(folder / "tables" / "results.parquet")
    assert resumed["run_id"].is_unique and len(resumed) == total
    pd.testing.assert_frame_equal(whole, resumed)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "whole" / "tables" / "series.parquet"),
                                  pd.read_parquet(folder / "tables" / "series.parquet"))


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path):
    (tmp_path / "edges.csv").write_text("source,target\nA,B\nB,C\nC,D\n")
    scenario = tmp_path / "net.yaml"
    scenario.write_text(f"""
name: net
steps: 6
network: {{kind: edge_list, edge_list: {tmp_path / 'edges.csv'}}}
sweep:
  method: grid
  parameters:
    network.edge_list: ["{tmp_path / 'edges.csv'}", "{tmp_path / 'gone.csv'}"]
""")
    result = CliRunner().invoke(main, ["sweep", str(scenario), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "1 failed" in result.output
    errors = pd.read_parquet(tmp_path / "out" / "tables" / "errors.parquet")
    assert errors["run_id"].tolist() == [1] and "does not exist" in errors["error"].iloc[0]
    assert len(pd.read_parquet(tmp_path / "out" / "tables" / "results.parquet")) == 1


def test_resume_refuses_a_different_experiment_and_rerun_refuses_to_overwrite(tmp_path):
    scenario = write_grid(tmp_path, steps=4)
    sweep(scenario, "--out", tmp_path / "s")
    again = CliRunner().invoke(main, ["sweep", str(scenario), "--out", str(tmp_path / "s")])
    assert again.exit_code == 2 and "--resume" in again.output
    other = write_grid(tmp_path, steps=5)
    refused = CliRunner().invoke(main, ["sweep", str(other), "--out", str(tmp_path / "s"), "--resume"])
    assert refused.exit_code == 2 and "different experiment" in refused.output


def test_sobol_finds_the_factor_that_matters_and_not_the_one_that_does_not(tmp_path):
    scenario = tmp_path / "sens.yaml"
    scenario.write_text("""
name: sens
extends: baseline
steps: 16
sweep:
  method: sobol
  samples: 32
  parameters:
    channels.mandate.weight_per_year: {min: 0.05, max: 1.0}
    network.rewiring: {min: 0.0, max: 1.0}      # ignored by the provincial network: no effect
""")
    result = CliRunner().invoke(main, ["sensitivity", str(scenario), "--method", "sobol", "--outcome", "coverage",
                                       "--out", str(tmp_path / "out"), "--workers", "2"])
    assert result.exit_code == 0, result.output
    indices = pd.read_parquet(tmp_path / "out" / "tables" / "sensitivity.parquet").set_index("factor")
    assert indices.loc["channels.mandate.weight_per_year", "ST"] > 0.5
    assert abs(indices.loc["network.rewiring", "ST"]) < 0.05
    assert (tmp_path / "out" / "figures" / "sensitivity.png").exists()


def test_discover_restricts_the_setting_that_decides_success(tmp_path):
    scenario = tmp_path / "disc.yaml"
    scenario.write_text("""
name: disc
extends: baseline
steps: 20
replicates: 2
sweep:
  method: grid
  parameters:
    channels.mandate.enabled: [true, false]
    network.rewiring: [0.0, 0.3, 0.6, 0.9]
""")
    sweep(scenario, "--out", tmp_path / "s")
    result = CliRunner().invoke(main, ["discover", str(tmp_path / "s"), "--outcome", "coverage", "--threshold", "0.18"])
    assert result.exit_code == 0, result.output
    box = pd.read_parquet(tmp_path / "s" / "discovery-coverage" / "tables" / "box.parquet").set_index("factor")
    assert box.loc["channels.mandate.enabled", "restricted"] and box.loc["channels.mandate.enabled", "levels"] == "True"
    assert not box.loc["network.rewiring", "restricted"]


@pytest.mark.parametrize("args, message", [
    (["discover", "nowhere", "--outcome", "coverage", "--threshold", "0.5"], "not a sweep folder"),
    (["sweep", "baseline", "--out", "x"], "has no 'sweep' block"),
])
def test_experiment_commands_answer_mistakes_with_a_sentence(tmp_path, args, message):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and message in result.output


def test_sobol_confidence_intervals_are_reproducible_under_seed_zero():
    """SALib bootstraps from numpy's global state when given seed 0; ours never touches global state."""
    from diffusion.analysis import sobol_indices
    from diffusion.design import Factor

    factor_list = [Factor("a", 0.0, 1.0), Factor("b", 0.0, 1.0)]
    y = np.random.default_rng(5).normal(size=8 * (len(factor_list) + 2))
    first = sobol_indices(pd.DataFrame(), factor_list, y, "coverage", seed=0)
    np.random.seed(123)                     # whatever the global state holds
    second = sobol_indices(pd.DataFrame(), factor_list, y, "coverage", seed=0)
    pd.testing.assert_frame_equal(first, second)
