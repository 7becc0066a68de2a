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

Only ``yaml.safe_load`` is used: nothing in a scenario file is executed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from .params import Parameters, _did_you_mean, describe_errors, make_parameters
from .timeline import Timeline

LIBRARY_ENV = "FTZ_DIFFUSION_SCENARIOS"
# Peak memory per (region, innovation) pair: state plus one step's temporaries. Measured as peak RSS
# growth on 2026-11-26 at 1,000 to 10,000 regions: 209-212 bytes on the numpy path with every
# innovation available from step 1 (the widest step), 189 when innovations arrive over time, 130-144
# on the numba path. tests/test_scenarios.py checks the estimate covers a run.
BYTES_PER_PAIR = 224
DEFAULT_MEMORY_FRACTION = 0.6


class ScenarioError(ValueError):
    """A scenario file is missing, malformed or invalid; the message names the file and the field."""


class Bilingual(BaseModel):
    """A text in English and Chinese."""

    model_config = ConfigDict(extra="forbid")
    en: str = Field("", description="In English.")
    zh: str = Field("", description="In Chinese (简体中文).")


class RangeSpec(BaseModel):
    """A continuous range for a sampled (Latin hypercube / Sobol) parameter."""

    model_config = ConfigDict(extra="forbid")
    min: float = Field(..., description="Lowest value of the range.")
    max: float = Field(..., description="Highest value of the range.")

    @model_validator(mode="after")
    def _ordered(self) -> RangeSpec:
        if not self.min < self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        return self


class SweepSpec(BaseModel):
    """Experiments over parameters: a full grid, a Latin hypercube or a Sobol (Saltelli) sample.

    ``parameters`` maps dotted parameter names to a list of values (grid values, or the categories of a
    categorical factor) or to ``{min, max}`` (a continuous range for lhs/sobol).
    """

    model_config = ConfigDict(extra="forbid")
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


class CalibrateSpec(BaseModel):
    """What ``diffusion calibrate`` fits: numeric parameters with uniform prior bounds, and the ABC budget."""

    model_config = ConfigDict(extra="forbid")
    parameters: dict[str, RangeSpec] = Field(..., min_length=1, description="Dotted parameter name -> {min, max}: "
                                             "the uniform prior range of each parameter to fit.")
    simulations: int = Field(1000, ge=20, le=1_000_000, description="Prior simulations (model runs) to draw.")
    accept: float = Field(0.1, gt=0, le=1, description="Share of simulations nearest the data that are kept.")
    predictive: int = Field(100, ge=0, le=100_000, description="Posterior predictive runs for the bands and checks.")


class Scenario(Parameters):
    """A scenario file: metadata plus every parameter section (all optional; defaults from the schema)."""

    name: str = Field("", description="Short identifier (letters, digits, '-', '_'); default: the file name.")
    title: Bilingual = Field(default_factory=Bilingual, description="Title in English and Chinese.")
    description: Bilingual = Field(default_factory=Bilingual, description="What the scenario represents.")
    question: Bilingual = Field(default_factory=Bilingual, description="The question the scenario answers.")
    extends: str | None = Field(None, description="Base scenario: a library name or a path relative to this file.")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Root seed of the scenario's replicates.")
    replicates: int = Field(1, ge=1, le=1_000_000, description="Number of replicate runs.")
    steps: int | None = Field(None, ge=1, le=20_000, description="Shortcut: run this many steps of time.step "
                              "(sets time.years).")
    seeding: Literal["common", "independent"] = Field(
        "common", description="'common': replicate k of every scenario with the same seed shares its random "
        "numbers (paired comparisons); 'independent': the parameters are part of each replicate's key, as in "
        "model 0.1.")
    until: str | None = Field(None, description="Run until this date or period (e.g. 2030-12 or 2030Q4).")
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
            raise ValueError(f"use letters, digits, '-', '_' or '.', starting with a letter or digit (given: {value!r})")
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
            raise ValueError("give either steps or until, not both")
        return self

    # ----------------------------------------------------------------------------------------
    def parameters(self) -> Parameters:
        """The model parameters of this scenario, with steps/until applied to time.years."""
        data = {k: v for k, v in self.model_dump(mode="json").items() if k in Parameters.model_fields}
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


