"""The command line: one command from a scenario file to a results folder; mistakes exit 2 with a sentence."""

import json
import subprocess
import sys

import pandas as pd
from click.testing import CliRunner

from diffusion.cli import main


def diffusion(*args):
    return subprocess.run([sys.executable, "-m", "diffusion.cli", *args], capture_output=True, text=True)


def test_run_writes_manifest_scenario_tables_and_figures(tmp_path):
    out = tmp_path / "baseline"
    result = diffusion("run", "scenarios/baseline.yaml", "--out", str(out), "--replicates", "3", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "binding batches issued" in result.stdout and "failures" in result.stdout
    for name in ("adoptions", "innovations", "regions", "series", "metrics", "batches", "summary"):
        assert pd.read_parquet(out / "tables" / f"{name}.parquet").shape[0] > 0
        assert (out / "tables" / f"{name}.csv").stat().st_size > 0
    assert pd.read_parquet(out / "tables" / "metrics.parquet")["run"].tolist() == [0, 1, 2]
    assert (out / "figures" / "adoption_curves.png").stat().st_size > 10_000
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["replicates"] == 3 and len(manifest["parameter_hash"]) == 64
    assert manifest["version"] and manifest["timings"]["wall_seconds"] > 0 and "run" in manifest["command"]
    assert "institutions:" in (out / "scenario.yaml").read_text()


def test_same_tables_on_one_and_two_workers(tmp_path):
    runner = CliRunner()
    for workers in (1, 2):
        result = runner.invoke(main, ["run", "baseline", "--replicates", "4", "--steps", "20", "--workers",
                                      str(workers), "--out", str(tmp_path / f"w{workers}")])
        assert result.exit_code == 0, result.output
    for name in ("adoptions", "metrics", "series"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "w1" / "tables" / f"{name}.parquet"),
                                      pd.read_parquet(tmp_path / "w2" / "tables" / f"{name}.parquet"))


def test_existing_folder_is_not_overwritten_without_force(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = diffusion("run", "--out", str(out), "--steps", "4", "--replicates", "1")
    assert result.returncode == 2 and "already exists" in result.stderr and "Traceback" not in result.stderr
    assert (out / "keep.txt").read_text() == "mine"
    (out / "manifest.json").write_text("{}")   # --force replaces only this tool's folders (test_hardening_limits)
    assert diffusion("run", "--out", str(out), "--steps", "4", "--replicates", "1", "--force").returncode == 0
    assert not (out / "keep.txt").exists()


def test_bad_scenario_exits_2_with_a_sentence_and_no_folder(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ninstitutions: {leadership: leading_grup}\n")
    out = tmp_path / "never"
    result = diffusion("run", str(bad), "--out", str(out))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "institutions.leadership" in result.stderr and "did you mean 'leading_group'?" in result.stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_unknown_library_name_suggests_one():
    result = diffusion("run", "basline")
    assert result.returncode == 2 and "did you mean 'baseline'?" in result.stderr


def test_compare_writes_a_comparison_with_intervals(tmp_path):
    out = tmp_path / "cmp"
    result = CliRunner().invoke(main, ["compare", "baseline", "no-mandate", "--replicates", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    comparison = pd.read_parquet(out / "tables" / "comparison.parquet")
    assert set(comparison["scenario"]) == {"baseline", "no-mandate"}
    coverage = comparison[comparison["metric"] == "coverage"].set_index("scenario")
    assert coverage.loc["baseline", "mean"] > coverage.loc["no-mandate", "mean"]
    assert (coverage["q05"] <= coverage["mean"]).all() and (coverage["mean"] <= coverage["q95"]).all()
    assert (out / "figures" / "comparison.png").exists() and (out / "figures" / "adoption_curves.png").exists()


def test_validate_show_list_schema():
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", "scenarios/baseline.yaml", "scenarios/no-mandate.yaml"])
    assert ok.exit_code == 0 and ok.output.count("ok:") == 2
    shown = runner.invoke(main, ["show", "no-mandate"])
    assert shown.exit_code == 0 and "enabled: false" in shown.output and "fault_tolerance: 0.3" in shown.output
    listed = runner.invoke(main, ["list"])
    assert "baseline" in listed.output and "Historical baseline" in listed.output
    listed_zh = runner.invoke(main, ["list", "--lang", "zh"])
    assert "历史基准情景" in listed_zh.output
    schema = json.loads(runner.invoke(main, ["schema"]).output)
    assert "institutions" in schema["properties"] and "extends" in schema["properties"]


def test_help_explains_every_command():
    result = CliRunner().invoke(main, ["--help"])
    for command in ("run", "compare", "validate", "show", "list", "schema"):
        assert command in result.output
    run_help = CliRunner().invoke(main, ["run", "--help"]).output
    for option in ("--out", "--replicates", "--seed", "--workers", "--force"):
        assert option in run_help


def test_an_output_path_that_cannot_be_created_gets_a_sentence(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for args in (["run", "teaching-small-world", "--steps", "2", "--out", str(blocker / "run")],
                 ["observe", "teaching-small-world", "--out", str(blocker / "adoptions.csv")]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
        assert "cannot write or read" in result.output and str(blocker) in result.output
    assert blocker.read_text() == "not a folder"
