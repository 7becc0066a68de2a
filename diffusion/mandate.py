"""Mandate: the centre orders replication (binding), assesses guidance (guided) or recommends (best practice).

Items reach regions two ways: FTZ pilots the centre promotes in batches (binding batches, best-practice
lists), and named central policies of the scenario's ``policies`` block (binding, guided or recommended,
issued on a date or, pilot first, after an evaluation). The centre estimates each innovation's worth from
the outcomes reported to it (conjugate normal, like the regions' learning) and, on a batch step, picks
among the innovations whose evaluation is due, that have at least ``min_reports`` reported outcomes, are
not yet promoted and not yet national, those with estimate > threshold, best first, up to the batch size.

**Binding items: deadline-driven compliance.** A region in scope plans to have a binding item issued at
T_i with deadline D_i done by its planned date T_i + H_ri, with

    H_ri = D_i x pi0 / (authority_r x assess_r) x cap_r^-eta x exp(sigma z_ri - sigma^2 / 2)

(pi0 = plan_share, eta = capacity_slack, sigma = plan_sd, z_ri a keyed standard normal: regions schedule
backward from the deadline, stronger leadership and assessment set earlier internal dates). Its hazard
of completing at time s is

    lambda_B(s) = k / max(T_i + H_ri - s, delta) x (1 + penalty_r [behind_r]) x (1 + e max(0, s - T_i - D_i) / D_i)

(k = planning_shape, delta = shortest_months): the pace rises as the planned date nears, so adoption builds
up toward it; a region not done by then (or redoing a failed item) completes at rate k / delta; past
the official deadline supervision escalates by e per deadline overdue. The engine receives the hazard
averaged over the step, from its exact integral (so a month and a quarter step give the same chance of
completing by a date); the escalation is taken at the middle of the step. behind_r = 1 when the region
has completed less than the penalty threshold (80%) of the binding items past their deadline
(positive incentive, reverse constraint). Binding items apply to every region in scope, relevant or not.

**Guided and recommended items** press with a constant hazard on the relevant pairs in scope:

    lambda_G = w_M x drive_r x k_i^-psi x guided_assessment x (1 + e overdue / D)   (guided, with a deadline)
    lambda_R = w_M x drive_r x k_i^-psi x nonbinding_assessment                     (recommended)   (1/year)

with drive_r = authority(leadership_r) x cap_r^theta. In the step an item is issued, every hazard acts
only over the part of the step after T_i. Mandate pressure is not voluntary: neither fear of blame nor
abandonment stops it. Parameters: ``channels.mandate`` and ``institutions.incentives``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np
from scipy.special import ndtri

from . import china, streams
from .params import Parameters
from .timeline import Timeline


NAME = "mandate"
LABEL = {"en": "Mandate", "zh": "强制"}
VOLUNTARY = False


@dataclass(frozen=True)
class Batch:
    """One batch the centre will issue: binding or best_practice, when (years since the start), how many
    items at most, and whether it is a projection (after the end of the historical record)."""

    kind: str
    years: float
    size: int
    projected: bool = False


@dataclass
class BatchSchedule:
    """The batches of a run, by the step in which each is issued (in date order within a step), and the
    end of the historical record the run replays (years since the start; None when it replays none)."""

    by_step: dict[int, list[Batch]] = field(default_factory=dict)
    record_end: float | None = None

    def add(self, batch: Batch, step: int) -> None:
        self.by_step.setdefault(step, []).append(batch)

    @property
    def binding(self) -> dict[int, int]:
        """Step -> items at most in binding batches issued then."""
        return self._sizes("binding")

    @property
    def best_practice(self) -> dict[int, int]:
        """Step -> items at most in best-practice lists issued then."""
        return self._sizes("best_practice")

    def _sizes(self, kind: str) -> dict[int, int]:
        sizes: dict[int, int] = {}
        for step, batches in self.by_step.items():
            for batch in batches:
                if batch.kind == kind:
                    sizes[step] = sizes.get(step, 0) + batch.size
        return sizes


def _extend(schedule: BatchSchedule, kind: str, last: float, interval: float, size: int, timeline: Timeline,
            after: float = -np.inf, projected: bool = False) -> None:
    """Batches every ``interval`` years after ``last`` (years since the start), from the first one
    later than ``after``, until the horizon."""
    k = 1
    while True:
        years = last + k * interval
        step = timeline.step_at(years)
        if step > timeline.steps:
            return
        if step >= 1 and years > after:
            schedule.add(Batch(kind, years, size, projected), step)
        k += 1


def record_end_date():
    """The end of the historical record of central promotion: the date of the last real binding batch or
    best-practice list (data/batches.csv, data/best_practices.csv)."""
    return max(list(china.batches()["issued"]) + list(china.best_practice_batches()["issued"]))


def record_end(timeline: Timeline) -> float:
    """:func:`record_end_date` in years since the start of a run."""
    return timeline.years_of(record_end_date())


def build_schedule(params: Parameters, timeline: Timeline) -> BatchSchedule:
    """Historical batches at their real dates and sizes, then (after the record) every interval; or purely
    periodic; or none."""
    spec = params.channels.mandate
    key = (spec.model_dump_json(), timeline.steps, timeline.start, timeline.step)
    schedule = _schedule_cache.get(key)
    if schedule is None:
        schedule = _schedule_cache.setdefault(key, _build_schedule(params, timeline))
    return BatchSchedule({step: list(batches) for step, batches in schedule.by_step.items()}, schedule.record_end)


_schedule_cache: dict = {}


def _build_schedule(params: Parameters, timeline: Timeline) -> BatchSchedule:
    spec = params.channels.mandate
    schedule = BatchSchedule()
    if not spec.enabled or spec.schedule == "none":
        return schedule
    interval = spec.interval_months / 12.0
    kinds = ("binding", "best_practice") if spec.best_practices else ("binding",)
    if spec.schedule == "historical":
        # the record is replayed as it was; batches the record does not have are projections, issued only
        # after its end (no invented batch inside the period the record covers)
        end = schedule.record_end = record_end(timeline)
        tables = {"binding": china.batches(), "best_practice": china.best_practice_batches()}
        sizes = {"binding": spec.batch_size, "best_practice": spec.best_practice_size}
        for kind in kinds:
            table = tables[kind]
            size_column = "items" if "items" in table.columns else "cases"
            times = [timeline.years_of(issued) for issued in table["issued"]]
            for years, size in zip(times, table[size_column]):
                step = timeline.step_at(years)
                if 1 <= step <= timeline.steps:
                    schedule.add(Batch(kind, years, int(size)), step)
            _extend(schedule, kind, max(times), interval, sizes[kind], timeline, after=end, projected=True)
    else:
        first = timeline.years_of(spec.first_batch)
        for kind, size in (("binding", spec.batch_size), ("best_practice", spec.best_practice_size)):
            if kind in kinds:
                _extend(schedule, kind, first - interval, interval, size, timeline)
    for batches in schedule.by_step.values():
        batches.sort(key=lambda batch: (batch.years, batch.kind))
    return schedule


def select_items(estimate: np.ndarray, eligible: np.ndarray, threshold: float, size: int) -> np.ndarray:
    """Innovation numbers the centre promotes: eligible, estimate > threshold, best first, at most size."""
    candidates = np.flatnonzero(eligible & (estimate > threshold))
    if candidates.size > size:
        order = np.argsort(-estimate[candidates], kind="stable")
        candidates = np.sort(candidates[order[:size]])
    return candidates


# ------------------------------------------------------------------------------- issuing an item
def plan_share(model, regions: np.ndarray, items: np.ndarray) -> np.ndarray:
    """H_ri / D_i for the listed pairs: pi0 / (authority_r x assess_r) x cap_r^-eta x exp(sigma z - sigma^2/2),
    z from the run's PLAN stream at (r, i), so the same region plans the same item alike in every scenario."""
    spec = model.params.channels.mandate
    s = model.structure
    u = streams.uniforms(model.key, streams.PLAN, regions.astype(np.int64), items.astype(np.int64),
                         np.zeros(regions.size, np.int64))
    z = ndtri(np.clip(u, 1e-12, 1.0 - 1e-12))
    strength = s.authority[regions] * s.assessment[regions]
    with np.errstate(divide="ignore"):
        share = spec.plan_share / strength * s.institutions.capacity[regions] ** -spec.capacity_slack
    return share * np.exp(spec.plan_sd * z - 0.5 * spec.plan_sd**2)


