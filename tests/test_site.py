"""The documentation site covers the code and builds offline: no command, option or key goes undocumented."""

import os
import re
import subprocess
import sys
import types
import typing
from pathlib import Path

import click
import pytest
from pydantic import BaseModel

from diffusion import docs_gen
from diffusion.cli import main
from diffusion.params import Parameters, RegionOverride
from diffusion.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REGENERATE = "run  python -m diffusion.docs_gen  to rewrite the generated pages"


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    """The generated pages as the code says they should be now (runs one baseline model)."""
    return docs_gen.pages()


@pytest.fixture(scope="module")
def docs_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(DOCS.rglob("*.md")))


# ------------------------------------------------------------------------------------------ cli
def walk_commands(command: click.Command, ctx: click.Context):
    """(full name, command, context) of the group and every command under it."""
    yield ctx.command_path, command, ctx
    for name, sub in getattr(command, "commands", {}).items():
        yield from walk_commands(sub, click.Context(sub, info_name=name, parent=ctx, **sub.context_settings))


def cli_sections(text: str) -> dict[str, str]:
    """The text under each '## `diffusion ...`' heading of cli.md, by command name."""
    sections, current = {}, None
    for line in text.splitlines():
        heading = re.match(r"^#+ `([^`]+)`\s*$", line)
        if heading:
            current = heading.group(1)
            sections[current] = ""
        elif line.startswith("#"):
            current = None
        elif current is not None:
            sections[current] += line + "\n"
    return sections


def test_every_command_and_option_is_in_the_cli_reference():
    sections = cli_sections((DOCS / "cli.md").read_text(encoding="utf-8"))
    root = click.Context(main, info_name="diffusion", **main.context_settings)
    missing = []
    for path, command, ctx in walk_commands(main, root):
        section = sections.get(path)
        if section is None:
            missing.append(f"command '{path}'")
            continue
        for param in command.get_params(ctx):
            if getattr(param, "hidden", False):
                continue
            names = param.opts + param.secondary_opts if isinstance(param, click.Option) else \
                [param.human_readable_name]
            for name in names:
                if not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", section):
                    missing.append(f"'{path}' {name}")
    assert not missing, f"missing from docs/cli.md: {', '.join(missing)}; {REGENERATE}"


# --------------------------------------------------------------------------------------- schema
def models_in(annotation) -> list[type[BaseModel]]:
    """Pydantic models a field holds directly or as X | None (not inside a mapping or list)."""
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    candidates = [annotation, *(typing.get_args(annotation) if union else ())]
    return [a for a in candidates if isinstance(a, type) and issubclass(a, BaseModel)]


def mapped_models(annotation) -> list[type[BaseModel]]:
    """Pydantic models a mapping field holds as its values (dict[str, list | RangeSpec] -> RangeSpec)."""
    mappings = [a for a in [annotation, *typing.get_args(annotation)] if typing.get_origin(a) is dict]
    return [m for a in mappings for m in models_in(typing.get_args(a)[1])]


def dotted_paths(model: type[BaseModel], prefix: str = "", skip=(), into_mappings: bool = False) -> list[str]:
    """Every key as a dotted path; with into_mappings, 'sweep.parameters.*.min' for models inside mappings."""
    paths = []
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        paths.append(prefix + name)
        for sub in models_in(field.annotation):
            paths += dotted_paths(sub, f"{prefix}{name}.", into_mappings=into_mappings)
        if into_mappings:
            for sub in mapped_models(field.annotation):
                paths += dotted_paths(sub, f"{prefix}{name}.*.", into_mappings=into_mappings)
    return paths


def documented(path: str, text: str) -> bool:
    """Whether a key appears as code in the docs (`key`, or <code>key</code> in a table); '*' stands for
    a placeholder such as <parameter>."""
    parts = [re.escape(part) if part != "*" else r"(?:<|&lt;)\w+(?:>|&gt;)" for part in path.split(".")]
    pattern = r"\.".join(parts)
    return re.search(rf"(?:`|<code>){pattern}(?:`|</code>)", text) is not None


