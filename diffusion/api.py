"""The public API: one function per experiment, each returning a result object.

    import diffusion as d

    result = d.run("baseline", replicates=20)              # a library name, a path or a Scenario
    result.summary()                                       # mean, sd, 5-95% of every metric
    result.tables["series"]                                # every tidy table, as DataFrames
    result.plot("adoption_curves", lang="zh")              # a matplotlib figure
    result.save("results/baseline")                        # the results folder (atomic)
    result.report(lang="zh")                               # report.html and report.pdf in that folder

    d.compare(["baseline", "no-mandate"]).summary()        # paired differences from the first, 90% CIs
    d.sweep("sweep-leadership-fault-tolerance", folder="results/sweep").summary()
    d.load("baseline", replicates=5)                       # a Scenario, to change before running
    d.sensitivity("sensitivity-institutions", method="morris", outcomes=["coverage"])
    d.discover("results/sweep", outcome="coverage", threshold=0.6)
    d.attribute("baseline", replicates=10)
    d.calibrate("calibrate-channels", data="observed.csv")

Every function takes ``workers`` (local processes; 1 runs in this process) or a ``backend``
(:mod:`diffusion.backends`: serial, processes, Dask), and checks what it can (scenario, outcome names,
options) before any run starts, raising ``ValueError`` with a sentence. The command line is a thin layer
over these functions: ``diffusion run`` calls :func:`run` and prints its summary.
"""

from __future__ import annotations

import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from . import __version__
from .provenance import environment
from .results import atomic_folder, folder_lock, write_json, write_tables
from .scenario import (RISK_BYTES_PER_CELL, Scenario, check_observed_rows, check_resources, design_parts, dump_yaml,
                       load_scenario)

KINDS = ("run", "compare", "sweep", "sensitivity", "discovery", "attribution", "calibration", "forecast")


# ------------------------------------------------------------------------------------ scenarios
def load(reference, *, replicates: int | None = None, seed: int | None = None, steps: int | None = None) -> Scenario:
    """A scenario from a library name, a path, a Scenario, a mapping (a scenario file's content) or
    Parameters, with replicates, seed or steps changed."""
    from .params import Parameters

    if isinstance(reference, Scenario):
        sc = reference
    elif isinstance(reference, Parameters):
        sc = _from_mapping({"name": "custom", **reference.model_dump(mode="json")})
    elif isinstance(reference, dict):
        sc = _from_mapping({"name": "custom", **reference})
    elif isinstance(reference, (str, Path)):
        sc = load_scenario(reference)
    else:
        raise ValueError(f"a scenario is a library name, a path, a Scenario, a mapping or Parameters, not "
                         f"{type(reference).__name__}")
    updates: dict[str, Any] = {}
    for name, value, low in (("replicates", replicates, 1), ("seed", seed, 0), ("steps", steps, 1)):
        if value is not None:
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an integer >= {low} (given: {value!r})")
            updates[name] = int(value)
    if steps is not None:
        updates["until"] = None
    if not updates:
        return sc
    data = sc.model_dump(mode="json")
    data.update(updates)
    changed = Scenario.model_validate(data)
    changed._source = sc.source
    return changed


def _from_mapping(data: dict) -> Scenario:
    """A scenario from a mapping, validated with the sentences scenario files get."""
    from pydantic import ValidationError

    from .params import describe_errors
    from .scenario import ScenarioError

    if data.get("extends"):
        raise ValueError("a scenario given as a mapping cannot extend another; load the base with "
                         "diffusion.load(name) and change it, or write a file")
    try:
        sc = Scenario.model_validate(data)
        sc.parameters()
    except ValidationError as error:
        raise ScenarioError("invalid scenario:\n  " + "\n  ".join(describe_errors(error, root=Scenario))) from None
    return sc


def library() -> dict[str, Path]:
    """The library scenarios by name (``scenarios/`` and the folders of $FTZ_DIFFUSION_SCENARIOS)."""
    from .scenario import library as scenario_library

    return scenario_library()


def metric_names() -> list[str]:
    """The metrics every run reports (the columns of the ``metrics`` table), for outcome checks."""
    from .outputs import all_metrics

    return [name for name in all_metrics() if name not in ("steps", "regions")]


def check_outcomes(outcomes, allowed: list[str] | None = None) -> list[str]:
    """Outcome names that are metrics, or ValueError naming the first that is not (before any run)."""
    from .params import _did_you_mean

    allowed = allowed or metric_names()
    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    if not outcomes:
        raise ValueError("give at least one outcome, e.g. coverage or median_time_to_50")
    for name in outcomes:
        if name not in allowed:
            raise ValueError(f"outcome {name!r} is not a metric{_did_you_mean(name, allowed)}; "
                             f"available: {', '.join(allowed)}")
    return outcomes


def _backend(backend, workers: int):
    from .backends import Backend, Processes, Serial

    if backend is not None:
        if not isinstance(backend, Backend):
            raise ValueError(f"backend must be a diffusion.backends backend (Serial, Processes, Dask), not "
                             f"{type(backend).__name__}")
        return backend
    if not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"workers must be at least 1 (given: {workers!r})")
    return Serial() if workers == 1 else Processes(workers)


