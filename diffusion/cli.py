"""Command line: run, compare, sweep, calibrate, report, app and the scenario-file tools.

Every user mistake is answered with one sentence on standard error and exit status 2; no traceback,
no results folder.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click

from .timeline import STEP_MONTHS
from .params import _did_you_mean

LIBRARY_HINT = "a scenario file (.yaml) or a library name such as 'baseline' (see 'diffusion list')"


def fail(message: str) -> None:
    """Print a user error as a sentence (no traceback) and exit with status 2."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@contextmanager
def user_errors():
    """Turn the package's user-facing errors into ``fail``; let real bugs raise."""
    try:
        yield
    except ValueError as error:  # ScenarioError, ResultsExistError and parameter errors are ValueErrors
        fail(str(error))
    except OSError as error:     # a folder that cannot be created, a disk that is full, no permission
        where = f" {str(error.filename)!r}" if error.filename else ""
        fail(f"cannot write or read{where}: {error.strerror or error}; choose a path that exists and you may write to")
    except KeyboardInterrupt as interrupt:    # Ctrl-C, or SIGTERM (see main): partial folders are gone by now
        click.echo(str(interrupt) or "interrupted: nothing was written", err=True)
        sys.exit(130)


def _terminate(signum, frame) -> None:
    """SIGTERM as Ctrl-C: ``finally`` blocks run, so no partial folder or temporary file is left behind."""
    raise KeyboardInterrupt


def _claim(out: Path, force: bool = False) -> None:
    """Hold ``out``'s one-writer lock until the command ends, and check now that ``--force`` may replace
    it (only this tool's folders), before any run starts."""
    from .results import check_replaceable, folder_lock

    if force:
        check_replaceable(out)
    context = click.get_current_context()
    lock = folder_lock(out)
    lock.__enter__()
    context.call_on_close(lambda: lock.__exit__(None, None, None))


def _make_backend(make_backend, workers: int, scheduler: str | None, dask_local: bool):
    """The backend, with a local Dask cluster's worker processes started ignoring SIGINT: Ctrl-C reaches
    the whole process group, and only this process should answer it (the workers print tracebacks)."""
    import signal

    if not dask_local:
        return make_backend(workers, scheduler, dask_local)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return make_backend(workers, scheduler, dask_local)
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _closing_quietly(backend):
    """Close a backend even when interrupted, without a traceback or Dask's shutdown warnings."""
    try:
        yield backend
    except KeyboardInterrupt:
        import logging

        for name in ("distributed", "tornado", "asyncio"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        raise
    finally:
        try:
            backend.close()
        except (Exception, KeyboardInterrupt):  # noqa: BLE001 - a second Ctrl-C or a dead cluster while closing
            pass


@contextmanager
def progress_bar(total: int, label: str):
    """A rich progress bar with count and ETA on standard error (plain when not a terminal).

    It redraws when a run finishes rather than from rich's refresh thread, so no thread is running
    when the worker pool forks its processes (see run.worker_context).
    """
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("ETA"), TimeRemainingColumn(), console=console, disable=not console.is_terminal,
                  transient=False, auto_refresh=False) as progress:
        task = progress.add_task(label, total=total)
        progress.refresh()

        def advance(n: int = 1, failed: int | None = None) -> None:
            if failed:
                progress.update(task, description=f"{label} [red]({failed} failed)[/red]")
            progress.advance(task, n)
            progress.refresh()

        yield advance


def _load(reference: str):
    from .scenario import load_scenario

    return load_scenario(reference)


def _apply_overrides(scenario, replicates: int | None, seed: int | None, steps: int | None):
    updates = {}
    if replicates is not None:
        updates["replicates"] = replicates
    if seed is not None:
        updates["seed"] = seed
    if steps is not None:
        updates["steps"], updates["until"] = steps, None
    return _updated(scenario, **updates) if updates else scenario


def _updated(scenario, **updates):
    """A copy of a scenario with some fields replaced, still knowing the file it came from."""
    source = scenario.source
    scenario = scenario.model_copy(update=updates)
    scenario._source = source
    return scenario


def _default_out(name: str) -> Path:
    return Path("results") / f"{name}-{datetime.now():%Y%m%d-%H%M%S}"


WORKERS = click.option("--workers", type=click.IntRange(min=1, max=256), default=1, show_default=True,
                       help="Processes to run replicates on. Results are identical for any number.")
REPLICATES = click.option("--replicates", type=click.IntRange(min=1, max=1_000_000), default=None,
                          help="Replicate runs (default: the scenario's 'replicates').")
FORCE = click.option("--force", is_flag=True, help="Replace the results folder if it already exists.")
SEED = click.option("--seed", type=click.IntRange(min=0), default=None,
                    help="Root seed (default: the scenario's 'seed'). Same seed, same numbers.")
STEPS = click.option("--steps", type=click.IntRange(min=1, max=2000), default=None,
                     help="Number of periods to simulate (overrides the scenario's steps/until).")
EXPORT = click.option("--export", default="", metavar="FORMATS",
                      help="Also write the wide table (one row per scenario or point, with difference columns) "
                           "as xlsx, dta (Stata) and/or csv under exports/, e.g. --export xlsx,dta.")
