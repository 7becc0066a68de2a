"""Hardening: the resource guard sizes the whole plan, one writer per folder, --force replaces only
results, and no signal leaves debris (issue 21, points 3-5)."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import diffusion as d
from diffusion.cli import main
from diffusion.evaluate import SweepStore
from diffusion.results import FolderLockedError, ResultsExistError, atomic_folder, folder_lock, lock_path
from diffusion import scenario as scenario_module

ROOT = Path(__file__).resolve().parents[1]
HOLD = """
import sys, time
from diffusion.results import folder_lock
with folder_lock(sys.argv[1]):
    print("holding", flush=True)
    time.sleep(60)
"""
GRID = """
name: tiny-grid
extends: baseline
replicates: 2
steps: 48
sweep:
  method: grid
  parameters:
    institutions.fault_tolerance: [0.0, 0.2, 0.4, 0.6, 0.8, 0.9]
    channels.learning.weight_per_year: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
"""


def cli(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "diffusion.cli", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


# ------------------------------------------------------------------------------------ the guard
def test_a_huge_random_network_is_refused_in_under_2_seconds():
    started = time.perf_counter()
    with pytest.raises(ValueError, match=r"random network of 100,000 regions .* every one of the 4,999,950,000 pairs"):
        d.run({"network": {"kind": "random", "n_regions": 100_000}, "replicates": 1,
               "innovations": {"expected_total": 5}})
    assert time.perf_counter() - started < 2


def test_a_complete_graph_is_sized_from_its_n_squared_ties():
    params = d.load({"network": {"kind": "complete", "n_regions": 20_000}}).parameters()
    needed, regions, _ = scenario_module.estimate_memory(params)
    ties = 20_000 * 19_999 // 2
    assert regions == 20_000 and needed > ties * scenario_module.SPARSE_BYTES_PER_EDGE
    with pytest.raises(ValueError, match=r"199,990,000 ties"):
        scenario_module.check_resources(params, 1, limit=4 * 2**30)


def test_a_million_replicates_is_refused_with_the_numbers():
    started = time.perf_counter()
    with pytest.raises(ValueError) as refused:
        d.run("baseline", replicates=1_000_000)
    message = str(refused.value)
    assert time.perf_counter() - started < 2
    assert "1,000,000 run(s)" in message and "GiB of tables kept" in message and "31 regions x" in message
    assert "may be used here" in message and "use a sweep" in message


def test_workers_multiply_the_memory_held_at_once():
    params = d.load({"network": {"kind": "small_world", "n_regions": 3000}}).parameters()
    per_run = scenario_module.estimate_memory(params)[0]
    limit = int(per_run * 2.5) + 40 * 2**20
    scenario_module.check_resources(params, 2, limit=limit, workers=2, keep="rows")
    with pytest.raises(ValueError, match=r"x 4 worker\(s\) at once.*use fewer workers \(at most 2"):
        scenario_module.check_resources(params, 8, limit=limit, workers=4, keep="rows")


def test_a_long_plan_is_refused_with_its_time(monkeypatch):
    params = d.load("baseline").parameters()
    monkeypatch.setenv(scenario_module.MAX_HOURS_ENV, "0.00001")
    with pytest.raises(ValueError, match=r"too long: 20 run\(s\) of 31 regions .* about 0.4 s on 1 worker.*\$FTZ_DIFFUSION_MAX_HOURS"):
        scenario_module.check_resources(params, 20)


def test_a_sweep_is_sized_at_its_largest_point(tmp_path):
    base = d.load("baseline").parameters()
    design = pd.DataFrame({"point": [0, 1, 2], "network.kind": ["small_world"] * 3,
                           "network.n_regions": [100, 1000, 200_000 // 2]})
    parts = scenario_module.design_parts(base, design, replicates=3)
    assert sorted(p.network.n_regions for p, _ in parts) == [100, 1000, 100_000] and sum(r for _, r in parts) == 9
    with pytest.raises(ValueError, match=r"too large: sweep: one run needs about .* per run \(100,000 regions x"):
        scenario_module.check_resources(base, parts=parts, keep="rows", what="sweep", limit=2**30)


def test_a_process_limit_lowers_the_memory_the_guard_allows():
    code = ("import resource; resource.setrlimit(resource.RLIMIT_DATA, (6 * 2**30, resource.RLIM_INFINITY)); "
            "from diffusion.scenario import memory_limit; print(memory_limit())")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "RLIMIT_DATA" in out


def test_observed_data_above_the_row_limit_are_refused_before_reading(tmp_path, monkeypatch):
    data = tmp_path / "observed.csv"
    data.write_text("region,policy,adopted\n" + "".join(f"Beijing,P{k},2016\n" for k in range(2000)))
    monkeypatch.setattr(scenario_module, "memory_limit", lambda: (100 * 8192 * 10, "a test limit"))
    with pytest.raises(ValueError, match=r"observed.csv: more than 600 rows .* a test limit"):
        scenario_module.check_observed_rows(data)


# ------------------------------------------------------------------------------------ one writer
def test_a_second_writer_is_refused_naming_the_holder(tmp_path):
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        second = cli("run", "baseline", "--replicates", "1", "--steps", "4", "--out", out)
        _, err = second.communicate(timeout=60)
        assert second.returncode == 2 and "Traceback" not in err
        assert f"is being written by process {holder.pid} on " in err and "since 20" in err and "-c" in err
        assert not out.exists()
    finally:
        holder.kill()
        holder.wait()
    with folder_lock(out):          # a dead holder's lock is taken over at once
        pass
    assert not lock_path(out).exists()


def test_a_second_sweep_or_resume_on_one_folder_is_refused(tmp_path):
    folder = tmp_path / "sweep"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        for resume in (False, True):
            with pytest.raises(FolderLockedError, match=f"process {holder.pid}"):
                d.sweep("sweep-leadership-fault-tolerance", folder=folder, resume=resume, replicates=1, steps=2)
    finally:
        holder.kill()
        holder.wait()


def test_force_refuses_a_folder_that_is_not_results(tmp_path):
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("years of work")
    with pytest.raises(ResultsExistError, match="not a results folder of ftz-diffusion"):
        with atomic_folder(precious, force=True):
            pass
    with pytest.raises(ValueError, match="not a results folder"):
        SweepStore(precious).create({}, pd.DataFrame({"point": [0]}), force=True)
    refused = CliRunner().invoke(main, ["run", "baseline", "--out", str(precious), "--force", "--steps", "2"])
    assert refused.exit_code == 2 and "will not replace it" in refused.output
    assert (precious / "chapter1.tex").read_text() == "years of work"
    results = tmp_path / "results"        # this tool's folder is replaced
    results.mkdir()
    (results / "manifest.json").write_text("{}")
    with atomic_folder(results, force=True) as staging:
        (staging / "manifest.json").write_text(json.dumps({"new": True}))
    assert json.loads((results / "manifest.json").read_text()) == {"new": True}
    assert hidden(tmp_path) == []


def test_discover_refuses_to_replace_its_folder_without_force(tmp_path):
    folder = tmp_path / "sweep"
    d.sweep("sweep-leadership-fault-tolerance", folder=folder, replicates=1, steps=4)
    middle = SweepStore(folder).results()["coverage"].median()
    args = ["discover", str(folder), "--outcome", "coverage", "--threshold", str(middle)]
    assert CliRunner().invoke(main, args).exit_code == 0
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2 and "already exists" in again.output
    assert CliRunner().invoke(main, [*args, "--force"]).exit_code == 0


# ------------------------------------------------------------------------------------ no debris
def test_sigterm_during_run_leaves_no_partial_folder(tmp_path):
    parent = tmp_path / "results"
    process = cli("run", "baseline", "--replicates", "2", "--out", parent / "out")
    deadline = time.time() + 90
    while time.time() < deadline and not (parent.exists() and list(parent.glob(".out.*.partial"))):
        time.sleep(0.01)
    assert list(parent.glob(".out.*.partial")), "the run must be stopped while it writes its folder"
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in err and "interrupted" in err
    assert list(parent.iterdir()) == []


def test_a_killed_writers_partial_folder_is_swept_at_the_next_start(tmp_path):
    debris = tmp_path / ".out.k3j2h1x_.partial"
    (debris / "tables").mkdir(parents=True)
    (tmp_path / ".other.abcdefgh.partial").mkdir()
    with atomic_folder(tmp_path / "out") as staging:
        (staging / "manifest.json").write_text("{}")
    assert hidden(tmp_path) == []
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "busy")], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    try:                                   # a living writer's partial folder is left alone
        assert holder.stdout.readline().strip() == "holding"
        (tmp_path / ".busy.x1y2z3w4.partial").mkdir()
        with atomic_folder(tmp_path / "next") as staging:
            (staging / "manifest.json").write_text("{}")
        assert ".busy.x1y2z3w4.partial" in hidden(tmp_path)
    finally:
        holder.kill()
        holder.wait()


def test_interrupted_sweep_says_how_many_runs_are_on_disk(tmp_path):
    scenario = tmp_path / "grid.yaml"
    scenario.write_text(GRID.replace("replicates: 2", "replicates: 10"))   # 600 runs: far from done in a second
    folder = tmp_path / "sweep"
    process = cli("sweep", scenario, "--out", folder)
    deadline = time.time() + 90
    while time.time() < deadline and not (folder / "sweep.json").exists():
        time.sleep(0.02)
    time.sleep(1.0)                        # some runs finish, none yet flushed to a part
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    done = len(SweepStore(folder).completed())
    assert process.returncode == 130 and "Traceback" not in err
    assert 0 < done < 600, err
    assert f"interrupted: {done} of 600 runs are safely on disk in {str(folder)!r}; continue with --resume" in err
    assert "nothing was written" not in err
    assert not lock_path(folder).exists()
