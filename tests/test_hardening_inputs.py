"""Hostile or careless input files get a sentence, fast: YAML bombs, deep nesting, long chains, odd numbers,
repeated keys, values the model cannot run, and edge lists that are not edge lists (issue 21)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from diffusion.network import read_edge_list
from diffusion.observed import ObservedDataError, read_observed
from diffusion.params import make_parameters
from diffusion.scenario import ScenarioError, load_scenario


def alias_bomb(last: str = "title: *i") -> str:
    """1 KB that expands to 9**9 values: each anchor lists the previous one nine times."""
    lines = ["name: bomb", "anchors:", "  a: &a [x, x, x, x, x, x, x, x, x]"]
    for previous, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"  {name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + f"\n{last}\n"


def refusal(tmp_path, text: str, name: str = "bad.yaml") -> tuple[str, float]:
    path = tmp_path / name
    path.write_text(text)
    start = time.perf_counter()
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    return str(error.value), time.perf_counter() - start


# ------------------------------------------------------------------------------------ safe YAML
@pytest.mark.parametrize("last", ["title: *i", "sweep: {parameters: {institutions.fault_tolerance: *i}}",
                                  "calibrate: {parameters: {institutions.fault_tolerance: {min: 0, max: *i}}}"])
def test_alias_bomb_is_refused_in_under_a_second(tmp_path, last):
    message, seconds = refusal(tmp_path, alias_bomb(last))
    assert seconds < 1.0
    assert "bad.yaml:" in message and "expands to more than 100,000 values" in message and len(message) < 400


def test_alias_bomb_in_validate_exits_with_a_sentence(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb())
    done = subprocess.run([sys.executable, "-m", "diffusion.cli", "validate", str(path)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "expands to more than" in done.stderr and "Traceback" not in done.stderr


def test_report_reads_a_crafted_results_scenario_with_the_bounded_loader(tmp_path):
    from diffusion.report import _scenario

    (tmp_path / "scenario.yaml").write_text(alias_bomb())
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match="expands to more than"):
        _scenario(tmp_path, {})
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("text", [
    "name: x\ntitle: " + "[" * 2000 + "]" * 2000 + "\n",
    "name: x\ntitle: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n",
    "name: x\ntitle:\n" + "".join(" " * depth + f"k{depth}:\n" for depth in range(1, 300)),
])
def test_deep_nesting_gets_a_sentence_not_a_recursion_error(tmp_path, text):
    message, seconds = refusal(tmp_path, text)
    assert "nested more than 40 levels deep" in message and seconds < 1.0


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path):
    message, _ = refusal(tmp_path, "name: x\n" + "# padding\n" * 120_000)
    assert "larger than 1,000,000 bytes" in message


def test_a_long_extends_chain_gets_a_sentence(tmp_path):
    for i in range(1500):
        (tmp_path / f"s{i}.yaml").write_text(f"name: s{i}\n" + (f"extends: s{i + 1}.yaml\n" if i < 1499 else ""))
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match="extends chain is longer than 32 files"):
        load_scenario(tmp_path / "s0.yaml")
    assert time.perf_counter() - start < 2.0


def test_a_5000_digit_integer_gets_a_sentence(tmp_path):
    message, _ = refusal(tmp_path, "name: x\nseed: " + "9" * 5000 + "\n")
    assert "bad.yaml:2:7: the number 999999999999... has 5,000 characters" in message and len(message) < 300


def test_a_repeated_key_is_refused_naming_both_lines(tmp_path):
    message, _ = refusal(tmp_path, "name: x\ninstitutions: {fault_tolerance: 0.9}\nseed: 1\ninstitutions: {leadership: none}\n")
    assert "bad.yaml:4:1: the name 'institutions' is given twice in one mapping (on lines 2 and 4)" in message


def test_a_merge_key_is_not_a_repeated_key(tmp_path):
    path = tmp_path / "merge.yaml"
    path.write_text("name: x\ninstitutions: {<<: {fault_tolerance: 0.5, leadership: none}, fault_tolerance: 0.7}\n")
    scenario = load_scenario(path)
    assert scenario.institutions.fault_tolerance == 0.7 and scenario.institutions.leadership == "none"


def test_an_impossible_date_gets_a_sentence(tmp_path):
    message, _ = refusal(tmp_path, "name: x\nuntil: 2030-02-31\n")
    assert "bad.yaml:2:8: '2030-02-31' is not a valid date" in message


def test_echoed_values_are_shortened(tmp_path):
    message, _ = refusal(tmp_path, "name: x\ninstitutions: {leadership: " + "a" * 5000 + "}\n")
    assert "a" * 81 not in message and len(message) < 600


# ------------------------------------------------------------------------------ every value checked
@pytest.mark.parametrize("block, where", [
    ("institutions: {authority: {reform_office: .nan, leading_group: 1, joint_conference: 1, none: 1}}",
     "institutions.authority.reform_office: Input should be a finite number"),
    ("institutions: {authority: {reform_office: 1.0e+308, leading_group: 1, joint_conference: 1, none: 1}}",
     "institutions.authority: value for 'reform_office' must be between 0 and 10"),
    ("innovations: {pathways: {benefit_shift: {plan_pilot: .inf, request_authorise: 0, autonomy_absorption: 0}}}",
     "innovations.pathways.benefit_shift.plan_pilot: Input should be a finite number"),
    ("institutions: {feedback_broadcast: {none: 0, one_way: 0, two_way: 1.0e+308}}",
     "institutions.feedback_broadcast: value for 'two_way' must be between 0 and 10"),
    ("institutions: {fault_tolerance: nan}", "institutions.fault_tolerance: Input should be a finite number"),
    ("sweep: {method: lhs, parameters: {institutions.fault_tolerance: {min: 0, max: .inf}}}",
     "sweep.parameters.institutions.fault_tolerance.max: Input should be a finite number"),
    ("innovations: {category_weights: {investment: .nan}}", "category_weights.investment: Input should be a finite"),
    ("innovations: {category_weights: {investmnet: 1}}", "unknown category 'investmnet' (did you mean 'investment'?)"),
    ("innovations: {category_weights: {investment: 0}}", "give at least one category a positive weight"),
    ("replicates: true", "replicates: true/false is a switch, not a number"),
    ("seed: false", "seed: true/false is a switch"),
    ("sweep: {method: lhs, samples: true, parameters: {institutions.fault_tolerance: {min: 0, max: 1}}}",
     "sweep.samples: true/false is a switch"),
    ("sweep: {parameters: {regions.overrides.Atlantis.fault_tolerance: [0.1, 0.9]}}",
     "sweep.parameters.regions.overrides.Atlantis.fault_tolerance: regions.overrides: unknown region 'Atlantis'"),
    ("calibrate: {parameters: {regions.overrides.Atlantis.capacity: {min: 0.5, max: 2}}}",
     "unknown region 'Atlantis'"),
    ("steps: 2000", "steps: 2000 steps of a quarter from 2013-07-01 last 500 years"),
    ("time: {start: 2250-01-01}\nsteps: 80", "ends by 2262-01-01"),
    ("until: 2300", "until: 2300 is after 2262-01-01"),
    ("until: 2030.5", "cannot read '2030.5' as a date"),
])
def test_values_the_model_cannot_run_are_refused(tmp_path, block, where):
    message, _ = refusal(tmp_path, f"name: x\n{block}\n")
    assert where in message and "bad.yaml" in message


@pytest.mark.parametrize("until, steps", [("2030", 70), ("'2030'", 70), ("2030Q2", 68), ("2030-06", 68),
                                          ("2030-06-30", 68), ("'2030-06-30'", 68)])
def test_until_takes_a_year_quarter_month_or_day_quoted_or_not(tmp_path, until, steps):
    path = tmp_path / "until.yaml"
    path.write_text(f"name: x\nuntil: {until}\n")
    assert load_scenario(path).parameters().time.steps == steps   # 2013Q3 .. the period named


def test_a_sweep_over_a_real_regions_override_is_accepted(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text("name: x\nsteps: 4\nsweep: {parameters: {regions.overrides.Henan.fault_tolerance: [0.1, 0.9]}}\n")
    assert load_scenario(path).sweep is not None


def test_the_latest_horizon_validate_accepts_runs():
    from diffusion.model import DiffusionModel

    params = make_parameters({"time": {"start": "2200-01-01", "step": "year", "years": 62},
                              "innovations": {"expected_total": 5}})
    model = DiffusionModel(params, seed=0).run()
    assert model.timeline.end.year == 2262


# ------------------------------------------------------------------------------ files stay files
def test_an_edge_list_that_is_another_file_is_not_quoted(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:the-secret-line:/root:/bin/bash\nline two\n")
    with pytest.raises(ValueError) as error:
        read_edge_list(secret)
    assert "the-secret-line" not in str(error.value) and "source,target" in str(error.value)


def test_a_missing_relative_edge_list_names_where_it_was_looked_for(tmp_path, monkeypatch):
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "edges.csv").write_text("source,target\nA,B\n")   # in the current directory: not used
    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "scenarios" / "net.yaml"
    scenario.write_text("name: net\nnetwork: {kind: edge_list, edge_list: edges.csv}\n")
    with pytest.raises(ScenarioError) as error:
        load_scenario(scenario)
    message = str(error.value)
    assert "file 'edges.csv' does not exist" in message and str(tmp_path / "scenarios" / "edges.csv") in message


def test_an_edge_list_in_a_base_resolves_against_the_base(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "edges.csv").write_text("source,target\nA,B\nB,C\n")
    (tmp_path / "base" / "net.yaml").write_text("name: net\nnetwork: {kind: edge_list, edge_list: edges.csv}\n")
    (tmp_path / "child.yaml").write_text("name: child\nextends: base/net.yaml\n")
    assert load_scenario(tmp_path / "child.yaml").network.edge_list == str(tmp_path / "base" / "edges.csv")


@pytest.mark.parametrize("content, message", [
    ("source,target,weight\nA,B,1e308\n", "line 2: weight '1e308' is not a positive number from 1e-12 to 1e+12"),
    ("source,target,weight\nA,B,0\n", "line 2: weight '0' is not a positive number"),
    ("source,target,weight\nA,B,1\nB,C,1\nB,A,2\n", "lines 2 and 4 name the same tie 'A'-'B' with different weights"),
    ("source,target\nA,B\nA,B\n", "lines 2 and 3 name the same tie"),
    ("source,target,colour\nA,B,red\n", "column 'colour' is not one of source, target, weight"),
])
def test_edge_lists_have_the_expected_shape(tmp_path, content, message):
    path = tmp_path / "edges.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("+", r"\+")):
        read_edge_list(path)


def test_an_edge_list_may_list_each_tie_both_ways_with_the_same_weight(tmp_path):
    path = tmp_path / "edges.csv"
    path.write_text("source,target,weight\nA,B,2\nB,A,2\nB,C,1\nC,B,1\n")
    table = read_edge_list(path)
    assert list(zip(table["source"], table["target"], table["weight"])) == [("A", "B", 2.0), ("B", "C", 1.0)]
    path.write_text("source,target\nA,B\nB,A\nB,A\n")
    with pytest.raises(ValueError, match="lines 2 and 4 name the same tie"):
        read_edge_list(path)


def test_a_device_is_not_an_edge_list(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text("name: net\nnetwork: {kind: edge_list, edge_list: /dev/zero}\n")
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match="'/dev/zero' is not a regular file"):
        load_scenario(path)
    assert time.perf_counter() - start < 1.0


def test_observed_data_errors_quote_at_most_a_cell(tmp_path):
    other = tmp_path / "notes.csv"
    line = "root:x:0:0:the-secret-line-of-another-file-that-goes-on:/root:/bin/bash"
    other.write_text(f"{line}\nsomething\n")
    with pytest.raises(ObservedDataError, match="unknown column 'root:x:0:0:") as error:
        read_observed(other)
    assert line not in str(error.value) and "/bin/bash" not in str(error.value)
    data = tmp_path / "observed.csv"
    data.write_text("region,policy,adopted\nShanghai,P1," + "9" * 500 + "\n")
    with pytest.raises(ObservedDataError, match="line 2, column 'adopted'") as error:
        read_observed(data)
    assert "9" * 100 not in str(error.value)