# -------------------------------------------------------------------------------------- results
@dataclass
class Result:
    """What every experiment returns: its tables, a summary, charts, a results folder and a report."""

    kind: str
    name: str
    tables: dict[str, pd.DataFrame]
    meta: dict[str, Any] = field(default_factory=dict)
    folder: Path | None = None
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """The headline table of the experiment."""
        raise NotImplementedError

    def figures(self, lang: str = "en", size: str = "page") -> dict[str, Callable]:
        """The charts of this result, by name: each a function that draws its figure."""
        return {}

    def plot(self, name: str | None = None, lang: str = "en", size: str = "page"):
        """One chart as a matplotlib figure (default: the first); ``figures()`` lists the names."""
        available = self.figures(lang, size)
        if not available:
            raise ValueError(f"a {self.kind} result has no charts")
        if name is None:
            name = next(iter(available))
        if name not in available:
            from .params import _did_you_mean
            raise ValueError(f"no chart {name!r}{_did_you_mean(name, available)}; available: {', '.join(available)}")
        return available[name]()

    def wide(self) -> pd.DataFrame:
        """One row per scenario, point or run, a column per metric (and difference): for spreadsheets."""
        return self.tables.get("metrics", pd.DataFrame())

    def export(self, stem, formats=("xlsx", "dta", "csv")) -> list[Path]:
        """The wide table as ``stem.xlsx`` (Excel), ``stem.dta`` (Stata: names made Stata-safe, the
        original names kept as variable labels) and ``stem.csv``; returns the files written."""
        return export_table(self.wide(), Path(stem), formats)

    def save(self, folder, force: bool = False, lang: str = "en", size: str = "page", export=()) -> Path:
        """Write the results folder atomically: manifest.json (with its kind), the scenario, tables/ (Parquet
        and CSV), figures/ (PNG, SVG, PDF) and, with ``export``, exports/ (the wide table as xlsx, dta or
        csv). An existing folder is replaced only with ``force``."""
        from .charts import save as save_figure

        export = check_formats(export)
        with atomic_folder(Path(folder), force=force) as staging:
            write_tables(staging, self.tables)
            self._write_extra(staging)
            if export:
                self.export(staging / "exports" / self.kind, export)
            (staging / "figures").mkdir(exist_ok=True)
            suffix = "" if lang == "en" else f"_{lang}"
            drawn, chart_set, provenance = [], self.figures(lang, size), self.provenance()
            for stem, draw in chart_set.items():
                drawn += save_figure(draw(), staging / "figures", stem + suffix, provenance=provenance)
            # the charts that do not apply to this world, with the reason (charts.ChartSet.skipped)
            write_json(staging / "manifest.json", {**self.manifest(drawn),
                                                   "figures_skipped": getattr(chart_set, "skipped", {})})
        self.folder = Path(folder)
        return self.folder

    def provenance(self):
        """What made this result's figures (charts.Provenance): version, scenario, parameter hash, seed. A
        comparison names its scenarios and hashes their parameter hashes together."""
        import hashlib

        from .charts import Provenance

        digest = self.meta.get("parameter_hash", "")
        scenarios = (self.meta.get("resolved") or {}).get("scenarios")
        if not digest and scenarios:
            hashes = [Scenario.model_validate(resolved).parameter_hash() for resolved in scenarios.values()]
            digest = hashlib.sha256(":".join(hashes).encode()).hexdigest()
        name = ", ".join(self.meta["scenarios"]) if self.meta.get("scenarios") else self.name
        return Provenance(__version__, name, digest, self.meta.get("seed"))

    def manifest(self, figures: list[str], tables=None) -> dict:
        """The folder's manifest.json: what the result is (its kind), what made it, what it holds."""
        return {"name": self.name, "kind": self.kind, "package": "ftz-diffusion", "version": __version__,
                **self.meta, "environment": environment(), "warnings": self.warnings,
                "created": pd.Timestamp.now().isoformat(timespec="seconds"),
                "tables": sorted(self.tables if tables is None else tables), "figures": figures}

    def _write_extra(self, staging: Path) -> None:
        """Files of the folder besides tables and figures (the resolved scenario, by default)."""
        resolved = self.meta.get("resolved")
        if resolved is not None:
            (staging / "scenario.yaml").write_text(dump_yaml(resolved), encoding="utf-8")

    def report(self, folder=None, lang: str = "en", paper: str = "a4", force: bool = False) -> tuple[Path, Path]:
        """report.html and report.pdf (A4 or Letter) in the results folder: the result's own folder, or
        ``folder``, where it is saved first (an existing folder is replaced only with ``force``)."""
        from .report import write_report

        if folder is not None and (self.folder is None or Path(folder).resolve() != self.folder.resolve()):
            self.save(folder, force=force, lang=lang)
        if self.folder is None:
            raise ValueError("save the result first (result.save(FOLDER)) or give report(folder=...)")
        if self.kind in ("sweep", "sensitivity") and not (self.folder / "manifest.json").exists():
            save_sweep_tables(self, lang=lang)     # a sweep's dataset folder gets its tables and charts first
        return write_report(self.folder, lang, paper)


EXPORT_FORMATS = ("xlsx", "dta", "csv")


def check_formats(formats) -> tuple[str, ...]:
    """Export formats from a list or a comma-separated text; ValueError naming an unknown one."""
    if isinstance(formats, str):
        formats = [f.strip() for f in formats.split(",") if f.strip()]
    formats = tuple(formats or ())
    unknown = [f for f in formats if f not in EXPORT_FORMATS]
    if unknown:
        raise ValueError(f"--export: unknown format {unknown[0]!r}; allowed: {', '.join(EXPORT_FORMATS)} "
                         f"(comma-separated, e.g. xlsx,dta)")
    return formats


