"""Calibration to observed adoptions by approximate Bayesian computation (ABC), and its validation.

The question a calibration answers: which values of the parameters named in a scenario's
``calibrate`` block make the model produce adoption histories like the observed one? The pieces,
each a pure function of arrays and tables (the model is run only in ``simulate``):

1. **Summary statistics** of a regions x policies matrix of first-adoption steps (``statistics``):
   the mean cumulative adoption curve at fixed times since each policy's introduction, the 10/50/90%
   quantiles of final coverage across policies, the share of policies reaching 50% of regions and
   the (censored) median time to 50%, and the coefficients of a discrete-time event-history logit of
   adoption on the share of adopted neighbours (``event_history``).
2. **Prior**: independent uniforms on the ranges of the ``calibrate`` block.
3. **Simulations**: parameter draw k and model run k both come from ``SeedSequence([seed, hash],
   spawn_key=(k,))``, so the simulations are the same on any number of workers.
4. **Projection** (semi-automatic ABC, Fearnhead & Prangle 2012): the statistics are projected onto
   the parameters by a linear regression over all simulations, giving one summary per parameter.
5. **Rejection** of all but the ``accept`` share of simulations nearest to the observed summaries,
   and **local-linear regression adjustment** (Beaumont, Zhang & Balding 2002) with Epanechnikov
   weights, on logit-transformed parameters so that the adjusted values stay inside their bounds.
6. **Posterior predictive check**: ``predictive`` runs at parameters drawn from the posterior give the
   bands of the curves, statistics and event-history coefficients compared with the observed ones.

No ABC library is used for steps 4-5: pyabc and ELFI draw from numpy's global random state (which
this project never uses) and bring their own storage; the two steps are some thirty lines of numpy,
tested by a parameter-recovery test. The reported event-history coefficients of the observed data
and their standard errors come from statsmodels' ``Logit``; simulations use a numpy IRLS fit of the
same model (the test suite checks the two agree).
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from .model import DiffusionModel
from .observed import ObservedAdoptions, adoption_times, coarsen, first_adoption_steps
from .params import Parameters, make_parameters, with_changes
from .timeline import Timeline
from .ensemble import map_jobs, run_one
from .scenario import _lookup, parameter_hash

CURVE_POINTS = 8
TERMS = ("intercept", "neighbour_share", "log_time_since_introduction")
COEFFICIENT_LIMIT = 20.0


# ----------------------------------------------------------------------------- event history
@dataclass(frozen=True)
class RiskSet:
    """Region x policy x step records at risk of adoption: outcome y and the covariates of TERMS."""

    X: np.ndarray
    y: np.ndarray


def _row_normalised(adjacency: sparse.spmatrix) -> sparse.csr_matrix:
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    inverse = np.divide(1.0, degree, out=np.zeros_like(degree, dtype=float), where=degree > 0)
    return sparse.diags(inverse) @ sparse.csr_matrix(adjacency)


def risk_set(steps: np.ndarray, horizon: int, adjacency: sparse.spmatrix,
             covariates: np.ndarray | None = None) -> RiskSet:
    """The discrete-time risk set of an adoption matrix (regions x policies; 0 = never).

    A region is at risk of adopting policy p in step t when p has been introduced (its first adoption
    is at step b_p <= t), the region has not adopted it before t, and it is not p's first adopter.
    Covariates: the share of the region's neighbours that had adopted p by the end of t - 1, and
    log(1 + t - b_p), the time since introduction, then the region's own ``covariates`` (regions x k,
    fixed over time: standardised values of the regions file's columns), so that the neighbour effect
    is estimated net of them.
    """
    extra = np.zeros((steps.shape[0], 0)) if covariates is None else np.asarray(covariates, float)
    adopted_at, birth = adoption_times(steps, horizon)
    origin = adopted_at.argmin(axis=0)
    norm = _row_normalised(adjacency)
    first = np.zeros(steps.shape, dtype=bool)
    first[origin, np.arange(steps.shape[1])] = True
    shares, times, outcomes, own = [], [], [], []
    for t in range(int(birth.min()), horizon + 1):
        live = np.flatnonzero(birth <= t)
        if live.size == 0:
            continue
        at = adopted_at[:, live]
        at_risk = (at >= t) & ~first[:, live]
        if not at_risk.any():
            continue
        share = norm @ (at < t).astype(float)
        rows, cols = np.nonzero(at_risk)
        shares.append(share[rows, cols])
        times.append(np.log1p(t - birth[live][cols]))
        own.append(extra[rows])
        outcomes.append(at[rows, cols] == t)
    if not shares:
        return RiskSet(np.zeros((0, len(TERMS) + extra.shape[1])), np.zeros(0))
    share = np.concatenate(shares)
    X = np.column_stack([np.ones_like(share), share, np.concatenate(times), np.concatenate(own)])
    return RiskSet(X, np.concatenate(outcomes).astype(float))


def logit_irls(X: np.ndarray, y: np.ndarray, start: np.ndarray | None = None, ridge: float = 1e-6,
               iterations: int = 50) -> np.ndarray:
    """Maximum-likelihood logit coefficients by iteratively reweighted least squares (tiny ridge for separation)."""
    beta = np.zeros(X.shape[1]) if start is None else np.array(start, dtype=float)
    if y.size == 0:
        return np.full(X.shape[1], np.nan)
    penalty = ridge * np.eye(X.shape[1])
    for _ in range(iterations):
        eta = np.clip(X @ beta, -30, 30)
        mu = 1.0 / (1.0 + np.exp(-eta))
        weight = mu * (1.0 - mu)
        hessian = (X * weight[:, None]).T @ X + penalty
        gradient = X.T @ (y - mu) - ridge * beta
        try:
            change = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            break
        beta = np.clip(beta + change, -COEFFICIENT_LIMIT, COEFFICIENT_LIMIT)
        if np.max(np.abs(change)) < 1e-8:
            break
    return beta


def event_history(steps: np.ndarray, horizon: int, adjacency: sparse.spmatrix, start=None,
                  covariates: np.ndarray | None = None) -> np.ndarray:
    """Logit coefficients (TERMS, then one per covariate) of the discrete-time event-history model of an
    adoption matrix."""
    risk = risk_set(steps, horizon, adjacency, covariates)
    return logit_irls(risk.X, risk.y, start)


def event_history_statsmodels(steps: np.ndarray, horizon: int, adjacency: sparse.spmatrix,
                              covariates: np.ndarray | None = None, names: tuple[str, ...] = ()) -> pd.DataFrame:
    """The same event-history logit fitted by statsmodels: coefficient, standard error, z, p, 95% CI."""
    import statsmodels.api as sm

    risk = risk_set(steps, horizon, adjacency, covariates)
    fit = sm.Logit(risk.y, risk.X).fit(disp=0, maxiter=200)
    interval = np.asarray(fit.conf_int(0.05))
    return pd.DataFrame({"term": TERMS + tuple(names), "coefficient": fit.params, "std_error": fit.bse, "z": fit.tvalues,
                         "p_value": fit.pvalues, "ci_low": interval[:, 0], "ci_high": interval[:, 1],
                         "records": len(risk.y), "events": int(risk.y.sum())})


# ----------------------------------------------------------------------------------- statistics
@dataclass(frozen=True)
class StatisticsDesign:
    """What the statistics look at, fixed by the observed data so every simulation is measured alike."""

    horizon: int
    taus: np.ndarray          # times since introduction at which the curve enters the distance
    curve_taus: np.ndarray    # every time since introduction with at least half the policies exposed
    adjacency: sparse.csr_matrix
    covariate_names: tuple[str, ...] = ()
    covariates: np.ndarray | None = None     # regions x covariates, standardised (event-history terms)

    @classmethod
    def from_observed(cls, steps: np.ndarray, horizon: int, adjacency: sparse.spmatrix,
                      covariates: dict[str, np.ndarray] | None = None) -> StatisticsDesign:
        from .regions_file import standardised

        birth = adoption_times(steps, horizon)[1]
        exposure = horizon - birth      # the largest time since introduction each policy is observed at
        tau_max = max(1, int(np.floor(np.median(exposure))))
        curve_taus = np.arange(0, tau_max + 1)
        taus = np.unique(np.round(np.linspace(1, tau_max, min(CURVE_POINTS, tau_max))).astype(int))
        names = tuple(covariates or ())
        matrix = (np.column_stack([standardised(np.asarray(covariates[n], float)) for n in names]) if names
                  else None)
        return cls(horizon, taus, curve_taus, sparse.csr_matrix(adjacency), names, matrix)

    @property
    def terms(self) -> tuple[str, ...]:
        """The event-history logit's terms: TERMS, then the covariates."""
        return TERMS + self.covariate_names

    def names(self) -> list[str]:
        return ([f"curve_{int(k)}" for k in self.taus] + ["coverage_q10", "coverage_q50", "coverage_q90",
                "share_reaching_50", "median_time_to_50"] + [f"eha_{term}" for term in self.terms])


