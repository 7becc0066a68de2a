"""Scenario files: YAML a non-programmer can read and edit, validated with sentences, able to extend a base.

A scenario is the parameter schema (``diffusion/params.py``) serialised, plus metadata::

    name: fault-tolerance-high
    extends: baseline              # a library name or a path relative to this file; chains allowed
    title: {en: High fault tolerance, zh: 高容错}
    description: {en: ..., zh: ...}
    question: {en: Does protecting officials make risky reforms spread?, zh: ...}
    seed: 0
    replicates: 20
    until: 2030Q4                  # or steps: 70
    institutions:
      fault_tolerance: 0.9
    sweep: {...}                   # optional, see SweepSpec
    calibrate: {...}               # optional, see CalibrateSpec (diffusion calibrate)

A scenario's title, description and question are its own: a file that extends another does not inherit
them (its report would otherwise describe the base's design), unless it says so with
``description: inherit`` (likewise ``title`` and ``question``).

Only PyYAML's safe loader is used (:func:`read_yaml`): nothing in a scenario file is executed, and a file
is refused when it is over the limits of size, nesting, expanded aliases or extends chain below, or when
it names a key twice in one mapping.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from .params import (LATEST_END, MAX_YEARS, Checked, Parameters, _did_you_mean, describe_errors, dump_as_given,
                     make_parameters, shorten)
from .timeline import Timeline

LIBRARY_ENV = "FTZ_DIFFUSION_SCENARIOS"
# Peak memory per (region, innovation) pair: state plus one step's temporaries. Measured as peak RSS
# growth on 2026-11-26 at 1,000 to 10,000 regions: 209-212 bytes on the numpy path with every
# innovation available from step 1 (the widest step), 189 when innovations arrive over time, 130-144
# on the numba path. tests/test_scenarios.py checks the estimate covers a run.
BYTES_PER_PAIR = 224
DEFAULT_MEMORY_FRACTION = 0.6


# Limits of a scenario (or results) YAML file: far above any real scenario, low enough that a crafted file is
# refused in milliseconds instead of expanding aliases into billions of values or recursing without end.
MAX_FILE_BYTES = 1_000_000
MAX_YAML_VALUES = 100_000        # every value counted once per use, aliases expanded
MAX_YAML_DEPTH = 40              # nested mappings and lists
MAX_NUMBER_CHARS = 30            # an integer written with more characters than this is refused
MAX_EXTENDS = 32                 # files in one extends chain


class ScenarioError(ValueError):
    """A scenario file is missing, malformed or invalid; the message names the file and the field."""


class Bilingual(BaseModel):
    """A text in English and Chinese."""

    model_config = ConfigDict(extra="forbid")
    en: str = Field("", description="In English.")
    zh: str = Field("", description="In Chinese (简体中文).")


class RangeSpec(Checked):
    """A continuous range for a sampled (Latin hypercube / Sobol) parameter."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    min: float = Field(..., description="Lowest value of the range.")
    max: float = Field(..., description="Highest value of the range.")

    @model_validator(mode="after")
    def _ordered(self) -> RangeSpec:
        if not self.min < self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        return self


class SweepSpec(Checked):
    """Experiments over parameters: a full grid, a Latin hypercube or a Sobol (Saltelli) sample.

    ``parameters`` maps dotted parameter names to a list of values (grid values, or the categories of a
    categorical factor) or to ``{min, max}`` (a continuous range for lhs/sobol).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    method: Literal["grid", "lhs", "sobol"] = Field(
        "grid", description="grid: every combination of the listed values; lhs: a Latin hypercube of 'samples' "
        "points; sobol: a Saltelli sample for Sobol indices.")
    samples: int = Field(16, ge=1, le=1_000_000, description="Samples (lhs) or base samples N (sobol).")
    parameters: dict[str, list[Any] | RangeSpec] = Field(
        ..., min_length=1, description="Dotted parameter name -> a list of values (grid values, or the levels of a "
        "categorical factor) or {min, max} (a continuous range, for lhs and sobol).")

    @model_validator(mode="after")
    def _grid_needs_lists(self) -> SweepSpec:
        if self.method == "grid":
            ranges = [k for k, v in self.parameters.items() if isinstance(v, RangeSpec)]
            if ranges:
                raise ValueError(f"a grid needs a list of values for each parameter; {ranges[0]!r} has a range "
                                 f"(use method: lhs or sobol for ranges)")
        for key, value in self.parameters.items():
            if isinstance(value, list) and not value:
                raise ValueError(f"{key!r}: give at least one value")
        return self


class CalibrateSpec(Checked):
    """What ``diffusion calibrate`` fits: numeric parameters with uniform prior bounds, and the ABC budget."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    parameters: dict[str, RangeSpec] = Field(..., min_length=1, description="Dotted parameter name -> {min, max}: "
                                             "the uniform prior range of each parameter to fit.")
    simulations: int = Field(1000, ge=20, le=1_000_000, description="Prior simulations (model runs) to draw.")
    accept: float = Field(0.1, gt=0, le=1, description="Share of simulations nearest the data that are kept.")
    predictive: int = Field(100, ge=0, le=100_000, description="Posterior predictive runs for the bands and checks.")
    covariates: list[str] = Field([], description="Covariates of the network (columns of network.regions_file, or "
                                  "the real regions' log_gdp_per_capita and log_population) added to the "
                                  "event-history logit of the statistics, observed and simulated, so that the fit "
                                  "compares neighbour effects net of them.")


