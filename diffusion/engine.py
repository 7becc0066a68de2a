"""The engine: what a run is made of (Structure, State) and the one compiled adoption step.

- :class:`Structure`: everything fixed over a run (calendar, regions and their institutions, who sees
  and watches whom, the batch schedule, per-region factors). Coupling matrices are shared by every run
  on the same network and settings.
- :class:`State`: the arrays a step changes (who adopted what and when, beliefs, blame, what the centre
  knows and has promoted).
- :data:`CHANNELS`: the channel modules, in the order of the attribution columns. A channel is a module
  with ``NAME``, ``LABEL``, ``VOLUNTARY``, ``inputs(model, t, columns)`` (numpy: what its hazard needs this
  step, or None) and a compiled ``fill(out, rows, cols, *inputs)`` that writes its hazard (1/year) for
  each undecided pair. Adding a channel means adding a module here; no other channel changes. A
  channel driven by others' adoptions may also have ``midpoint(model, t, columns, rows, cols, half)``:
  its inputs at the state expected half-way through the step, used for its final hazard, and
  ``needs_midpoint(model)`` when only some runs need it (:func:`looks_again`).
- :func:`undecided` lists the pairs to decide; :func:`decide` turns the channels' hazards into
  adoptions: lambda = sum_k lambda_k (voluntary ones times the institutional factor), probability
  1 - exp(-lambda dt) against the pair's keyed uniform, and each channel's share lambda_k / lambda.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np
from scipy import sparse

from . import competition, learning, mandate, spontaneous, streams
from .institutions import RegionInstitutions
from .mandate import BatchSchedule
from .network import RegionSet
from .timeline import Timeline

CHANNELS = (spontaneous, learning, competition, mandate)
CHANNEL_NAMES = tuple(channel.NAME for channel in CHANNELS)
VOLUNTARY = np.array([channel.VOLUNTARY for channel in CHANNELS])


@dataclass(frozen=True)
class Structure:
    """What stays fixed over a run: built once, read by every step, never written."""

    timeline: Timeline
    regions: RegionSet
    institutions: RegionInstitutions
    schedule: BatchSchedule
    membership: np.ndarray            # regions x chosen clusters (coordination)
    partners: sparse.csr_matrix       # cluster partners (shared data, mutual recognition)
    partner_total: np.ndarray
    visibility: sparse.csr_matrix     # V: who sees whose results (self, neighbours, partners x shared data)
    rivals: sparse.csr_matrix         # W: who watches whom (competition)
    rival_total: np.ndarray
    rival_denominator: np.ndarray     # W's row totals, inf where a region has no rivals
    mutual_recognition: float
    prior_mean: float
    prior_precision: float
    scope: np.ndarray                 # regions x innovations: the pair is in the scope of its mandate
    relevant: np.ndarray              # regions x innovations: the reform addresses a need of the region
    exposure_base: np.ndarray         # a_r (1 - FT_r)
    reward_gain: np.ndarray           # (1 + reward_r) cap_r^theta_v exp(beta . z_r): what multiplies voluntary hazards
    quality: np.ndarray               # q_r
    commerce_system: np.ndarray
    drive: np.ndarray                 # authority x cap^theta
    authority: np.ndarray             # authority(leadership_r)
    assessment: np.ndarray
    penalty: np.ndarray
    correction: np.ndarray            # c_r
    broadcast: np.ndarray             # b_r (two-way feedback)
    reports_all: np.ndarray           # feedback is not 'none'
    blame_retention: float            # share of blame left after a step


@dataclass
class State:
    """The arrays a step changes. Pairs are (region, innovation)."""

    adopted: np.ndarray
    abandoned: np.ndarray
    adoption_step: np.ndarray         # step of the last adoption (0: never)
    belief_mean: np.ndarray
    belief_precision: np.ndarray
    blame: np.ndarray
    centre_sum: np.ndarray            # outcomes reported to the centre, per innovation
    centre_count: np.ndarray
    binding_step: np.ndarray          # step of the binding batch that promoted it (0: never)
    best_practice_step: np.ndarray
    binding_years: np.ndarray         # when, in years since the start (inf: never)
    best_practice_years: np.ndarray
    guided_step: np.ndarray           # step a guided central policy was issued (0: never)
    guided_years: np.ndarray
    deadline_years: np.ndarray        # per innovation: the deadline of its binding or guided mandate (inf: none)
    due: np.ndarray                   # regions x innovations: planned completion of a binding item (inf: none)
    position: np.ndarray              # innovation -> its column among the step's available ones
    counters: dict = field(default_factory=lambda: {"adoptions": 0, "failures": 0, "corrections": 0,
                                                    "abandonments": 0, "retries": 0})

    @classmethod
    def initial(cls, regions: int, innovations: int, prior_mean: float, prior_precision: float) -> State:
        shape = (regions, innovations)
        return cls(adopted=np.zeros(shape, bool), abandoned=np.zeros(shape, bool),
                   adoption_step=np.zeros(shape, np.int32), belief_mean=np.full(shape, prior_mean),
                   belief_precision=np.full(shape, prior_precision), blame=np.zeros(regions),
                   centre_sum=np.zeros(innovations), centre_count=np.zeros(innovations),
                   binding_step=np.zeros(innovations, np.int64), best_practice_step=np.zeros(innovations, np.int64),
                   binding_years=np.full(innovations, np.inf), best_practice_years=np.full(innovations, np.inf),
                   guided_step=np.zeros(innovations, np.int64), guided_years=np.full(innovations, np.inf),
                   deadline_years=np.full(innovations, np.inf), due=np.full(shape, np.inf),
                   position=np.zeros(innovations, np.int64))


@numba.njit(cache=True)
def undecided(adopted, columns):
    """The pairs (region, innovation) of the available innovations ``columns`` not adopted, row by row."""
    regions = adopted.shape[0]
    count = 0
    for r in range(regions):
        for c in range(columns.size):
            if not adopted[r, columns[c]]:
                count += 1
    rows = np.empty(count, np.int64)
    cols = np.empty(count, np.int64)
    k = 0
    for r in range(regions):
        for c in range(columns.size):
            i = columns[c]
            if not adopted[r, i]:
                rows[k] = r
                cols[k] = i
                k += 1
    return rows, cols


@numba.njit(cache=True)
def decide(hazards, voluntary, factor, rows, cols, key, t, start, dt, adopted, adoption_step):
    """Adoptions this step: (rows, innovations, channel shares, times), marked in ``adopted`` and
    ``adoption_step``.

    ``hazards`` is channels x pairs (1/year); voluntary channels are multiplied by ``factor`` in place.
    Pair k adopts when its keyed uniform u is below 1 - exp(-lambda dt); its adoption time within the
    step is then -log(1 - u) / lambda after the step's ``start`` (years): the time at which a constant
    hazard lambda fires given that it fired within the step, from the same draw."""
    channels, n = hazards.shape
    chosen = np.empty(n, np.int64)
    when = np.empty(n)
    found = 0
    for k in range(n):
        total = 0.0
        for h in range(channels):
            if voluntary[h]:
                hazards[h, k] *= factor[k]
            total += hazards[h, k]
        if total <= 0.0:
            continue
        u = streams.uniform(key, streams.ADOPT, rows[k], cols[k], t)
        # 1 - exp(-x) <= x: a draw at or above lambda dt is no adoption, and needs no exponential
        if u < total * dt and u < -np.expm1(-total * dt):
            chosen[found] = k
            when[found] = start + min(-np.log1p(-u) / total, dt)
            found += 1
    out_rows = np.empty(found, np.int64)
    out_cols = np.empty(found, np.int64)
    shares = np.empty((found, channels))
    for m in range(found):
        k = chosen[m]
        out_rows[m] = rows[k]
        out_cols[m] = cols[k]
        total = 0.0
        for h in range(channels):
            total += hazards[h, k]
        for h in range(channels):
            shares[m, h] = hazards[h, k] / total
        adopted[rows[k], cols[k]] = True
        adoption_step[rows[k], cols[k]] = t
    return out_rows, out_cols, shares, when[:found].copy()


def looks_again(channel, model) -> bool:
    """Whether a channel takes its hazard again at the middle of the step: it has ``midpoint``, and its
    ``needs_midpoint(model)``, if it has one, says this run needs it (learning: only with industry-chain
    complementarity)."""
    if not hasattr(channel, "midpoint"):
        return False
    needs = getattr(channel, "needs_midpoint", None)
    return needs is None or bool(needs(model))


@numba.njit(cache=True)
def half_step_probability(hazards, voluntary, factor, dt):
    """Per pair, the probability of adopting within the first half of the step: 1 - exp(-lambda dt / 2),
    with lambda as :func:`decide` will total it (voluntary channels times ``factor``)."""
    channels, n = hazards.shape
    out = np.empty(n)
    for k in range(n):
        total = 0.0
        for h in range(channels):
            total += hazards[h, k] * factor[k] if voluntary[h] else hazards[h, k]
        out[k] = -np.expm1(-0.5 * total * dt)
    return out


@numba.njit(cache=True)
def arrival_steps(rows, cols, times, key, t, lag, dt):
    """The step at whose start each adoption's outcome reaches others: its arrival time (adoption time
    plus the evidence lag) rounded to one of the two step starts around it, the later one with the
    probability of how far the time lies between them, so that arrivals are on time on average.
    Never earlier than the next step."""
    out = np.empty(rows.size, np.int64)
    for k in range(rows.size):
        arrival = times[k] + lag
        j = int(np.floor(arrival / dt + 1e-9))          # arrival lies in [j dt, (j + 1) dt): steps j+1 and j+2 start there
        later = (arrival - j * dt) / dt
        step = j + 1 + (1 if streams.uniform(key, streams.EVIDENCE, rows[k], cols[k], t) < later else 0)
        out[k] = max(step, t + 1)
    return out


@numba.njit(cache=True)
def snapshot(adopted, n_born, ftz):
    """Coverage overall, in open FTZs and elsewhere, and the Gini of adoptions per region."""
    regions, width = adopted.shape
    counts = np.zeros(regions, np.int64)
    for r in range(regions):
        k = 0
        for i in range(width):
            if adopted[r, i]:
                k += 1
        counts[r] = k
    total = 0
    inside, outside, n_inside = 0, 0, 0
    for r in range(regions):
        total += counts[r]
        if ftz[r]:
            inside += counts[r]
            n_inside += 1
        else:
            outside += counts[r]
    n_outside = regions - n_inside
    born = max(n_born, 1) if n_born else 0
    coverage = total / (regions * born) if born else 0.0
    ftz_coverage = (inside / (n_inside * born) if born else 0.0) if n_inside else np.nan
    other_coverage = (outside / (n_outside * born) if born else 0.0) if n_outside else np.nan
    return coverage, ftz_coverage, other_coverage, gini(counts)


@numba.njit(cache=True)
def gini(counts):
    """Gini coefficient of non-negative integer counts (0 = equal): sum of (2k - n - 1) x_(k) over the
    sorted counts, by a counting sort, over n x total; exact integers until the one division."""
    regions = counts.size
    total = 0
    largest = 0
    for r in range(regions):
        total += counts[r]
        largest = max(largest, counts[r])
    if total <= 0:
        return 0.0
    histogram = np.zeros(largest + 1, np.int64)
    for r in range(regions):
        histogram[counts[r]] += 1
    numerator = 0
    k = 1
    for value in range(largest + 1):
        for _ in range(histogram[value]):
            numerator += (2 * k - regions - 1) * value
            k += 1
    return numerator / (regions * total)
