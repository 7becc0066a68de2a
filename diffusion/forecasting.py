"""Forecasts from a calibration's posterior: what the observed history and the fitted model say comes next.

``forecast(calibration_folder, designs, until)`` continues the observed adoption history to a later
date, for one or several designs (scenario files, or the calibrated scenario itself):

1. **Draws.** ``draws`` parameter vectors are drawn from the ABC posterior (its regression-adjusted
   values, with their weights) of the calibration folder; draw k uses replicate k of the scenario's
   seed, so every design meets the same luck in draw k (common random numbers) and the differences
   between designs are paired.
2. **History.** Each run replays the observed adoptions up to the end of the data (their outcomes and
   the evidence they give others included: :meth:`diffusion.model.DiffusionModel._replay`), and from
   there runs on its own. When the data are yearly and the model quarterly, the quarter of each
   observed adoption is drawn (it is unknown), in draw k's own stream, as the calibration does. At the
   end of the history each pair still undecided draws again whether the reform is relevant to the
   region, given that it did not adopt (Bayes, with the hazard the *calibrated* scenario gave it: a
   design changes what comes next, not the reading of what was observed). A design's institutions
   otherwise act from the start of the replay on what the data do not record (outcomes, beliefs).
3. **Summaries.** The cumulative share of (region, policy) pairs adopted by each period, with its
   median and 50% and 90% bands across draws; each policy's adopters at the horizon; and the paired
   difference of every design from the first.

``backtest(calibration_folder, cutoff)`` asks how far to trust this: it fits the calibration again on
the data up to ``cutoff`` (same scenario, priors and budget), forecasts the policies it knew to the end
of the data, and scores the forecast by the share of later periods whose observed curve lies inside the
90% band, and the share of policies whose observed adopters do.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .calibration import _as_parameter
from .observed import ObservedAdoptions, adoption_times, coarsen, first_adoption_steps
from .params import Parameters, make_parameters, with_changes
from .timeline import Timeline

BANDS = (0.05, 0.25, 0.5, 0.75, 0.95)
_DRAW_WORD = 0xF0CA57          # keys the forecast's own draws, apart from the calibration's


class ForecastError(ValueError):
    """A calibration folder, design or date a forecast cannot use."""


@dataclass(frozen=True)
class Fitted:
    """What a forecast needs from a calibration folder."""

    folder: Path
    scenario: object               # the calibrated Scenario
    observed: ObservedAdoptions
    names: tuple[str, ...]         # fitted parameters
    values: np.ndarray             # posterior draws x parameters (regression-adjusted)
    weights: np.ndarray
    simulations: int


def load_calibration(folder) -> Fitted:
    """The calibrated scenario, observed adoptions and posterior of a ``diffusion calibrate`` folder."""
    from .scenario import Scenario, ScenarioError

    folder = Path(folder)
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        raise ForecastError(f"{folder}: not a results folder (no manifest.json); give the folder "
                            f"'diffusion calibrate' wrote")
    meta = json.loads(manifest.read_text(encoding="utf-8"))
    if meta.get("kind") != "calibration":
        raise ForecastError(f"{folder}: a {meta.get('kind', 'unknown')} folder, not a calibration; give the "
                            f"folder 'diffusion calibrate' wrote")
    try:
        scenario = Scenario.model_validate(meta["resolved"])
    except (KeyError, ValueError) as error:
        raise ScenarioError(f"{folder}/manifest.json: the calibrated scenario cannot be read back ({error}); "
                            f"calibrate again with this version") from None
    tables = folder / "tables"
    posterior = pd.read_parquet(tables / "posterior.parquet")
    fitted = pd.read_parquet(tables / "fitted.parquet")
    names = tuple(fitted["parameter"])
    table = pd.read_parquet(tables / "observed.parquet")
    observed = _observed_from_table(folder, table, meta, scenario.parameters())
    return Fitted(folder=folder, scenario=scenario, observed=observed, names=names,
                  values=posterior[list(names)].to_numpy(float), weights=posterior["weight"].to_numpy(float),
                  simulations=int(meta.get("simulations", scenario.calibrate.simulations)))


def _observed_from_table(folder: Path, table: pd.DataFrame, meta: dict, params: Parameters) -> ObservedAdoptions:
    """The observed adoptions as the calibration read them, from its observed table and manifest, on the
    network of the calibrated scenario's parameters ``params`` (as the calibration changed it)."""
    from datetime import date

    from .observed import _world_names

    start = date.fromisoformat(meta["start"])
    timeline = Timeline(start, int(meta["period_months"]), int(meta["steps"]))
    params = params.model_copy(update={"network": params.network.model_copy(update=meta.get("network", {}))})
    regions = _world_names(params)
    policies = list(dict.fromkeys(table["policy"]))
    index_r = {r: i for i, r in enumerate(regions)}
    index_p = {p: i for i, p in enumerate(policies)}
    steps = np.zeros((len(regions), len(policies)), np.int32)
    steps[table["region"].map(index_r).to_numpy(), table["policy"].map(index_p).to_numpy()] = table["step"]
    categories = None
    if "category" in table.columns:
        first = table.drop_duplicates("policy").set_index("policy")["category"]
        categories = tuple(first.loc[p] for p in policies)
    return ObservedAdoptions(path=folder / "tables" / "observed.parquet", regions=regions, policies=policies,
                             categories=categories, steps=steps, timeline=timeline,
                             network=meta.get("network", {"kind": "provinces"}), yearly=timeline.period_months == 12)