def cumulative_curve(steps: np.ndarray, horizon: int, taus: np.ndarray) -> np.ndarray:
    """Mean share of regions that adopted a policy within tau steps of its introduction (exposed policies only)."""
    adopted_at, birth = adoption_times(steps, horizon)
    relative = adopted_at - birth          # regions x policies: steps from introduction to adoption
    curve = np.full(len(taus), np.nan)
    for k, tau in enumerate(taus):
        exposed = birth + tau <= horizon
        if exposed.any():
            curve[k] = (relative[:, exposed] <= tau).mean()
    return curve


def statistics(steps: np.ndarray, design: StatisticsDesign, start=None) -> np.ndarray:
    """The summary-statistic vector (``design.names()``) of one adoption matrix."""
    horizon = design.horizon
    regions = steps.shape[0]
    adopted_at, birth = adoption_times(steps, horizon)
    coverage = (steps > 0).mean(axis=0)
    half = math.ceil(0.5 * regions)
    at_half = np.sort(adopted_at, axis=0)[half - 1]                 # when the policy reached half the regions
    time_to_half = np.minimum(at_half - birth, horizon + 1 - birth)   # censored at the horizon
    reached = at_half <= horizon
    return np.concatenate([
        cumulative_curve(steps, horizon, design.taus),
        np.quantile(coverage, [0.1, 0.5, 0.9]),
        [reached.mean(), np.median(time_to_half)],
        event_history(steps, horizon, design.adjacency, start, design.covariates),
    ])