def issue_binding(model, items: np.ndarray, years: float, deadline_years: np.ndarray) -> None:
    """Make items binding from ``years`` (years since the start) with their deadlines: each region in
    scope gets its planned completion date ``state.due``."""
    st = model.state
    items = np.asarray(items, np.int64)
    st.binding_years[items] = years
    st.deadline_years[items] = deadline_years
    regions, columns = np.nonzero(model.structure.scope[:, items])
    chosen = items[columns]
    st.due[:, items] = np.inf
    st.due[regions, chosen] = years + deadline_years[columns] * plan_share(model, regions, chosen)


# ------------------------------------------------------------------------------- the channel
def inputs(model, t: int, columns: np.ndarray):
    """What :func:`fill` needs this step, or None while no available innovation has been promoted."""
    spec = model.params.channels.mandate
    if not spec.enabled:
        return None
    state, structure = model.state, model.structure
    incentives = model.params.institutions.incentives
    promoted, row, kind, constant, escalate = pressure(
        state.binding_years, state.guided_years, state.best_practice_years, state.deadline_years,
        model.innovations.birth_years, columns, state.adopted, structure.scope, model.timeline.start_years(t),
        model.timeline.dt, spec.escalation, incentives.penalty_threshold, spec.guided_assessment,
        incentives.nonbinding_assessment, structure.penalty)
    if not promoted:
        return None
    return (spec.weight_per_year, structure.drive, model.complexity_drag, row, kind, constant, escalate,
            state.binding_years, state.due, structure.scope, structure.relevant, spec.planning_shape,
            spec.shortest_months / 12.0, model.timeline.start_years(t), model.timeline.dt)