LANG = click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
                    help="Language of chart titles, axes, legends, region and category names.")
SIZE = click.option("--size", type=click.Choice(["page", "slide"]), default="page", show_default=True,
                    help="Figure size: 'page' (6.5 x 4 in) or 'slide' (10 x 5.625 in, 16:9).")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="ftz-diffusion")
def main() -> None:
    """ftz-diffusion: how reform innovations spread from China's Pilot Free Trade Zones.

    A SCENARIO is a YAML file or the name of one in the scenario library (diffusion list).
    """
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)


# -------------------------------------------------------------------------------------------- run
@main.command()
@click.argument("scenario", default="baseline", required=False)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Results folder to create (default: results/<name>-<timestamp>/).")
@REPLICATES
@SEED
@STEPS
@WORKERS
@FORCE
@LANG
@SIZE
def run(scenario: str, out: Path | None, replicates: int | None, seed: int | None, steps: int | None,
        workers: int, force: bool, lang: str, size: str) -> None:
    """Run SCENARIO (default: baseline) and write its results folder.

    The folder holds manifest.json, the resolved scenario.yaml, every table as Parquet and CSV under
    tables/, and figures/. It appears only when complete; an existing folder needs --force.
    """
    from . import api

    with user_errors():
        sc = _apply_overrides(_load(scenario), replicates, seed, steps)
        out = out or _default_out(sc.name)
        _claim(out, force)
        if out.exists() and not force:
            fail(f"results folder {str(out)!r} already exists; choose another --out or pass --force")
        with progress_bar(sc.replicates, f"{sc.name}") as advance:
            result = api.run(sc, workers=workers, progress=advance)
        result.meta["command"] = " ".join(["diffusion", *sys.argv[1:]])
        result.save(out, force=force, lang=lang, size=size)
    _print_run_summary(sc, result.tables, result.meta["timings"]["wall_seconds"])
    for stem, reason in result.figures("en", size).skipped.items():   # as in the manifest's figures_skipped
        click.echo(f"  chart {stem} left out: {reason}")
    click.echo(f"results: {out}")


def _print_run_summary(sc, result, wall: float) -> None:
    metrics = result["metrics"]
    n = len(metrics)

    def show(column: str, scale: float = 1.0, fmt: str = "{:.0f}") -> str:
        values = metrics[column] * scale
        text = fmt.format(values.mean())
        if n > 1:
            text += f" [{fmt.format(values.quantile(0.05))}-{fmt.format(values.quantile(0.95))}]"
        return text

    first = metrics.iloc[0]
    click.echo(f"{sc.name}: {n} run(s) of {int(first['steps'])} steps, {int(first['regions'])} regions, "
               f"{show('innovations')} innovations piloted ({wall:.1f} s)"
               + (" — mean [5-95%]" if n > 1 else ""))
    click.echo(f"  binding batches issued: {show('binding_batches')} ({show('binding_items')} items mandated); "
               f"best-practice items: {show('best_practice_items')}")
    click.echo(f"  coverage 3 years after the pilot: {show('coverage_at_3_years', 100, '{:.1f}')}% of regions "
               f"(5 years: {show('coverage_at_5_years', 100, '{:.1f}')}%); adoptions kept: "
               f"{show('cumulative_adoptions')}; national innovations: {show('share_national', 100, '{:.1f}')}%")
    if metrics["mature_pilots"].gt(0).all():
        click.echo(f"  pilots never scaled up: {show('share_never_scaled_up_mature', 100, '{:.0f}')}% of those at "
                   f"least {sc.output.mature_pilot_years:g} years old ({show('share_never_scaled_up', 100, '{:.0f}')}% "
                   f"of all, young ones included)")
    click.echo(f"  failures: {show('failures')} ({show('corrections')} corrected, {show('abandonments')} abandoned, "
               f"{show('retries')} retried under a binding mandate)")
    policies = result.get("policies")
    if policies is not None and len(policies):
        for policy, rows in policies.groupby("policy", sort=False):
            issued = rows["issued"].mean()
            line = f"  policy {policy} ({rows['bindingness'].iloc[0]}): issued in {100 * issued:.0f}% of runs"
            done = rows[rows["issued"]]
            if len(done) and done["compliance_by_deadline"].notna().any():
                line += (f"; {100 * done['compliance_by_deadline'].mean():.0f}% of regions in scope complied by the "
                         f"deadline, median {done['median_months_to_adopt'].mean():.1f} months after the order")
            click.echo(line)
    params = sc.parameters()
    if params.channels.mandate.enabled and params.channels.mandate.schedule == "historical":
        from .mandate import record_end_date

        end = record_end_date()
        projected = int(result["batches"]["projected"].sum()) if len(result["batches"]) else 0
        if projected:
            click.echo(f"  history and projection: the record of batches ends {end:%Y-%m}; the "
                       f"{projected / n:.0f} batch(es) per run after it are model projections (column 'projected', "
                       f"drawn dashed), and so is everything after {end:%Y-%m}")
        else:
            click.echo(f"  history: every batch is from the record, which runs to {end:%Y-%m}; no projected batch")