# ---------------------------------------------------------------------------------- simulation
@dataclass(frozen=True)
class Problem:
    """Everything a worker needs to run simulation k: picklable, no open files."""

    base: Parameters
    names: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray
    plan: object
    design: StatisticsDesign
    digest: str              # parameter hash of the base parameters: with the seed, keys every simulation
    seed: int
    eha_start: np.ndarray
    observed_steps: np.ndarray
    substeps: int            # model steps per observed period (4 when yearly data meet a quarterly model)


def simulation_seed(problem: Problem, index: int) -> np.random.SeedSequence:
    """The seed sequence of simulation ``index``'s own draws (its parameters, where its policies start):
    keyed by the root seed, the base parameters' hash and the index. The model run itself is keyed by
    (seed, index) like replicate ``index`` of an ensemble."""
    words = [int(problem.digest[i:i + 8], 16) for i in range(0, 32, 8)]
    return np.random.SeedSequence([int(problem.seed), *words], spawn_key=(int(index),))


def prior_draw(problem: Problem, index: int) -> np.ndarray:
    """Parameters of prior simulation ``index`` (uniform within the bounds), from its own seed."""
    prior_rng = np.random.default_rng(simulation_seed(problem, index).spawn(1)[0])
    return problem.low + (problem.high - problem.low) * prior_rng.random(len(problem.names))


