"""Counterfactual channel attribution: Shapley values over the 16 coalitions of channels, paired by replicate."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from diffusion import DiffusionModel, tables
from diffusion.attribution import FULL, OUTCOMES, attribute, shapley_values, time_to_50
from diffusion.cli import main
from diffusion.params import CHANNELS, with_changes
from diffusion.scenario import load_scenario

YEARS = 4          # 16 quarters: the first State Council batches fall inside, and a run takes milliseconds
REPLICATES = 3


def short(scenario: str):
    return with_changes(load_scenario(scenario).parameters(), {"time.years": YEARS})


@pytest.fixture(scope="module")
def baseline():
    return attribute(short("baseline"), replicates=REPLICATES, seed=5)


def coalition_value(coalitions: pd.DataFrame, outcome: str, on: set[str]) -> pd.Series:
    """v(S) per replicate for the coalition with exactly the channels in ``on`` switched on."""
    match = np.logical_and.reduce([coalitions[c] == (c in on) for c in CHANNELS])
    return coalitions[match].set_index("replicate")[outcome]


# ------------------------------------------------------------------------------------- the game
def test_shapley_values_of_hand_computed_games():
    additive = np.array([sum(w for k, w in enumerate((1.0, 2.0, 3.0)) if mask >> k & 1) for mask in range(8)])
    np.testing.assert_allclose(shapley_values(additive), [1.0, 2.0, 3.0])
    both = np.array([1.0 if mask & 0b11 == 0b11 else 0.0 for mask in range(8)])   # 0 and 1 only together
    np.testing.assert_allclose(shapley_values(both), [0.5, 0.5, 0.0])


def test_shapley_values_add_up_to_the_whole_effect_in_every_replicate(baseline):
    per = baseline["shapley_replicates"]
    coalitions = baseline["coalitions"]
    assert len(coalitions) == REPLICATES * (FULL + 1) and len(per) == REPLICATES * len(OUTCOMES) * len(CHANNELS)
    for outcome in OUTCOMES:
        total = coalition_value(coalitions, outcome, set(CHANNELS)) - coalition_value(coalitions, outcome, set())
        summed = per[per["outcome"] == outcome].groupby("replicate")["shapley"].sum()
        assert np.abs(summed - total).max() <= 1e-12 * max(1.0, np.abs(total).max())
        assert (per[per["outcome"] == outcome]["total"].groupby(per["replicate"]).first() == total).all()


def test_time_to_50_is_the_censored_mean_of_the_innovations_table():
    params = short("baseline")
    model = DiffusionModel(params, seed=5, replicate=1, run_id=1).run()
    innovations = tables.innovations(model)
    born = innovations[innovations["birth_step"] <= model.steps]
    censored = born["time_to_50"].fillna(model.steps - born["birth_step"])
    assert time_to_50(model) == pytest.approx(censored.mean() * model.dt, rel=1e-12)
    assert born["time_to_50"].isna().any()   # the short run leaves some innovations censored


def test_every_coalition_has_finite_values_even_with_all_channels_off(baseline):
    coalitions = baseline["coalitions"]
    assert np.isfinite(coalitions[list(OUTCOMES)].to_numpy()).all()
    off = coalitions[coalitions["coalition"] == "none"]
    assert (off["time_to_50"] > 0).all() and (off["time_to_50"] <= YEARS).all()


# --------------------------------------------------------------------------- what a user relies on
def test_same_tables_on_one_and_two_workers(baseline):
    two = attribute(short("baseline"), replicates=REPLICATES, seed=5, workers=2)
    for name, table in baseline.items():
        pd.testing.assert_frame_equal(table, two[name])


def test_a_mandate_the_scenario_switched_off_gets_exactly_zero():
    result = attribute(short("no-mandate"), replicates=2, seed=5)
    mandate = result["shapley_replicates"].query("channel == 'mandate'")
    assert (mandate["shapley"] == 0.0).all()
    row = result["shapley"].query("channel == 'mandate'")
    assert not row["in_scenario"].any() and (row["mean"] == 0.0).all()
    voluntary = result["shapley"].query("outcome == 'coverage' and channel != 'mandate'")
    assert (voluntary["mean"] > 0).all()


def test_the_mandate_raises_coverage_and_speeds_it_on_the_baseline(baseline):
    per = baseline["shapley_replicates"].query("channel == 'mandate'").set_index("outcome")
    assert (per.loc["coverage", "shapley"] > 0).all()
    assert (per.loc["time_to_50", "shapley"] < 0).all()
    row = baseline["shapley"].query("outcome == 'coverage' and channel == 'mandate'").iloc[0]
    assert row["ci_low"] <= row["mean"] <= row["ci_high"] and row["q05"] <= row["mean"] <= row["q95"]
    assert 0 < row["hazard_share"] < 1 and row["replicates"] == REPLICATES


def test_a_mandate_pre_empts_learning(baseline):
    # Without the mandate, switching learning off loses what learning brought; with it, the mandate
    # would bring most of those adoptions anyway, so learning's Shapley value (the mean over both
    # worlds) is below what it adds in a no-mandate world
    coalitions = baseline["coalitions"]
    voluntary = {"spontaneous", "competition"}
    alone = coalition_value(coalitions, "coverage", voluntary | {"learning"}) - \
        coalition_value(coalitions, "coverage", voluntary)
    with_mandate = coalition_value(coalitions, "coverage", voluntary | {"learning", "mandate"}) - \
        coalition_value(coalitions, "coverage", voluntary | {"mandate"})
    learning = baseline["shapley_replicates"].query("outcome == 'coverage' and channel == 'learning'")
    assert (with_mandate < alone).all()
    assert learning["shapley"].mean() < alone.mean()


def test_attribute_refuses_no_replicates():
    with pytest.raises(ValueError, match="replicates must be at least 1"):
        attribute(short("baseline"), replicates=0)


# -------------------------------------------------------------------------------------- the CLI
def test_cli_writes_tables_chart_and_manifest(tmp_path):
    out = tmp_path / "attribution"
    result = CliRunner().invoke(main, ["attribute", "baseline", "--replicates", "2", "--steps", "12", "--seed", "2",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "mandate" in result.output and "all on - all off" in result.output
    for name in ("shapley", "coalitions", "shapley_replicates"):
        assert len(pd.read_parquet(out / "tables" / f"{name}.parquet")) > 0
        assert (out / "tables" / f"{name}.csv").stat().st_size > 0
    shapley = pd.read_parquet(out / "tables" / "shapley.parquet")
    assert set(shapley["outcome"]) == set(OUTCOMES) and set(shapley["channel"]) == set(CHANNELS)
    assert (out / "figures" / "attribution.png").stat().st_size > 10_000
    assert (out / "figures" / "attribution.pdf").stat().st_size > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "attribution" and manifest["replicates"] == 2 and manifest["runs"] == 32
    assert manifest["seed"] == 2 and len(manifest["parameter_hash"]) == 64


def test_cli_unknown_scenario_is_one_sentence(tmp_path):
    result = subprocess.run([sys.executable, "-m", "diffusion.cli", "attribute", "no-such-scenario", "--out",
                             str(tmp_path / "never")], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: scenario 'no-such-scenario' not found")
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "never").exists()
