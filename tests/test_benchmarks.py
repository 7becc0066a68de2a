"""The benchmark scripts keep working: docs/performance.md tells users to run them to reproduce its
figures, so each is run here at a small size and its JSON checked (no timing is asserted)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def bench(script: str, *args) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def test_peer_benchmark_times_every_tool_or_says_why_not(tmp_path):
    out = tmp_path / "peers.json"
    bench("bench_peers.py", "--sizes", 300, "--parts", 1, "--repeats", 1, "--steps", 12, "--out", out)
    rows = {row["tool"]: row for row in json.loads(out.read_text())["si_same_graph"]}
    assert set(rows) == {"numpy", "ours", "ndlib", "mesa"}
    for row in rows.values():
        if row["skipped"]:   # a peer that is not installed is named with the command that installs it
            assert "pip install" in row["reason"]
        else:
            assert row["run_s"] > 0 and 0 < row["final_share_mean"] <= 1


def test_ensemble_benchmark_runs_the_sweep_path_on_two_workers(tmp_path):
    out = tmp_path / "ensemble.json"
    bench("bench_ensemble.py", "--replicates", 6, "--workers", 2, "--rounds", 1, "--json", out)
    result = json.loads(out.read_text())
    assert result["replicates"] == 6 and result["workers"] == 2 and result["target_ratio"] == 3.0
    (only,) = result["rounds"]
    assert only["ours_seconds"] > 0 and only["reference_seconds"] > 0
    assert result["environment"]["model_version"] and result["environment"]["simd_features"]


def test_model_benchmark_covers_every_case_on_every_path(tmp_path):
    out = tmp_path / "model.json"
    bench("bench_model.py", "--repeat", 1, "--skip", "small_world_30000", "--json", out)
    result = json.loads(out.read_text())
    cases = {"default_31", "small_world_300", "prefectures_300", "small_world_3000"}
    assert set(result["cases"]) == cases and result["first_run_s"] > 0
    for figures in result["cases"].values():
        assert figures["run_s"] > 0 and figures["ns_per_region_innovation_step"] > 0
        assert figures["regions"] * figures["innovations"] > 0 and figures["steps"] == 48


def test_replicate_benchmark_splits_a_replicate(tmp_path):
    out = tmp_path / "replicate.json"
    bench("bench_replicate.py", "--replicates", 3, "--json", out)
    result = json.loads(out.read_text())
    assert result["replicates"] == 3 and result["kernels_ms"] > 0 and result["inputs_ms"] > 0
    parts = result["build_ms"] + result["kernels_ms"] + result["inputs_ms"]
    assert 0 < parts < result["replicate_ms"]


def test_memory_benchmark_reports_the_growth(tmp_path):
    out = tmp_path / "memory.json"
    bench("bench_memory.py", "--runs", 20, "--json", out)
    result = json.loads(out.read_text())
    assert result["runs"] == 20 and result["marks"][-1]["runs"] == 20 and result["target_mb"] == 50


def test_experiment_memory_benchmark_measures_a_sweep_and_a_calibration(tmp_path):
    out = tmp_path / "memory.json"
    bench("bench_experiment_memory.py", "--sweep-runs", 20, "--simulations", 30, "--json", out)
    result = json.loads(out.read_text())
    assert result["target_mb"] == 100
    assert [row["experiment"] for row in result["experiments"]] == ["sweep", "calibration"]
    assert result["experiments"][0]["runs"] == 20 and result["experiments"][1]["runs"] == 30
    assert all(row["marks"] for row in result["experiments"])


def test_version_benchmark_times_both_checkouts_side_by_side():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_versions.py"), "--reference", str(ROOT),
                           "--replicates", "2", "--rounds", "1"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "round 1: reference" in done.stdout and "ratio this / reference over 1 rounds" in done.stdout


def test_version_benchmark_refuses_a_folder_without_the_package(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_versions.py"), "--reference", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "no diffusion package there" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("script, args, message", [
    ("bench_replicate.py", ("--replicates", 0), "--replicates must be at least 1 (given: 0)"),
    ("bench_model.py", ("--repeat", 0), "--repeat must be at least 1 (given: 0)"),
    ("bench_ensemble.py", ("--replicates", 5, "--workers", 0), "--workers must be at least 1 (given: 0)"),
    ("bench_memory.py", ("--runs", 0), "--runs must be at least 1 (given: 0)"),
])
def test_a_benchmark_given_no_runs_says_so_instead_of_failing_inside(tmp_path, script, args, message):
    out = tmp_path / "result.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *map(str, args), "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()
