"""Mandate: the centre evaluates pilots and orders replication in batches; regions comply.

The centre estimates each innovation's worth from the outcomes reported to it (conjugate normal, like
the regions' learning; with feedback 'none' a region reports only its own pilots). On a batch step it
picks, among innovations whose evaluation lag has passed, not yet promoted and not yet national, those
with estimate > threshold, best first, up to the batch size. Binding batches carry a deadline;
best-practice lists are non-binding. A region that has not adopted a promoted item feels

    binding:      lambda_M = w_M x drive_r x k_i^-psi x (assess_r + penalty_r [behind_r]) x (1 + e max(0, t - deadline_i) / D)
    non-binding:  lambda_M = w_M x drive_r x k_i^-psi x nonbinding_assessment

with drive_r = authority(leadership_r) x cap_r^theta, and behind_r = 1 when the region has completed
less than the penalty threshold (80%) of its due binding items (positive incentive, reverse constraint).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import china
from .params import Parameters
from .timeline import Timeline


@dataclass
class BatchSchedule:
    """Steps at which the centre issues binding batches and best-practice lists, with their largest size."""

    binding: dict[int, int]
    best_practice: dict[int, int]


def _extend(steps: dict[int, int], last: int, interval: int, size: int, horizon: int) -> None:
    step = last + interval
    while step <= horizon:
        steps[step] = steps.get(step, 0) + size
        step += interval


def build_schedule(params: Parameters, timeline: Timeline) -> BatchSchedule:
    """Historical batches at their real dates and sizes, then every ``interval`` steps; or purely periodic."""
    spec = params.channels.mandate
    key = (spec.model_dump_json(), params.time.steps, timeline.start, timeline.period_months)
    schedule = _schedule_cache.get(key)
    if schedule is None:
        schedule = _schedule_cache.setdefault(key, _build_schedule(params, timeline))
    return BatchSchedule(dict(schedule.binding), dict(schedule.best_practice))


_schedule_cache: dict = {}


def _build_schedule(params: Parameters, timeline: Timeline) -> BatchSchedule:
    spec = params.channels.mandate
    horizon = params.time.steps
    binding: dict[int, int] = {}
    best: dict[int, int] = {}
    if not spec.enabled:
        return BatchSchedule(binding, best)
    if spec.schedule == "historical":
        for table, target in ((china.batches(), binding), (china.best_practice_batches(), best)):
            size_column = "items" if "items" in table.columns else "cases"
            for issued, size in zip(table["issued"], table[size_column]):
                step = timeline.step_of(issued)
                if 1 <= step <= horizon:
                    target[step] = target.get(step, 0) + int(size)
        last_binding = max([timeline.step_of(d) for d in china.batches()["issued"]])
        last_best = max([timeline.step_of(d) for d in china.best_practice_batches()["issued"]])
        _extend(binding, last_binding, spec.interval, spec.batch_size, horizon)
        _extend(best, last_best, spec.interval, spec.best_practice_size, horizon)
    else:
        _extend(binding, spec.first_batch_step - spec.interval, spec.interval, spec.batch_size, horizon)
        _extend(best, spec.first_batch_step - spec.interval, spec.interval, spec.best_practice_size, horizon)
    if not spec.best_practices:
        best = {}
    return BatchSchedule(binding, best)


def select_items(estimate: np.ndarray, eligible: np.ndarray, threshold: float, size: int) -> np.ndarray:
    """Innovation numbers the centre promotes: eligible, estimate > threshold, best first, at most size."""
    candidates = np.flatnonzero(eligible & (estimate > threshold))
    if candidates.size > size:
        order = np.argsort(-estimate[candidates], kind="stable")
        candidates = np.sort(candidates[order[:size]])
    return candidates


def mandate_base(weight: float, drive: np.ndarray, complexity_drag: np.ndarray) -> np.ndarray:
    """w_M x drive_r x k_i^-psi for every (region, innovation): the part of lambda_M fixed over a run."""
    return weight * np.multiply.outer(drive, complexity_drag)


def mandate_hazard(base: np.ndarray, binding: np.ndarray, nonbinding: np.ndarray, assessment: np.ndarray,
                   penalty: np.ndarray, behind: np.ndarray, overdue: np.ndarray, escalation: float, deadline: int,
                   nonbinding_assessment: float) -> np.ndarray:
    """lambda_M for (region, innovation) pairs; see the module docstring for the equation.

    ``base`` is :func:`mandate_base` for the innovations in question; ``binding``, ``nonbinding`` and
    ``overdue`` are per innovation, ``assessment``, ``penalty`` and ``behind`` per region.
    """
    binding_pressure = np.multiply.outer(assessment + penalty * behind, binding * (1.0 + escalation * overdue / deadline))
    pressure = binding_pressure + nonbinding_assessment * nonbinding[None, :]
    return base * pressure