class Scenario(Parameters):
    """A scenario file: metadata plus every parameter section (all optional; defaults from the schema)."""

    name: str = Field("", max_length=100, description="Short identifier (letters, digits, '-', '_'; at most 100); "
                      "default: the file name.")
    title: Bilingual = Field(default_factory=Bilingual, description="Title in English and Chinese.")
    description: Bilingual = Field(default_factory=Bilingual, description="What the scenario represents.")
    question: Bilingual = Field(default_factory=Bilingual, description="The question the scenario answers.")
    extends: str | None = Field(None, description="Base scenario: a library name or a path relative to this file.")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Root seed of the scenario's replicates.")
    replicates: int = Field(1, ge=1, le=1_000_000, description="Number of replicate runs.")
    steps: int | None = Field(None, ge=1, le=10_435, description="Shortcut: run this many steps of time.step "
                              "(sets time.years). At most 200 years of steps (10,435 weeks, 800 quarters) and the "
                              "run must end by 2262-01-01, the last date the model's tables can hold.")
    seeding: Literal["common", "independent"] = Field(
        "common", description="'common': replicate k of every scenario with the same seed shares its random "
        "numbers (paired comparisons); 'independent': the parameters are part of each replicate's key, as in "
        "model 0.1.")
    until: str | None = Field(None, description="Run until the end of this year, quarter, month or day (2030, "
                              "2030Q4, 2030-12 or 2030-12-31; quoted or not), at the latest 2261.")
    sweep: SweepSpec | None = Field(None, description="Optional sweep over parameters (diffusion sweep).")
    calibrate: CalibrateSpec | None = Field(None, description="Optional: parameters to fit to observed adoptions "
                                            "(diffusion calibrate).")
    _source: Path | None = PrivateAttr(None)

    @property
    def source(self) -> Path | None:
        """The file this scenario was read from."""
        return self._source

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", value):
            raise ValueError(f"use letters, digits, '-', '_' or '.', starting with a letter or digit (given: "
                             f"{shorten(value)})")
        return value

    @field_validator("until", mode="before")
    @classmethod
    def _until_as_text(cls, value: Any) -> Any:
        """YAML reads an unquoted 2030 as a number and 2030-06-30 as a date: both mean what they say."""
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)          # 2030.5 then gets the sentence with the forms allowed
        return value

    @field_validator("until")
    @classmethod
    def _until_is_a_date(cls, value: str | None) -> str | None:
        if value is not None:
            parse_until(value)
        return value

    @model_validator(mode="after")
    def _steps_or_until(self) -> Scenario:
        if self.steps is not None and self.until is not None:
            raise ValueError("steps, until: give either steps or until, not both")
        time = self.time
        if self.steps is not None:
            years, end = self.steps * time.dt, Timeline(time.start, time.step, self.steps).end
            if years > MAX_YEARS or end > LATEST_END:
                raise ValueError(f"steps: {self.steps} steps of a {time.step} from {time.start.isoformat()} last "
                                 f"{years:g} years, to {end.isoformat()}; a run lasts at most {MAX_YEARS} years and "
                                 f"ends by {LATEST_END.isoformat()}: give fewer steps or a longer time.step")
        if self.until is not None and until_end(self.until) > LATEST_END:
            raise ValueError(f"until: {self.until} is after {LATEST_END.isoformat()}, the last date the model's "
                             f"tables can hold; give an earlier date")
        return self

    # ----------------------------------------------------------------------------------------
    def parameters(self) -> Parameters:
        """The model parameters of this scenario, with steps/until applied to time.years."""
        data = {k: v for k, v in dump_as_given(self).items() if k in Parameters.model_fields}
        if self.steps is not None:
            data["time"]["years"] = self.steps * self.time.dt
        elif self.until is not None:
            timeline = Timeline(self.time.start, self.time.step, 1)
            end = until_end(self.until)
            years = timeline.years_of(end)
            if years <= 0:
                raise ScenarioError(f"until: {self.until!r} is before the start {self.time.start.isoformat()}")
            data["time"]["years"] = years
        return make_parameters(data)

    def parameter_hash(self) -> str:
        """SHA-256 of the resolved parameters (canonical JSON): the identity of the scenario's model."""
        return parameter_hash(self.parameters())

    def resolved(self) -> dict[str, Any]:
        """Metadata and every parameter, fully resolved (no extends), as plain data for YAML/JSON."""
        data = self.model_dump(mode="json", exclude={"extends", "steps", "until"})
        data["time"]["years"] = self.parameters().time.years
        for block in ("sweep", "calibrate"):
            if data.get(block) is None:
                data.pop(block, None)
        return data


#: what each world-dependent default means (params.WORLD_DEFAULTS): (on China's networks, elsewhere)
_WORLD_MEANINGS = {"network.ftz_share": ("unused, the real FTZs open at their real dates", "no FTZ waves"),
                   "channels.mandate.schedule": ("the 7 State Council batches at their real dates",
                                                 "no batch schedule")}


def inherited(scenario: Parameters) -> list[str]:
    """Sentences on what a scenario takes from the embedded China default without saying so: the
    world-dependent settings it left to its network, and the China-derived defaults every world gets."""
    from .params import inherited_world_defaults

    net = scenario.network
    world = "built on the real provinces" if net.china else "not China"
    out = []
    for path, value in inherited_world_defaults(scenario).items():   # the world's own default, never another
        shown = round(value, 4) if isinstance(value, float) else value
        out.append(f"{path}: {shown} (the network is {world}: {_WORLD_MEANINGS[path][0 if net.china else 1]})")
    if not net.china:
        china_defaults = [("time", "start", "2013-07-01, the quarter the Shanghai FTZ opened"),
                          ("innovations", "expected_total", "349, the FTZ achievements replicated nationally"),
                          ("innovations", "category_weights", "the categories of the 349 achievements")]
        for section, name, what in china_defaults:
            if name == "expected_total" and scenario.innovations.source == "initial":
                continue
            if name not in getattr(scenario, section).model_fields_set:
                out.append(f"{section}.{name}: China's default ({what}); set it for your world")
    return out