def _as_parameter(params: Parameters, name: str, value: float) -> int | float:
    """A fitted value in the parameter's own type: integer parameters are rounded."""
    current = _lookup(params, name)
    return int(round(value)) if isinstance(current, int) and not isinstance(current, bool) else float(value)


def _model_params(problem: Problem, theta: np.ndarray) -> Parameters:
    return with_changes(problem.base, {name: _as_parameter(problem.base, name, value)
                                       for name, value in zip(problem.names, theta)})


def run_simulation(problem: Problem, index: int, theta: np.ndarray | None = None) -> dict:
    """Run simulation ``index`` (at its prior draw, or at ``theta``); its statistics, or its error.

    Child 0 of the simulation's seed sequence draws the parameters, child 1 runs the model, child 2
    places each policy's introduction within its observed period when a period holds several model
    steps (the data say only the year: the quarter is drawn uniformly, as it is unknown).
    """
    if theta is None:
        theta = prior_draw(problem, index)
    children = simulation_seed(problem, index).spawn(3)
    plan = problem.plan
    if problem.substeps > 1:
        offset = np.random.default_rng(children[2]).integers(0, problem.substeps, size=plan.n)
        plan = replace(plan, birth_step=plan.birth_step + offset)
    try:
        model = run_one(_model_params(problem, theta), problem.seed, index, plan=plan)
        steps = coarsen(first_adoption_steps(model), problem.substeps)
        model.release()     # freed now, not at the next full collection (DiffusionModel.release)
        return {"index": index, "theta": theta, "stats": statistics(steps, problem.design, problem.eha_start),
                "steps": steps, "error": ""}
    except Exception as error:  # a failed run is recorded and does not stop the calibration
        return {"index": index, "theta": theta, "stats": None, "steps": None, "error": f"{type(error).__name__}: {error}"}


def _prior_job(args):
    problem, index = args
    result = run_simulation(problem, index)
    result.pop("steps")
    return result


def _predictive_job(args):
    problem, index, theta = args
    return run_simulation(problem, index, theta)


# ------------------------------------------------------------------------------------------ ABC
def to_unbounded(theta: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    unit = np.clip((theta - low) / (high - low), 1e-6, 1 - 1e-6)
    return np.log(unit / (1 - unit))


def to_bounded(z: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return low + (high - low) / (1.0 + np.exp(-z))


def robust_scale(values: np.ndarray) -> np.ndarray:
    """Median absolute deviation (x 1.4826) of each column, falling back to the sd, then to 1."""
    scale = 1.4826 * np.median(np.abs(values - np.median(values, axis=0)), axis=0)
    sd = values.std(axis=0)
    scale = np.where(scale > 0, scale, sd)
    return np.where(scale > 0, scale, 1.0)


@dataclass
class Posterior:
    """Accepted simulations, their regression-adjusted parameters and Epanechnikov weights."""

    accepted: np.ndarray        # indices into the simulations
    raw: np.ndarray             # accepted parameters, as simulated
    adjusted: np.ndarray        # after the local-linear regression adjustment
    weight: np.ndarray
    distance: np.ndarray        # distance of every simulation
    projection: np.ndarray      # summary projection coefficients (1 + statistics) x parameters


def abc_posterior(theta: np.ndarray, stats: np.ndarray, observed: np.ndarray, low: np.ndarray, high: np.ndarray,
                  accept: float) -> Posterior:
    """Semi-automatic ABC: project, reject, adjust (see the module docstring for the steps and references)."""
    n, k = theta.shape
    scale = robust_scale(stats)
    centre = np.median(stats, axis=0)
    S = (stats - centre) / scale
    s_obs = (observed - centre) / scale
    z = to_unbounded(theta, low, high)
    design = np.column_stack([np.ones(n), S])
    projection, *_ = np.linalg.lstsq(design, z, rcond=None)          # (1 + statistics) x parameters
    summaries = design @ projection
    summary_obs = np.r_[1.0, s_obs] @ projection
    summary_scale = robust_scale(summaries)
    distance = np.sqrt((((summaries - summary_obs) / summary_scale) ** 2).sum(axis=1))
    count = min(n, max(int(math.ceil(accept * n)), 2 * (k + 2)))
    accepted = np.argsort(distance, kind="stable")[:count]
    bandwidth = distance[accepted].max() * 1.000001 or 1.0
    weight = 1.0 - (distance[accepted] / bandwidth) ** 2
    delta = (summaries[accepted] - summary_obs) / summary_scale
    local = np.column_stack([np.ones(count), delta])
    root_w = np.sqrt(weight)[:, None]
    beta, *_ = np.linalg.lstsq(local * root_w, z[accepted] * root_w, rcond=None)
    adjusted_z = z[accepted] - delta @ beta[1:]
    return Posterior(accepted=accepted, raw=theta[accepted], adjusted=to_bounded(adjusted_z, low, high),
                     weight=weight / weight.sum(), distance=distance, projection=projection)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q) -> np.ndarray:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) - 0.5 * weights[order]
    cumulative /= weights.sum()
    return np.interp(q, cumulative, values[order])