NONE, BINDING, GUIDED, RECOMMENDED = 0, 1, 2, 3


@numba.njit(cache=True)
def pressure(binding_years, guided_years, best_practice_years, deadline_years, birth_years, columns, adopted, scope,
             start, dt, escalation, penalty_threshold, guided_assessment, nonbinding_assessment, penalty):
    """The parts of lambda_M for the step [start, start + dt): whether any available item is promoted;
    per region the reverse-constraint factor 1 + penalty_r [behind_r]; per innovation its kind (the
    strongest in force), the constant pressure of a guided or recommended item (assessment weight x
    escalation x the share of the step it is in force) and a binding item's escalation. Overdue time and
    'past its deadline' are taken at the middle of the step."""
    end = start + dt
    middle = start + 0.5 * dt
    n = binding_years.size
    kind = np.zeros(n, np.int64)
    constant = np.zeros(n)
    escalate = np.ones(n)
    past = np.zeros(columns.size, np.bool_)
    promoted = False
    n_past = 0
    for c in range(columns.size):
        i = columns[c]
        if binding_years[i] < end:
            kind[i] = BINDING
            since = binding_years[i]
        elif guided_years[i] < end:
            kind[i] = GUIDED
            since = guided_years[i]
        elif best_practice_years[i] < end:
            kind[i] = RECOMMENDED
            since = best_practice_years[i]
        else:
            continue
        promoted = True
        since = max(since, birth_years[i])
        share = min(1.0, max(0.0, (end - since) / dt))
        deadline = deadline_years[i]
        overdue = 0.0
        if deadline < np.inf:
            overdue = max(0.0, middle - (since + deadline)) / deadline
        if kind[i] == BINDING:
            escalate[i] = 1.0 + escalation * overdue
            if overdue > 0.0:
                past[c] = True
                n_past += 1
        elif kind[i] == GUIDED:
            constant[i] = guided_assessment * (1.0 + escalation * overdue) * share
        else:
            constant[i] = nonbinding_assessment * share
    regions = adopted.shape[0]
    row = np.ones(regions)
    if n_past:
        for r in range(regions):
            done = 0
            due = 0
            for c in range(columns.size):
                if past[c] and scope[r, columns[c]]:
                    due += 1
                    if adopted[r, columns[c]]:
                        done += 1
            if due and done / due < penalty_threshold:
                row[r] = 1.0 + penalty[r]
    return promoted, row, kind, constant, escalate


@numba.njit(cache=True, inline="always")
def planned_integral(a, b, due, shortest, shape):
    """Integral over [a, b] of shape / max(due - s, shortest) ds: the plan's cumulative hazard (exact)."""
    if b <= a or due == np.inf:
        return 0.0
    turn = due - shortest          # from here on the region works at its fastest pace, shape / shortest
    total = 0.0
    if a < turn:
        high = min(b, turn)
        total += shape * np.log((due - a) / (due - high))
    if b > turn:
        low = max(a, turn)
        total += shape * (b - low) / shortest
    return total


@numba.njit(cache=True)
def fill(out, rows, cols, weight, drive, complexity_drag, row, kind, constant, escalate, binding_years, due, scope,
         relevant, shape, shortest, start, dt):
    """lambda_M for each undecided pair (rows[k], cols[k]), averaged over the step."""
    for k in range(rows.size):
        r = rows[k]
        i = cols[k]
        what = kind[i]
        if what == NONE or not scope[r, i]:
            out[k] = 0.0
        elif what == BINDING:
            a = max(start, binding_years[i])
            out[k] = planned_integral(a, start + dt, due[r, i], shortest, shape) / dt * row[r] * escalate[i]
        elif relevant[r, i]:
            out[k] = weight * drive[r] * complexity_drag[i] * constant[i]
        else:
            out[k] = 0.0