def parameter_hash(params: Parameters) -> str:
    """SHA-256 of the parameters as canonical JSON, the files they name (edge list, regions file) counted
    by their content, not their path: the same scenario and data give the same hash, and so the same
    keyed draws of a calibration, wherever the repository or the data lie."""
    data = params.model_dump(mode="json")
    for key in ("edge_list", "regions_file"):
        if data["network"].get(key):
            data["network"][key] = _file_digest(data["network"][key])
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _file_digest(path: str) -> str:
    """'sha256:<hex>' of a file's bytes (cached by path, size and modification time), or the path itself
    when it cannot be read (the model then says what is wrong with it)."""
    try:
        stat = Path(path).stat()
    except OSError:
        return path
    key = (path, stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        if len(_DIGESTS) > 64:
            _DIGESTS.clear()
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as handle:
                while block := handle.read(2**20):
                    digest.update(block)
        except OSError:
            return path
        _DIGESTS[key] = "sha256:" + digest.hexdigest()
    return _DIGESTS[key]


_DIGESTS: dict[tuple, str] = {}


def until_end(text: str) -> date:
    """The first day after the period an ``until`` names ('2030Q4' -> 2031-01-01, '2030-06' -> 2030-07-01,
    '2030' -> 2031-01-01, '2030-06-30' -> 2030-07-01): the run covers that period whole."""
    text = str(text).strip()
    first = parse_until(text)
    if re.fullmatch(r"\d{4}(?:[-/]?Q[1-4])", text, flags=re.IGNORECASE):
        months = 3
        first = date(first.year, first.month - 2, 1)
    elif re.fullmatch(r"\d{4}", text):
        months = 12
        first = date(first.year, 1, 1)
    elif re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        return first + timedelta(days=1)
    else:
        months = 1
    year, month = divmod(first.month - 1 + months, 12)
    return date(first.year + year, month + 1, 1)


def parse_until(text: str) -> date:
    """'2030', '2030-06', '2030-06-30' or '2030Q2' -> a date inside that period (the first day of its last
    month; the day itself for a day)."""
    text = str(text).strip()
    forms = "use a year, a quarter, a month or a day, e.g. 2030, 2030Q2, 2030-06 or 2030-06-30"
    match = re.fullmatch(r"(\d{4})(?:[-/]?Q([1-4]))", text, flags=re.IGNORECASE)
    if match:
        return date(int(match.group(1)), 3 * int(match.group(2)), 1)
    match = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", text)
    if match:
        year, month = int(match.group(1)), int(match.group(2) or 12)
        if not 1 <= month <= 12:
            raise ValueError(f"until: month {month} is not 1-12 (given: {shorten(text)}); {forms}")
        if match.group(3) is None:
            return date(year, month, 1)
        try:
            return date(year, month, int(match.group(3)))
        except ValueError:
            raise ValueError(f"until: {shorten(text)} is not a day of the calendar; {forms}") from None
    raise ValueError(f"until: cannot read {shorten(text)} as a date; {forms}")


# -------------------------------------------------------------------------------------- library
def library_dirs() -> list[Path]:
    """Where library scenarios are looked up: $FTZ_DIFFUSION_SCENARIOS, ./scenarios, the repository's."""
    dirs = []
    if os.environ.get(LIBRARY_ENV):
        dirs.append(Path(os.environ[LIBRARY_ENV]))
    dirs.append(Path.cwd() / "scenarios")
    dirs.append(Path(__file__).resolve().parent.parent / "scenarios")
    seen, out = set(), []
    for d in dirs:
        if d.is_dir() and d.resolve() not in seen:
            seen.add(d.resolve())
            out.append(d)
    return out


def library() -> dict[str, Path]:
    """Library scenario names and their files."""
    found: dict[str, Path] = {}
    for folder in library_dirs():
        for path in sorted(folder.glob("*.yaml")):
            found.setdefault(path.stem, path)
    return found


def locate(reference: str, relative_to: Path | None = None) -> Path:
    """A scenario path from a file path (relative to an extending file) or a library name."""
    candidates = []
    ref = Path(reference)
    if relative_to is not None and not ref.is_absolute():
        candidates.append(relative_to.parent / ref)
        if not ref.suffix:
            candidates.append(relative_to.parent / f"{reference}.yaml")
    candidates.append(ref)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    lib = library()
    if reference in lib:
        return lib[reference]
    if ref.suffix in (".yaml", ".yml") and ref.stem in lib and not ref.parent.parts:
        return lib[ref.stem]
    names = list(lib)
    hint = _did_you_mean(ref.stem, names)
    where = f" (referenced from {relative_to})" if relative_to else ""
    raise ScenarioError(f"scenario {reference!r} not found{where}{hint}; give a path to a .yaml file or one of "
                        f"the library names ({', '.join(names[:8])}{' ...' if len(names) > 8 else ''}); "
                        f"'diffusion list' shows them all")


# -------------------------------------------------------------------------------------- loading
class _YamlLimit(yaml.MarkedYAMLError):
    """A file over one of the limits, or a value that cannot be read; ``problem`` is the whole sentence."""


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with budgets: nesting depth, values after alias expansion, integer length; a
    key given twice in one mapping is refused (YAML would silently keep the last)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._sizes: dict[int, int] = {}       # id(collection node) -> values in it, aliases expanded

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            return super().compose_node(parent, index)   # the anchored node itself: counted where used
        mark = self.peek_event().start_mark
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            raise _YamlLimit(problem=f"values are nested more than {MAX_YAML_DEPTH} levels deep; a scenario needs "
                             f"a few levels (section, parameter, value): remove the extra brackets or indentation",
                             problem_mark=mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            return node
        size = 1 + sum(self._sizes.get(id(child), 1) for child in children)
        self._sizes[id(node)] = size
        if size > MAX_YAML_VALUES:
            raise _YamlLimit(problem=f"this value expands to more than {MAX_YAML_VALUES:,} values (aliases "
                             f"'*name' repeat what their anchor '&name' holds); write the values out, or use "
                             f"fewer aliases", problem_mark=mark)
        return node

    def compose_mapping_node(self, anchor):
        node = super().compose_mapping_node(anchor)
        lines: dict[tuple[str, str], int] = {}   # (tag, text) of each key -> its line
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                continue
            line = key.start_mark.line + 1
            if (key.tag, key.value) in lines:
                first = lines[key.tag, key.value]
                where = f"on line {line}" if first == line else f"on lines {first} and {line}"
                raise _YamlLimit(problem=f"the name {shorten(key.value)} is given twice in one mapping ({where}); "
                                 f"YAML would silently keep the last: merge the two into one",
                                 problem_mark=key.start_mark)
            lines[key.tag, key.value] = line
        return node

    def _construct_int(self, node):
        if len(node.value) > MAX_NUMBER_CHARS:
            raise _YamlLimit(problem=f"the number {node.value[:12]}... has {len(node.value):,} characters; "
                             f"no parameter needs more than {MAX_NUMBER_CHARS}: give a smaller number",
                             problem_mark=node.start_mark)
        return self.construct_yaml_int(node)

    def _construct_timestamp(self, node):
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError as error:
            raise _YamlLimit(problem=f"{shorten(node.value)} is not a valid date ({error}); write an existing "
                             f"date such as 2030-06-30", problem_mark=node.start_mark) from None


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader._construct_int)
_BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp", _BoundedLoader._construct_timestamp)


def read_yaml(path: Path) -> Any:
    """Read a scenario or results YAML file safely (nothing executed; size, nesting, aliases, repeated keys
    and long numbers bounded); ScenarioError naming the file, the line and what to do on any problem."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read the file ({error.strerror or error}); check the path") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(f"{path}: the file is larger than {MAX_FILE_BYTES:,} bytes, the most a scenario may "
                            f"be; real scenarios are a few kilobytes: check that this is the right file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a UTF-8 text file; save it as UTF-8 YAML") from None
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    except _YamlLimit as error:
        mark = error.problem_mark
        raise ScenarioError(f"{path}:{mark.line + 1}:{mark.column + 1}: {error.problem}") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = " ".join(filter(None, [error.context, error.problem]))
        raise ScenarioError(f"{where}: invalid YAML: {shorten(problem, 200)}; check the indentation and the ':' "
                            f"after each name") from None
    except yaml.YAMLError as error:
        raise ScenarioError(f"{path}: invalid YAML: {shorten(str(error), 200)}; check the file is YAML") from None
    except RecursionError:   # not expected under the depth limit; a sentence all the same
        raise ScenarioError(f"{path}: values are nested too deeply to read; remove the extra brackets or "
                            f"indentation") from None
    finally:
        loader.dispose()


def _read_yaml(path: Path) -> dict:
    data = read_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario must be a mapping of names to values (found a {type(data).__name__}); "
                            f"start with e.g. 'name: my-scenario'")
    bad_keys = [k for k in data if not isinstance(k, str)]
    if bad_keys:
        raise ScenarioError(f"{path}: top-level name {shorten(bad_keys[0])} is not text; write names as words, "
                            f"e.g. 'seed: 1'")
    return data


TEXTS = ("title", "description", "question")


def deep_merge(base: dict, child: dict) -> dict:
    """Child values override base values; mappings merge recursively; lists and scalars replace."""
    out = dict(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _raw_chain(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    resolved = path.resolve()
    if resolved in seen:
        chain = " -> ".join(str(p) for p in seen + (resolved,))
        raise ScenarioError(f"{path}: extends forms a cycle ({chain}); remove one of the extends")
    if len(seen) >= MAX_EXTENDS:
        raise ScenarioError(f"{seen[0]}: the extends chain is longer than {MAX_EXTENDS} files (it reaches {path}); "
                            f"a scenario extends a few bases at most: let one file say what the chain sets")
    data = _files_relative_to(path, _read_yaml(path))
    parent_ref = data.get("extends")
    if parent_ref is None:
        for key in TEXTS:
            if data.get(key) == "inherit":
                raise ScenarioError(f"{path}: {key}: 'inherit' takes the {key} of the scenario this file extends, "
                                    f"but it has no extends; write the {key} itself or add extends: BASE")
        return data
    if not isinstance(parent_ref, str) or not parent_ref.strip():
        raise ScenarioError(f"{path}: extends: expected the name or path of a base scenario (given: {shorten(parent_ref)})")
    try:
        parent_path = locate(parent_ref, relative_to=path)
    except ScenarioError as error:
        raise ScenarioError(f"{path}: extends: {error}") from None
    base = _raw_chain(parent_path, seen + (resolved,))
    base.pop("name", None)      # a child is its own scenario
    base.pop("sweep", None)     # a sweep belongs to the file that declares it
    data = dict(data)
    for key in TEXTS:           # a scenario's words are its own: inherited only when the file says 'inherit'
        parent_text = base.pop(key, None)
        if data.get(key) == "inherit":
            if parent_text is None:
                data.pop(key)
            else:
                data[key] = parent_text
    return deep_merge(base, data)


def _files_relative_to(path: Path, data: dict) -> dict:
    """The scenario with a relative network.edge_list or network.regions_file made absolute against the
    file that names it (never the current directory); ScenarioError naming the path as written and where
    it was looked for if absent."""
    network = data.get("network")
    if not isinstance(network, dict):
        return data
    network = dict(network)
    for key, expected in (("edge_list", "a CSV with columns source,target[,weight]"),
                          ("regions_file", "a CSV of regions with at least the column id")):
        written = network.get(key)
        if not isinstance(written, str) or not written.strip():
            continue
        found = path.absolute().parent / written    # an absolute path stays as it is
        if not found.is_file():
            what = "is not a regular file" if found.exists() else "does not exist"
            if not Path(written).is_absolute():
                what += f" (looked for {shorten(str(found), 200)}, relative to this scenario file)"
            raise ScenarioError(f"{path}: network.{key}: file {shorten(written)} {what}; give the path of {expected} "
                                f"relative to the scenario file, or an absolute path")
        network[key] = str(found)
    return {**data, "network": network}


def load_scenario(reference: str | Path, check_names: bool = True) -> Scenario:
    """Read, resolve (extends) and validate a scenario file or library name; ScenarioError on any problem."""
    path = locate(str(reference))
    data = _raw_chain(path)
    data.setdefault("name", path.stem if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{,99}", path.stem) else "scenario")
    data["extends"] = None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        lines = describe_errors(error, root=Scenario)
        raise ScenarioError(f"{path}: invalid scenario:\n  " + "\n  ".join(lines)) from None
    try:
        params = scenario.parameters()
    except ValueError as error:
        raise ScenarioError(f"{path}: {error}") from None
    if scenario.sweep is not None:
        _check_sweep(path, scenario)
    if scenario.calibrate is not None:
        _check_calibrate(path, scenario)
    try:
        check_resources(params, scenario.replicates)
        if check_names:
            check_names_against_network(params)
    except ValueError as error:
        raise ScenarioError(f"{path}: {error}") from None
    scenario._source = path
    return scenario


def _check_value(path: Path, where: str, base: Parameters, key: str, value: Any, what: str = "") -> None:
    """ScenarioError naming the file and ``where`` when ``key: value`` is not a valid parameter change."""
    from .params import with_changes

    try:
        with_changes(base, {key: value})
    except ValueError as error:
        message = str(error).replace("invalid parameters:\n  ", "")
        raise ScenarioError(f"{path}: {where}.{key}: {what}{message}") from None


def _check_sweep(path: Path, scenario: Scenario) -> None:
    base = scenario.parameters()
    for key, values in scenario.sweep.parameters.items():
        probe = [values.min, values.max] if isinstance(values, RangeSpec) else values
        for value in probe:
            _check_value(path, "sweep.parameters", base, key, value, f"value {shorten(value)} is not allowed: ")
        changed = _check_regions(path, "sweep.parameters", base, key, probe[0])
        if isinstance(values, RangeSpec) and (isinstance(_lookup(changed, key), bool)
                                              or not isinstance(_lookup(changed, key), (int, float))):
            raise ScenarioError(f"{path}: sweep.parameters.{key}: a range needs a numeric parameter; "
                                f"list the choices instead")


def _check_calibrate(path: Path, scenario: Scenario) -> None:
    base = scenario.parameters()
    for key, bounds in scenario.calibrate.parameters.items():
        try:
            current = _lookup(base, key)
        except (AttributeError, KeyError, TypeError):   # unknown, or a region without an override yet
            _check_value(path, "calibrate.parameters", base, key, bounds.min)   # names an unknown parameter
            current = _lookup(_check_regions(path, "calibrate.parameters", base, key, bounds.min), key)
        if isinstance(current, bool) or not isinstance(current, (int, float)):
            raise ScenarioError(f"{path}: calibrate.parameters.{key}: only numeric parameters can be calibrated "
                                f"(this one is {shorten(current)}); fix categorical choices in the scenario itself")
        for value in (bounds.min, bounds.max):
            _check_value(path, "calibrate.parameters", base, key, value, f"bound {shorten(value)} is not allowed: ")


def _check_regions(path: Path, where: str, base: Parameters, key: str, value: Any) -> Parameters:
    """The parameters with ``key: value``; for a region override, ScenarioError unless the region exists."""
    from .params import with_changes

    changed = with_changes(base, {key: value})
    if key.startswith("regions.overrides."):
        try:
            check_names_against_network(changed)
        except ValueError as error:
            raise ScenarioError(f"{path}: {where}.{key}: {error}") from None
    return changed


def _lookup(params: Parameters, dotted: str):
    node: Any = params
    for part in dotted.split("."):
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    return node


# ------------------------------------------------------------------------------ the resource guard
# Sizes measured on 2026-12-01 (the 2-core machine of docs/performance.md); each is an upper figure.
#: tables a run keeps per replicate until they are written: adoptions ~150 bytes per region x innovation,
#: coverage_by_region ~160 per region x step, innovations/categories/cohorts ~320 per innovation, the
#: series and channels ~4 kB per step (2.6 MB per baseline replicate)
KEPT_BYTES_PER_PAIR, KEPT_BYTES_PER_REGION_STEP, KEPT_BYTES_PER_INNOVATION, KEPT_BYTES_PER_STEP = 160, 160, 320, 4000
#: what a sweep or calibration keeps per run in the parent (a metrics row, the series, the statistics)
ROW_BYTES_PER_RUN, ROW_BYTES_PER_STEP = 4000, 200
#: a graph networkx builds (random, small_world, scale_free): peak ~1,700 bytes per edge at 20,000 regions
GRAPH_BYTES_PER_NODE, GRAPH_BYTES_PER_EDGE = 1500, 600
#: a tie held as sparse matrices (adjacency, visibility, rivals, with their temporaries): 113 bytes per
#: edge for a complete graph of 3,000 regions
SPARSE_BYTES_PER_EDGE = 120
#: docs/performance.md: 23-35 ns per region x innovation x step (49 at 30,000 regions)
SECONDS_PER_CELL = 30e-9
#: set-up: networkx's Erdos-Renyi generator tests every pair (62 ns each: 12.5 s at 20,000 regions);
#: every tie and region costs about 1 and 20 microseconds
SECONDS_PER_PAIR_TESTED, SECONDS_PER_EDGE, SECONDS_PER_REGION = 62e-9, 1e-6, 20e-6
#: a calibration's event-history risk set: region x policy x step records, for the data and each simulation
RISK_BYTES_PER_CELL, RISK_SECONDS_PER_CELL = 64, 30e-9
#: an observed-adoptions row read and fitted (7.2 GB were measured for a 1,000,000-row file)
OBSERVED_BYTES_PER_ROW = 8192
#: an edge-list row read by pandas (two names and a weight)
EDGE_LIST_BYTES_PER_ROW = 400
MAX_SETUP_SECONDS = 60.0
MAX_HOURS_ENV = "FTZ_DIFFUSION_MAX_HOURS"
DEFAULT_MAX_HOURS = 24.0


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _cgroup_limits() -> list[tuple[int, str]]:
    """(bytes left, what) under this process's cgroup memory limits, v2 and v1, the tightest ancestor included."""
    out: list[tuple[int, str]] = []
    try:
        lines = Path("/proc/self/cgroup").read_text(encoding="ascii").splitlines()
    except OSError:
        return out
    root = Path("/sys/fs/cgroup")
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":                                     # v2: walk up to the root
            folder = root / path.lstrip("/")
            while True:
                limit, used = _read_int(folder / "memory.max"), _read_int(folder / "memory.current")
                if limit is not None:
                    out.append((limit - (used or 0), f"the cgroup limit memory.max ({limit / 2**30:.1f} GiB)"))
                if folder == root or root not in folder.parents:
                    break
                folder = folder.parent
        elif "memory" in controllers.split(","):                  # v1
            for folder in (root / "memory" / path.lstrip("/"), root / "memory"):
                limit = _read_int(folder / "memory.limit_in_bytes")
                if limit is not None and limit < 2**60:
                    used = _read_int(folder / "memory.usage_in_bytes") or 0
                    out.append((limit - used, f"the cgroup limit memory.limit_in_bytes ({limit / 2**30:.1f} GiB)"))
                    break
    return out


def _rlimits() -> list[tuple[int, str]]:
    """(bytes left, what) under ulimit -v (RLIMIT_AS) and ulimit -d (RLIMIT_DATA)."""
    try:
        import resource

        status = dict(line.split(":", 1) for line in
                      Path("/proc/self/status").read_text(encoding="ascii").splitlines() if ":" in line)
    except (ImportError, OSError):
        return []
    out = []
    for name, field_name, flag in (("RLIMIT_AS", "VmSize", "-v"), ("RLIMIT_DATA", "VmData", "-d")):
        soft = resource.getrlimit(getattr(resource, name))[0]
        if soft != resource.RLIM_INFINITY:
            used = int(status.get(field_name, "0 kB").split()[0]) * 1024
            out.append((soft - used, f"the process limit {name} (ulimit {flag}, {soft / 2**30:.1f} GiB)"))
    return out


def memory_limit() -> tuple[int, str]:
    """(bytes, what limits it): the least of MemAvailable, the cgroup's memory.max (v2) or
    limit_in_bytes (v1) less what is used, and RLIMIT_AS / RLIMIT_DATA less what is mapped."""
    candidates: list[tuple[int, str]] = []
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    candidates.append((int(line.split()[1]) * 1024, "the memory available (MemAvailable)"))
                    break
    except OSError:
        pass
    candidates += _cgroup_limits() + _rlimits()
    if not candidates:
        return 8 * 2**30, "an assumed 8 GiB (this system does not say)"
    left, what = min(candidates)
    return max(0, left), what


def available_memory() -> int:
    """Bytes of memory this process may still use (see :func:`memory_limit`)."""
    return memory_limit()[0]


def count_lines(path: Path, stop: int | None = None) -> int:
    """Lines of a text file, read in 1 MiB blocks (about 1 GB a second), stopping once above ``stop``."""
    if not Path(path).is_file():   # a device or a pipe (/dev/zero) would be read forever
        raise ValueError(f"{path}: not a regular file; give the path of a CSV file")
    lines, last = 0, b"\n"
    with open(path, "rb") as handle:
        while block := handle.read(2**20):
            lines += block.count(b"\n")
            last = block[-1:]
            if stop is not None and lines > stop:
                return lines
    return lines + (last != b"\n")


def _edge_list_size(path: str) -> tuple[int, int]:
    """(regions, ties) of an edge-list file, refused before pandas reads it when too large for memory."""
    file = Path(path)
    try:
        stat = file.stat()
    except OSError:
        return 1000, 2000          # read_edge_list says what is wrong with the file
    key = (str(file.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _EDGE_LIST_SIZES:
        _EDGE_LIST_SIZES.clear()      # one file at a time is enough: a scenario is checked, then run
        _EDGE_LIST_SIZES[key] = _read_edge_list_size(key[0])
    return _EDGE_LIST_SIZES[key]


_EDGE_LIST_SIZES: dict[tuple, tuple[int, int]] = {}


def _read_edge_list_size(path: str) -> tuple[int, int]:
    limit, what = memory_limit()
    most = int(limit * DEFAULT_MEMORY_FRACTION) // EDGE_LIST_BYTES_PER_ROW
    rows = max(0, count_lines(Path(path), stop=most) - 1)
    if rows > most:
        raise ValueError(f"network.edge_list: {path} has more than {most:,} rows, more than fit in memory here "
                         f"(about {EDGE_LIST_BYTES_PER_ROW} bytes a row, {limit / 2**30:.1f} GiB left under "
                         f"{what}); use a smaller edge list or a machine with more memory")
    import pandas as pd

    try:
        table = pd.read_csv(path, usecols=["source", "target"], dtype=str)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return 1000, max(rows, 1)  # read_edge_list says what is wrong with the file
    regions = int(pd.unique(table[["source", "target"]].to_numpy().ravel()).size)
    return max(regions, 2), max(rows, 1)


def network_size(params: Parameters) -> tuple[int, int, int, bool]:
    """(regions, ties, pairs its generator tests, whether networkx builds it) of the scenario's network,
    without building it: complete n(n-1)/2 ties, Erdos-Renyi p n(n-1)/2 (every pair tested), Watts-Strogatz
    n k / 2, Barabasi-Albert n m."""
    net = params.network
    if net.kind == "provinces":
        return 31, 69, 0, False
    if net.kind == "prefectures":
        return 367, 971, 0, False    # diffusion/data/geo: 968 land and 3 sea ties
    if net.kind == "synthetic_prefectures":
        return net.cities, 3 * net.cities, 0, False   # capital + two nearest cities + borders: 2.3 per city
    if net.kind == "edge_list":
        regions, ties = _edge_list_size(net.edge_list) if net.edge_list else (0, 0)
        if net.regions_file:
            regions = max(count_lines(Path(net.regions_file), stop=200_000) - 1, 1)
        return regions, ties, 0, False
    n = net.n_regions
    k = max(1, min(n - 1, int(round(net.mean_degree))))
    if net.kind == "complete":
        return n, n * (n - 1) // 2, 0, False
    if net.kind == "random":
        return n, int(min(1.0, net.mean_degree / max(1, n - 1)) * n * (n - 1) / 2), n * (n - 1) // 2, True
    if net.kind == "small_world":
        return n, n * max(2, k) // 2, 0, True
    return n, n * max(1, min(n - 1, int(round(net.mean_degree / 2)))), 0, True    # scale_free


def _innovations(params: Parameters) -> int:
    spec = params.innovations
    per_reference = max(1.0, params.time.years / spec.reference_years)   # supply continues at the same rate
    innovations = int(spec.n_initial if spec.source == "initial" else spec.expected_total * per_reference * 1.2 + 10)
    return innovations + len(params.policies)


def estimate_memory(params: Parameters) -> tuple[int, int, int]:
    """(bytes, regions, innovations) one run needs: its regions x innovations state and its network."""
    regions, ties, _, networkx_built = network_size(params)
    innovations = _innovations(params)
    graph = ties * SPARSE_BYTES_PER_EDGE + (regions * GRAPH_BYTES_PER_NODE + ties * GRAPH_BYTES_PER_EDGE
                                           if networkx_built else 0)
    return regions * innovations * BYTES_PER_PAIR + graph, regions, innovations


def _gib(value: float) -> str:
    return f"{value / 2**30:.1f} GiB" if value >= 2**29 else f"{value / 2**20:.0f} MiB"


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:,.0f} days"


def max_seconds() -> float:
    """The longest experiment the guard lets start: $FTZ_DIFFUSION_MAX_HOURS (default 24) hours."""
    text = os.environ.get(MAX_HOURS_ENV, "")
    try:
        return float(text) * 3600 if text else DEFAULT_MAX_HOURS * 3600
    except ValueError:
        raise ValueError(f"${MAX_HOURS_ENV}: {text!r} is not a number of hours; set it to e.g. 48, or unset it "
                         f"for {DEFAULT_MAX_HOURS:g}") from None


def check_resources(params: Parameters, replicates: int = 1, limit: int | None = None, *, workers: int = 1,
                    parts: list[tuple[Parameters, int]] | None = None, keep: str = "tables",
                    size: tuple[int, int, int] | None = None, extra_bytes: int = 0, what: str = "") -> None:
    """Refuse, in well under a second and before anything is allocated, an experiment that would exhaust
    memory or run for more than $FTZ_DIFFUSION_MAX_HOURS, saying the numbers and what to change.

    The plan is ``parts`` (parameters, runs) (default: ``params`` run ``replicates`` times). Memory held at
    once: one run's state and network on each of ``workers`` processes, plus what the parent keeps for
    every run: every table of every replicate (``keep="tables"``: run, compare), a metrics row and series
    (``"rows"``: sweeps, calibration, attribution), and ``extra_bytes``. ``size`` (regions, innovations,
    steps) replaces the scenario's, for a calibration on observed data. The limit is the least of
    MemAvailable, the cgroup's and the ulimits (times 0.6), or ``limit``.
    """
    parts = parts if parts is not None else [(params, replicates)]
    limit_text = "the limit given"
    if limit is None:
        left, limit_text = memory_limit()
        limit, limit_text = int(left * DEFAULT_MEMORY_FRACTION), f"60% of {limit_text}"
    runs_total = sum(runs for _, runs in parts)
    at_once = max(1, min(int(workers), runs_total))
    per_run = kept = seconds = 0.0
    worst, slowest = None, (0.0, None, 0, 0, 0, 0)
    for part, runs in parts:
        regions, ties, tested, networkx_built = network_size(part)
        innovations, steps = _innovations(part), part.time.steps
        if size is not None:
            regions, innovations, steps = size
        state = regions * innovations * BYTES_PER_PAIR
        graph = ties * SPARSE_BYTES_PER_EDGE + (regions * GRAPH_BYTES_PER_NODE + ties * GRAPH_BYTES_PER_EDGE
                                               if networkx_built else 0)
        risk = regions * innovations * steps * RISK_BYTES_PER_CELL if keep == "calibration" else 0
        setup = tested * SECONDS_PER_PAIR_TESTED + ties * SECONDS_PER_EDGE + regions * SECONDS_PER_REGION
        cell_seconds = SECONDS_PER_CELL + (RISK_SECONDS_PER_CELL if keep == "calibration" else 0)
        seconds += runs * (regions * innovations * steps * cell_seconds + setup)
        if keep == "tables":
            kept += runs * 2 * (regions * innovations * KEPT_BYTES_PER_PAIR + regions * steps * KEPT_BYTES_PER_REGION_STEP
                                + innovations * KEPT_BYTES_PER_INNOVATION + steps * KEPT_BYTES_PER_STEP)
        else:                 # pandas.concat of the parts doubles them while it runs
            kept += runs * 2 * (ROW_BYTES_PER_RUN + steps * ROW_BYTES_PER_STEP)
        if state + graph + risk >= per_run:
            per_run = state + graph + risk
            worst = (part, regions, innovations, steps, ties, setup, graph)
        if setup > slowest[0]:
            slowest = (setup, part, regions, ties, tested, runs)
    part, regions, innovations, steps, ties, setup, graph = worst
    label = f"{what}: " if what else ""
    needed = per_run * at_once + kept + extra_bytes
    if needed > limit:
        one = (f"{_gib(per_run)} per run ({regions:,} regions x {innovations:,} innovations x {BYTES_PER_PAIR} bytes"
               + (f", {ties:,} ties {_gib(graph)}" if graph > 2**27 else "")
               + (f", the event-history risk set of {steps} steps" if keep == "calibration" else "") + ")")
        pieces = [one + (f" x {at_once} worker(s) at once" if at_once > 1 else "")]
        if kept > 2**26:
            pieces.append(f"{_gib(kept)} of tables kept for {runs_total:,} run(s)")
        if extra_bytes > 2**26:
            pieces.append(f"{_gib(extra_bytes)} of data")
        kept_one = kept / max(1, runs_total)
        if per_run + kept_one + extra_bytes > limit:
            raise ValueError(f"too large: {label}one run needs about {_gib(per_run + kept_one + extra_bytes)} ({one}"
                             + (f" + {_gib(kept_one)} of its tables" if kept_one > 2**26 else "")
                             + (f" + {_gib(extra_bytes)} of data" if extra_bytes > 2**26 else "")
                             + f"), but only {_gib(limit)} may be used here ({limit_text}); reduce network.n_regions "
                             f"(or cities) or innovations.expected_total / n_initial")
        if per_run + kept + extra_bytes <= limit:        # it fits on fewer workers
            advice = f"use fewer workers (at most {int((limit - kept - extra_bytes) // per_run)} fit at once)"
        else:
            workers_left = at_once if per_run * at_once + kept_one + extra_bytes <= limit else 1
            fit = int((limit - per_run * workers_left - extra_bytes) // kept_one)
            advice = (f"run fewer replicates or points (about {fit:,} runs fit"
                      + (f" on {workers_left} worker(s)" if workers_left != at_once else "") + ")"
                      + (", or use a sweep (diffusion sweep), which writes each run to disk as it finishes"
                         if keep == "tables" else ""))
        raise ValueError(f"too large: {label}{runs_total:,} run(s) need about {_gib(needed)} at once ("
                         + " + ".join(pieces) + f"), but only {_gib(limit)} may be used here ({limit_text}); "
                         f"{advice}")
    setup, part, regions_, ties_, tested, runs_ = slowest
    if setup > MAX_SETUP_SECONDS:
        kind = part.network.kind
        why = (f"networkx's random-graph generator tests every one of the {tested:,} pairs of regions"
               if kind == "random" else f"it has {ties_:,} ties")
        raise ValueError(f"too large: {label}building the {kind} network of {regions_:,} regions would take about "
                         f"{_duration(setup)} for each of the {runs_:,} run(s), before any step ({why}); use "
                         f"network.kind small_world or scale_free (built in time proportional to the ties), "
                         f"or fewer regions")
    allowed = max_seconds()
    wall = seconds / at_once
    if wall > allowed:
        raise ValueError(f"too long: {label}{runs_total:,} run(s) of {regions:,} regions x {innovations:,} innovations x "
                         f"{steps} steps would take about {_duration(wall)} on {at_once} worker(s) (about "
                         f"{SECONDS_PER_CELL * 1e9:.0f} ns per region x innovation x step, docs/performance.md), more "
                         f"than the {_duration(allowed)} allowed; use fewer replicates, points or regions, more "
                         f"workers, or set ${MAX_HOURS_ENV} to allow longer")


#: design columns that change a run's size (regions, ties, innovations, steps)
SIZE_SECTIONS = ("network.", "innovations.", "time.", "policies")
#: at most this many distinct sizes of a sweep are estimated one by one (the largest first)
MAX_SIZES_CHECKED = 256


def design_parts(base: Parameters, design, replicates: int) -> list[tuple[Parameters, int]]:
    """A sweep's plan for :func:`check_resources`: (parameters, runs) for each distinct setting of the
    design's size factors (network, innovations, time), or the base for all points when none is swept."""
    from .design import factor_columns, point_changes
    from .params import with_changes

    columns = [c for c in factor_columns(design) if c.startswith(SIZE_SECTIONS)]
    if not columns:
        return [(base, len(design) * replicates)]
    groups = design.groupby(columns, dropna=False, sort=False).size().reset_index(name="_points")
    if len(groups) > MAX_SIZES_CHECKED:     # the largest settings first: they decide
        groups = groups.sort_values(columns, ascending=False, kind="stable").head(MAX_SIZES_CHECKED)
    parts = []
    for row in groups.to_dict("records"):
        points = int(row.pop("_points"))
        parts.append((with_changes(base, point_changes(row)), points * replicates))
    left = len(design) * replicates - sum(runs for _, runs in parts)   # the settings not estimated one by one
    parts[0] = (parts[0][0], parts[0][1] + left)
    return parts


def check_observed_rows(path) -> int:
    """Rows of an observed-adoptions file, refused with a sentence above the number memory allows."""
    file = Path(path)
    if not file.is_file():
        return 0                   # read_observed says the file is missing
    left, what = memory_limit()
    most = int(left * DEFAULT_MEMORY_FRACTION) // OBSERVED_BYTES_PER_ROW
    rows = max(0, count_lines(file, stop=most + 1) - 1)
    if rows > most:
        raise ValueError(f"{file}: more than {most:,} rows of observed adoptions, more than a calibration can hold "
                         f"here (about {OBSERVED_BYTES_PER_ROW // 1024} KiB a row for the event-history fit, "
                         f"{_gib(left)} left under {what}); keep the policies you want to fit, or aggregate regions")
    return rows


def check_names_against_network(params: Parameters) -> None:
    """Region names in overrides, policies and cluster names must exist in the scenario's network."""
    named_policies = any(policy.pilot is not None or policy.scope not in ("all", "ftz") for policy in params.policies)
    if (not params.regions.overrides and not params.coordination.clusters and params.network.kind != "edge_list"
            and not named_policies):
        return
    from .model import DiffusionModel

    DiffusionModel(params.model_copy(update={"time": params.time.model_copy(update={"years": params.time.dt})}), seed=0)


def scenario_json_schema() -> dict:
    """JSON Schema of scenario files, for editors."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ftz-diffusion scenario"
    return schema


def dump_yaml(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