# -------------------------------------------------------------------------------------- driver
@dataclass
class Calibration:
    """Everything a calibration produced: tables (for the results folder) and headline numbers."""

    tables: dict[str, pd.DataFrame]
    simulations: int
    failed: int
    seconds: float


def require_calibrate_block(scenario) -> None:
    """ValueError, saying what to add, when the scenario names nothing to fit."""
    if scenario.calibrate is None:
        raise ValueError(f"{scenario.source or scenario.name}: the scenario has no 'calibrate' block; add one naming "
                         f"the parameters to fit and their bounds, e.g.\n  calibrate:\n    parameters:\n      "
                         f"channels.competition.weight_per_year: {{min: 0, max: 2}}")


def problem_for(scenario, observed: ObservedAdoptions) -> Problem:
    """The calibration problem of a scenario with a ``calibrate`` block and observed adoptions."""
    require_calibrate_block(scenario)
    spec = scenario.calibrate
    data = scenario.parameters().model_dump(mode="json")
    period = Timeline(scenario.time.start, scenario.time.step, 1).period_months
    if period is None or observed.timeline.period_months % period:
        given = "weekly steps" if period is None else f"{period}-month steps"
        raise ValueError(f"{observed.path}: the data are observed every {observed.timeline.period_months} months, "
                         f"which is not a whole number of the scenario's {given}; set time.step to month, "
                         f"quarter, half_year or year accordingly")
    substeps = observed.timeline.period_months // period
    data["time"].update(start=observed.timeline.start.isoformat(),
                        years=observed.timeline.steps * substeps * period / 12.0)
    data["network"].update(observed.network)
    try:
        base = make_parameters(data)
    except ValueError as error:     # e.g. centuries of monthly data: more steps than a run may have
        message = str(error).replace("invalid parameters:\n  ", "")
        raise ValueError(f"{observed.path}: the data, {observed.timeline.steps * substeps} steps of {period} month(s) "
                         f"from {observed.timeline.start.isoformat()}, do not fit the model: {message}") from None
    probe = DiffusionModel(base.model_copy(update={"time": base.time.model_copy(update={"years": base.time.dt})}), seed=0)
    regions = list(probe.regions.names)
    plan = observed.plan(regions, substeps)
    steps = observed.aligned(regions)
    design = StatisticsDesign.from_observed(steps, observed.timeline.steps, probe.regions.adjacency,
                                            _eha_covariates(spec, probe.regions))
    names = tuple(spec.parameters)
    low = np.array([spec.parameters[n].min for n in names], dtype=float)
    high = np.array([spec.parameters[n].max for n in names], dtype=float)
    eha = event_history(steps, design.horizon, design.adjacency, covariates=design.covariates)
    return Problem(base=base, names=names, low=low, high=high, plan=plan, design=design,
                   digest=parameter_hash(base), seed=int(scenario.seed), eha_start=eha, observed_steps=steps,
                   substeps=substeps)