# ---------------------------------------------------------------------------------------- compare
@main.command()
@click.argument("scenarios", nargs=-1, required=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Results folder to create (default: results/compare-<timestamp>/).")
@click.option("--reference", default=None, metavar="NAME",
              help="The scenario the others are compared with (default: the first).")
@REPLICATES
@WORKERS
@EXPORT
@FORCE
@LANG
@SIZE
def compare(scenarios: tuple[str, ...], out: Path | None, reference: str | None, replicates: int | None,
            workers: int, export: str, force: bool, lang: str, size: str) -> None:
    """Run several SCENARIOS and compare them with the first (or --reference), paired.

    Writes tables/comparison (mean, sd and 5-95% interval of each metric per scenario),
    tables/differences (each scenario's paired difference from the reference with its 90% interval),
    every scenario's metrics and series, and figures (comparison, differences, adoption curves).
    """
    from . import api

    if len(scenarios) < 2:
        fail("compare needs at least two scenarios, e.g. diffusion compare baseline no-mandate")
    with user_errors():
        formats = api.check_formats(export)
        loaded = [_apply_overrides(_load(s), replicates, None, None) for s in scenarios]
        names = [s.name for s in loaded]
        if reference is not None and reference not in names:
            from .params import _did_you_mean
            fail(f"--reference {reference!r} is not one of the scenarios{_did_you_mean(reference, names)}: "
                 f"{', '.join(names)}")
        out = out or _default_out("compare")
        _claim(out, force)
        if out.exists() and not force:
            fail(f"results folder {str(out)!r} already exists; choose another --out or pass --force")
        with progress_bar(sum(s.replicates for s in loaded), "compare") as advance:
            result = api.compare(loaded, reference=reference, workers=workers, progress=advance)
        result.meta["command"] = " ".join(["diffusion", *sys.argv[1:]])
        result.save(out, force=force, lang=lang, size=size, export=formats)
    _print_comparison(result)
    click.echo(f"results: {out}")


def _print_comparison(result) -> None:
    """Each scenario's key metrics, then each one's paired difference from the reference with its 90% CI."""
    from . import charts

    comparison, differences = result.tables["comparison"], result.tables["differences"]
    names, reference = result.meta["scenarios"], result.meta["reference"]
    key = comparison[comparison["metric"].isin(list(charts.KEY_METRICS))]
    table = key.pivot(index="scenario", columns="metric", values="mean").loc[names]
    click.echo(table.to_string(float_format=lambda v: f"{v:.3f}"))
    paired = "paired" if result.meta["paired"] else "unpaired (Welch)"
    click.echo(f"difference from {reference}, {paired}, mean [90% CI]; * the interval excludes 0:")
    shown = differences[differences["metric"].isin(list(charts.KEY_METRICS))]
    for scenario_name, rows in shown.groupby("scenario", sort=False):
        cells = [f"{row.metric} {row.difference:+.3f} [{row.ci_low:+.3f}, {row.ci_high:+.3f}]{'*' if row.clear else ''}"
                 for row in rows.itertuples()]
        click.echo(f"  {scenario_name}: " + "; ".join(cells))
    for message in result.warnings:
        click.echo(f"warning: {message}", err=True)


# -------------------------------------------------------------------------------------- attribute
@main.command()
@click.argument("scenario")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Results folder to create (default: results/<name>-attribution-<timestamp>/).")
@click.option("--replicates", type=click.IntRange(min=1, max=1_000_000), default=None,
              help="Replicates (default: the scenario's 'replicates'); each is 16 runs, one per coalition.")
@SEED
@STEPS
@WORKERS
@FORCE
@LANG
@SIZE
def attribute(scenario: str, out: Path | None, replicates: int | None, seed: int | None, steps: int | None,
              workers: int, force: bool, lang: str, size: str) -> None:
    """Shapley attribution of coverage and time to 50% to the four channels, with 90% intervals.

    Replays every replicate of SCENARIO with each subset of the channels (spontaneous, learning,
    competition, mandate) switched off, with common random numbers: 16 runs per replicate. Writes
    tables/shapley (each channel's Shapley value per outcome, 90% intervals, the hazard share for
    comparison), tables/coalitions, tables/shapley_replicates and figures/attribution. See
    docs/attribution.md.
    """
    from . import api
    from .attribution import FULL
    from .params import CHANNELS

    with user_errors():
        sc = _apply_overrides(_load(scenario), replicates, seed, steps)
        params = sc.parameters()
        out = out or _default_out(f"{sc.name}-attribution")
        _claim(out, force)
        if out.exists() and not force:
            fail(f"results folder {str(out)!r} already exists; choose another --out or pass --force")
        off = [c for c in CHANNELS if not getattr(params.channels, c).enabled]
        runs = sc.replicates * (FULL + 1) // (1 << len(off))
        with progress_bar(runs, f"{sc.name}: attributing") as advance:
            result = api.attribute(sc, workers=workers, progress=advance)
        result.meta.update(command=" ".join(["diffusion", *sys.argv[1:]]), channels=list(CHANNELS), off=off)
        result.save(out, force=force, lang=lang, size=size)
    _print_attribution(sc, result.tables["shapley"], runs, off, result.meta["timings"]["wall_seconds"])
    click.echo(f"results: {out}")


def _print_attribution(sc, shapley, runs: int, off: list[str], wall: float) -> None:
    n = int(shapley["replicates"].iloc[0])
    click.echo(f"{sc.name}: Shapley attribution over {n} replicate(s), {runs} runs ({wall:.1f} s); "
               f"mean [90% CI] and the per-adoption hazard share")
    by = {o: shapley[shapley["outcome"] == o].set_index("channel") for o in ("coverage", "time_to_50")}

    def cell(outcome: str, channel: str, scale: float, fmt: str) -> str:
        row = by[outcome].loc[channel]
        text = fmt.format(row["mean"] * scale)
        if n > 1:
            text += f" [{fmt.format(row['ci_low'] * scale)}, {fmt.format(row['ci_high'] * scale)}]"
        return text

    header = ("channel", "coverage (pp)", "years to 50%", "hazard share")
    rows = [(channel, cell("coverage", channel, 100, "{:+.1f}"), cell("time_to_50", channel, 1, "{:+.2f}"),
             f"{100 * by['coverage'].loc[channel, 'hazard_share']:.1f}%") for channel in by["coverage"].index]
    first = by["coverage"].iloc[0], by["time_to_50"].iloc[0]
    rows.append(("all on - all off", f"{100 * (first[0]['all_on'] - first[0]['all_off']):+.1f}",
                 f"{first[1]['all_on'] - first[1]['all_off']:+.2f}", ""))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  " + "  ".join(value.ljust(w) if i == 0 else value.rjust(w)
                                    for i, (value, w) in enumerate(zip(row, widths))))
    if off:
        click.echo(f"  off in the scenario itself, so 0 in every coalition: {', '.join(off)}")


