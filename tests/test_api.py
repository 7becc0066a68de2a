"""The public API: the functions researchers call, their result objects, one runner on every backend,
paired comparisons and the guard rails that speak before any run starts."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import diffusion as d
from diffusion.backends import Dask, Processes, Serial, make_backend
from diffusion.scenario import Scenario

GRID = """
name: api-grid
extends: baseline
replicates: 2
steps: 8
sweep:
  method: grid
  parameters:
    institutions.leadership: [leading_group, none]
    institutions.fault_tolerance: [0.1, 0.9]
"""


def grid(folder: Path) -> Path:
    path = folder / "grid.yaml"
    path.write_text(GRID)
    return path


# ---------------------------------------------------------------------------------------- run
def test_run_returns_tables_summary_charts_a_folder_and_a_report(tmp_path):
    result = d.run("baseline", replicates=2, steps=8)
    assert result.kind == "run" and len(result.tables["metrics"]) == 2
    summary = result.summary().set_index("metric")
    assert summary.loc["coverage", "n"] == 2 and 0 < summary.loc["coverage", "mean"] < 1
    assert "adoption_curves" in result.figures()
    assert result.plot("adoption_curves", lang="zh").axes
    with pytest.raises(ValueError, match="no chart 'adoption_curve'.*did you mean 'adoption_curves'"):
        result.plot("adoption_curve")
    folder = result.save(tmp_path / "run")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "run" and manifest["replicates"] == 2 and manifest["backend"] == "serial"
    assert (folder / "tables" / "metrics.parquet").is_file() and (folder / "figures" / "adoption_curves.png").is_file()
    html, pdf = result.report(lang="en")
    assert html.is_file() and pdf.is_file()


def test_a_scenario_can_be_a_name_a_path_or_an_object_and_give_the_same_numbers(tmp_path):
    by_name = d.run("no-mandate", replicates=1, steps=6).tables["metrics"]
    path = Path(d.load("no-mandate").source)
    by_path = d.run(path, replicates=1, steps=6).tables["metrics"]
    by_object = d.run(d.load("no-mandate", steps=6), replicates=1).tables["metrics"]
    pd.testing.assert_frame_equal(by_name, by_path)
    pd.testing.assert_frame_equal(by_name, by_object)
    assert isinstance(d.load("baseline"), Scenario)


@pytest.mark.parametrize("call, message", [
    (lambda: d.run("baseline", replicates=0), "replicates must be an integer >= 1"),
    (lambda: d.run("baselin"), "did you mean 'baseline'"),
    (lambda: d.run("baseline", workers=0), "workers must be at least 1"),
    (lambda: d.compare(["baseline"]), "at least two scenarios"),
    (lambda: d.compare(["baseline", "no-mandate"], reference="nomandate"), "did you mean 'no-mandate'"),
    (lambda: d.run("baseline", backend="dask"), "backend must be a diffusion.backends backend"),
])
def test_bad_arguments_get_a_sentence_before_any_run(call, message):
    started = time.perf_counter()
    with pytest.raises(ValueError, match=message):
        call()
    assert time.perf_counter() - started < 5


# ------------------------------------------------------------------------------------ compare
def test_compare_gives_paired_differences_with_intervals():
    result = d.compare(["baseline", "no-mandate"], replicates=5, steps=20)
    differences = result.summary().set_index("metric")
    row = differences.loc["coverage"]
    assert row["paired"] and row["n"] == 5 and row["clear"]
    assert row["ci_low"] <= row["difference"] <= row["ci_high"] < 0        # no mandate: less coverage
    comparison = result.tables["comparison"]
    means = comparison[comparison["metric"] == "coverage"].set_index("scenario")["mean"]
    assert row["difference"] == pytest.approx(means["no-mandate"] - means["baseline"])
    assert {"comparison", "differences", "adoption_curves"} <= set(result.figures())


def test_a_scenario_compared_with_itself_under_another_name_differs_by_exactly_zero(tmp_path):
    twin = tmp_path / "twin.yaml"
    twin.write_text("name: twin\nextends: baseline\n")
    result = d.compare(["baseline", twin], replicates=3, steps=8)
    differences = result.summary()
    assert (differences["difference"].fillna(0) == 0).all() and differences["paired"].all()
    assert not differences["clear"].any()


def test_scenarios_with_other_seeds_are_compared_unpaired_and_say_so(tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text("name: other-seed\nextends: no-mandate\nseed: 5\n")
    result = d.compare(["baseline", other], replicates=3, steps=8)
    assert not result.summary()["paired"].any() and any("unpaired" in w for w in result.warnings)


# -------------------------------------------------------------------------- sweeps and backends
def test_a_sweep_gives_a_per_point_summary_differences_and_charts(tmp_path):
    result = d.sweep(grid(tmp_path), folder=tmp_path / "sweep")
    points = result.summary()
    coverage = points[points["metric"] == "coverage"]
    assert len(coverage) == 4 and (coverage["q05"] <= coverage["mean"]).all() and (coverage["mean"] <= coverage["q95"]).all()
    differences = result.tables["differences"]
    assert set(differences["point"]) == {1, 2, 3} and differences["paired"].all()
    assert "sweep_coverage" in result.figures() and result.plot("sweep_coverage").axes


def test_serial_processes_and_a_dask_cluster_started_by_hand_give_equal_tables(tmp_path):
    """The Dask path against a real cluster: a `dask scheduler` and two `dask worker` processes on
    127.0.0.1, as a user starts one, reached by its address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask = str(Path(sys.executable).with_name("dask"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                   "--dashboard-address", ":0", "--no-show"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)]
    try:
        time.sleep(2.0)
        for _ in range(2):
            processes.append(subprocess.Popen([dask, "worker", address, "--nworkers", "1", "--nthreads", "1",
                                               "--no-dashboard"], env=env, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL, start_new_session=True))
        scenario = grid(tmp_path)
        serial = d.sweep(scenario, folder=tmp_path / "serial", backend=Serial())
        pool = d.sweep(scenario, folder=tmp_path / "pool", backend=Processes(2))
        deadline = time.time() + 60
        with make_backend(scheduler=address) as cluster:
            while cluster.client.scheduler_info()["workers"].__len__() < 2 and time.time() < deadline:
                time.sleep(0.5)
            assert len(cluster.client.scheduler_info()["workers"]) == 2
            on_dask = d.sweep(scenario, folder=tmp_path / "dask", backend=cluster)
        for name in ("results", "series", "points", "differences"):
            pd.testing.assert_frame_equal(serial.tables[name], pool.tables[name])
            pd.testing.assert_frame_equal(serial.tables[name], on_dask.tables[name])
        from click.testing import CliRunner

        from diffusion.cli import main
        done = CliRunner().invoke(main, ["sweep", str(scenario), "--out", str(tmp_path / "cli"), "--scheduler", address])
        assert done.exit_code == 0, done.output
        pd.testing.assert_frame_equal(serial.tables["results"],
                                      pd.read_parquet(tmp_path / "cli" / "tables" / "results.parquet"))
        assert json.loads((tmp_path / "cli" / "manifest.json").read_text())["backend"] == "dask"
        ensemble = d.run("baseline", replicates=3, steps=6, backend=Serial()).tables["metrics"]
        with make_backend(scheduler=address) as cluster:
            pd.testing.assert_frame_equal(ensemble, d.run("baseline", replicates=3, steps=6,
                                                          backend=cluster).tables["metrics"])
    finally:
        for process in processes:
            with_group = os.getpgid(process.pid) if process.poll() is None else None
            if with_group is not None:
                os.killpg(with_group, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(os.getpgid(process.pid), signal.SIGKILL)
                process.wait()
    with socket.socket() as again:   # nothing left serving the scheduler's port
        assert again.connect_ex(("127.0.0.1", port)) != 0


def test_backends_map_in_order_and_refuse_nonsense():
    jobs = list(range(7))
    assert Serial().map(abs, jobs) == Processes(2).map(abs, jobs) == jobs
    with pytest.raises(ValueError, match="either --scheduler ADDRESS or --dask-local"):
        make_backend(2, scheduler="tcp://127.0.0.1:1", dask_local=True)
    with pytest.raises(ValueError, match="cannot reach a Dask scheduler"):
        Dask(scheduler="tcp://127.0.0.1:9")


# ---------------------------------------------------------------------------------- guard rails
def test_an_outcome_typo_is_caught_before_any_run(tmp_path):
    started = time.perf_counter()
    with pytest.raises(ValueError, match="outcome 'coverge' is not a metric.*did you mean 'coverage'"):
        d.sensitivity(grid(tmp_path), method="morris", outcomes=["coverge"], folder=tmp_path / "s")
    assert time.perf_counter() - started < 5 and not (tmp_path / "s").exists()


def test_sobol_with_too_few_samples_warns_about_negative_or_uncertain_indices(tmp_path):
    scenario = tmp_path / "sens.yaml"
    scenario.write_text("""
name: sens
extends: baseline
steps: 8
sweep:
  method: sobol
  samples: 4
  parameters:
    channels.mandate.weight_per_year: {min: 0.5, max: 4.0}
    network.rewiring: {min: 0.0, max: 1.0}
""")
    with pytest.warns(UserWarning):
        result = d.sensitivity(scenario, method="sobol", outcomes=["coverage"], folder=tmp_path / "out", workers=2)
    assert result.warnings and any("samples" in w or "replicates" in w for w in result.warnings)
    noise = result.tables["noise"].set_index("outcome")
    assert "seed_share" in noise.columns


def test_discovery_without_a_box_says_what_to_try(tmp_path):
    swept = d.sweep(grid(tmp_path), folder=tmp_path / "sweep")
    low = float(swept.tables["results"]["coverage"].min())
    found = d.discover(swept, outcome="coverage", threshold=low + 1e-9)   # nearly every run qualifies
    assert any("no box found" in w and "threshold" in w for w in found.warnings) or found.tables["box"]["restricted"].any()
    with pytest.raises(ValueError, match="did you mean 'coverage'"):
        d.discover(swept, outcome="coverag", threshold=0.5)


def test_exports_for_excel_and_stata_hold_the_wide_table(tmp_path):
    from click.testing import CliRunner

    from diffusion.cli import main

    out = tmp_path / "cmp"
    done = CliRunner().invoke(main, ["compare", "baseline", "no-mandate", "--replicates", "2", "--out", str(out),
                                     "--export", "xlsx,dta,csv"])
    assert done.exit_code == 0, done.output
    excel = pd.read_excel(out / "exports" / "compare.xlsx")
    stata = pd.read_stata(out / "exports" / "compare.dta")
    assert list(excel["scenario"]) == ["baseline", "no-mandate"] and len(stata) == 2
    assert "coverage_diff" in excel.columns and np.isnan(excel.loc[0, "coverage_diff"])
    assert excel.loc[1, "coverage_diff"] < 0
    assert all(len(c) <= 32 and c.replace("_", "a").isalnum() for c in stata.columns)   # Stata-safe names
    from pandas.io.stata import StataReader
    with StataReader(out / "exports" / "compare.dta") as reader:
        labels = reader.variable_labels()
    assert "share_never_scaled_up_mature_diff_high"[:80] in labels.values()   # original name kept as label
    bad = CliRunner().invoke(main, ["compare", "baseline", "no-mandate", "--out", str(tmp_path / "x"),
                                    "--export", "xls"])
    assert bad.exit_code == 2 and "unknown format 'xls'" in bad.output and not (tmp_path / "x").exists()


def share_trade_national(tables):
    """A user's metric: the share of trade innovations that at least 90% of regions hold at the end."""
    innovations = tables["innovations"]
    trade = innovations[innovations["category"] == "trade"]
    return float(trade["national"].mean()) if len(trade) else float("nan")


def test_a_declared_metric_is_reported_and_can_be_a_sweep_and_discovery_outcome(tmp_path):
    from diffusion import outputs

    d.metric("share_trade_national", share_trade_national, unit="share",
             label_en="Trade reforms that became national", label_zh="成为全国性改革的贸易类创新占比")
    try:
        run = d.run("baseline", replicates=2, steps=12)
        assert "share_trade_national" in run.tables["metrics"].columns
        swept = d.sweep(grid(tmp_path), folder=tmp_path / "sweep", workers=2)
        values = swept.tables["results"]["share_trade_national"]
        assert values.notna().all() and ((0 <= values) & (values <= 1)).all()
        assert "share_trade_national" in set(swept.tables["points"]["metric"])
        try:   # accepted as an outcome: PRIM runs, or says why there is nothing to separate
            d.discover(swept, outcome="share_trade_national", threshold=float(values.mean()))
        except ValueError as error:
            assert "nothing to discover" in str(error) or "no run has" in str(error), error
        from diffusion.i18n import metric_label
        assert metric_label("share_trade_national", "zh") == "成为全国性改革的贸易类创新占比"
    finally:
        outputs.forget("share_trade_national")
    with pytest.raises(ValueError, match="built-in metric"):
        d.metric("coverage", share_trade_national)


def test_a_sweep_folder_gets_a_report_of_its_points(tmp_path):
    from click.testing import CliRunner

    from diffusion.cli import main

    done = CliRunner().invoke(main, ["sweep", str(grid(tmp_path)), "--out", str(tmp_path / "s")])
    assert done.exit_code == 0, done.output
    assert "coverage per point" in done.output
    report = CliRunner().invoke(main, ["report", str(tmp_path / "s"), "--lang", "zh"])
    assert report.exit_code == 0, report.output
    html = (tmp_path / "s" / "report_zh.html").read_text(encoding="utf-8")
    assert "参数扫描" in html and "leadership = " in html and (tmp_path / "s" / "report_zh.pdf").stat().st_size > 10_000
