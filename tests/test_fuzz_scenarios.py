"""Fuzz: mutated library scenario files never produce a traceback or a partial results folder."""

from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diffusion.cli import main

LIBRARY = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                 st.text(max_size=12), st.lists(st.integers(-3, 3), max_size=3),
                 st.dictionaries(st.text(max_size=6), st.integers(), max_size=2))


def _paths(data, prefix=()):
    if isinstance(data, dict):
        for key, value in data.items():
            yield prefix + (key,)
            yield from _paths(value, prefix + (key,))


@st.composite
def mutated_scenario(draw):
    source = draw(st.sampled_from(LIBRARY))
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data.pop("extends", None)  # the mutated copy lives elsewhere; keep it self-contained
    data["steps"], data["replicates"] = 2, 1
    data.pop("until", None)
    action = draw(st.sampled_from(["replace", "delete", "unknown_key", "text"]))
    paths = list(_paths(data))
    if action == "text":
        text = yaml.safe_dump(data, allow_unicode=True)
        cut = draw(st.integers(0, len(text)))
        return text[:cut] + draw(st.sampled_from([":", "  -", "{", "\t", "'", "]", "\n  x: ["])) + text[cut:]
    path = draw(st.sampled_from(paths))
    node = data
    for key in path[:-1]:
        node = node[key]
    if action == "replace":
        node[path[-1]] = draw(JUNK)
    elif action == "delete":
        del node[path[-1]]
    else:
        node[draw(st.text(min_size=1, max_size=10))] = draw(JUNK)
    return yaml.safe_dump(data, allow_unicode=True)


@settings(max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", 40)), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated_scenario())
def test_mutated_scenarios_never_traceback_or_leave_partial_folders(tmp_path, text):
    work = tmp_path / "case"
    work.mkdir(exist_ok=True)
    for old in work.iterdir():
        if old.is_dir():
            import shutil
            shutil.rmtree(old)
    scenario = work / "fuzzed.yaml"
    scenario.write_text(text, encoding="utf-8")
    out = work / "out"
    result = CliRunner().invoke(main, ["run", str(scenario), "--out", str(out)])
    assert result.exception is None or isinstance(result.exception, SystemExit), (text, result.output)
    assert "Traceback" not in result.output
    leftovers = [p.name for p in work.iterdir() if p.name not in ("fuzzed.yaml", "out")]
    assert leftovers == [], leftovers
    if result.exit_code == 0:
        assert (out / "manifest.json").exists() and (out / "tables" / "metrics.parquet").exists()
    else:
        assert result.exit_code == 2, (text, result.output)
        assert not out.exists()
        assert result.output.startswith("error:") or "Error:" in result.output
