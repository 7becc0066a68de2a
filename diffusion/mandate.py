"""Mandate: the centre evaluates pilots and orders replication in batches; regions comply.

The centre estimates each innovation's worth from the outcomes reported to it (conjugate normal, like
the regions' learning; with feedback 'none' a region reports only its own pilots). On a batch step it
picks, among innovations whose evaluation lag has passed, not yet promoted and not yet national, those
with estimate > threshold, best first, up to the batch size. Binding batches carry a deadline;
best-practice lists are non-binding. A region that has not adopted a promoted item feels

    binding:      lambda_M = w_M x drive_r x k_i^-psi x (assess_r + penalty_r [behind_r]) x (1 + e max(0, s - T_i - D) / D)
    non-binding:  lambda_M = w_M x drive_r x k_i^-psi x nonbinding_assessment                         (1/year)

with drive_r = authority(leadership_r) x cap_r^theta, T_i the date the item was issued and D the
deadline (both in years; s is the middle of the step), and behind_r = 1 when the region has completed
less than the penalty threshold (80%) of its binding items past their deadline (positive incentive,
reverse constraint). In the step an item is issued, its hazard acts only over the part of the step
after T_i, so a batch dated mid-quarter presses for the same time at monthly and at quarterly steps.
Mandate pressure is not voluntary: neither fear of blame nor abandonment stops it. Parameters:
``channels.mandate`` (w_M = weight_per_year, D = deadline_months, e = escalation) and
``institutions.incentives``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np

from . import china
from .params import Parameters
from .timeline import Timeline


NAME = "mandate"
LABEL = {"en": "Mandate", "zh": "强制"}
VOLUNTARY = False


@dataclass(frozen=True)
class Batch:
    """One batch the centre will issue: binding or best_practice, when (years since the start), how many items at most."""

    kind: str
    years: float
    size: int


@dataclass
class BatchSchedule:
    """The batches of a run, by the step in which each is issued (in date order within a step)."""

    by_step: dict[int, list[Batch]] = field(default_factory=dict)

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


def _extend(schedule: BatchSchedule, kind: str, last: float, interval: float, size: int, timeline: Timeline) -> None:
    """Batches every ``interval`` years after ``last`` (years since the start) until the horizon."""
    k = 1
    while True:
        years = last + k * interval
        step = timeline.step_at(years)
        if step > timeline.steps:
            return
        if step >= 1:
            schedule.add(Batch(kind, years, size), step)
        k += 1


def build_schedule(params: Parameters, timeline: Timeline) -> BatchSchedule:
    """Historical batches at their real dates and sizes, then every ``interval`` steps; or purely periodic."""
    spec = params.channels.mandate
    key = (spec.model_dump_json(), timeline.steps, timeline.start, timeline.step)
    schedule = _schedule_cache.get(key)
    if schedule is None:
        schedule = _schedule_cache.setdefault(key, _build_schedule(params, timeline))
    return BatchSchedule({step: list(batches) for step, batches in schedule.by_step.items()})


_schedule_cache: dict = {}


def _build_schedule(params: Parameters, timeline: Timeline) -> BatchSchedule:
    spec = params.channels.mandate
    schedule = BatchSchedule()
    if not spec.enabled:
        return schedule
    interval = spec.interval_months / 12.0
    kinds = ("binding", "best_practice") if spec.best_practices else ("binding",)
    if spec.schedule == "historical":
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
            _extend(schedule, kind, max(times), interval, sizes[kind], timeline)
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


def inputs(model, t: int, columns: np.ndarray):
    """What :func:`fill` needs this step, or None while no available innovation has been promoted."""
    spec = model.params.channels.mandate
    if not spec.enabled:
        return None
    state, structure = model.state, model.structure
    incentives = model.params.institutions.incentives
    promoted, row, column, recommendation, exposure = pressure(
        state.binding_years, state.best_practice_years, model.innovations.birth_years, columns, state.adopted,
        model.timeline.start_years(t), model.timeline.dt, spec.deadline_months / 12.0, spec.escalation,
        incentives.penalty_threshold, incentives.nonbinding_assessment, structure.assessment, structure.penalty)
    if not promoted:
        return None
    return spec.weight_per_year, structure.drive, model.complexity_drag, row, column, recommendation, exposure


@numba.njit(cache=True)
def pressure(binding_years, best_practice_years, birth_years, columns, adopted, start, dt, deadline, escalation,
             penalty_threshold, nonbinding_assessment, assessment, penalty):
    """The parts of lambda_M for the step [start, start + dt): whether any available item is promoted;
    per region assess_r + penalty_r [behind_r]; per innovation the binding pressure (1 + e overdue / D),
    the non-binding pressure and the share of the step the item is promoted (and born) in. Overdue time
    and 'past its deadline' are taken at the middle of the step."""
    end = start + dt
    middle = start + 0.5 * dt
    n = binding_years.size
    column = np.zeros(n)
    recommendation = np.zeros(n)
    exposure = np.zeros(n)
    past = np.zeros(columns.size, np.bool_)
    promoted = False
    n_past = 0
    for c in range(columns.size):
        i = columns[c]
        binding = binding_years[i] < end
        nonbinding = (not binding) and best_practice_years[i] < end
        if not (binding or nonbinding):
            continue
        promoted = True
        since = binding_years[i] if binding else best_practice_years[i]
        since = max(since, birth_years[i])
        exposure[i] = min(1.0, max(0.0, (end - since) / dt))
        if binding:
            column[i] = 1.0 + escalation * max(0.0, middle - (binding_years[i] + deadline)) / deadline
            if middle > binding_years[i] + deadline:
                past[c] = True
                n_past += 1
        else:
            recommendation[i] = nonbinding_assessment
    regions = adopted.shape[0]
    row = np.empty(regions)
    for r in range(regions):
        behind = 0.0
        if n_past:
            done = 0
            for c in range(columns.size):
                if past[c] and adopted[r, columns[c]]:
                    done += 1
            behind = 1.0 if done / n_past < penalty_threshold else 0.0
        row[r] = assessment[r] + penalty[r] * behind
    return promoted, row, column, recommendation, exposure


@numba.njit(cache=True)
def fill(out, rows, cols, weight, drive, complexity_drag, row, column, recommendation, exposure):
    """lambda_M for each undecided pair (rows[k], cols[k]), times the share of the step it acts."""
    for k in range(rows.size):
        r = rows[k]
        i = cols[k]
        pressure = row[r] * column[i] + recommendation[i]
        out[k] = 0.0 if pressure == 0.0 else weight * drive[r] * complexity_drag[i] * pressure * exposure[i]