# ------------------------------------------------------------------------------------------ runs
@dataclass(frozen=True)
class Plan:
    """One forecast: picklable, everything a worker needs."""

    designs: tuple[tuple[str, Parameters], ...]
    base: Parameters               # the calibrated scenario: its hazards condition the history for every design
    names: tuple[str, ...]
    thetas: np.ndarray             # draws x parameters
    plan: object                   # InnovationPlan of the observed policies
    observed_steps: np.ndarray     # regions x policies, observed periods
    substeps: int
    history_periods: int           # observed periods replayed
    horizon_periods: int           # periods to the forecast's end
    seed: int


def run_draw(args) -> dict:
    """Draw k for every design: the observed policies' adoption periods at the horizon."""
    job, k = args
    theta = job.thetas[k]
    rng = np.random.default_rng(np.random.SeedSequence([job.seed, _DRAW_WORD], spawn_key=(k,)))
    plan, history = job.plan, job.observed_steps.astype(np.int64)
    if job.substeps > 1:
        birth_offset = rng.integers(0, job.substeps, size=plan.n)
        plan = replace(plan, birth_step=plan.birth_step + birth_offset)
        birth_period = adoption_times(job.observed_steps, job.history_periods)[1]
        same = history == birth_period[None, :]
        low = np.where(same, birth_offset[None, :], 0)
        offset = low + np.floor(rng.random(history.shape) * (job.substeps - low)).astype(np.int64)
        history = np.where(history > 0, (history - 1) * job.substeps + 1 + offset, 0)
    until = job.history_periods * job.substeps
    out = {"k": k, "steps": {}}
    from .model import DiffusionModel

    def fitted(base: Parameters) -> Parameters:
        return with_changes(base, {n: _as_parameter(base, n, v) for n, v in zip(job.names, theta)})

    # what the history says of the pairs that did not adopt is the fitted model's reading of it: a design
    # changes what comes next, not what was observed
    calibrated = fitted(job.base)
    reader = DiffusionModel(calibrated, seed=job.seed, replicate=k, plan=plan,
                            history=(history, until)).run()
    survived = reader.history_hazard()
    for name, base in job.designs:
        params = fitted(base)
        if params == calibrated:
            model = reader
        else:
            model = DiffusionModel(params, seed=job.seed, replicate=k, plan=plan,
                                   history=(history, until, survived)).run()
        steps = coarsen(first_adoption_steps(model), job.substeps)[:, :job.observed_steps.shape[1]]
        out["steps"][name] = steps.astype(np.int32)
        if model is not reader:
            model.release()
    reader.release()
    return out