# ------------------------------------------------------------------------------ validate, show, list
@main.command()
@click.argument("files", nargs=-1, required=True)
def validate(files: tuple[str, ...]) -> None:
    """Check scenario FILES; print 'ok' or what is wrong with each. Exit 2 if any is invalid."""
    from .scenario import ScenarioError, load_scenario

    bad = 0
    for reference in files:
        try:
            sc = load_scenario(reference)
        except ScenarioError as error:
            bad += 1
            click.echo(f"error: {error}", err=True)
        else:
            click.echo(f"ok: {reference} ({sc.name}: {sc.parameters().time.steps} steps, "
                       f"{sc.replicates} replicate(s){', sweep' if sc.sweep else ''})")
    if bad:
        sys.exit(2)


@main.command()
@click.argument("scenario")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
def show(scenario: str, fmt: str) -> None:
    """Print SCENARIO fully resolved: its base scenarios merged in and every default filled.

    The YAML starts with comments saying what the scenario inherited without setting it: the settings
    that depend on whether its network is China (FTZ waves, batch schedule) and China's defaults."""
    from .scenario import dump_yaml, inherited

    with user_errors():
        sc = _load(scenario)
        resolved = sc.resolved()
        notes = inherited(sc)
    if fmt == "json":
        click.echo(json.dumps(resolved, indent=2, ensure_ascii=False))
        return
    header = "".join(f"#   {line}\n" for line in notes)
    click.echo((f"# inherited, not set by the scenario:\n{header}" if notes else "") + dump_yaml(resolved))


@main.command(name="list")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="Language of titles.")
def list_(lang: str) -> None:
    """List the scenario library with each scenario's title."""
    from .scenario import ScenarioError, library, load_scenario

    lib = library()
    if not lib:
        fail("no scenario library found: run from the repository root or set FTZ_DIFFUSION_SCENARIOS to a folder")
    width = max(map(len, lib))
    for name, path in lib.items():
        try:
            sc = load_scenario(path, check_names=False)
            title = getattr(sc.title, lang) or sc.title.en
        except ScenarioError as error:
            title = f"(invalid: {str(error).splitlines()[0]})"
        click.echo(f"{name:<{width}}  {title}")


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors' completion and checking)."""
    from .scenario import scenario_json_schema

    click.echo(json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False))


# ------------------------------------------------------------------------------ experiments
DASK = [click.option("--scheduler", default=None, metavar="ADDRESS",
                     help="Run on the Dask cluster whose scheduler is at ADDRESS (e.g. tcp://10.0.0.5:8786)."),
        click.option("--dask-local", is_flag=True, help="Start a Dask LocalCluster on 127.0.0.1 with --workers workers."),
        click.option("--resume", is_flag=True, help="Continue an interrupted run in --out: finished runs are kept.")]


def dask_options(function):
    for option in reversed(DASK):
        function = option(function)
    return function