def stata_names(columns) -> dict[str, str]:
    """Column -> a Stata-safe variable name: letters, digits and _, starting with a letter, at most 32
    characters, unique (a numbered suffix where two would clash)."""
    import re

    out: dict[str, str] = {}
    used: set[str] = set()
    for column in columns:
        name = re.sub(r"[^A-Za-z0-9_]", "_", str(column))
        if not re.match(r"[A-Za-z]", name):
            name = "v_" + name
        name = name[:32]
        base, k = name, 1
        while name.lower() in used:
            suffix = f"_{k}"
            name = base[:32 - len(suffix)] + suffix
            k += 1
        used.add(name.lower())
        out[str(column)] = name
    return out


def export_table(table: pd.DataFrame, stem: Path, formats) -> list[Path]:
    """Write ``table`` as stem.xlsx / stem.dta / stem.csv (each through a temporary file)."""
    import os

    formats = check_formats(formats)
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        tmp = path.with_name(f".{path.name}.tmp")
        if fmt == "csv":
            table.to_csv(tmp, index=False)
        elif fmt == "xlsx":
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                table.to_excel(writer, index=False, sheet_name="results")
        else:
            names = stata_names(table.columns)
            frame = table.rename(columns=names).copy()
            for column in frame.columns:
                if frame[column].dtype == bool:
                    frame[column] = frame[column].astype("int8")
                elif frame[column].dtype == object:
                    frame[column] = frame[column].astype(str)
                elif pd.api.types.is_datetime64_any_dtype(frame[column]):
                    frame[column] = pd.to_datetime(frame[column])
            labels = {new: str(old)[:80] for old, new in names.items()}
            frame.to_stata(tmp, write_index=False, variable_labels=labels, version=118)
        os.replace(tmp, path)
        written.append(path)
    return written


def _wide_differences(summary: pd.DataFrame, differences: pd.DataFrame, key: str) -> pd.DataFrame:
    """Means per ``key`` (a column per metric) joined with the differences from the reference
    (``<metric>_diff``, ``_diff_low``, ``_diff_high``)."""
    means = summary.pivot_table(index=key, columns="metric", values="mean", aggfunc="first", observed=True)
    frames = [means]
    if len(differences):
        for suffix, column in (("diff", "difference"), ("diff_low", "ci_low"), ("diff_high", "ci_high")):
            part = differences.pivot_table(index=key, columns="metric", values=column, aggfunc="first", observed=True)
            part.columns = [f"{c}_{suffix}" for c in part.columns]
            frames.append(part)
    wide = pd.concat(frames, axis=1)
    wide.columns.name = None
    return wide.reset_index()


@dataclass
class RunResult(Result):
    """The replicates of one scenario: every tidy table, stacked over runs (column ``run``)."""

    def summary(self) -> pd.DataFrame:
        from .ensemble import summarise_metrics

        return summarise_metrics(self.tables["metrics"])

    def figures(self, lang="en", size="page"):
        from .charts import run_figures

        title = self.meta.get("title") or {}
        return run_figures(self.tables, lang, size, title.get(lang) or title.get("en") or self.name)


@dataclass
class ComparisonResult(Result):
    """Several scenarios: each one's metrics and its paired difference from the reference."""

    def summary(self) -> pd.DataFrame:
        return self.tables["differences"]

    def wide(self) -> pd.DataFrame:
        order = {name: k for k, name in enumerate(self.meta.get("scenarios", []))}
        wide = _wide_differences(self.tables["comparison"], self.tables["differences"], "scenario")
        return wide.sort_values("scenario", key=lambda c: c.map(order)).reset_index(drop=True)

    def figures(self, lang="en", size="page"):
        from . import charts

        titles = {name: (resolved.get("title") or {}).get(lang) or (resolved.get("title") or {}).get("en") or name
                  for name, resolved in (self.meta.get("resolved") or {}).get("scenarios", {}).items()}
        return {"comparison": lambda: charts.metric_comparison(self.tables["comparison"], lang=lang, size=size,
                                                               titles=titles),
                "differences": lambda: charts.difference_chart(self.tables["differences"], lang=lang, size=size,
                                                               titles=titles),
                "adoption_curves": lambda: charts.scenario_curves(self.tables["series"], lang=lang, size=size,
                                                                  titles=titles)}


# -------------------------------------------------------------------------------------- run
def run(scenario_ref, *, replicates: int | None = None, seed: int | None = None, steps: int | None = None,
        workers: int = 1, backend=None, progress: Callable[[int], None] | None = None) -> RunResult:
    """Run the replicates of a scenario (a library name, a path or a Scenario); every table of every run."""
    from .ensemble import run_ensemble, summarise_metrics

    sc = load(scenario_ref, replicates=replicates, seed=seed, steps=steps)
    chosen = _backend(backend, workers)
    params = sc.parameters()
    check_resources(params, sc.replicates, workers=chosen.workers)     # before anything is allocated
    started = time.perf_counter()
    ensemble = run_ensemble(params, sc.replicates, sc.seed, progress=progress, seeding=sc.seeding, backend=chosen)
    wall = time.perf_counter() - started
    tables = ensemble.tables
    tables["summary"] = summarise_metrics(tables["metrics"])
    return RunResult("run", sc.name, tables, meta=_meta(sc, chosen, wall, ensemble.model_seconds))


