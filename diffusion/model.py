"""The world and its schedule: regions adopting FTZ innovations through learning, competition and mandate.

Each step (a quarter by default):

1. newly piloted innovations are adopted by their origin FTZ;
2. the centre issues the binding batch or best-practice list due this step, if any;
3. every region decides, for every innovation it has not adopted, with hazard
   lambda = lambda_spontaneous + lambda_learning + lambda_competition + lambda_mandate
   and adopts with probability 1 - exp(-lambda); each channel's share of lambda is recorded;
4. new adoptions produce outcomes; failures are corrected or abandoned, and bring blame;
5. outcomes travel to other regions (learning) and up to the centre (feedback).

See docs/model.md for every equation and default.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
from scipy import sparse

from . import competition, learning
from .agents import CentralGovernment, Region
from .failure import realise_outcomes
from .innovations import InnovationPlan, generate
from .institutions import (COMMERCE_CATEGORIES, broadcast_weight, correction_probability, implementation_quality, mandate_drive,
                           region_institutions, risk_deterrent)
from .mandate import build_schedule, mandate_hazard
from .network import build_regions
from .params import CHANNELS, FEEDBACK_MODES, Parameters, make_parameters
from .timeline import Timeline

N_CHANNELS = len(CHANNELS)

SERIES = ("coverage", "ftz_coverage", "non_ftz_coverage", "innovations", "binding_items", "binding_batches",
          "best_practice_items", "adoptions", "failures", "corrections", "abandonments", "gini")


def _reporter(name: str):
    """DataCollector reporter reading one value of the step's snapshot (computed once per step)."""
    return lambda model: model._stats[name]


def _gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal)."""
    values = np.sort(np.asarray(values, dtype=float))
    n = values.size
    total = values.sum()
    if n == 0 or total <= 0:
        return 0.0
    return float((2 * np.arange(1, n + 1) - n - 1) @ values / (n * total))


def _unique_inverse(values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(values, return_inverse=True) for integers in [0, size), by a mask instead of a sort."""
    mask = np.zeros(size, dtype=bool)
    mask[values] = True
    unique = np.flatnonzero(mask)
    lookup = np.cumsum(mask) - 1
    return unique, lookup[values]