def _eha_covariates(spec, regions) -> dict[str, np.ndarray]:
    """The covariates the calibrate block puts into the event-history statistics, by name; ValueError
    naming the block for one the network does not have."""
    from .params import _did_you_mean

    out = {}
    for name in spec.covariates:
        if name not in regions.covariates:
            known = sorted(regions.covariates)
            raise ValueError(f"calibrate.covariates: unknown covariate {name!r}{_did_you_mean(name, known)}; "
                             f"covariates of this network: {', '.join(known) or 'none (add numeric columns to a network.regions_file)'}")
        out[name] = regions.covariates[name]
    return out


class SimulationStore:
    """The prior simulations of a calibration on disk, so a killed calibration resumes where it stopped.

    ``FOLDER/identity.json`` says what is being fitted (the scenario's parameter hash and calibrate
    block, a hash of the observed adoptions); ``FOLDER/part-*.parquet`` hold finished simulations, each
    part written to a temporary name and renamed when complete. Simulation k's numbers depend only on
    the problem and k, so the resumed calibration equals an uninterrupted one."""

    def __init__(self, folder: Path, identity: dict):
        self.folder = Path(folder)
        self.identity = identity

    def open(self, resume: bool) -> dict[int, dict]:
        """The finished simulations by index (none unless ``resume``); ValueError when the folder holds
        another calibration."""
        marker = self.folder / "identity.json"
        if resume:
            if not marker.is_file():
                raise ValueError(f"nothing to resume: {str(self.folder)!r} holds no interrupted calibration "
                                 f"(run without --resume)")
            if json.loads(marker.read_text(encoding="utf-8")) != self.identity:
                raise ValueError(f"{str(self.folder)!r} holds the simulations of a different calibration (scenario, "
                                 f"calibrate block or data changed); run without --resume to start afresh")
            return self._load()
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        marker.write_text(json.dumps(self.identity, sort_keys=True), encoding="utf-8")
        return {}

    def _load(self) -> dict[int, dict]:
        done: dict[int, dict] = {}
        for part in sorted(self.folder.glob("part-*.parquet")):
            for row in pd.read_parquet(part).itertuples():
                done[int(row.index)] = {"index": int(row.index), "theta": np.asarray(row.theta, float),
                                        "stats": None if row.stats is None else np.asarray(row.stats, float),
                                        "error": row.error}
        return done

    def write(self, results: list[dict]) -> None:
        if not results:
            return
        frame = pd.DataFrame({"index": [r["index"] for r in results],
                              "theta": [np.asarray(r["theta"], float).tolist() for r in results],
                              "stats": [None if r["stats"] is None else np.asarray(r["stats"], float).tolist()
                                        for r in results],
                              "error": [r["error"] for r in results]})
        name = f"part-{results[0]['index']:08d}.parquet"
        tmp = self.folder / f".{name}.tmp"
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, self.folder / name)

    def remove(self) -> None:
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)


def identity_of(scenario, observed: ObservedAdoptions) -> dict:
    """What a stored set of simulations belongs to: the scenario, its calibrate block and the data."""
    import hashlib

    data = hashlib.sha256(np.ascontiguousarray(observed.steps).tobytes()).hexdigest()
    return {"parameter_hash": scenario.parameter_hash(), "seed": scenario.seed,
            "calibrate": scenario.calibrate.model_dump(mode="json"), "data": data}