def _meta(sc: Scenario, backend, wall: float, model_seconds: float | None = None) -> dict:
    from .scenario import parameter_hash

    meta = {"title": sc.title.model_dump(), "seed": sc.seed,
            "replicates": sc.replicates, "seeding": sc.seeding, "parameter_hash": parameter_hash(sc.parameters()),
            "resolved": sc.resolved(), **backend.describe(), "timings": {"wall_seconds": round(wall, 3)}}
    if model_seconds is not None:
        meta["timings"]["model_seconds"] = round(model_seconds, 3)
    return meta


# ---------------------------------------------------------------------------------- compare
def compare(scenarios, *, reference=None, replicates: int | None = None, steps: int | None = None,
            workers: int = 1, backend=None, progress: Callable[[int], None] | None = None,
            level: float = 0.90) -> ComparisonResult:
    """Run several scenarios and compare them: each one's metrics (mean, sd, 5-95%) and its paired
    difference from the reference (the first, or ``reference``: a name among them) with ``level``
    confidence intervals. Replicate k of scenarios with the same seed and common seeding share their
    random numbers, so the differences are paired; otherwise they are unpaired (Welch) and say so."""
    from .analysis import paired_differences
    from .ensemble import run_ensemble, summarise_metrics

    references = list(scenarios) if not isinstance(scenarios, (str, Path, Scenario)) else [scenarios]
    if len(references) < 2:
        raise ValueError("compare needs at least two scenarios, e.g. compare(['baseline', 'no-mandate'])")
    loaded = [load(s, replicates=replicates, steps=steps) for s in references]
    names = [s.name for s in loaded]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"two scenarios are both named {duplicates[0]!r}; give each file a distinct 'name'")
    reference = names[0] if reference is None else reference
    if reference not in names:
        from .params import _did_you_mean
        raise ValueError(f"reference {reference!r} is not one of the scenarios compared"
                         f"{_did_you_mean(reference, names)}: {', '.join(names)}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (given: {level})")
    chosen = _backend(backend, workers)
    check_resources(loaded[0].parameters(), parts=[(s.parameters(), s.replicates) for s in loaded],
                    workers=chosen.workers)
    started = time.perf_counter()
    metrics, series, model_seconds = [], [], 0.0
    for sc in loaded:
        ensemble = run_ensemble(sc.parameters(), sc.replicates, sc.seed, progress=progress, seeding=sc.seeding,
                                backend=chosen)
        model_seconds += ensemble.model_seconds
        metrics.append(ensemble.tables["metrics"].assign(scenario=sc.name))
        series.append(ensemble.tables["series"].assign(scenario=sc.name))
    wall = time.perf_counter() - started
    all_metrics = pd.concat(metrics, ignore_index=True)
    pairable = len({(s.seed, s.seeding) for s in loaded}) == 1 and loaded[0].seeding == "common"
    tables = {"comparison": summarise_metrics(all_metrics, by="scenario"),
              "differences": paired_differences(all_metrics, "scenario", reference, paired=pairable, level=level),
              "metrics": all_metrics, "series": pd.concat(series, ignore_index=True)}
    meta = {"scenarios": names, "reference": reference, "level": level, "paired": pairable,
            "resolved": {"name": "compare", "scenarios": {sc.name: sc.resolved() for sc in loaded}},
            "seed": loaded[0].seed, "replicates": sum(s.replicates for s in loaded), **chosen.describe(),
            "timings": {"wall_seconds": round(wall, 3), "model_seconds": round(model_seconds, 3)}}
    result = ComparisonResult("compare", "compare", tables, meta=meta)
    if not pairable:
        result.warnings.append("the scenarios do not share seed and common seeding: differences are unpaired "
                               "(Welch intervals), wider than paired ones")
    return result


# ---------------------------------------------------------------------------------- attribute
@dataclass
class AttributionResult(Result):
    """Each channel's Shapley contribution to coverage and to time to 50%, with 90% intervals."""

    def summary(self) -> pd.DataFrame:
        return self.tables["shapley"]

    def figures(self, lang="en", size="page"):
        from .attribution import attribution_chart

        return {"attribution": lambda: attribution_chart(self.tables["shapley"], lang, size)}


def attribute(scenario_ref, *, replicates: int | None = None, seed: int | None = None, steps: int | None = None,
              workers: int = 1, backend=None, progress: Callable[[int], None] | None = None) -> AttributionResult:
    """Counterfactual channel attribution (docs/attribution.md): 16 runs per replicate."""
    from .attribution import FULL, effective_mask
    from .attribution import attribute as shapley

    sc = load(scenario_ref, replicates=replicates, seed=seed, steps=steps)
    chosen = _backend(backend, workers)
    started = time.perf_counter()
    params = sc.parameters()
    check_resources(params, sc.replicates * 16, workers=chosen.workers, keep="rows", what="attribution")
    tables = shapley(params, replicates=sc.replicates, seed=sc.seed, backend=chosen, progress=progress)
    coalitions = {effective_mask(params, mask) for mask in range(FULL + 1)}
    meta = {**_meta(sc, chosen, time.perf_counter() - started), "runs": sc.replicates * len(coalitions),
            "coalitions": len(coalitions)}
    return AttributionResult("attribution", sc.name, tables, meta=meta)


