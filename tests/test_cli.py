"""The command line: one command from nothing to a results folder; mistakes exit 2 with a sentence."""

import json
import subprocess
import sys

import pandas as pd


def diffusion(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "diffusion.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_run_writes_tables_chart_and_manifest(tmp_path):
    out = tmp_path / "baseline"
    result = diffusion("run", "--out", str(out), "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "binding batches issued" in result.stdout and "failures" in result.stdout
    for name in ("adoptions", "innovations", "regions", "series", "metrics", "batches"):
        assert pd.read_parquet(out / "tables" / f"{name}.parquet").shape[0] > 0
        assert (out / "tables" / f"{name}.csv").stat().st_size > 0
    assert (out / "figures" / "adoption_curves.png").stat().st_size > 10_000
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["summary"]["binding_batches"] >= 7


def test_existing_folder_is_not_overwritten_without_force(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = diffusion("run", "--out", str(out), "--steps", "4")
    assert result.returncode == 2 and "already exists" in result.stderr and "Traceback" not in result.stderr
    assert (out / "keep.txt").read_text() == "mine"
    assert diffusion("run", "--out", str(out), "--steps", "4", "--force").returncode == 0
    assert not (out / "keep.txt").exists()


def test_bad_option_exits_2_and_leaves_no_folder(tmp_path):
    out = tmp_path / "never"
    result = diffusion("run", "--out", str(out), "--steps", "0")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []
