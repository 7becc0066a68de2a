"""Your own jurisdictions (issue 22): a regions file with covariates, worlds without China, a calibration on
the scenario's own network that recovers a plateau and a covariate effect, and forecasts from its posterior.

The worked example is examples/us-states: the 50 states on their land borders (Alaska and Hawaii
isolated), with adoption data made by the model itself from truth.yaml, so the truth is known.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import diffusion as d
from diffusion import DiffusionModel, make_parameters, with_changes
from diffusion.observed import from_model
from diffusion.regions_file import RegionsFileError, read_regions
from diffusion.scenario import inherited, load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "us-states"
TRUTH = {"channels.competition.weight_per_year": 2.0, "innovations.relevance": 0.5,
         "regions.covariate_effects.median_household_income": 0.5}


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "diffusion.cli", *args], capture_output=True, text=True, cwd=cwd)


def us_world(**changes):
    data = {"network": {"kind": "edge_list", "edge_list": str(EXAMPLE / "edges.csv"),
                        "regions_file": str(EXAMPLE / "regions.csv")}, "time": {"years": 6}}
    for key, value in changes.items():
        data.setdefault(key, {}).update(value)
    return make_parameters(data)


@pytest.fixture(scope="module")
def observed(tmp_path_factory):
    """One run of truth.yaml's world from 2000 to 2030: its adoptions to 2019 are the observed table
    (years; policies first adopted later are unknown to it), the rest is what the forecast should hold."""
    folder = tmp_path_factory.mktemp("us")
    truth = load_scenario(EXAMPLE / "truth.yaml")
    world = from_model(DiffusionModel(with_changes(truth.parameters(), {"time.years": 31}), seed=truth.seed).run(),
                       yearly=True)
    known = world.groupby("policy")["adopted"].transform(lambda years: years.astype(int).min()) <= 2019
    world = world[known]
    world[world["adopted"].astype(int) <= 2019].to_csv(folder / "observed.csv", index=False)
    return folder, world


@pytest.fixture(scope="module")
def calibrated(observed):
    folder, _ = observed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = d.calibrate(EXAMPLE / "calibrate.yaml", data=folder / "observed.csv", simulations=600, workers=2)
    result.save(folder / "calibration")
    return result, folder / "calibration"


# ------------------------------------------------------------------------------------- the files
def test_the_example_world_reads_with_isolated_states_and_covariates():
    table = read_regions(EXAMPLE / "regions.csv")
    assert table.n == 50 and {"AK", "HI"} <= set(table.ids)
    assert {"log_population", "median_household_income"} <= set(table.covariates)
    model = DiffusionModel(us_world(), seed=0)
    degree = np.asarray(model.regions.adjacency.sum(axis=1)).ravel()
    names = model.regions.names
    assert degree[names.index("AK")] == 0 and degree[names.index("HI")] == 0      # isolated, and kept
    assert degree[names.index("TN")] == 8 and degree[names.index("ME")] == 1
    assert model.regions.labels[names.index("CA")] == "California"
    np.testing.assert_allclose(model.institutions.capacity, table.capacity)       # capacity read, not drawn


@pytest.mark.parametrize("content, message", [
    ("name,lon\nA,1\n", r"line 1: no column 'id'"),
    ("id,income\nA,1\nA,2\n", r"line 3, column 'id': 'A' is already the id of line 2"),
    ("id,income\nA,1\nB,rich\n", r"line 3, column 'income': 'rich' is not a number"),
    ("id,income\nA,1\nB,\n", r"line 3, column 'income': empty"),
    ("id,pilot_since\nA,soon\n", r"line 2, column 'pilot_since': 'soon' is not a date"),
    ("id,capacity\nA,-1\n", r"line 2, column 'capacity': '-1' is not a positive number"),
    ("id,lon\nA,1\n", r"column 'lat': is missing"),
    ("id,bad name\nA,1\n", r"line 1, column 'bad name': a covariate's name"),
    ("id,income,income\nA,1,2\n", r"line 1, column 'income': the column appears twice"),
])
def test_a_bad_regions_file_gets_file_line_and_column(tmp_path, content, message):
    path = tmp_path / "regions.csv"
    path.write_text(content)
    with pytest.raises(RegionsFileError, match=message):
        read_regions(path)


def test_an_edge_list_may_name_only_regions_of_the_file_and_nothing_is_written(tmp_path):
    (tmp_path / "regions.csv").write_text("id\nA\nB\nC\n")
    (tmp_path / "edges.csv").write_text("source,target\nA,B\nB,D\n")
    (tmp_path / "world.yaml").write_text("network: {kind: edge_list, edge_list: edges.csv, regions_file: regions.csv}\n")
    done = cli("run", str(tmp_path / "world.yaml"), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "edges.csv: line 3, column 'target': 'D' is not a region of the regions file" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


def test_regions_without_ties_are_a_world_of_isolated_regions(tmp_path):
    (tmp_path / "regions.csv").write_text("id,pilot_since\nA,yes\nB,\nC,2015\n")
    model = DiffusionModel({"network": {"kind": "edge_list", "regions_file": str(tmp_path / "regions.csv")}}, seed=0)
    assert model.regions.adjacency.nnz == 0
    assert list(np.isfinite(model.regions.ftz_years)) == [True, False, True]       # the file's pilots
    model.run()
    assert model.summary()["adoptions"] > 0


def test_real_provinces_take_covariates_from_a_regions_file(tmp_path):
    from diffusion import china

    names = china.provinces()["name_en"]
    pd.DataFrame({"id": names, "schooling": np.arange(len(names), dtype=float)}).to_csv(tmp_path / "r.csv", index=False)
    model = DiffusionModel({"network": {"regions_file": str(tmp_path / "r.csv")}}, seed=0)
    assert model.regions.n == 31 and list(model.regions.covariates["schooling"]) == list(range(31))
    assert model.schedule.record_end is not None       # still China: the real batches


# ------------------------------------------------------------------------------ worlds not China
def test_a_world_that_is_not_china_carries_no_china_unless_it_asks():
    world = make_parameters({"network": {"kind": "small_world", "n_regions": 30}})
    assert world.network.ftz_share == 0 and world.channels.mandate.schedule == "none"
    model = DiffusionModel(world, seed=0).run()
    assert not np.isfinite(model.regions.ftz_years).any() and model.summary()["binding_batches"] == 0
    asked = make_parameters({"network": {"kind": "small_world", "n_regions": 30, "ftz_share": 0.3},
                             "channels": {"mandate": {"schedule": "historical"}}})
    assert DiffusionModel(asked, seed=0).run().summary()["binding_batches"] > 0
    china = make_parameters({})
    assert china.channels.mandate.schedule == "historical"
    moved = with_changes(china, {"network.kind": "small_world"})      # derived again for the new world
    assert moved.channels.mandate.schedule == "none" and moved.network.ftz_share == 0
    kept = with_changes(asked, {"network.kind": "scale_free"})         # what a scenario set stays set
    assert kept.channels.mandate.schedule == "historical" and kept.network.ftz_share == 0.3


def test_show_says_what_a_scenario_inherited(tmp_path):
    notes = " ".join(inherited(load_scenario(EXAMPLE / "truth.yaml")))
    assert "channels.mandate.schedule: none (the network is not China" in notes
    assert "network.ftz_share: 0.0 (the network is not China: no FTZ waves)" in notes
    assert "expected_total" not in notes                # innovations.source initial: no pilot supply
    shown = cli("show", str(EXAMPLE / "calibrate.yaml"))
    assert shown.returncode == 0 and shown.stdout.startswith("# inherited, not set by the scenario:")
    assert yaml.safe_load(shown.stdout)["network"]["regions_file"].endswith("regions.csv")


# ------------------------------------------------------------------------------------ covariates
def test_a_covariate_effect_moves_adoption_toward_the_regions_it_favours():
    """Claim: with beta > 0 on income, richer states adopt more reforms than with beta < 0 (same luck)."""
    table = read_regions(EXAMPLE / "regions.csv")
    income = table.covariates["median_household_income"]
    rich = income > np.median(income)

    def rich_minus_poor(beta):
        gaps = []
        for replicate in range(3):
            params = us_world(innovations={"source": "initial", "n_initial": 40},
                              channels={"mandate": {"enabled": False}},
                              regions={"covariate_effects": {"median_household_income": beta}})
            adopted = DiffusionModel(params, seed=3, replicate=replicate).run().adopted.sum(axis=1)
            gaps.append(adopted[rich].mean() - adopted[~rich].mean())
        return np.mean(gaps)

    assert rich_minus_poor(1.0) > rich_minus_poor(-1.0) + 3       # reforms per state, of 40


def test_an_unknown_covariate_gets_the_list_of_known_ones():
    with pytest.raises(ValueError, match=r"unknown covariate 'income'.*median_household_income"):
        DiffusionModel(us_world(regions={"covariate_effects": {"income": 1.0}}), seed=0)


# ----------------------------------------------------------------------------------- calibration
def test_calibration_uses_the_scenarios_own_network_and_recovers_the_truth(calibrated):
    """Claim: fitted to data the model made on the US states (no --edges: the scenario names its edge list
    and regions file), the central 95% posterior intervals hold the true competition weight, the income
    effect and the saturation (relevance 0.5: adoption levels off well below all states), and the
    posterior is narrower than the prior for the saturation and the income effect.

    One data set is one draw: a 95% interval, not the 90% one, keeps the claim from resting on the luck
    of a single fit (at 600 simulations the truth 0.5 sits near the 90% interval's lower end)."""
    from diffusion.calibration import weighted_quantile

    result, _ = calibrated
    fitted = result.tables["fitted"].set_index("parameter")
    posterior = result.tables["posterior"]
    assert result.meta["network"]["regions_file"].endswith("regions.csv") and result.meta["regions"] == 50
    for name, truth in TRUTH.items():
        low, high = weighted_quantile(posterior[name].to_numpy(), posterior["weight"].to_numpy(), [0.025, 0.975])
        assert low <= truth <= high, (name, low, high)
    relevance = fitted.loc["innovations.relevance"]
    assert abs(relevance["median"] - 0.5) < 0.15 and relevance.q95 - relevance.q05 < 0.4 * 0.9
    income = fitted.loc["regions.covariate_effects.median_household_income"]
    assert income.q95 - income.q05 < 0.8 * 4.0
    terms = list(result.tables["event_history"]["term"])
    assert terms[-1] == "median_household_income"       # the covariate is in the statistics
    checks = result.tables["statistics"].set_index("statistic")
    plateau = checks.loc["coverage_q50"]
    assert plateau.observed < 0.6 and plateau.predictive_q05 <= plateau.observed <= plateau.predictive_q95


def test_the_cli_calibrates_without_edges(observed, tmp_path):
    folder, _ = observed
    scenario = yaml.safe_load((EXAMPLE / "calibrate.yaml").read_text())
    scenario.update(extends=str(EXAMPLE / "truth.yaml"))
    scenario["calibrate"].update(simulations=60, predictive=4)
    (tmp_path / "small.yaml").write_text(yaml.safe_dump(scenario))
    done = cli("calibrate", str(tmp_path / "small.yaml"), "--data", str(folder / "observed.csv"),
               "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "in 50 regions" in done.stderr


# -------------------------------------------------------------------------------------- forecast
def test_a_forecast_continues_the_history_and_holds_what_followed(calibrated, observed):
    """Claim: the forecast replays the observed history exactly, then continues without a jump, and the
    true continuation of the world (the same run to 2030) lies inside its 90% band at 2030."""
    _, folder = calibrated
    _, later = observed
    result = d.forecast(folder, until="2030", draws=40)
    curves = result.tables["curves"]
    history = curves[~curves["forecast"]]
    np.testing.assert_allclose(history["q05"], history["observed"])
    np.testing.assert_allclose(history["q95"], history["observed"])
    step = curves["q50"].diff().iloc[len(history)]            # first forecast year
    assert step < 3 * history["observed"].diff().iloc[-3:].mean() + 0.005
    policies = pd.read_parquet(folder / "tables" / "observed.parquet")["policy"].unique()
    truth = later[later["policy"].isin(policies)]
    share_2030 = len(truth) / (50 * len(policies))
    end = curves.iloc[-1]
    assert end["period"] == "2030" and end["q05"] <= share_2030 <= end["q95"], (share_2030, end["q05"], end["q95"])


def test_designs_share_their_luck_and_the_same_design_differs_by_nothing(calibrated, tmp_path):
    _, folder = calibrated
    same = tmp_path / "same.yaml"
    same.write_text(f"name: same\nextends: {EXAMPLE / 'calibrate.yaml'}\n")
    rewarded = tmp_path / "rewarded.yaml"
    rewarded.write_text(f"name: rewarded\nextends: {EXAMPLE / 'calibrate.yaml'}\n"
                        f"institutions: {{incentives: {{reward: 1.0}}}}\n")
    one = d.forecast(folder, [EXAMPLE / "calibrate.yaml", same, rewarded], until="2026", draws=12)
    two = d.forecast(folder, [EXAMPLE / "calibrate.yaml", same, rewarded], until="2026", draws=12, workers=2)
    for name in ("curves", "policies", "differences", "draws"):
        pd.testing.assert_frame_equal(one.tables[name], two.tables[name])       # any number of workers
    differences = one.tables["differences"].set_index("design")
    assert differences.loc["same", "q05"] == differences.loc["same", "q95"] == 0.0     # paired: identical
    assert differences.loc["rewarded", "q05"] > 0 and differences.loc["rewarded", "share_higher"] == 1.0
    one.save(tmp_path / "designs")                     # both charts draw with several designs
    assert {"forecast_curves.png", "forecast_differences.png"} <= {p.name for p in (tmp_path / "designs" /
                                                                                     "figures").iterdir()}


def test_forecast_and_backtest_commands_write_folders_and_reports(calibrated, tmp_path):
    _, folder = calibrated
    done = cli("forecast", str(folder), "--until", "2025", "--draws", "8", "--out", str(tmp_path / "fc"))
    assert done.returncode == 0, done.stderr
    assert "of region-policy pairs adopted by 2025" in done.stdout
    manifest = json.loads((tmp_path / "fc" / "manifest.json").read_text())
    assert manifest["kind"] == "forecast" and (tmp_path / "fc" / "figures" / "forecast_curves.png").exists()
    report = cli("report", str(tmp_path / "fc"))
    assert report.returncode == 0 and (tmp_path / "fc" / "report.pdf").exists()
    back = cli("forecast", str(folder), "--backtest", "2011", "--draws", "20", "--simulations", "200",
               "--out", str(tmp_path / "bt"))
    assert back.returncode == 0, back.stderr
    scored = json.loads((tmp_path / "bt" / "manifest.json").read_text())["backtest"]
    table = pd.read_parquet(tmp_path / "bt" / "tables" / "backtest.parquet")
    assert scored["periods_scored"] == len(table) == 8                  # 2012..2019, the years held out
    assert scored["curve_coverage_90"] == pytest.approx(table["inside_90"].mean())
    assert scored["policy_coverage_90"] >= 0.8    # each policy's adopters: most inside their 90% interval
    bad = cli("forecast", str(folder), "--until", "2010", "--out", str(tmp_path / "early"))
    assert bad.returncode == 2 and "is not after the end of the data" in bad.stderr
    assert not (tmp_path / "early").exists()
    neither = cli("forecast", str(tmp_path / "fc"), "--until", "2030", "--out", str(tmp_path / "x"))
    assert neither.returncode == 2 and "not a calibration" in neither.stderr
    shutil.rmtree(tmp_path / "fc")