# ---------------------------------------------------------------------------------- sweeps
@dataclass
class SweepResult(Result):
    """A sweep's runs (``results``: one row per run with its factor values), its per-point summary and
    its paired differences from the reference point."""

    factors: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        return self.tables["points"]

    def wide(self) -> pd.DataFrame:
        points = self.tables["points"]
        wide = _wide_differences(points, self.tables.get("differences", pd.DataFrame()), "point")
        factors = points.groupby("point")[self.factors].first().reset_index() if self.factors else None
        return wide if factors is None else factors.merge(wide, on="point")

    def figures(self, lang="en", size="page"):
        from . import charts

        outcomes = [o for o in ("coverage", "median_time_to_50") if o in set(self.tables["points"]["metric"])]
        return {f"sweep_{o}": (lambda o=o: charts.sweep_chart(self.tables["points"], self.factors, o, lang, size))
                for o in outcomes}



def sweep(scenario_ref, *, folder, replicates: int | None = None, seed: int | None = None, steps: int | None = None,
          workers: int = 1, backend=None,
          resume: bool = False, force: bool = False, method: str | None = None, samples: int | None = None,
          reference_point: int = 0, purpose: str = "sweep",
          progress: Callable[[int, int], None] | None = None) -> SweepResult:
    """Run the sweep of a scenario's ``sweep`` block into ``folder`` (a resumable Parquet dataset; with
    ``resume`` an interrupted sweep continues). Returns every run, the per-point summary (mean, 5-95%)
    and the paired differences of every point from ``reference_point``."""
    from .analysis import paired_differences, point_summary
    from .design import build_design, factor_columns
    from .evaluate import SweepStore, make_tasks, run_tasks, sweep_meta

    sc = load(scenario_ref, replicates=replicates, seed=seed, steps=steps)
    if sc.sweep is None:
        raise ValueError(f"{sc.source or sc.name}: has no 'sweep' block; add one, e.g.\n"
                         "sweep:\n  method: grid\n  parameters:\n    institutions.fault_tolerance: [0.0, 0.5, 0.9]")
    method = method or sc.sweep.method
    folder = Path(folder)
    store = SweepStore(folder)
    with store.lock():              # one writer per folder, --resume included
        if resume:
            if not store.exists():
                raise ValueError(f"nothing to resume: {str(folder)!r} holds no sweep (run without resume first)")
            meta = store.meta()
            if meta.get("parameter_hash") != sc.parameter_hash() or meta.get("method") != method or \
                    meta.get("replicates") != sc.replicates or meta.get("seed") != sc.seed:
                raise ValueError(f"{str(folder)!r} holds a different experiment ({meta.get('scenario')}, "
                                 f"{meta.get('method')}, {meta.get('replicates')} replicates); resume it with the same "
                                 f"scenario and options or use another folder")
            design = store.design()
            check_resources(sc.parameters(), parts=design_parts(sc.parameters(), design, sc.replicates),
                            workers=getattr(backend, "workers", workers), keep="rows", what="sweep")
        else:
            design = build_design(sc.sweep, seed=sc.seed, method=method, samples=samples)
            if not 0 <= reference_point < len(design):
                raise ValueError(f"reference_point must be a point of the design, 0 to {len(design) - 1} "
                                 f"(given: {reference_point})")
            check_resources(sc.parameters(), parts=design_parts(sc.parameters(), design, sc.replicates),
                            workers=getattr(backend, "workers", workers), keep="rows", what="sweep")
            store.create(sweep_meta(sc, method, design, sc.replicates, purpose), design, force=force)
        tasks = make_tasks(design, sc.parameters(), sc.replicates, sc.seed, sc.seeding)
        chosen = _backend(backend, workers)
        started = time.perf_counter()
        try:
            report = run_tasks(store, tasks, backend=chosen, progress=progress)
        except KeyboardInterrupt:
            from .evaluate import SweepInterrupted

            raise SweepInterrupted(f"interrupted: {len(store.completed())} of {len(tasks)} runs are safely on disk in "
                                   f"{str(folder)!r}; continue with --resume (resume=True in Python), which runs "
                                   f"only the others") from None
        wall = time.perf_counter() - started
    results = store.results()
    factor_cols = factor_columns(design)
    tables = {"results": results, "series": store.load("series"), "design": design}
    errors = store.load("errors")
    if len(errors):
        tables["errors"] = errors
    if len(results):
        tables["points"] = point_summary(results, factor_cols)
        paired = sc.seeding == "common"
        tables["differences"] = paired_differences(results.assign(point=results["point"].astype(int)), "point",
                                                   reference_point, pair_on="replicate", paired=paired,
                                                   skip=("run", "run_id", "point", "replicate", *factor_cols))
    meta = {**_meta(sc, chosen, wall), "method": method, "points": int(len(design)),
            "runs": report.total, "ran_now": report.ran, "done_before": report.done_before,
            "failed": int(len(errors)), "reference_point": reference_point}
    result = SweepResult(purpose if purpose in KINDS else "sweep", sc.name, tables, meta=meta, folder=folder,
                         factors=factor_cols)
    if len(errors):
        result.warnings.append(f"{len(errors)} run(s) failed; first: run {errors['run_id'].iloc[0]}: "
                               f"{errors['error'].iloc[0]}")
    return result


def save_sweep_tables(result: SweepResult, lang: str = "en", size: str = "page") -> None:
    """Write a sweep's tables and charts into its own folder (beside the dataset), each file atomically."""
    from .charts import save as save_figure
    from .results import write_table_atomic

    for name, table in result.tables.items():
        if name != "design":
            write_table_atomic(result.folder / "tables", name, table)
    (result.folder / "figures").mkdir(exist_ok=True)
    suffix = "" if lang == "en" else f"_{lang}"
    drawn, provenance = [], result.provenance()
    for stem, draw in result.figures(lang, size).items():
        drawn += save_figure(draw(), result.folder / "figures", stem + suffix, provenance=provenance)
    import json

    from .results import write_text_atomic

    manifest = result.manifest(drawn, tables=[n for n in result.tables if n != "design"])
    manifest.pop("resolved", None)   # the sweep's own sweep.json holds the resolved scenario
    write_text_atomic(result.folder / "manifest.json", json.dumps(manifest, indent=2, default=str))


# ---------------------------------------------------------------------------------- sensitivity
@dataclass
class SensitivityResult(Result):
    """Sobol or Morris indices of outcomes to a sweep's factors, with the seed's share of the variance."""

    method: str = "sobol"

    def summary(self) -> pd.DataFrame:
        return self.tables["sensitivity"]

    def figures(self, lang="en", size="page"):
        from .charts import sensitivity_bars

        return {"sensitivity": lambda: sensitivity_bars(self.tables["sensitivity"], self.method, lang=lang,
                                                        size=size)}


def sensitivity(scenario_ref, *, method: str, outcomes, folder, samples: int | None = None,
                replicates: int | None = None, seed: int | None = None, steps: int | None = None, workers: int = 1,
                backend=None, resume: bool = False, force: bool = False, progress=None) -> SensitivityResult:
    """Sobol (first-order and total) or Morris indices of ``outcomes`` to the factors of the scenario's
    sweep block. Outcome names are checked before any run. Warns when indices are negative or their
    intervals cross zero (too few samples) and reports how much of each outcome's variance is the seed's
    (within points, between replicates) rather than the factors'."""
    from .analysis import morris_indices, outcomes_by_point, sobol_indices, noise_share
    from .design import factors

    if method not in ("sobol", "morris"):
        raise ValueError(f"method must be sobol or morris (given: {method!r})")
    outcomes = check_outcomes(outcomes)
    sc = load(scenario_ref, replicates=replicates, seed=seed, steps=steps)
    swept = sweep(sc, folder=folder, workers=workers, backend=backend, resume=resume, force=force, method=method,
                  samples=samples, purpose="sensitivity", progress=progress)
    results, design = swept.tables["results"], swept.tables["design"]
    factor_list = factors(sc.sweep)
    analyse = sobol_indices if method == "sobol" else morris_indices
    indices = pd.concat([analyse(design, factor_list, outcomes_by_point(results, o, len(design)), o, sc.seed)
                         for o in outcomes], ignore_index=True)
    noise = noise_share(results, outcomes)
    tables = {**swept.tables, "sensitivity": indices, "noise": noise}
    result = SensitivityResult("sensitivity", sc.name, tables, meta={**swept.meta, "outcomes": outcomes},
                               folder=swept.folder, warnings=list(swept.warnings), method=method)
    result.warnings += sensitivity_warnings(indices, noise, method)
    for message in result.warnings:
        warnings.warn(message, stacklevel=2)
    return result


def sensitivity_warnings(indices: pd.DataFrame, noise: pd.DataFrame, method: str) -> list[str]:
    """Sentences for indices that cannot be read as they stand."""
    out = []
    if method == "sobol":
        for row in indices.itertuples():
            for name in ("S1", "ST"):
                value, conf = getattr(row, name), getattr(row, f"{name}_conf")
                if value < 0:
                    out.append(f"{row.outcome}: {name} of {row.factor} is negative ({value:.3f}): estimation "
                               f"error, not an effect; use more samples (a larger power of 2)")
                elif value - conf < 0 < value + conf and value > 0.05:
                    out.append(f"{row.outcome}: the 95% interval of {name} of {row.factor} ({value:.3f} +- "
                               f"{conf:.3f}) crosses zero; use more samples before ranking factors")
    for row in noise.itertuples():
        if row.seed_share > 0.5:
            out.append(f"{row.outcome}: {100 * row.seed_share:.0f}% of its variance is between replicates of one "
                       f"point (the seed), not between points; use more replicates per point")
    return out


# ---------------------------------------------------------------------------------- discover
@dataclass
class DiscoveryResult(Result):
    """PRIM boxes: which settings of a sweep give the outcome above (or below) a threshold."""

    def summary(self) -> pd.DataFrame:
        return self.tables["box"]

    def figures(self, lang="en", size="page"):
        from .charts import prim_tradeoff

        outcome = self.meta["outcome"]
        return {"prim_trajectory": lambda: prim_tradeoff(self.tables["trajectory"], outcome, lang=lang, size=size)}


def discover(sweep_ref, *, outcome: str, threshold: float, below: bool = False, min_coverage: float = 0.5,
             peel_alpha: float = 0.05) -> DiscoveryResult:
    """Scenario discovery (PRIM) on a finished sweep (a SweepResult or its folder)."""
    from .analysis import prim
    from .design import factor_columns
    from .evaluate import SweepStore

    if isinstance(sweep_ref, Result):
        if sweep_ref.folder is None or sweep_ref.kind not in ("sweep", "sensitivity"):
            raise ValueError(f"discover needs a sweep or sensitivity result (or its folder), not a {sweep_ref.kind} result")
        folder = sweep_ref.folder
    else:
        folder = Path(sweep_ref)
    store = SweepStore(folder)
    if not store.exists():
        raise ValueError(f"{str(folder)!r} is not a sweep folder (no sweep.json); run a sweep first")
    results = store.results()
    if results.empty:
        raise ValueError(f"{str(folder)!r} has no finished runs yet; finish it with resume")
    check_outcomes([outcome], [c for c in results.select_dtypes("number").columns
                               if c not in ("run_id", "point", "replicate")])
    found = prim(results, factor_columns(store.design()), outcome, threshold, above=not below,
                 peel_alpha=peel_alpha, min_coverage=min_coverage)
    meta = {"outcome": outcome, "threshold": threshold, "direction": "below" if below else "above",
            "sweep": str(folder)}
    result = DiscoveryResult("discovery", f"discovery-{outcome}", found, meta=meta)
    restricted = found["box"]["restricted"].any()
    if not restricted:
        share = float(found["summary"]["cases_of_interest"].iloc[0] / found["summary"]["runs"].iloc[0])
        result.warnings.append(
            f"no box found: no setting of the factors separates the runs with {outcome} "
            f"{'<=' if below else '>='} {threshold} ({100 * share:.0f}% of all runs) from the others; try a "
            f"threshold nearer the middle of the outcome's range, a lower min_coverage (now {min_coverage}), or "
            f"more points")
    return result


# ---------------------------------------------------------------------------------- calibrate
@dataclass
class CalibrationResult(Result):
    """A calibration: fitted parameters with 90% intervals, the posterior, checks and their charts."""

    def summary(self) -> pd.DataFrame:
        return self.tables["fitted"]

    def figures(self, lang="en", size="page"):
        from . import charts

        return {"calibration_curves": lambda: charts.calibration_curves(self.tables["curves"], lang, size),
                "calibration_posterior": lambda: charts.calibration_posterior(self.tables["posterior"],
                                                                             self.tables["fitted"], lang, size),
                "calibration_event_history": lambda: charts.calibration_coefficients(self.tables["event_history"],
                                                                                    lang, size)}

    def _write_extra(self, staging: Path) -> None:
        super()._write_extra(staging)
        fitted = self.meta.get("fitted_scenario")
        if fitted is not None:
            (staging / "fitted.yaml").write_text(dump_yaml(fitted), encoding="utf-8")


#: fewer prior simulations than this per fitted parameter give an ABC posterior too coarse to trust
MIN_SIMULATIONS_PER_PARAMETER = 100


def calibrate(scenario_ref, *, data, edges=None, simulations: int | None = None, seed: int | None = None,
              workers: int = 1, backend=None, progress=None, work=None, resume: bool = False) -> CalibrationResult:
    """Fit the scenario's ``calibrate`` parameters to observed adoptions (docs/calibration.md), with
    warnings when the simulations are too few, a posterior piles against a prior bound, or the priors
    look written for another step length. With ``work`` (a folder) the prior simulations are kept there
    as they finish, and ``resume`` continues a killed calibration from them, with the same result."""
    from .calibration import SimulationStore, identity_of
    from .calibration import calibrate as fit
    from .calibration import fitted_scenario, require_calibrate_block
    from .observed import read_observed
    from .timeline import STEP_MONTHS

    sc = load(scenario_ref, seed=seed)
    require_calibrate_block(sc)
    if simulations is not None:
        data_ = sc.model_dump(mode="json")
        data_["calibrate"]["simulations"] = int(simulations)
        source, sc = sc.source, Scenario.model_validate(data_)
        sc._source = source
    check_observed_rows(data)                       # before pandas reads it
    observed = read_observed(data, edges, period_months=STEP_MONTHS[sc.time.step] or 1, params=sc.parameters())
    chosen = _backend(backend, workers)
    size = (len(observed.regions), len(observed.policies), observed.timeline.steps)
    check_resources(sc.parameters(), sc.calibrate.simulations + sc.calibrate.predictive, workers=chosen.workers,
                    keep="calibration", size=size, what="calibration",
                    extra_bytes=3 * size[0] * size[1] * size[2] * RISK_BYTES_PER_CELL)   # the data's own fit
    started = time.perf_counter()
    store = SimulationStore(Path(work), identity_of(sc, observed)) if work is not None else None
    if resume and store is None:
        raise ValueError("resume needs the work folder of the interrupted calibration (work=...)")
    with folder_lock(Path(work)) if work is not None else nullcontext():   # one calibration per work folder
        fitted = fit(sc, observed, workers=chosen.workers, progress=progress, backend=chosen, store=store,
                     resume=resume)
    spec = sc.calibrate
    meta = {**_meta(sc, chosen, time.perf_counter() - started), "data": str(observed.path),
            "regions": len(observed.regions), "policies": len(observed.policies),
            "adoptions": int((observed.steps > 0).sum()), "period_months": observed.timeline.period_months,
            "start": observed.timeline.start.isoformat(), "steps": observed.timeline.steps,
            "model_step": sc.time.step, "network": observed.network,
            "method": "semi-automatic ABC, rejection + local-linear regression adjustment",
            "simulations": fitted.simulations, "failed": fitted.failed, "accept": spec.accept,
            "predictive": spec.predictive, "fitted_scenario": fitted_scenario(sc, fitted.tables["fitted"])}
    result = CalibrationResult("calibration", sc.name, fitted.tables, meta=meta)
    result.warnings += calibration_warnings(sc, fitted.tables)
    for message in result.warnings:
        warnings.warn(message, stacklevel=2)
    return result