def _cumulative(steps: np.ndarray, periods: int) -> np.ndarray:
    """Share of (region, policy) pairs adopted by the end of each period 1..periods."""
    adopted = steps[steps > 0]
    counts = np.bincount(np.minimum(adopted, periods + 1), minlength=periods + 2)[1:periods + 1]
    return np.cumsum(counts) / steps.size


def _design_parameters(fitted: Fitted, base: Parameters, reference) -> tuple[str, Parameters]:
    """A design's parameters in the calibration's world: its own institutions and policies, the
    calibration's regions, calendar and horizon."""
    from .api import load
    from .params import dump_as_given

    sc = load(reference)
    if sc.time.step != fitted.scenario.time.step:
        raise ForecastError(f"{sc.source or sc.name}: time.step is {sc.time.step}, the calibration's is "
                            f"{fitted.scenario.time.step}; a design runs at the calibration's step (remove time.step)")
    data = dump_as_given(sc.parameters())
    world = dump_as_given(base)
    data["time"], data["network"] = world["time"], world["network"]
    try:
        return sc.name, make_parameters(data)
    except ValueError as error:
        raise ForecastError(f"{sc.source or sc.name}: as a design of this calibration: {error}") from None


def forecast(folder, designs=(), *, until: str, draws: int = 100, seed: int | None = None, workers: int = 1,
             backend=None, progress=None, fitted: Fitted | None = None) -> dict:
    """Continue the observed history of a calibration folder to ``until`` (a year, quarter, month or
    day: 2030, 2030Q4, ...) for each design, with parameters drawn from the posterior; tables and meta."""
    from .calibration import problem_for
    from .ensemble import map_jobs
    from .scenario import until_end

    started = time.perf_counter()
    fitted = fitted or load_calibration(folder)
    sc = fitted.scenario
    observed = fitted.observed
    seed = sc.seed if seed is None else int(seed)
    if not 1 <= draws <= 100_000:
        raise ForecastError(f"--draws: {draws} is not between 1 and 100,000")
    problem = problem_for(sc, observed)
    end = until_end(str(until))
    years = observed.timeline.years_of(end)
    data_years = observed.timeline.steps * observed.timeline.dt
    if years <= data_years + 1e-9:
        raise ForecastError(f"--until: {until} is not after the end of the data "
                            f"({observed.timeline.label(observed.timeline.steps)}); give a later date")
    horizon = int(round(years / observed.timeline.dt))
    base = problem.base.model_copy(update={"time": problem.base.time.model_copy(update={"years": years})})
    base = make_parameters(base.model_dump(mode="json"))
    chosen = [(sc.name, base)] if not designs else [_design_parameters(fitted, base, d) for d in designs]
    names = [name for name, _ in chosen]
    if len(set(names)) < len(names):
        raise ForecastError(f"designs: two designs are named {next(n for n in names if names.count(n) > 1)!r}; "
                            f"give each scenario its own name")
    rng = np.random.default_rng(np.random.SeedSequence([seed, _DRAW_WORD, 1]))
    picked = rng.choice(len(fitted.weights), size=draws, p=fitted.weights / fitted.weights.sum())
    job = Plan(designs=tuple(chosen), base=base, names=fitted.names, thetas=fitted.values[picked], plan=problem.plan,
               observed_steps=problem.observed_steps, substeps=problem.substeps,
               history_periods=observed.timeline.steps, horizon_periods=horizon, seed=seed)
    results = map_jobs(run_draw, [(job, k) for k in range(draws)], workers, progress, 4, backend=backend)
    tables = summarise(job, results, observed)
    meta = {"calibration": str(Path(fitted.folder).resolve()), "designs": names, "draws": draws, "seed": seed,
            "until": str(until), "data_end": observed.timeline.label(observed.timeline.steps),
            "parameters": list(fitted.names), "timings": {"wall_seconds": round(time.perf_counter() - started, 3)}}
    return {"tables": tables, "meta": meta}