class DiffusionModel(mesa.Model):
    """Local governments adopting FTZ reform innovations; ``DiffusionModel(params, rng=seed).run()``."""

    def __init__(self, params: Parameters | dict | None = None, *, rng: int | np.random.Generator | None = None,
                 run_id: int = 0, plan: InnovationPlan | None = None):
        if params is None:
            params = Parameters()
        elif isinstance(params, dict):
            params = make_parameters(params)
        elif not isinstance(params, Parameters):
            raise ValueError(f"params must be a Parameters object or a mapping, not {type(params).__name__}")
        if rng is not None and not isinstance(rng, (int, np.integer, np.random.Generator)):
            raise ValueError(f"rng must be an integer seed or a numpy Generator, not {type(rng).__name__}")
        if isinstance(rng, (int, np.integer)) and rng < 0:
            raise ValueError(f"rng: a seed must be a non-negative integer (given: {rng})")
        super().__init__(rng=rng)
        self.params = params
        self.run_id = run_id
        self.timeline = Timeline(params.time.start, params.time.period_months, params.time.steps)
        self.regions = build_regions(params, self.timeline, self.rng)
        self.institutions = region_institutions(params, self.regions, self.rng)
        self.innovations = generate(params, self.regions, self.rng, plan)
        self.schedule = build_schedule(params, self.timeline)
        self._check_clusters()
        self._init_state()
        self._init_constants()
        self.region_agents = [Region(self, r) for r in range(self.n_regions)]
        self.centre = CentralGovernment(self)
        self._stats: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={name: _reporter(name) for name in SERIES})

    # ------------------------------------------------------------------------------------ set-up
    @property
    def n_regions(self) -> int:
        return self.regions.n

    @property
    def n_innovations(self) -> int:
        return self.innovations.n

    def _check_clusters(self) -> None:
        known = self.regions.cluster_names
        for name in self.params.coordination.clusters:
            if name not in known:
                from .params import _did_you_mean
                allowed = ", ".join(known) if known else "none (this network has no clusters)"
                raise ValueError(f"coordination.clusters: unknown cluster {name!r}{_did_you_mean(name, known)}; "
                                 f"allowed: {allowed}")

    def _init_state(self) -> None:
        shape = (self.n_regions, self.n_innovations)
        spec = self.params.channels.learning
        self.adopted = np.zeros(shape, dtype=bool)
        self.abandoned = np.zeros(shape, dtype=bool)
        self.adoption_step = np.zeros(shape, dtype=np.int32)
        self.prior_mean = spec.prior_mean
        self.prior_precision = 1.0 / spec.prior_sd**2
        self.belief_mean = np.full(shape, self.prior_mean)
        self.belief_precision = np.full(shape, self.prior_precision)
        self.blame = np.zeros(self.n_regions)
        self.centre_sum = np.zeros(self.n_innovations)
        self.centre_count = np.zeros(self.n_innovations)
        self.binding_step = np.zeros(self.n_innovations, dtype=np.int64)
        self.best_practice_step = np.zeros(self.n_innovations, dtype=np.int64)
        self.counters = {"adoptions": 0, "failures": 0, "corrections": 0, "abandonments": 0}
        self._events: list[dict[str, np.ndarray]] = []

    def _init_constants(self) -> None:
        p = self.params
        inst = self.institutions
        inn = self.innovations
        self.signal_precision = 1.0 / (inn.risk**2 + p.channels.learning.fit_noise**2)
        self.category_names = np.array(inn.categories)[inn.category] if inn.n else np.array([], dtype=str)
        self.commerce_domain = np.isin(self.category_names, COMMERCE_CATEGORIES)
        self.complexity_drag = inn.complexity ** -p.innovations.complexity_exponent
        self.learning_cost = p.channels.learning.cost * np.multiply.outer(1.0 / inst.capacity, inn.complexity)
        self.drive = mandate_drive(inst, p)
        self.correction = correction_probability(inst, p)
        self.broadcast = broadcast_weight(inst, p)
        self.reports_all = inst.feedback != FEEDBACK_MODES.index("none")
        # clusters chosen for coordination, and who partners whom in them
        chosen = [self.regions.cluster_names.index(c) for c in p.coordination.clusters]
        self.coordination_membership = self.regions.membership[:, chosen]
        membership = sparse.csr_matrix(self.coordination_membership)   # sparse: a dense R x R product would
        partners = (membership @ membership.T).tocsr()                   # need 80 GB at 100,000 regions
        partners.sort_indices()                                          # same summation order as before
        partners.setdiag(0)
        partners.eliminate_zeros()
        self.cluster_partners = partners
        self.partner_total = np.asarray(partners.sum(axis=1)).ravel()
        n = self.n_regions
        identity = sparse.identity(n, format="csr")
        self.visibility = (identity + self.regions.adjacency + p.coordination.shared_data * partners).tocsr()
        self.rivals = competition.rival_weights(self.regions.adjacency, inst.capacity,
                                                p.channels.competition.similarity_scale, partners,
                                                p.coordination.mutual_recognition)
        self.rival_total = np.asarray(self.rivals.sum(axis=1)).ravel()

    # ----------------------------------------------------------------------------------- queries
    def ftz_open(self, step: int | None = None) -> np.ndarray:
        """Boolean per region: FTZ open at a step (default: the current one)."""
        step = self.steps if step is None else step
        return self.regions.ftz_step <= max(step, 1)

    def coverage(self, regions: np.ndarray | None = None) -> float:
        """Share of (region, innovation) pairs adopted, over innovations born so far (optionally some regions)."""
        born = self.innovations.birth_step <= max(self.steps, 1)
        if not born.any():
            return 0.0
        adopted = self.adopted[:, born] if regions is None else self.adopted[np.asarray(regions)][:, born]
        return float(adopted.mean()) if adopted.size else float("nan")

    def _snapshot(self) -> dict[str, float]:
        """Model-level quantities of the current step, for the DataCollector series."""
        n_born = int(np.count_nonzero(self.innovations.birth_step <= max(self.steps, 1)))
        # only born innovations are ever adopted, so counting over all columns counts the born ones
        counts = np.count_nonzero(self.adopted, axis=1)
        per_region = counts / n_born if n_born else np.zeros(self.n_regions)
        ftz = self.ftz_open()
        return {
            "coverage": float(per_region.mean()),
            "ftz_coverage": float(per_region[ftz].mean()) if ftz.any() else float("nan"),
            "non_ftz_coverage": float(per_region[~ftz].mean()) if (~ftz).any() else float("nan"),
            "innovations": n_born,
            "binding_items": int((self.binding_step > 0).sum()),
            "binding_batches": sum(b["kind"] == "binding" for b in self.centre.batches),
            "best_practice_items": int((self.best_practice_step > 0).sum()),
            **self.counters,
            "gini": _gini(counts),
        }

    def attribution(self, region: int, innovation: int) -> dict[str, float] | None:
        """Channel shares of one adoption (all zero for the pilot itself); None if it never happened."""
        for event in self._events:
            hit = np.flatnonzero((event["region"] == region) & (event["innovation"] == innovation))
            if hit.size:
                shares = event["shares"][hit[-1]]
                return {"pilot": bool(event["pilot"][hit[-1]]), **dict(zip(CHANNELS, map(float, shares)))}
        return None

    # -------------------------------------------------------------------------------------- step
    def step(self) -> None:
        """Advance one period: pilots, batches, decisions, outcomes, information."""
        t = self.steps
        pilots = self._start_pilots(t)
        self.centre.step()
        decisions = self._decide(t)
        self._realise(t, pilots, decisions)
        self.blame *= self.params.failure.blame_decay
        self._stats = self._snapshot()
        self.datacollector.collect(self)
        if t >= self.params.time.steps:
            self.running = False

    def run(self) -> DiffusionModel:
        """Run all steps of the horizon; returns the model for chaining."""
        while self.running and self.steps < self.params.time.steps:
            self.step()
        return self

    def _start_pilots(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        born = np.flatnonzero((self.innovations.birth_step == t) & (self.innovations.origin >= 0))
        regions = self.innovations.origin[born]
        self.adopted[regions, born] = True
        self.adoption_step[regions, born] = t
        return regions, born

    def _decide(self, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All regions' adoption decisions this step, vectorised over regions x available innovations."""
        p = self.params
        ch = p.channels
        inst = self.institutions
        columns = np.flatnonzero(self.innovations.birth_step <= t)
        empty = (np.zeros(0, int), np.zeros(0, int), np.zeros((0, N_CHANNELS)))
        if columns.size == 0:
            return empty
        adopted = self.adopted[:, columns]
        voluntary = ~adopted & ~self.abandoned[:, columns]
        hazards = np.zeros((N_CHANNELS,) + adopted.shape)
        if ch.spontaneous.enabled or ch.learning.enabled or ch.competition.enabled:
            deterrent = risk_deterrent(inst, self.blame, self.innovations.risk[columns], p.failure.blame_weight)
            deterrent *= (1.0 + inst.reward)[:, None]
            deterrent *= voluntary
        if ch.spontaneous.enabled:
            hazards[0] = ch.spontaneous.rate * deterrent
        if ch.learning.enabled:
            cost = self.learning_cost[:, columns]
            if p.coordination.mutual_recognition > 0 and self.cluster_partners.nnz:
                with np.errstate(invalid="ignore", divide="ignore"):
                    partner_share = np.nan_to_num((self.cluster_partners @ adopted) / self.partner_total[:, None])
                cost = cost * (1.0 - p.coordination.mutual_recognition * partner_share)
            hazards[1] = deterrent * learning.learning_hazard(
                ch.learning.weight, ch.learning.sensitivity, self.belief_mean[:, columns],
                self.belief_precision[:, columns], self.prior_precision, self.innovations.fit[:, columns], cost)
        if ch.competition.enabled:
            adopted_f = adopted.astype(float)
            ftz = self.ftz_open(t) if ch.competition.include_ftz_peers else None
            share = competition.rival_share(self.rivals, self.rival_total, adopted_f, ftz)
            if p.coordination.rotating_lead > 0 and self.coordination_membership.shape[1]:
                leads = competition.current_leads(self.coordination_membership, t, p.coordination.lead_term)
                share = share + p.coordination.rotating_lead * competition.lead_pull(
                    self.coordination_membership, leads, adopted_f)
            hazards[2] = ch.competition.weight * deterrent * share
        if ch.mandate.enabled:
            hazards[3] = self._mandate_hazard(t, columns, adopted)
        total = hazards.sum(axis=0)
        probability = -np.expm1(-total)
        draws = self.rng.random(total.shape)
        rows, cols = np.nonzero((draws < probability) & ~adopted)
        if rows.size == 0:
            return empty
        shares = hazards[:, rows, cols].T / total[rows, cols][:, None]
        innovations = columns[cols]
        self.adopted[rows, innovations] = True
        self.adoption_step[rows, innovations] = t
        return rows, innovations, shares

    def _mandate_hazard(self, t: int, columns: np.ndarray, adopted: np.ndarray) -> np.ndarray:
        ch = self.params.channels.mandate
        incentives = self.params.institutions.incentives
        issued = self.binding_step[columns]
        binding = (issued > 0) & (issued <= t)
        nonbinding = (self.best_practice_step[columns] > 0) & ~binding
        if not binding.any() and not nonbinding.any():
            return np.zeros(adopted.shape)
        deadline = issued + ch.deadline
        overdue = np.where(binding, np.maximum(0, t - deadline), 0)
        due = binding & (t > deadline)
        behind = np.zeros(self.n_regions)
        if due.any():
            behind = (adopted[:, due].mean(axis=1) < incentives.penalty_threshold).astype(float)
        return mandate_hazard(ch.weight, self.drive, self.complexity_drag[columns], binding.astype(float),
                              nonbinding.astype(float), self.institutions.assessment_weight,
                              self.institutions.penalty, behind, overdue, ch.escalation, ch.deadline,
                              incentives.nonbinding_assessment)

    def _realise(self, t: int, pilots: tuple[np.ndarray, np.ndarray], decisions) -> None:
        """Outcomes of this step's adoptions, failures and corrections, then the flow of information."""
        pilot_rows, pilot_cols = pilots
        rows = np.concatenate([pilot_rows, decisions[0]]).astype(np.int64)
        cols = np.concatenate([pilot_cols, decisions[1]]).astype(np.int64)
        if rows.size == 0:
            return
        shares = np.vstack([np.zeros((pilot_rows.size, N_CHANNELS)), decisions[2]])
        inn = self.innovations
        quality = implementation_quality(self.institutions, self.params, rows, inn.complexity[cols],
                                         self.commerce_domain[cols])
        result = realise_outcomes(self.rng, self.params.failure, inn.benefit[cols] * inn.fit[rows, cols] * quality,
                                  inn.risk[cols], self.correction[rows])
        abandoned = result.failed & ~result.corrected
        self.adopted[rows[abandoned], cols[abandoned]] = False
        self.abandoned[rows[abandoned], cols[abandoned]] = True
        np.add.at(self.blame, rows[result.failed], 1.0 - self.institutions.fault_tolerance[rows[result.failed]])
        self.counters["adoptions"] += int(rows.size)
        self.counters["failures"] += int(result.failed.sum())
        self.counters["corrections"] += int(result.corrected.sum())
        self.counters["abandonments"] += int(abandoned.sum())
        mandated = (self.binding_step[cols] > 0) & (self.binding_step[cols] <= t)
        self._events.append({
            "step": np.full(rows.size, t, dtype=np.int32), "region": rows, "innovation": cols, "shares": shares,
            "pilot": np.r_[np.ones(pilot_rows.size, bool), np.zeros(decisions[0].size, bool)],
            "mandated": mandated, "outcome": result.outcome, "failed": result.failed,
            "corrected": result.corrected, "abandoned": abandoned})
        self._spread_information(rows, cols, result.outcome)

    def _spread_information(self, rows: np.ndarray, cols: np.ndarray, outcome: np.ndarray) -> None:
        """Outcomes reach other regions (learning) and the centre (feedback)."""
        reported = self.reports_all[rows] | (self.innovations.origin[cols] == rows)
        np.add.at(self.centre_sum, cols[reported], outcome[reported])
        np.add.at(self.centre_count, cols[reported], 1.0)
        if not self.params.channels.learning.enabled:
            return
        unique, position = _unique_inverse(cols, self.n_innovations)
        outcome_sum = np.zeros((self.n_regions, unique.size))
        outcome_count = np.zeros((self.n_regions, unique.size))
        np.add.at(outcome_sum, (rows, position), outcome)
        np.add.at(outcome_count, (rows, position), 1.0)
        signal_sum, signal_count = learning.gather_signals(self.visibility, self.broadcast, outcome_sum, outcome_count)
        learning.update_beliefs(self.belief_mean, self.belief_precision, signal_sum, signal_count,
                                self.signal_precision, unique)

    # ----------------------------------------------------------------------------------- results
    def events(self) -> dict[str, np.ndarray]:
        """All adoption events so far as concatenated arrays (see tables.adoptions for the table)."""
        if not self._events:
            return {"step": np.zeros(0, np.int32), "region": np.zeros(0, np.int64), "innovation": np.zeros(0, np.int64),
                    "shares": np.zeros((0, N_CHANNELS)), "pilot": np.zeros(0, bool), "mandated": np.zeros(0, bool),
                    "outcome": np.zeros(0), "failed": np.zeros(0, bool), "corrected": np.zeros(0, bool),
                    "abandoned": np.zeros(0, bool)}
        return {key: np.concatenate([e[key] for e in self._events]) for key in self._events[0]}

    def summary(self) -> dict[str, Any]:
        """Headline numbers of the run so far (batches, items mandated, coverage, failures)."""
        binding = [b for b in self.centre.batches if b["kind"] == "binding"]
        return {
            "steps": self.steps, "period": self.timeline.label(max(self.steps, 1)),
            "regions": self.n_regions, "innovations": self.n_innovations,
            "binding_batches": len(binding), "binding_items": int((self.binding_step > 0).sum()),
            "best_practice_items": int((self.best_practice_step > 0).sum()),
            "coverage": self.coverage(), **self.counters,
        }