def calibration_warnings(sc: Scenario, tables: dict[str, pd.DataFrame]) -> list[str]:
    """Sentences for a calibration that should not be trusted as it stands."""
    from .params import Parameters

    out = []
    spec = sc.calibrate
    names = list(spec.parameters)
    needed = MIN_SIMULATIONS_PER_PARAMETER * len(names)
    if spec.simulations < needed:
        out.append(f"{spec.simulations} simulations for {len(names)} parameter(s): fewer than the documented "
                   f"minimum of {MIN_SIMULATIONS_PER_PARAMETER} per parameter ({needed}); the posterior is too "
                   f"coarse to trust; raise calibrate.simulations")
    fitted = tables["fitted"].set_index("parameter")
    for name in names:
        row = fitted.loc[name]
        width = row.prior_max - row.prior_min
        if width > 0 and (row.q95 > row.prior_max - 0.05 * width or row.q05 < row.prior_min + 0.05 * width):
            side = "upper" if row.q95 > row.prior_max - 0.05 * width else "lower"
            out.append(f"{name}: the posterior piles against the prior's {side} bound "
                       f"({row.prior_min:g} .. {row.prior_max:g}); widen that bound and fit again")
    defaults = Parameters()
    dt = sc.time.dt
    for name, bounds in spec.parameters.items():
        if name.endswith("_per_year"):
            default = _lookup_default(defaults, name)
            if default and bounds.max < 0.5 * default * dt * 4 and bounds.max < 0.5 * default:
                out.append(f"{name}: the prior range {bounds.min:g} .. {bounds.max:g} per year lies well below the "
                           f"default ({default:g} per year), as if written per step; rates are per year since model "
                           f"0.2.0 (a per-quarter value x 4)")
    return out


def _lookup_default(params, dotted: str):
    node: Any = params
    try:
        for part in dotted.split("."):
            node = getattr(node, part)
    except AttributeError:
        return None
    return node if isinstance(node, (int, float)) else None


# ------------------------------------------------------------------------------------- forecast
class ForecastResult(Result):
    """A forecast from a calibration's posterior (or a backtest of one): curves with bands, each policy's
    adopters, paired differences between designs, and the draws."""

    def summary(self) -> pd.DataFrame:
        if "backtest" in self.tables:
            return pd.DataFrame([self.meta["backtest"]])
        return self.tables["differences"] if len(self.tables["differences"]) else self.tables["policies"]

    def wide(self) -> pd.DataFrame:
        return self.tables["draws"]

    def figures(self, lang="en", size="page"):
        from . import charts

        out = {"forecast_curves": lambda: charts.forecast_curves(self.tables["curves"], lang, size,
                                                                  backtest=self.tables.get("backtest"))}
        if len(self.tables["differences"]):
            out["forecast_differences"] = lambda: charts.forecast_differences(self.tables["differences"], lang, size)
        return out


def _forecast_result(name: str, sc: Scenario, result: dict, backend, kind: str = "forecast") -> ForecastResult:
    meta = {**_meta(sc, backend, result["meta"]["timings"]["wall_seconds"]), **result["meta"]}
    meta["resolved"] = sc.resolved()
    return ForecastResult(kind, name, result["tables"], meta=meta)


def forecast(calibration, designs=(), *, until: str, draws: int = 100, seed: int | None = None, workers: int = 1,
             backend=None, progress=None) -> ForecastResult:
    """Continue a calibration's observed history to ``until`` for each design (scenario files or library
    names; default: the calibrated scenario), with ``draws`` parameter vectors from its posterior and
    common random numbers across designs (docs/calibration.md, "Forecasts")."""
    from .forecasting import forecast as run_forecast
    from .forecasting import load_calibration

    fitted = load_calibration(calibration)
    chosen = _backend(backend, workers)
    result = run_forecast(calibration, list(designs), until=until, draws=draws, seed=seed, workers=chosen.workers,
                          backend=chosen, progress=progress, fitted=fitted)
    return _forecast_result(f"{fitted.scenario.name}-forecast", fitted.scenario, result, chosen)


def backtest(calibration, cutoff: str, *, draws: int = 100, simulations: int | None = None, workers: int = 1,
             backend=None, progress=None) -> ForecastResult:
    """Fit the calibration again on its data up to ``cutoff``, forecast the rest and score the forecast:
    the share of later periods whose observed curve lies inside the 90% band (meta['backtest'])."""
    from .forecasting import backtest as run_backtest
    from .forecasting import load_calibration

    fitted = load_calibration(calibration)
    chosen = _backend(backend, workers)
    result = run_backtest(calibration, cutoff, draws=draws, simulations=simulations, workers=chosen.workers,
                          backend=chosen, progress=progress)
    return _forecast_result(f"{fitted.scenario.name}-backtest", fitted.scenario, result, chosen)