def summarise(job: Plan, results: list[dict], observed: ObservedAdoptions) -> dict[str, pd.DataFrame]:
    """curves, policies, differences and draws tables of a forecast's runs."""
    periods = job.horizon_periods
    timeline = Timeline(observed.timeline.start, observed.timeline.period_months, periods)
    history = job.history_periods
    observed_curve = _cumulative(job.observed_steps, history)
    curves, policies, draws_rows = [], [], []
    finals = {}
    for name, _ in job.designs:
        runs = np.array([_cumulative(r["steps"][name], periods) for r in results])     # draws x periods
        finals[name] = runs[:, -1]
        quantiles = np.quantile(runs, BANDS, axis=0)
        curves.append(pd.DataFrame({
            "design": name, "period": [timeline.label(p) for p in range(1, periods + 1)],
            "date": timeline.dates(np.arange(1, periods + 1)).to_numpy(), "step": np.arange(1, periods + 1),
            "forecast": np.arange(1, periods + 1) > history,
            "observed": np.r_[observed_curve, np.full(periods - history, np.nan)],
            **{f"q{int(q * 100):02d}": quantiles[j] for j, q in enumerate(BANDS)}}))
        adopters = np.array([(r["steps"][name] > 0).sum(axis=0) for r in results])     # draws x policies
        low, mid, high = np.quantile(adopters, [0.05, 0.5, 0.95], axis=0)
        policies.append(pd.DataFrame({"design": name, "policy": observed.policies,
                                      "observed_adopters": (job.observed_steps > 0).sum(axis=0),
                                      "median": mid, "q05": low, "q95": high, "regions": job.observed_steps.shape[0]}))
        for r, final in zip(results, runs[:, -1]):
            draws_rows.append({"draw": r["k"], "design": name, "final_share": final,
                               **dict(zip(job.names, job.thetas[r["k"]]))})
    reference = job.designs[0][0]
    differences = []
    for name, _ in job.designs[1:]:
        diff = finals[name] - finals[reference]
        differences.append({"design": name, "reference": reference, "metric": "final_share",
                            "median": float(np.median(diff)), "mean": float(diff.mean()),
                            "q05": float(np.quantile(diff, 0.05)), "q95": float(np.quantile(diff, 0.95)),
                            "share_higher": float((diff > 0).mean()), "draws": len(diff)})
    columns = ["design", "reference", "metric", "median", "mean", "q05", "q95", "share_higher", "draws"]
    return {"curves": pd.concat(curves, ignore_index=True), "policies": pd.concat(policies, ignore_index=True),
            "differences": pd.DataFrame(differences, columns=columns), "draws": pd.DataFrame(draws_rows)}


# --------------------------------------------------------------------------------------- backtest
def truncated(observed: ObservedAdoptions, cutoff: str) -> tuple[ObservedAdoptions, int]:
    """The observed adoptions up to the end of the period holding ``cutoff`` (policies first adopted
    later are dropped: the fit cannot know them), and that period's number."""
    from .observed import parse_adoption_date

    try:
        day = parse_adoption_date(str(cutoff))[0]
    except ValueError:
        raise ForecastError(f"--backtest: {cutoff!r} is not a date; give a year, quarter, month or day "
                            f"(2019, 2019Q4, 2019-12, 2019-12-31)") from None
    timeline = observed.timeline
    last = timeline.step_of(day)
    if timeline.period_months == 12 or len(str(cutoff).strip()) == 4:
        last = timeline.step_of(day.replace(month=12))
    if not 2 <= last < timeline.steps:
        raise ForecastError(f"--backtest: {cutoff} leaves {max(last, 0)} of the data's {timeline.steps} periods "
                            f"({timeline.label(1)} to {timeline.label(timeline.steps)}) to fit on; give a date "
                            f"inside the data, with later periods left to score")
    steps = np.where(observed.steps <= last, observed.steps, 0)
    known = (steps > 0).any(axis=0)
    if known.sum() < 2:
        raise ForecastError(f"--backtest: by {cutoff} only {int(known.sum())} policy had been adopted; give a "
                            f"later cut-off")
    cats = None if observed.categories is None else tuple(c for c, k in zip(observed.categories, known) if k)
    cut = ObservedAdoptions(path=observed.path, regions=observed.regions,
                            policies=[p for p, k in zip(observed.policies, known) if k], categories=cats,
                            steps=steps[:, known], timeline=Timeline(timeline.start, timeline.period_months, last),
                            network=observed.network, yearly=observed.yearly)
    return cut, last