def parameter_hash(params: Parameters) -> str:
    text = json.dumps(params.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def until_end(text: str) -> date:
    """The first day after the period an ``until`` names ('2030Q4' -> 2031-01-01, '2030-06' -> 2030-07-01,
    '2030' -> 2031-01-01): the run covers that period whole."""
    text = str(text).strip()
    first = parse_until(text)
    if re.fullmatch(r"\d{4}(?:[-/]?Q[1-4])", text, flags=re.IGNORECASE):
        months = 3
        first = date(first.year, first.month - 2, 1)
    elif re.fullmatch(r"\d{4}", text):
        months = 12
        first = date(first.year, 1, 1)
    else:
        months = 1
    year, month = divmod(first.month - 1 + months, 12)
    return date(first.year + year, month + 1, 1)


def parse_until(text: str) -> date:
    """'2030', '2030-06', '2030-06-30' or '2030Q2' -> a date inside that period (its first day)."""
    text = str(text).strip()
    match = re.fullmatch(r"(\d{4})(?:[-/]?Q([1-4]))", text, flags=re.IGNORECASE)
    if match:
        return date(int(match.group(1)), 3 * int(match.group(2)), 1)
    match = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", text)
    if match:
        year, month = int(match.group(1)), int(match.group(2) or 12)
        if not 1 <= month <= 12:
            raise ValueError(f"until: month {month} is not 1-12 (given: {text!r})")
        return date(year, month, 1)
    raise ValueError(f"until: cannot read {text!r} as a date; use e.g. 2030, 2030-06 or 2030Q2")


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
def _read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a UTF-8 text file; save it as UTF-8 YAML") from None
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read the file ({error.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = " ".join(filter(None, [error.context, error.problem]))
        raise ScenarioError(f"{where}: invalid YAML: {problem}; check the indentation and the ':' after each name") from None
    except yaml.YAMLError as error:
        raise ScenarioError(f"{path}: invalid YAML: {error}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario must be a mapping of names to values (found a {type(data).__name__}); "
                            f"start with e.g. 'name: my-scenario'")
    bad_keys = [k for k in data if not isinstance(k, str)]
    if bad_keys:
        raise ScenarioError(f"{path}: top-level name {bad_keys[0]!r} is not text")
    return data


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
    data = _read_yaml(path)
    parent_ref = data.get("extends")
    if parent_ref is None:
        return data
    if not isinstance(parent_ref, str) or not parent_ref.strip():
        raise ScenarioError(f"{path}: extends: expected the name or path of a base scenario (given: {parent_ref!r})")
    try:
        parent_path = locate(parent_ref, relative_to=path)
    except ScenarioError as error:
        raise ScenarioError(f"{path}: extends: {error}") from None
    base = _raw_chain(parent_path, seen + (resolved,))
    base.pop("name", None)      # a child is its own scenario
    base.pop("sweep", None)     # a sweep belongs to the file that declares it
    return deep_merge(base, data)


def load_scenario(reference: str | Path, check_names: bool = True) -> Scenario:
    """Read, resolve (extends) and validate a scenario file or library name; ScenarioError on any problem."""
    path = locate(str(reference))
    data = _raw_chain(path)
    data.setdefault("name", path.stem if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", path.stem) else "scenario")
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
    if scenario.network.kind == "edge_list" and scenario.network.edge_list:
        edge_path = Path(scenario.network.edge_list)
        if not edge_path.is_absolute():  # an edge list is found relative to the scenario that names it
            edge_path = (path.parent / edge_path) if (path.parent / edge_path).exists() else edge_path
            scenario.network.edge_list = str(edge_path)
            params = scenario.parameters()
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
            _check_value(path, "sweep.parameters", base, key, value, f"value {value!r} is not allowed: ")
        if isinstance(values, RangeSpec) and not isinstance(_lookup(base, key), (int, float)):
            raise ScenarioError(f"{path}: sweep.parameters.{key}: a range needs a numeric parameter; "
                                f"list the choices instead")


def _check_calibrate(path: Path, scenario: Scenario) -> None:
    base = scenario.parameters()
    for key, bounds in scenario.calibrate.parameters.items():
        try:
            current = _lookup(base, key)
        except (AttributeError, KeyError, TypeError):
            _check_value(path, "calibrate.parameters", base, key, bounds.min)   # names the unknown parameter
            current = None
        if isinstance(current, bool) or not isinstance(current, (int, float)):
            raise ScenarioError(f"{path}: calibrate.parameters.{key}: only numeric parameters can be calibrated "
                                f"(this one is {current!r}); fix categorical choices in the scenario itself")
        for value in (bounds.min, bounds.max):
            _check_value(path, "calibrate.parameters", base, key, value, f"bound {value!r} is not allowed: ")


def _lookup(params: Parameters, dotted: str):
    node: Any = params
    for part in dotted.split("."):
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    return node


def available_memory() -> int:
    """Bytes of memory available to this process (MemAvailable), or 8 GiB if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 * 2**30


def estimate_memory(params: Parameters) -> tuple[int, int, int]:
    """(bytes, regions, innovations) one run needs, from the regions x innovations state arrays."""
    net = params.network
    if net.kind == "provinces":
        regions = 31
    elif net.kind == "prefectures":
        regions = net.cities
    elif net.kind == "edge_list":
        regions = 1000  # unknown until read; the edge list itself bounds it
    else:
        regions = net.n_regions
    spec = params.innovations
    per_reference = max(1.0, params.time.years / spec.reference_years)   # supply continues at the same rate
    innovations = int(spec.n_initial if spec.source == "initial" else spec.expected_total * per_reference * 1.2 + 10)
    innovations += len(params.policies)
    dense_graph = regions * regions * 16 if net.kind == "complete" else 0
    return regions * innovations * BYTES_PER_PAIR + dense_graph, regions, innovations


def check_resources(params: Parameters, replicates: int = 1, limit: int | None = None) -> None:
    """Refuse sizes that would exhaust memory, saying the estimate and what to change."""
    needed, regions, innovations = estimate_memory(params)
    limit = int(available_memory() * DEFAULT_MEMORY_FRACTION) if limit is None else limit
    if needed > limit:
        raise ValueError(f"too large: one run needs about {needed / 2**30:.1f} GiB ({regions:,} regions x "
                         f"{innovations:,} innovations x {BYTES_PER_PAIR} bytes), but only {limit / 2**30:.1f} GiB "
                         f"may be used here; reduce network.n_regions or innovations.expected_total / n_initial")


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
