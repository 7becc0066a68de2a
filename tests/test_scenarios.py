"""Scenario files: the library validates and runs; extends merges; mistakes get a sentence."""

from pathlib import Path

import pytest
import yaml

from diffusion.scenario import ScenarioError, deep_merge, library, load_scenario

LIBRARY = Path(__file__).resolve().parent.parent / "scenarios"
FILES = sorted(LIBRARY.glob("*.yaml"))


def test_library_covers_the_designs_of_the_brief():
    names = set(library())
    for required in ("baseline", "leadership-leading-group", "leadership-joint-conference", "leadership-reform-office",
                     "leadership-none", "fault-tolerance-low", "fault-tolerance-medium", "fault-tolerance-high",
                     "incentives-binding-assessment", "incentives-rewards-only", "incentives-positive-reverse",
                     "feedback-none", "feedback-two-way", "coordination-yrd-mutual-recognition",
                     "coordination-rotating-lead", "pathway-plan-pilot", "pathway-request-authorise",
                     "pathway-autonomy-absorption", "no-mandate", "teaching-small-world"):
        assert required in names


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_library_file_validates_describes_itself_and_runs(path):
    from diffusion import DiffusionModel

    scenario = load_scenario(path)
    for text in (scenario.title, scenario.description, scenario.question):
        assert text.en and text.zh, f"{path.name}: title, description and question need English and Chinese"
    params = scenario.parameters().model_copy(update={"time": scenario.time.model_copy(update={"years": 6 * scenario.time.dt})})
    model = DiffusionModel(params, seed=0).run()
    assert model.steps == 6


def test_extends_deep_merges_and_chains(tmp_path):
    (tmp_path / "a.yaml").write_text("name: a\ninstitutions: {fault_tolerance: 0.7, leadership: none}\nseed: 5\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\ninstitutions: {leadership: reform_office}\n")
    (tmp_path / "c.yaml").write_text("extends: b\nname: c\nuntil: 2020Q4\n")
    scenario = load_scenario(tmp_path / "c.yaml")
    assert scenario.institutions.fault_tolerance == 0.7 and scenario.institutions.leadership == "reform_office"
    assert scenario.seed == 5 and scenario.name == "c"
    assert scenario.parameters().time.steps == 30  # 2013Q3 .. 2020Q4
    assert deep_merge({"x": {"y": 1, "z": 2}}, {"x": {"y": 3}}) == {"x": {"y": 3, "z": 2}}


def test_library_names_resolve_from_anywhere(tmp_path):
    (tmp_path / "mine.yaml").write_text("extends: baseline\nname: mine\ninstitutions: {feedback: two_way}\n")
    scenario = load_scenario(tmp_path / "mine.yaml")
    assert scenario.replicates == 10           # the base's settings are inherited, not its words
    assert scenario.title.en == "" and scenario.description.en == ""


@pytest.mark.parametrize("text, message", [
    ("name: x\ninstitutions:\n  leadership: leading_group\n   feedback: none\n", ":4:"),
    ("name: x\ninstitution: {leadership: none}\n", "institution: unknown name (did you mean 'institutions'?)"),
    ("name: x\ninstitutions: {leadership: leading-group}\n", "did you mean 'leading_group'?"),
    ("name: x\ninstitutions: {fault_tolerance: high}\n", "institutions.fault_tolerance: Input should be a valid number"),
    ("name: x\ninstitutions: {fault_tolerance: 2}\n", "institutions.fault_tolerance: Input should be less than or equal to 1"),
    ("name: x\nregions: {overrides: {Shangai: {leadership: none}}}\n", "unknown region 'Shangai' (did you mean 'Shanghai'?)"),
    ("name: x\nextends: nowhere.yaml\n", "extends: scenario 'nowhere.yaml' not found"),
    ("name: x\nnetwork: {kind: edge_list, edge_list: missing.csv}\n", "file 'missing.csv' does not exist"),
    ("name: x\nnetwork: {kind: small_world, n_regions: 100000}\ninnovations: {expected_total: 100000}\n", "too large: one run needs about"),
    ("- just\n- a list\n", "a scenario must be a mapping"),
    ("name: x\nuntil: sometime\n", "cannot read 'sometime' as a date"),
    ("name: x\nsweep: {method: grid, parameters: {institutions.fault_tolerence: [0.1]}}\n", "no such parameter"),
    ("name: x\nsweep: {method: grid, parameters: {institutions.fault_tolerance: {min: 0, max: 1}}}\n", "a grid needs a list"),
])
def test_bad_scenarios_get_a_sentence_naming_file_and_field(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    assert message in str(error.value) and str(path) in str(error.value)


def test_cyclic_extends_is_reported(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(ScenarioError, match="extends forms a cycle"):
        load_scenario(tmp_path / "a.yaml")


def test_yaml_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(f"name: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ScenarioError, match="invalid YAML"):
        load_scenario(path)
    assert not marker.exists()


def test_edge_list_path_is_relative_to_the_scenario(tmp_path):
    (tmp_path / "edges.csv").write_text("source,target\nA,B\nB,C\n")
    (tmp_path / "net.yaml").write_text("name: net\nnetwork: {kind: edge_list, edge_list: edges.csv}\n")
    assert load_scenario(tmp_path / "net.yaml").parameters().network.edge_list == str(tmp_path / "edges.csv")


def test_resolved_scenario_round_trips(tmp_path):
    scenario = load_scenario("fault-tolerance-high")
    path = tmp_path / "resolved.yaml"
    path.write_text(yaml.safe_dump(scenario.resolved(), allow_unicode=True))
    again = load_scenario(path)
    assert again.parameter_hash() == scenario.parameter_hash()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads peak memory from Linux's /proc")
def test_the_memory_guard_covers_what_a_run_uses():
    """The guard refuses sizes from an estimate; a run it accepts must not need more than estimated.
    Measured in a fresh process on the numpy path (the larger) with every innovation available from
    the first step (the widest step), as the growth of its peak resident memory (VmHWM: unlike
    ru_maxrss, not inherited from the process that started it)."""
    import json
    import subprocess
    import sys

    from diffusion.params import make_parameters
    from diffusion.scenario import estimate_memory

    settings = {"network": {"kind": "small_world", "n_regions": 2000, "mean_degree": 6},
                "innovations": {"source": "initial", "n_initial": 300}, "time": {"years": 6}}
    code = f"""
from pathlib import Path
from diffusion import DiffusionModel, make_parameters
def peak():
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024
DiffusionModel(make_parameters({{"time": {{"years": 0.5}}}}), seed=0).run()
before = peak()
DiffusionModel(make_parameters({json.dumps(settings)}), seed=0).run()
print(peak() - before)
"""
    used = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    estimate = estimate_memory(make_parameters(settings))[0]
    assert used > 0.5 * 2000 * 300 * 100        # the run did build its state (about 200 bytes a pair)
    assert estimate >= used, f"estimated {estimate / 2**20:.0f} MiB, used {used / 2**20:.0f} MiB"