def _experiment(sc, out: Path, method: str, samples: int | None, purpose: str, replicates: int | None, workers: int,
                scheduler: str | None, dask_local: bool, resume: bool, force: bool, outcomes=None):
    """Run (or resume) the design on the chosen backend through the API; print what ran; return the result."""
    import warnings

    from . import api
    from .backends import make_backend
    from .evaluate import SweepStore

    if sc.sweep is None:
        fail(f"{sc.source}: has no 'sweep' block; add one, e.g.\n"
             "sweep:\n  method: grid\n  parameters:\n    institutions.fault_tolerance: [0.0, 0.5, 0.9]")
    if outcomes is not None:
        api.check_outcomes(outcomes)            # before any run
    _claim(out, force)
    store = SweepStore(out)
    if resume and not store.exists():
        fail(f"nothing to resume: {str(out)!r} holds no sweep (run without --resume first)")
    if not resume and store.exists() and not force:
        fail(f"{str(out)!r} already holds a sweep; continue it with --resume or replace it with --force")
    total = (len(store.design()) if resume else None)
    with _closing_quietly(_make_backend(make_backend, workers, scheduler, dask_local)) as backend:
        from .design import build_design

        points = total or len(build_design(sc.sweep, seed=sc.seed, method=method, samples=samples))
        runs = points * (replicates or sc.replicates)
        done = len(store.completed()) if resume else 0
        with progress_bar(runs - done, f"{sc.name} {method}") as advance:
            kwargs = dict(folder=out, replicates=replicates, backend=backend, resume=resume, force=force,
                          samples=samples, progress=advance)
            if outcomes is None:
                result = api.sweep(sc, method=method, purpose=purpose, **kwargs)
            else:
                with warnings.catch_warnings():   # the warnings are printed below, as sentences
                    warnings.simplefilter("ignore")
                    result = api.sensitivity(sc, method=method, outcomes=outcomes, **kwargs)
    meta = result.meta
    click.echo(f"{sc.name}: {meta['runs']} runs ({meta['points']} points x {meta['replicates']} replicates); "
               f"{meta['done_before']} were already done, {meta['ran_now']} ran now, {meta['failed']} failed in all "
               f"({meta['timings']['wall_seconds']:.1f} s)")
    for message in result.warnings:
        click.echo(f"warning: {message}", err=True)
    return result


@main.command()
@click.argument("scenario")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Sweep folder: a partitioned Parquet dataset of finished runs, resumable.")
@REPLICATES
@WORKERS
@dask_options
@EXPORT
@FORCE
def sweep(scenario: str, out: Path, replicates: int | None, workers: int, scheduler: str | None, dask_local: bool,
          resume: bool, export: str, force: bool) -> None:
    """Run the sweep declared in SCENARIO's 'sweep' block (grid, lhs or sobol).

    Each finished run is appended to OUT as it completes; an interrupted sweep continues with
    --resume. Writes OUT/tables/results (one row per run: its factor values and metrics). Runs that
    raise are recorded in OUT/tables/errors and do not stop the sweep.
    """
    from .api import check_formats, save_sweep_tables

    with user_errors():
        formats = check_formats(export)
        sc = _load(scenario)
        method = sc.sweep.method if sc.sweep else "grid"
        result = _experiment(sc, out, method, None, "sweep", replicates, workers, scheduler, dask_local, resume,
                             force)
        try:
            save_sweep_tables(result)
        except KeyboardInterrupt:
            raise KeyboardInterrupt(f"interrupted: all {result.meta['runs']} runs are safely on disk in {str(out)!r}; "
                                    f"write its tables and charts with --resume") from None
        if formats and "points" in result.tables:
            result.export(out / "exports" / "sweep", formats)
    _print_points(result)
    click.echo(f"results: {out}")


def _print_points(result) -> None:
    """A sweep's key outcomes per point (mean [5-95%]) and their paired differences from the reference point."""
    points = result.tables.get("points")
    if points is None or not len(points):
        return
    factor_cols = result.factors
    for outcome in ("coverage", "median_time_to_50"):
        rows = points[points["metric"] == outcome]
        if not len(rows):
            continue
        click.echo(f"{outcome} per point, mean [5-95%] (differences from point {result.meta['reference_point']}: "
                   f"tables/differences):")
        for _, row in rows.head(12).iterrows():
            settings = ", ".join(f"{f}={row[f]}" for f in factor_cols)
            click.echo(f"  point {int(row['point'])}: {row['mean']:.3f} [{row['q05']:.3f}-{row['q95']:.3f}]  ({settings})")
        if len(rows) > 12:
            click.echo(f"  ... {len(rows) - 12} more points in tables/points")


@main.command()
@click.argument("scenario")
@click.option("--method", type=click.Choice(["sobol", "morris"]), required=True,
              help="sobol: first-order and total indices (Saltelli sample, N x (D+2) runs); "
                   "morris: elementary effects (N x (D+1) runs).")
@click.option("--outcome", "outcomes", multiple=True, required=True,
              help="Metric to analyse (repeatable), e.g. coverage, median_time_to_50, share_national.")
@click.option("--samples", type=click.IntRange(min=2), default=None,
              help="Base samples N (default: the sweep block's 'samples'); a power of 2 for sobol.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder (default: results/<name>-sensitivity-<method>/).")
