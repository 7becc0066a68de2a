"""Generate the innovations of a run: when and where each is piloted, and its hidden traits.

Supply follows the three pathways of the brief. Plan-pilot items are a national agenda handed to the
FTZs that are open (so Shanghai, alone until 2015, got all of them); request-authorise and
autonomy-absorption items come from each open FTZ at a rate that is high just after it opens
(``pilot_burst``) and, for autonomy, also from non-FTZ regions at a lower rate. Rates are scaled so
the expected total over the first ``innovations.reference_years`` of the run is
``innovations.expected_total`` (a longer run continues at the same rate, so a projection does not thin
out its history).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import china, governance
from .network import RegionSet
from .params import PATHWAYS, Parameters
from .timeline import Timeline


@dataclass
class Innovations:
    """Traits of every innovation of a run, as arrays indexed 0..I-1 (fit is regions x innovations)."""

    category: np.ndarray        # int index into categories
    categories: list[str]
    origin: np.ndarray          # region number of the piloting FTZ; -1 if none (source=initial)
    pathway: np.ndarray         # int index into PATHWAYS
    birth_step: np.ndarray      # step at which the pilot starts
    birth_years: np.ndarray     # when in that step, in years since the start (uniform within the step)
    benefit: np.ndarray         # true (hidden) benefit
    risk: np.ndarray            # sd of an adopter's outcome
    complexity: np.ndarray      # implementation complexity, median 1
    fit: np.ndarray             # R x I region-specific fit, mean about 1
    evaluation_step: np.ndarray  # the step in which the centre can first evaluate it
    evaluation_years: np.ndarray = None   # when, in years since the start

    @property
    def n(self) -> int:
        return len(self.benefit)


@dataclass(frozen=True)
class InnovationPlan:
    """Innovations given from outside (observed policies, for calibration) instead of generated.

    Each has a birth step and an origin region (its first adopter, who pilots it); categories are
    optional names. Traits (benefit, risk, complexity, fit) and pathways are still drawn per run.
    """

    birth_step: np.ndarray
    origin: np.ndarray
    category: tuple[str, ...] | None = None

    @property
    def n(self) -> int:
        return len(self.birth_step)


def _local_weights(regions: RegionSet, params: Parameters, dt: float, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per step and region (steps x R): the share of the step in which the region's FTZ is open, and the
    relative local innovation intensity, FTZ and autonomy. Openings and ages are in real time (an FTZ
    opened in September counts for a third of its quarter), so supply does not depend on the step."""
    start = np.arange(steps)[:, None] * dt
    ftz_years = regions.ftz_years[None, :]
    with np.errstate(invalid="ignore"):
        open_share = np.clip((start + dt - ftz_years) / dt, 0.0, 1.0)
        age = np.maximum(0.0, start + dt * (1 - open_share / 2) - ftz_years)   # at the middle of the open part
    open_share = np.nan_to_num(open_share)
    burst = 1 + params.innovations.pilot_burst * np.exp(-np.nan_to_num(age) / params.innovations.burst_decay_years)
    ftz_weight = open_share * burst
    autonomy_weight = ftz_weight + (1.0 - open_share) * params.innovations.non_ftz_autonomy
    return open_share, ftz_weight, autonomy_weight


def _spread(expected: float, weights: np.ndarray, steps: int, reference: int, rng: np.random.Generator) -> np.ndarray:
    """Poisson counts per cell of the run's first ``steps`` rows of ``weights``, at the rate that gives
    ``expected`` in its first ``reference`` steps: a run longer or shorter than the reference period
    keeps the same supply per year instead of spreading the same total over a different length."""
    total = weights[:reference].sum()
    if expected <= 0 or total <= 0:
        return np.zeros(weights[:steps].shape, dtype=np.int64)
    return rng.poisson(expected * weights[:steps] / total)