def calibrate(scenario, observed: ObservedAdoptions, workers: int = 1,
              progress: Callable[[int], None] | None = None, backend=None, store: SimulationStore | None = None,
              resume: bool = False, batch: int = 50) -> Calibration:
    """Fit the scenario's ``calibrate`` parameters to observed adoptions; tables of fit, posterior and checks.

    With a ``store`` the prior simulations are written to disk in batches as they finish, and ``resume``
    continues from what is there (the result equals an uninterrupted calibration's)."""
    started = time.perf_counter()
    spec = scenario.calibrate
    problem = problem_for(scenario, observed)
    steps_obs = problem.observed_steps
    design = problem.design
    observed_stats = statistics(steps_obs, design)

    if store is None:
        results = map_jobs(_prior_job, [(problem, k) for k in range(spec.simulations)], workers, progress, 8,
                           backend=backend)
    else:
        done = store.open(resume)
        if progress and done:
            progress(len([k for k in done if k < spec.simulations]))
        todo = [k for k in range(spec.simulations) if k not in done]
        for first in range(0, len(todo), batch):
            chunk = todo[first:first + batch]
            finished = map_jobs(_prior_job, [(problem, k) for k in chunk], workers, progress, 8, backend=backend)
            store.write(finished)
            done.update((r["index"], r) for r in finished)
        results = [done[k] for k in range(spec.simulations)]
    usable = [r["stats"] is not None and bool(np.all(np.isfinite(r["stats"]))) for r in results]
    ok = [r for r, good in zip(results, usable) if good]
    failures = [r for r, good in zip(results, usable) if not good]
    if len(ok) < max(10, 2 * (len(problem.names) + 2)):
        errors = sorted({r["error"] for r in results if r["error"]})
        raise ValueError(f"only {len(ok)} of {len(results)} simulations gave usable statistics; "
                         f"first error: {errors[0] if errors else 'statistics were not finite'}")
    theta = np.array([r["theta"] for r in ok])
    stats = np.array([r["stats"] for r in ok])
    posterior = abc_posterior(theta, stats, observed_stats, problem.low, problem.high, spec.accept)

    rng = np.random.default_rng(simulation_seed(problem, 10**9))   # the predictive draws' own stream
    draws = rng.choice(len(posterior.weight), size=spec.predictive, p=posterior.weight) if spec.predictive else []
    predictive = map_jobs(_predictive_job, [(problem, spec.simulations + j, posterior.adjusted[d])
                                            for j, d in enumerate(draws)], workers, progress, 8, backend=backend)
    predictive = [r for r in predictive if r["stats"] is not None]

    tables = _tables(problem, observed, steps_obs, observed_stats, ok, failures, theta, stats, posterior, predictive)
    return Calibration(tables=tables, simulations=len(results), failed=len(failures),
                       seconds=time.perf_counter() - started)