def score(curves: pd.DataFrame, policies: pd.DataFrame, truth: ObservedAdoptions, kept: list[str],
          cutoff: int) -> tuple[pd.DataFrame, dict]:
    """How the forecast of the kept policies did against what happened after the cut-off."""
    index = [truth.policies.index(p) for p in kept]
    steps = truth.steps[:, index]
    actual = _cumulative(steps, truth.timeline.steps)
    later = curves[curves["step"] > cutoff].copy()
    later = later[later["step"] <= truth.timeline.steps]
    later["observed"] = actual[later["step"].to_numpy() - 1]
    later["inside_90"] = (later["observed"] >= later["q05"] - 1e-12) & (later["observed"] <= later["q95"] + 1e-12)
    later["inside_50"] = (later["observed"] >= later["q25"] - 1e-12) & (later["observed"] <= later["q75"] + 1e-12)
    adopters = (steps > 0).sum(axis=0)
    inside = (adopters >= policies["q05"].to_numpy() - 1e-9) & (adopters <= policies["q95"].to_numpy() + 1e-9)
    summary = {"periods_scored": int(len(later)), "curve_coverage_90": float(later["inside_90"].mean()),
               "curve_coverage_50": float(later["inside_50"].mean()),
               "policy_coverage_90": float(inside.mean()), "policies_scored": len(kept),
               "final_observed": float(actual[-1]), "final_median": float(later["q50"].iloc[-1]),
               "final_q05": float(later["q05"].iloc[-1]), "final_q95": float(later["q95"].iloc[-1])}
    return later.reset_index(drop=True), summary


def backtest(folder, cutoff: str, *, draws: int = 100, simulations: int | None = None, workers: int = 1,
             backend=None, progress=None) -> dict:
    """Fit on the data up to ``cutoff``, forecast the rest, and score the forecast (module docstring)."""
    from .calibration import calibrate

    started = time.perf_counter()
    full = load_calibration(folder)
    cut, last = truncated(full.observed, cutoff)
    sc = full.scenario
    if simulations is not None:
        data = sc.model_dump(mode="json")
        data["calibrate"]["simulations"] = int(simulations)
        sc = type(sc).model_validate(data)
    fit = calibrate(sc, cut, workers=workers, progress=progress, backend=backend)
    posterior = fit.tables["posterior"]
    names = tuple(fit.tables["fitted"]["parameter"])
    refit = Fitted(folder=full.folder, scenario=sc, observed=cut, names=names,
                   values=posterior[list(names)].to_numpy(float), weights=posterior["weight"].to_numpy(float),
                   simulations=fit.simulations)
    end = full.observed.timeline.label(full.observed.timeline.steps)
    result = forecast(folder, until=end, draws=draws, workers=workers, backend=backend, progress=progress,
                      fitted=refit)
    tables = result["tables"]
    scored, summary = score(tables["curves"], tables["policies"], full.observed, cut.policies, last)
    tables["backtest"] = scored
    tables["fitted"] = fit.tables["fitted"]
    result["meta"].update(backtest={"cutoff": str(cutoff), "cutoff_period": cut.timeline.label(last),
                                    **summary, "simulations": fit.simulations},
                          timings={"wall_seconds": round(time.perf_counter() - started, 3)})
    return result