def generate(params: Parameters, regions: RegionSet, rng: np.random.Generator,
             plan: InnovationPlan | None = None, timeline: Timeline | None = None) -> Innovations:
    """Draw the innovations of one run from the run's innovation generator (births and origins from
    ``plan`` if given). Lags in months become whole steps of the timeline."""
    timeline = timeline or Timeline(params.time.start, params.time.step, params.time.steps)
    spec = params.innovations
    weights = spec.category_weights or china.category_weights()
    if plan is not None and plan.category is not None:
        names = sorted(set(plan.category))
        weights = {name: float(plan.category.count(name)) for name in names}
    categories = list(weights)
    cat_p = np.array([weights[c] for c in categories], dtype=float)
    if (cat_p < 0).any() or cat_p.sum() <= 0:
        raise ValueError("innovations.category_weights: weights must be >= 0 and not all zero")
    cat_p /= cat_p.sum()
    mix = np.array([getattr(spec.pathway_mix, p) for p in PATHWAYS], dtype=float)
    mix /= mix.sum()

    if plan is not None:
        n = plan.n
        origin = np.asarray(plan.origin, dtype=np.int64)
        created = np.asarray(plan.birth_step, dtype=np.int64)
        pathway = rng.choice(len(PATHWAYS), size=n, p=mix)
    elif spec.source == "initial":
        n = spec.n_initial
        origin = np.full(n, -1)
        created = np.ones(n, dtype=np.int64)
        pathway = rng.choice(len(PATHWAYS), size=n, p=mix)
    else:
        steps = params.time.steps
        reference = max(1, int(round(spec.reference_years / timeline.dt)))
        open_share, ftz_w, auto_w = _local_weights(regions, params, timeline.dt, max(steps, reference))
        # plan-pilot: a national agenda, evenly over the time some FTZ is open, each item given to an open
        # FTZ (in proportion to the share of the step it is open)
        per_step = _spread(spec.expected_total * mix[0], open_share.max(axis=1), steps, reference, rng)
        ftz_all, auto_all = ftz_w, auto_w
        open_share, ftz_w, auto_w = open_share[:steps], ftz_w[:steps], auto_w[:steps]
        item_step = np.repeat(np.arange(len(per_step)), per_step)
        cumulative = np.cumsum(open_share[item_step], axis=1)
        pick = rng.random(item_step.size) * (cumulative[:, -1] if item_step.size else 0.0)
        item_region = np.argmax(cumulative > pick[:, None], axis=1)
        plan_cells = np.zeros_like(ftz_w, dtype=np.int64)
        np.add.at(plan_cells, (item_step, item_region), 1)
        cells = [plan_cells, _spread(spec.expected_total * mix[1], ftz_all, steps, reference, rng),
                 _spread(spec.expected_total * mix[2], auto_all, steps, reference, rng)]
        origin_l, created_l, pathway_l, earliest_l = [], [], [], []
        for p, counts in enumerate(cells):
            t_idx, r_idx = np.nonzero(counts)
            reps = counts[t_idx, r_idx]
            created_l.append(np.repeat(t_idx + 1, reps))
            origin_l.append(np.repeat(r_idx, reps))
            pathway_l.append(np.full(reps.sum(), p))
            # an FTZ pilot arises after its FTZ opened; autonomous ideas at any time of the step
            earliest = 1.0 - open_share[t_idx, r_idx] if p < 2 else np.zeros(t_idx.size)
            earliest_l.append(np.repeat(earliest, reps))
        created = np.concatenate(created_l).astype(np.int64)
        origin = np.concatenate(origin_l).astype(np.int64)
        pathway = np.concatenate(pathway_l).astype(np.int64)
        earliest = np.concatenate(earliest_l)
        order = np.lexsort((pathway, origin, created))  # innovations numbered in order of creation
        created, origin, pathway, earliest = created[order], origin[order], pathway[order], earliest[order]
        n = len(created)

    # Ideas are counted per step but arise at a uniform moment within it (a Poisson process has no
    # reason to start on the first day of a quarter); the lags then run in real time, so an idea's pilot
    # starts, and the centre can evaluate it, at the same date whatever the step length.
    effects = spec.pathways
    lags = governance.authorisation_lags(params)   # request-authorise: shortened by central-local coordination
    auth_lag = np.array([lags[p] for p in PATHWAYS])[pathway] / 12.0
    eval_lag = np.array([effects.evaluation_lag_months[p] for p in PATHWAYS])[pathway] / 12.0
    shift = np.array([effects.benefit_shift[p] for p in PATHWAYS])[pathway]
    sd_factor = np.array([effects.benefit_sd_factor[p] for p in PATHWAYS])[pathway]
    within = rng.random(n)
    if spec.source == "pilots" and plan is None:
        within = earliest + (1.0 - earliest) * within
    if spec.source == "initial" and plan is None:
        birth_years = np.zeros(n)      # all present from the first day
        birth = created
    else:
        birth_years = (created - 1 + within) * timeline.dt + (auth_lag if plan is None else 0.0)
        birth = timeline.steps_at(birth_years)
    keep = birth <= params.time.steps  # ideas whose pilot would start after the horizon are not part of the run
    created, origin, pathway, birth, birth_years = created[keep], origin[keep], pathway[keep], birth[keep], birth_years[keep]
    eval_lag, shift, sd_factor = eval_lag[keep], shift[keep], sd_factor[keep]
    n = len(birth)
    evaluation_years = birth_years + eval_lag

    if plan is not None and plan.category is not None:
        category = np.array([categories.index(c) for c in plan.category], dtype=np.int64)[keep]
        rng.choice(len(categories), size=n, p=cat_p)  # same draws after this, with or without named categories
    else:
        category = rng.choice(len(categories), size=n, p=cat_p)
    benefit = spec.benefit_mean + shift + spec.benefit_sd * sd_factor * rng.standard_normal(n)
    risk = rng.uniform(spec.risk_min, spec.risk_max, size=n)
    complexity = np.exp(spec.complexity_sd * rng.standard_normal(n))
    noise = rng.standard_normal((regions.n, n))
    fit = np.exp(spec.fit_sd * noise - spec.fit_sd**2 / 2)
    if n and (origin >= 0).any() and spec.fit_similarity > 0:
        log_cap = np.log(regions.base_capacity)
        distance = np.abs(log_cap[:, None] - np.where(origin >= 0, log_cap[np.maximum(origin, 0)], log_cap.mean())[None, :])
        fit *= np.exp(-spec.fit_similarity * np.where(origin >= 0, distance, 0.0))
    # in its first step an innovation can be adopted only for the part of the step after its birth
    return Innovations(category=category, categories=categories, origin=origin, pathway=pathway, birth_step=birth,
                       birth_years=birth_years,
                       benefit=benefit, risk=risk, complexity=complexity, fit=fit,
                       evaluation_step=timeline.steps_at(evaluation_years),
                       evaluation_years=evaluation_years)