def _tables(problem, observed, steps_obs, observed_stats, ok, failures, theta, stats, posterior, predictive):
    names = list(problem.names)
    design = problem.design
    stat_names = design.names()
    w = posterior.weight
    fitted_rows = []
    for j, name in enumerate(names):
        values = posterior.adjusted[:, j]
        q05, q50, q95 = weighted_quantile(values, w, [0.05, 0.5, 0.95])
        mean = float(np.sum(w * values))
        fitted_rows.append({"parameter": name, "prior_min": problem.low[j], "prior_max": problem.high[j],
                            "mean": mean, "median": q50, "sd": float(np.sqrt(np.sum(w * (values - mean) ** 2))),
                            "q05": q05, "q95": q95, "rejection_median": float(np.median(posterior.raw[:, j]))})
    fitted = pd.DataFrame(fitted_rows)

    posterior_table = pd.DataFrame({"simulation": [ok[i]["index"] for i in posterior.accepted], "weight": w,
                                    "distance": posterior.distance[posterior.accepted]})
    for j, name in enumerate(names):
        posterior_table[name] = posterior.adjusted[:, j]
        posterior_table[f"{name} (simulated)"] = posterior.raw[:, j]

    accepted = np.zeros(len(ok), dtype=bool)
    accepted[posterior.accepted] = True
    simulations = pd.DataFrame({"simulation": [r["index"] for r in ok], "accepted": accepted,
                                "distance": posterior.distance})
    for j, name in enumerate(names):
        simulations[name] = theta[:, j]
    for j, stat in enumerate(stat_names):
        simulations[stat] = stats[:, j]
    if failures:
        failed = pd.DataFrame({"simulation": [r["index"] for r in failures], "accepted": False,
                               "error": [r["error"] or "statistics were not finite" for r in failures]})
        for j, name in enumerate(names):
            failed[name] = [r["theta"][j] for r in failures]
        simulations = pd.concat([simulations.assign(error=""), failed], ignore_index=True)
    else:
        simulations["error"] = ""

    pred_stats = np.array([r["stats"] for r in predictive]) if predictive else np.full((0, len(stat_names)), np.nan)
    stat_rows = []
    for j, stat in enumerate(stat_names):
        column = pred_stats[:, j]
        stat_rows.append({"statistic": stat, "observed": observed_stats[j],
                          "prior_median": float(np.median(stats[:, j])),
                          "predictive_q05": np.nanquantile(column, 0.05) if column.size else np.nan,
                          "predictive_median": np.nanmedian(column) if column.size else np.nan,
                          "predictive_q95": np.nanquantile(column, 0.95) if column.size else np.nan})
    statistics_table = pd.DataFrame(stat_rows)

    taus = design.curve_taus
    obs_curve = cumulative_curve(steps_obs, design.horizon, taus)
    curves = pd.DataFrame({"time_since_introduction": taus, "observed": obs_curve})
    if predictive:
        sims = np.array([cumulative_curve(r["steps"], design.horizon, taus) for r in predictive])
        curves["simulated_q05"] = np.nanquantile(sims, 0.05, axis=0)
        curves["simulated_median"] = np.nanmedian(sims, axis=0)
        curves["simulated_q95"] = np.nanquantile(sims, 0.95, axis=0)
    birth = adoption_times(steps_obs, design.horizon)[1]
    curves["policies_exposed"] = [(birth + tau <= design.horizon).sum() for tau in taus]
    curves["period_months"] = observed.timeline.period_months

    eha = event_history_statsmodels(steps_obs, design.horizon, design.adjacency, design.covariates,
                                    design.covariate_names)
    eha.insert(0, "source", "observed")
    if predictive:
        coefficients = pred_stats[:, -len(design.terms):]
        eha["simulated_mean"] = np.nanmean(coefficients, axis=0)
        eha["simulated_q05"] = np.nanquantile(coefficients, 0.05, axis=0)
        eha["simulated_q95"] = np.nanquantile(coefficients, 0.95, axis=0)
    return {"fitted": fitted, "posterior": posterior_table, "simulations": simulations, "statistics": statistics_table,
            "curves": curves, "event_history": eha, "observed": observed.table()}


# -------------------------------------------------------------------------------------- output
def fitted_scenario(scenario, fitted: pd.DataFrame) -> dict:
    """A scenario that extends the calibrated one with the posterior medians (to run the fitted model)."""
    data: dict = {"name": f"{scenario.name}-fitted", "extends": str(scenario.source) if scenario.source else scenario.name,
                  "description": {"en": "Posterior medians of a calibration (see fitted.csv for the uncertainty).",
                                  "zh": "校准所得后验中位数(不确定性见 fitted.csv)。"}}
    for name, value in zip(fitted["parameter"], fitted["median"]):
        node = data
        parts = name.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _as_parameter(scenario, name, value)
    return data