@REPLICATES
@WORKERS
@dask_options
@FORCE
@LANG
@SIZE
def sensitivity(scenario: str, method: str, outcomes: tuple[str, ...], samples: int | None, out: Path | None,
                replicates: int | None, workers: int, scheduler: str | None, dask_local: bool, resume: bool,
                force: bool, lang: str, size: str) -> None:
    """Sobol or Morris sensitivity of OUTCOMES to the factors of SCENARIO's sweep block (SALib).

    Continuous factors are sampled over their range; categorical ones (lists) over their levels,
    each level an equal share of the unit interval. Writes tables/sensitivity and figures/sensitivity.
    """
    from .api import save_sweep_tables

    with user_errors():
        sc = _load(scenario)
        out = out or Path("results") / f"{sc.name}-sensitivity-{method}"
        result = _experiment(sc, out, method, samples, "sensitivity", replicates, workers, scheduler, dask_local,
                             resume, force, outcomes=outcomes)
        save_sweep_tables(result, lang=lang, size=size)
    indices = result.tables["sensitivity"]
    columns = ["outcome", "factor", "S1", "S1_conf", "ST", "ST_conf"] if method == "sobol" else \
        ["outcome", "factor", "mu_star", "mu_star_conf", "sigma"]
    click.echo(indices[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    from .i18n import t

    for row in result.tables["noise"].itertuples():   # one replicate a point cannot tell the seed's share
        key = "seed_share_unknown" if row.seed_share != row.seed_share else "seed_share_line"
        click.echo("  " + t(key, "en", outcome=row.outcome, share=row.seed_share))
    click.echo(f"results: {out}")


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--outcome", required=True, help="Metric that defines success, e.g. share_90_within_5_years.")
@click.option("--threshold", type=float, required=True, help="Success: outcome >= threshold (or <= with --below).")
@click.option("--below", is_flag=True, help="Success is outcome <= threshold.")
@click.option("--min-coverage", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="Choose the densest box that still covers this share of the successful runs.")
@click.option("--peel-alpha", type=click.FloatRange(0.01, 0.5), default=0.05, show_default=True,
              help="Share of runs peeled off at each PRIM step.")
@FORCE
@LANG
@SIZE
def discover(folder: Path, outcome: str, threshold: float, below: bool, min_coverage: float, peel_alpha: float,
             force: bool, lang: str, size: str) -> None:
    """Scenario discovery on a finished sweep FOLDER: which settings give success (PRIM boxes).

    Writes FOLDER/discovery-<outcome>/ with the peeling trajectory, the chosen box's limits and a chart.
    """
    from . import api

    with user_errors():
        result = api.discover(folder, outcome=outcome, threshold=threshold, below=below, min_coverage=min_coverage,
                              peel_alpha=peel_alpha)
        target = folder / f"discovery-{outcome}"
        _claim(target, force)
        result.meta["command"] = " ".join(["diffusion", *sys.argv[1:]])
        result.save(target, force=force, lang=lang, size=size)
    found = result.tables
    summary = found["summary"].iloc[0]
    click.echo(f"{int(summary['cases_of_interest'])} of {int(summary['runs'])} runs have {outcome} "
               f"{'<=' if below else '>='} {threshold}. Chosen box {int(summary['box_id'])}: coverage "
               f"{summary['coverage']:.2f}, density {summary['density']:.2f}, mass {summary['mass']:.2f}")
    for row in found["box"].itertuples():
        if row.restricted:
            limits = row.levels if row.kind == "categorical" else f"{row.low:.3g} .. {row.high:.3g}"
            click.echo(f"  {row.factor}: {limits}")
    for message in result.warnings:
        click.echo(f"warning: {message}", err=True)
    click.echo(f"results: {target}")


@main.command()
@click.argument("results", type=click.Path(file_okay=False, path_type=Path))
@LANG
@click.option("--paper", type=click.Choice(["a4", "letter"]), default="a4", show_default=True,
              help="Paper size of report.pdf.")
def report(results: Path, lang: str, paper: str) -> None:
    """Write report.html (self-contained) and report.pdf (A4 or Letter pages) for a RESULTS folder.

    Each kind of folder gets its own report: a run its scenario's key metrics with 5-95% intervals; a
    comparison each scenario's metrics and its paired difference from the reference; a sweep its points;
    sensitivity its indices; discovery its box; attribution each channel's share; calibration its
    posterior and predictive check. With the main charts, the parameters that really differ from the
    baseline, the data sources and, in every page's footer, the model version, scenario, parameter hash
    and seed. Chinese reports are written as report_zh.html / report_zh.pdf.
    """
    from .report import write_report

    with user_errors():
        html_path, pdf_path = write_report(results, lang=lang, paper=paper)
    click.echo(f"report: {html_path}")
    click.echo(f"report: {pdf_path}")


@main.command()
@click.argument("scenario", required=False)
@click.option("--port", type=click.IntRange(min=1024, max=65535), default=8765, show_default=True,
              help="Port to serve the app on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="IP address to serve on. The default reaches this computer only; 0.0.0.0 serves a classroom "
                   "network (students open http://THIS-COMPUTER'S-ADDRESS:PORT/).")
@LANG
def app(scenario: str | None, port: int, host: str, lang: str) -> None:
    """Serve the teaching app in the browser: the map, curves and channels, live, and a what-if mode.

    Open the address it prints. Changed settings take effect with 'Apply and restart'; Step and Play
    advance the model. The app starts from SCENARIO (default 'baseline'). Ctrl+C, kill, or closing the
    terminal stops it. It needs no internet connection and asks it for nothing.
    """
    import socket

    from .app import check_host, is_loopback, serve

    with user_errors():
        host = check_host(host)
        resolved = _load(scenario or "baseline")
        resolved.parameters()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as uvicorn binds: a just-stopped app's
        try:                                                          # closing connections do not block it
            probe.bind((host, port))
        except OSError as error:
            fail(f"cannot serve on {host} port {port} ({error.strerror}); choose another port with --port")
    if not is_loopback(host):
        click.echo(f"warning: serving on {host}: every computer that can reach this one can open the app at port "
                   f"{port} and run the model (it has no passwords; it cannot read or change files). Use it on a "
                   "classroom network you trust and stop it after class.", err=True)
    source = str(resolved.source) if resolved.source else (scenario or "baseline")
    name = resolved.name
    sys.exit(serve(source, lang=lang, host=host, port=port,
                   ready=lambda url: click.echo(f"serving {name} on {url} (Ctrl+C to stop)")))


# ------------------------------------------------------------------------------------- calibrate
@main.command()
@click.argument("scenario")
@click.option("--data", "data", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="CSV of observed adoptions: region,policy,adopted[,category]; adopted is a year, month, "
                   "day or quarter (2016, 2016-05, 2016-05-17, 2016Q2).")
@click.option("--edges", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV edge list source,target[,weight] replacing the scenario's ties (default: the scenario's "
                   "own network: its network.edge_list and network.regions_file, or the 31 provinces).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Results folder to create (default: results/<name>-calibration-<timestamp>/).")
@click.option("--simulations", type=click.IntRange(min=20, max=1_000_000), default=None,
              help="Prior simulations (default: the scenario's calibrate.simulations).")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Root seed (default: the scenario's 'seed'). Same seed, same fit, on any number of workers.")
@WORKERS
@click.option("--resume", is_flag=True, help="Continue a killed calibration into the same --out: the simulations "
              "already finished are kept (the result equals an uninterrupted one).")
@FORCE
@LANG
@SIZE
def calibrate(scenario: str, data: Path, edges: Path | None, out: Path | None, simulations: int | None,
              seed: int | None, workers: int, resume: bool, force: bool, lang: str, size: str) -> None:
    """Fit the parameters in SCENARIO's calibrate block to observed adoptions (ABC).

    Writes fitted.csv (posterior mean, median, sd, 5-95% interval), the posterior and every
    simulation, observed vs simulated curves, statistics and event-history logit coefficients, their
    charts, and fitted.yaml (a scenario with the posterior medians). See docs/calibration.md.
    """
    import warnings

    from . import api
    from .calibration import require_calibrate_block
    from .observed import read_observed
    from .scenario import check_observed_rows

    with user_errors():
        sc = _apply_overrides(_load(scenario), None, seed, None)
        require_calibrate_block(sc)
        check_observed_rows(data)
        observed = read_observed(data, edges, period_months=STEP_MONTHS[sc.time.step] or 1, params=sc.parameters())
        out = out or _default_out(f"{sc.name}-calibration")
        _claim(out, force)
        if out.exists() and not force:
            fail(f"results folder {str(out)!r} already exists; choose another --out or pass --force")
        work = out.parent / f".{out.name}.simulations"   # finished simulations, kept until the folder is written
        click.echo(f"{observed.path}: {len(observed.policies)} policies, {int((observed.steps > 0).sum())} adoptions "
                   f"in {len(observed.regions)} regions, {observed.timeline.label(1)} to "
                   f"{observed.timeline.label(observed.timeline.steps)}", err=True)
        total = (simulations or sc.calibrate.simulations) + sc.calibrate.predictive
        with progress_bar(total, f"{sc.name}: calibrating") as advance, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = api.calibrate(sc, data=data, edges=edges, simulations=simulations, workers=workers,
                                   progress=advance, work=work, resume=resume)
        result.meta["command"] = " ".join(["diffusion", *sys.argv[1:]])
        result.save(out, force=force, lang=lang, size=size)
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    click.echo(f"{result.meta['simulations']} simulations ({result.meta['failed']} failed) in "
               f"{result.meta['timings']['wall_seconds']:.1f} s; posterior median and 90% interval:")
    for row in result.tables["fitted"].itertuples():
        click.echo(f"  {row.parameter}: {row.median:.4g} [{row.q05:.4g}, {row.q95:.4g}]")
    for message in result.warnings:
        click.echo(f"warning: {message}", err=True)
    click.echo(f"results: {out}")


@main.command()
@click.argument("scenario", default="baseline", required=False)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="CSV file to write: region,policy,adopted,category (the format calibrate reads).")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed of the run (default: the scenario's).")
@click.option("--yearly", is_flag=True, help="Write adoption years instead of periods (e.g. 2016 not 2016Q2).")
@FORCE
def observe(scenario: str, out: Path, seed: int | None, yearly: bool, force: bool) -> None:
    """Write one run of SCENARIO as an observed-adoptions table, to test a calibration on known truth."""
    from .model import DiffusionModel
    from .observed import from_model
    from .results import write_text_atomic

    with user_errors():
        sc = _apply_overrides(_load(scenario), None, seed, None)
        if out.exists() and not force:
            fail(f"file {str(out)!r} already exists; choose another --out or pass --force")
        table = from_model(DiffusionModel(sc.parameters(), seed=sc.seed).run(), yearly=yearly)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(out, table.to_csv(index=False))
    click.echo(f"{len(table)} adoptions of {table['policy'].nunique()} policies: {out}")


@main.command()
@click.argument("calibration", type=click.Path(file_okay=False, path_type=Path))
@click.argument("designs", nargs=-1)
@click.option("--until", default=None, metavar="DATE",
              help="Forecast to the end of this year, quarter, month or day (2030, 2030Q4, 2030-12, 2030-12-31).")
@click.option("--draws", type=click.IntRange(min=1, max=100_000), default=100, show_default=True,
              help="Parameter vectors drawn from the posterior (one run per draw and design).")
@click.option("--backtest", "cutoff", default=None, metavar="DATE",
              help="Instead: fit again on the data up to DATE, forecast the rest and score the forecast by "
                   "how often the observed curve lies inside its bands.")
@click.option("--simulations", type=click.IntRange(min=20, max=1_000_000), default=None,
              help="With --backtest: prior simulations of the refit (default: the calibration's).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Results folder to create (default: results/<name>-forecast-<timestamp>/).")
@SEED
@WORKERS
@FORCE
@LANG
@SIZE
def forecast(calibration: Path, designs: tuple[str, ...], until: str | None, draws: int, cutoff: str | None,
             simulations: int | None, out: Path | None, seed: int | None, workers: int, force: bool, lang: str,
             size: str) -> None:
    """Forecast from CALIBRATION (a folder 'diffusion calibrate' wrote) for each DESIGN.

    Each run replays the observed history, then continues with parameters drawn from the posterior;
    designs (scenario files or library names; default: the calibrated scenario) share their random
    numbers draw by draw, so their differences are paired. Writes curves with 50% and 90% bands, each
    policy's adopters, the paired differences, the draws and their charts. With --backtest DATE it fits
    on the data up to DATE and scores the forecast of the rest. See docs/calibration.md.
    """
    import warnings

    from . import api

    with user_errors():
        if (until is None) == (cutoff is None):
            fail("give --until DATE (forecast) or --backtest DATE (score a forecast), one of them")
        if cutoff is not None and designs:
            fail("--backtest scores the calibrated scenario itself; leave out the designs")
        from .forecasting import load_calibration

        fitted = load_calibration(calibration)
        name = f"{fitted.scenario.name}-{'backtest' if cutoff else 'forecast'}"
        out = out or _default_out(name)
        _claim(out, force)
        if out.exists() and not force:
            fail(f"results folder {str(out)!r} already exists; choose another --out or pass --force")
        refit = (simulations or fitted.simulations) + fitted.scenario.calibrate.predictive if cutoff else 0
        runs = draws + refit    # the bar moves once per draw (all its designs) and per refit simulation
        with progress_bar(runs, f"{name}") as advance, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if cutoff:
                result = api.backtest(calibration, cutoff, draws=draws, simulations=simulations, workers=workers,
                                      progress=advance)
            else:
                result = api.forecast(calibration, designs, until=until, draws=draws, seed=seed, workers=workers,
                                      progress=advance)
        result.meta["command"] = " ".join(["diffusion", *sys.argv[1:]])
        result.save(out, force=force, lang=lang, size=size)
    if cutoff:
        b = result.meta["backtest"]
        click.echo(f"backtest from {b['cutoff_period']}: the observed curve lies inside the 90% band in "
                   f"{100 * b['curve_coverage_90']:.0f}% of {b['periods_scored']} later periods (50% band: "
                   f"{100 * b['curve_coverage_50']:.0f}%); {100 * b['policy_coverage_90']:.0f}% of "
                   f"{b['policies_scored']} policies' adopters inside their 90% interval; at the end observed "
                   f"{100 * b['final_observed']:.1f}%, forecast {100 * b['final_median']:.1f}% "
                   f"[{100 * b['final_q05']:.1f}, {100 * b['final_q95']:.1f}]")
    else:
        curves = result.tables["curves"]
        for design in result.meta["designs"]:
            last = curves[curves["design"] == design].iloc[-1]
            click.echo(f"{design}: {100 * last['q50']:.1f}% of region-policy pairs adopted by {last['period']} "
                       f"[90%: {100 * last['q05']:.1f}, {100 * last['q95']:.1f}]")
        for row in result.tables["differences"].itertuples():
            click.echo(f"  {row.design} - {row.reference}: {100 * row.median:+.1f} points "
                       f"[{100 * row.q05:+.1f}, {100 * row.q95:+.1f}], higher in {100 * row.share_higher:.0f}% of draws")
    click.echo(f"results: {out}")


def suggest_command(name: str) -> str:
    return _did_you_mean(name, list(main.commands))


if __name__ == "__main__":
    main()