def add_policies(inn: Innovations, params: Parameters, regions: RegionSet, rng: np.random.Generator,
                 timeline: Timeline) -> tuple[Innovations, list[np.ndarray]]:
    """The innovations with the scenario's central policies appended (one column each), and each
    policy's pilot regions (empty when it is issued directly).

    A policy's traits are the scenario's (benefit, risk, complexity, category); only its fit is drawn,
    from the run's policy generator, like a generated innovation's. A pilot-first policy is born when
    its pilots start, its origin the first pilot region; a direct one when it is issued, with no origin.
    """
    policies = params.policies
    if not policies:
        return inn, []
    categories = list(inn.categories)
    for policy in policies:
        if policy.category not in categories:
            categories.append(policy.category)
    pilots, origin, born = [], [], []
    for policy in policies:
        if policy.pilot is None:
            pilots.append(np.zeros(0, np.int64))
            origin.append(-1)
            born.append(timeline.years_of(policy.date))
            continue
        try:
            members = np.array([regions.index(name) for name in policy.pilot.regions], np.int64)
        except ValueError as error:
            raise ValueError(f"policies: {policy.id}: pilot.regions: {error}") from None
        pilots.append(members)
        origin.append(int(members[0]))
        born.append(timeline.years_of(policy.pilot.start))
    born = np.array(born, float)
    if (born < 0).any():
        first = policies[int(np.argmin(born))]
        raise ValueError(f"policies: {first.id}: it starts before the run ({timeline.start.isoformat()}); "
                         f"move its date or time.start")
    n = len(policies)
    spec = params.innovations
    fit = np.exp(spec.fit_sd * rng.standard_normal((regions.n, n)) - spec.fit_sd**2 / 2)
    origin = np.array(origin, np.int64)
    if spec.fit_similarity > 0 and (origin >= 0).any():
        log_cap = np.log(regions.base_capacity)
        distance = np.abs(log_cap[:, None] - log_cap[np.maximum(origin, 0)][None, :])
        fit *= np.exp(-spec.fit_similarity * np.where(origin >= 0, distance, 0.0))
    decision = np.array([timeline.years_of(policy.decision) for policy in policies], float)
    join = lambda old, new: np.concatenate([old, np.asarray(new, dtype=old.dtype)])   # noqa: E731
    return Innovations(
        category=join(inn.category, [categories.index(p.category) for p in policies]), categories=categories,
        origin=join(inn.origin, origin), pathway=join(inn.pathway, np.zeros(n, np.int64)),
        birth_step=join(inn.birth_step, timeline.steps_at(born)), birth_years=join(inn.birth_years, born),
        benefit=join(inn.benefit, [p.benefit for p in policies]), risk=join(inn.risk, [p.risk for p in policies]),
        complexity=join(inn.complexity, [p.complexity for p in policies]),
        fit=np.concatenate([inn.fit, fit], axis=1),
        evaluation_step=join(inn.evaluation_step, timeline.steps_at(decision)),
        evaluation_years=join(inn.evaluation_years, decision)), pilots