def test_every_parameter_path_is_documented(docs_text):
    # every parameter (a leaf of the schema) and every section; groups such as channels.learning are
    # documented through their parameters
    every = dotted_paths(Parameters)
    paths = [p for p in every if "." not in p or not any(q.startswith(p + ".") for q in every)]
    assert len(paths) > 90 and "institutions.incentives.penalty" in paths
    missing = [p for p in paths if not documented(p, docs_text)]
    assert not missing, f"parameters missing from docs/: {', '.join(missing)}; {REGENERATE}"


def test_every_region_override_key_is_documented():
    text = (DOCS / "parameters.md").read_text(encoding="utf-8")
    overrides = text[text.index("## Per-region overrides"):]
    missing = [name for name in RegionOverride.model_fields if f"`{name}`" not in overrides]
    assert not missing, f"region override keys missing from docs/parameters.md: {', '.join(missing)}"


def test_every_scenario_key_is_documented(docs_text):
    keys = dotted_paths(Scenario, skip=set(Parameters.model_fields), into_mappings=True)
    assert {"name", "title.en", "extends", "seed", "replicates", "steps", "until", "sweep.method",
            "sweep.parameters.*.min"} <= set(keys)
    missing = [k for k in keys if not documented(k, docs_text)]
    assert not missing, f"scenario keys missing from docs/: {', '.join(missing)}; {REGENERATE}"


# ------------------------------------------------------------------------------ generated pages
def test_generated_pages_match_the_code(generated):
    stale = docs_gen.stale_pages(DOCS, generated)
    assert not stale, f"stale generated pages in docs/: {', '.join(stale)}; {REGENERATE}"


def test_docs_gen_writes_every_page_and_then_finds_none_stale(tmp_path, generated, monkeypatch, capsys):
    monkeypatch.setattr(docs_gen, "pages", lambda: generated)
    assert docs_gen.main(["--docs", str(tmp_path), "--check"]) == 1
    assert "stale" in capsys.readouterr().err
    assert docs_gen.main(["--docs", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(generated)
    assert docs_gen.main(["--docs", str(tmp_path), "--check"]) == 0


def test_a_new_column_without_a_description_is_refused(monkeypatch):
    tables = docs_gen.run_tables()
    tables["metrics"]["undescribed_metric"] = 0.0
    monkeypatch.setattr(docs_gen, "run_tables", lambda: tables)
    with pytest.raises(ValueError, match="metrics.undescribed_metric"):
        docs_gen.tables_markdown()


# ------------------------------------------------------------------------------------- the site
@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    pytest.importorskip("mkdocs", reason="mkdocs is not installed: pip install -e '.[test]' installs it")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                            str(ROOT / "mkdocs.yml"), "--site-dir", str(out)], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, f"mkdocs build --strict failed:\n{build.stdout}\n{build.stderr}"
    return out


def test_site_builds_with_strict_mode(site):
    for page in ("index.html", "model.html", "cli.html", "parameters.html", "scenario-keys.html", "tables.html",
                 "data.html", "teaching.html", "performance.html", "zh/quickstart.html", "api/model.html"):
        assert (site / page).is_file(), page
    api = (site / "api" / "model.html").read_text(encoding="utf-8")
    assert "DiffusionModel" in api and "Region" in api   # mkdocstrings rendered the docstrings


def test_site_loads_nothing_from_the_network(site):
    remote = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=\"(?:https?:)?//[^\"]*\"[^>]*>")
    found = []
    for page in site.rglob("*.html"):
        for tag in remote.findall(page.read_text(encoding="utf-8")):
            if 'rel="canonical"' not in tag and "<a " not in tag:
                found.append(f"{page.relative_to(site)}: {tag[:120]}")
    for sheet in site.rglob("*.css"):
        if re.search(r"@import\s+(url\()?[\"']?(https?:)?//", sheet.read_text(encoding="utf-8")):
            found.append(f"{sheet.relative_to(site)}: @import from the network")
    assert not found, "the site must work offline; remote resources:\n" + "\n".join(found)
