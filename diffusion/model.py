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

import contextlib
import hashlib
from collections import OrderedDict
from typing import Any

import mesa
import numpy as np
from scipy import sparse

from . import competition, kernel, learning
from .kernel import choose as _choose_kernel   # the constructor's 'kernel' argument hides the module
from .agents import CentralGovernment, Region
from .failure import realise_outcomes
from .innovations import InnovationPlan, generate
from .institutions import (COMMERCE_CATEGORIES, broadcast_weight, commerce_system, correction_probability, exposure_base,
                           implementation_quality, mandate_drive, quality_factor, region_institutions, risk_deterrent)
from .mandate import build_schedule, mandate_base, mandate_hazard
from .network import build_regions
from .params import CHANNELS, FEEDBACK_MODES, Parameters, make_parameters
from .timeline import Timeline

N_CHANNELS = len(CHANNELS)

SERIES = ("coverage", "ftz_coverage", "non_ftz_coverage", "innovations", "binding_items", "binding_batches",
          "best_practice_items", "adoptions", "failures", "corrections", "abandonments", "gini")


def _reporter(name: str):
    """DataCollector reporter reading one value of the step's snapshot (computed once per step)."""
    return lambda model: model._stats[name]


class SeriesCollector(mesa.DataCollector):
    """Mesa's DataCollector for the model-level series, collecting the step's snapshot directly.

    Each series reporter reads one number of the snapshot, and numbers need no defensive copy, so
    ``collect`` appends them instead of calling every reporter and deep-copying its value (at 31
    regions that was a tenth of a step's bookkeeping). Anything else, such as a reporter added
    later, is collected by Mesa's own ``collect``.
    """

    def collect(self, model) -> None:
        stats = model._stats
        if self.agent_reporters or self.agenttype_reporters or not stats.keys() >= self.model_vars.keys():
            super().collect(model)
            return
        for name, values in self.model_vars.items():
            values.append(stats[name])


def _gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal)."""
    values = np.asarray(values)
    if values.dtype.kind in "iu" and 0 < values.size and 0 <= values.min() and values.max() <= 4 * values.size:
        # small counts (adoptions per region): a counting sort gives the same sorted array, faster
        values = np.repeat(np.arange(values.max() + 1, dtype=float), np.bincount(values))
    else:
        values = np.sort(np.asarray(values, dtype=float))
    n = values.size
    total = values.sum()
    if n == 0 or total <= 0:
        return 0.0
    return float((2 * np.arange(1, n + 1) - n - 1) @ values / (n * total))


_COUPLINGS: OrderedDict[bytes, tuple] = OrderedDict()   # the last few networks' coupling matrices
_COUPLINGS_KEPT = 4


def _couplings(adjacency: sparse.csr_matrix, membership: np.ndarray, capacity: np.ndarray, shared_data: float,
               similarity_scale: float, mutual_recognition: float, transpose: bool) -> tuple:
    """Who partners whom in the chosen clusters, who sees whose results (V) and who watches whom (W):
    ``(partners, partner totals, V, W, W's row totals, W's transpose or None)``.

    They depend only on the network, the clusters, capacities and four settings, so runs that share
    these (the replicates of a scenario on a fixed network) share one copy, found by the content of
    its inputs. Nothing changes these matrices after they are built.
    """
    digest = hashlib.blake2b(digest_size=20)
    for array in (adjacency.data, adjacency.indices, adjacency.indptr, membership, capacity):
        digest.update(repr((array.dtype.str, array.shape)).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(repr((adjacency.shape, shared_data, similarity_scale, mutual_recognition, transpose)).encode())
    key = digest.digest()
    built = _COUPLINGS.get(key)
    if built is not None:   # (a model built in another thread, as the app may, can evict it meanwhile)
        with contextlib.suppress(KeyError):
            _COUPLINGS.move_to_end(key)
        return built
    sparse_membership = sparse.csr_matrix(membership)   # sparse: a dense R x R product would need
    partners = (sparse_membership @ sparse_membership.T).tocsr()   # 80 GB at 100,000 regions
    partners.sort_indices()                                        # same summation order as before
    partners.setdiag(0)
    partners.eliminate_zeros()
    partner_total = np.asarray(partners.sum(axis=1)).ravel()
    n = adjacency.shape[0]
    visibility = (sparse.identity(n, format="csr") + adjacency + shared_data * partners).tocsr()
    rivals = competition.rival_weights(adjacency, capacity, similarity_scale, partners, mutual_recognition)
    rival_total = np.asarray(rivals.sum(axis=1)).ravel()
    # the compiled path pushes W @ A from adopters through W's transpose
    built = (partners, partner_total, visibility, rivals, rival_total, rivals.T.tocsr() if transpose else None)
    _COUPLINGS[key] = built
    while len(_COUPLINGS) > _COUPLINGS_KEPT:
        with contextlib.suppress(KeyError):
            _COUPLINGS.popitem(last=False)
    return built


def _count_by(table: list[int], order: np.ndarray, step: int) -> int:
    """How many of the sorted steps ``order`` are at or before ``max(step, 1)``; ``table`` holds the
    answer for each step of the horizon (a model stepped past its horizon looks it up)."""
    if 0 <= step < len(table):
        return table[step]
    return int(np.searchsorted(order, max(step, 1), side="right"))


def _unique_inverse(values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(values, return_inverse=True) for integers in [0, size), by a mask instead of a sort."""
    mask = np.zeros(size, dtype=bool)
    mask[values] = True
    unique = np.flatnonzero(mask)
    lookup = np.cumsum(mask) - 1
    return unique, lookup[values]


class DiffusionModel(mesa.Model):
    """Local governments adopting FTZ reform innovations; ``DiffusionModel(params, rng=seed).run()``.

    ``kernel`` picks how the decision step is computed: 'numpy', 'numba' (compiled; needs the ``fast``
    extra) or 'auto' (numba when installed and exact on this CPU). Results are identical; see
    :mod:`diffusion.kernel`. The default comes from the FTZ_DIFFUSION_KERNEL environment variable, else auto.
    """

    def __init__(self, params: Parameters | dict | None = None, *, rng: int | np.random.Generator | None = None,
                 run_id: int = 0, plan: InnovationPlan | None = None, kernel: str | None = None):
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
        self.kernel = _choose_kernel(kernel)   # 'numpy' or 'numba': the same numbers either way
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
        self.datacollector = SeriesCollector(model_reporters={name: _reporter(name) for name in SERIES})

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
        self._events_joined: tuple[int, dict[str, np.ndarray]] = (0, {})

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
        self._broadcasts = bool(self.broadcast.any())   # two-way feedback somewhere: results reach everyone
        self._birth_order = np.sort(inn.birth_step)
        piloted = np.flatnonzero(inn.origin >= 0)   # innovations born in an FTZ, by birth step
        self._pilots_by_step = {int(step): piloted[inn.birth_step[piloted] == step]
                                for step in np.unique(inn.birth_step[piloted])}
        self._no_pilots = (np.zeros(0, np.int64), np.zeros(0, np.int64))
        # per-region and per-pair factors that stay fixed over a run, computed once
        self.exposure_base = exposure_base(inst)
        self._exposed = bool(self.exposure_base.any())
        self.reward_gain = 1.0 + inst.reward
        self.quality = quality_factor(inst, p)
        self.commerce_system = commerce_system(inst)
        self.mandate_base = (mandate_base(p.channels.mandate.weight, self.drive, self.complexity_drag)
                             if p.channels.mandate.enabled else None)
        # clusters chosen for coordination, and who partners whom in them
        chosen = [self.regions.cluster_names.index(c) for c in p.coordination.clusters]
        self.coordination_membership = self.regions.membership[:, chosen]
        (self.cluster_partners, self.partner_total, self.visibility, self.rivals, self.rival_total,
         self._rivals_t) = _couplings(self.regions.adjacency, self.coordination_membership, inst.capacity,
                                      p.coordination.shared_data, p.channels.competition.similarity_scale,
                                      p.coordination.mutual_recognition, transpose=self.kernel == "numba")
        partners = self.cluster_partners
        self._rival_denominator = competition.rival_denominator(self.rival_total, None)[0]
        self._ftz_order = np.sort(self.regions.ftz_step)
        # innovations born and FTZs open by each step of the horizon (step 0 counts as step 1)
        horizon = np.maximum(np.arange(p.time.steps + 2), 1)
        self._born_by_step = np.searchsorted(self._birth_order, horizon, side="right").tolist()
        self._open_by_step = np.searchsorted(self._ftz_order, horizon, side="right").tolist()
        # the compiled path pushes W @ A from adopters through W's transpose: the same sums in the same
        # order as scipy's row-by-row product provided W's rows are sorted
        self._push = bool(self.rivals.has_sorted_indices)
        self._ftz_cache = (-1, None)
        self._born_cache = (-1, None)
        self._placeholders = (np.zeros((1, 1)), np.zeros(1))   # arrays the compiled path passes for unused inputs
        self._no_ftz = np.zeros(1, dtype=bool)
        # The learning hazard of a pair changes only when its beliefs do (or, under mutual recognition,
        # when cluster partners adopt): it is kept per pair and refreshed for the innovations whose
        # beliefs were updated, instead of being recomputed for every pair every step.
        self.learning_term = None
        if p.channels.learning.enabled and not (p.coordination.mutual_recognition > 0 and partners.nnz):
            # No region has evidence yet (tau = tau0 for every pair), so lambda_L = w x (1 - tau0 / tau0) x
            # logistic = w x 0 x logistic: the same zero for every pair, as the weight and the logistic are
            # finite and not negative. The logistic (a tanh per pair) is not needed to know that.
            evidence = 1.0 - self.prior_precision / self.prior_precision
            self.learning_term = np.full((self.n_regions, self.n_innovations), p.channels.learning.weight * evidence)

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
        n_born = _count_by(self._born_by_step, self._birth_order, self.steps)
        ftz = self._ftz_rivalry(self.steps)[0]   # the open FTZs, kept until another opens
        if self.kernel == "numba":
            # the same sums in the same order as below (a copy of numpy's pairwise summation)
            coverage, ftz_coverage, other_coverage, gini = kernel.compiled.snapshot(self.adopted, n_born, ftz)
        else:
            # only born innovations are ever adopted, so counting over all columns counts the born ones
            counts = np.count_nonzero(self.adopted, axis=1)
            per_region = counts / n_born if n_born else np.zeros(self.n_regions)
            coverage = float(per_region.mean())
            ftz_coverage = float(per_region[ftz].mean()) if ftz.any() else float("nan")
            other_coverage = float(per_region[~ftz].mean()) if (~ftz).any() else float("nan")
            gini = _gini(counts)
        return {
            "coverage": coverage,
            "ftz_coverage": ftz_coverage,
            "non_ftz_coverage": other_coverage,
            "innovations": n_born,
            "binding_items": int(np.count_nonzero(self.binding_step)),    # 0: not promoted
            "binding_batches": self.centre.issued["binding"],
            "best_practice_items": int(np.count_nonzero(self.best_practice_step)),
            **self.counters,
            "gini": gini,
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

    def _born(self, t: int) -> np.ndarray:
        """Innovations born by step t (t >= 1), kept until the next birth."""
        n_born = _count_by(self._born_by_step, self._birth_order, t)
        if self._born_cache[0] != n_born:
            self._born_cache = (n_born, np.flatnonzero(self.innovations.birth_step <= t))
        return self._born_cache[1]

    def _start_pilots(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        born = self._pilots_by_step.get(t)
        if born is None:
            return self._no_pilots
        regions = self.innovations.origin[born]
        self.adopted[regions, born] = True
        self.adoption_step[regions, born] = t
        return regions, born

    def _decide(self, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All regions' adoption decisions this step, vectorised over regions x available innovations."""
        p = self.params
        ch = p.channels
        columns = self._born(t)
        if columns.size and self.kernel == "numba":
            return self._decide_compiled(t, columns)
        empty = (np.zeros(0, int), np.zeros(0, int), np.zeros((0, N_CHANNELS)))
        if columns.size == 0:
            return empty
        adopted = self.adopted[:, columns]
        hazards: list[np.ndarray | None] = [None] * N_CHANNELS   # None: the channel adds nothing this step
        if ch.spontaneous.enabled or ch.learning.enabled or ch.competition.enabled:
            deterrent = risk_deterrent(self.exposure_base, self.blame, self.innovations.risk[columns],
                                       p.failure.blame_weight)
            deterrent *= self.reward_gain[:, None]
            deterrent *= ~adopted & ~self.abandoned[:, columns]   # voluntary channels skip adopted, abandoned
        if ch.spontaneous.enabled:
            hazards[0] = ch.spontaneous.rate * deterrent
        if ch.learning.enabled:
            hazards[1] = deterrent * self._learning_now(columns, adopted)
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
        present = [h for h in hazards if h is not None]
        total = present[0].copy() if present else np.zeros(adopted.shape)
        for hazard in present[1:]:
            total += hazard
        probability = np.negative(total)
        np.expm1(probability, out=probability)
        np.negative(probability, out=probability)          # 1 - exp(-lambda)
        draws = self.rng.random(total.shape)
        rows, cols = np.nonzero((draws < probability) & ~adopted)
        if rows.size == 0:
            return empty
        chosen = total[rows, cols]
        shares = np.zeros((rows.size, N_CHANNELS))
        for k, hazard in enumerate(hazards):
            if hazard is not None:
                shares[:, k] = hazard[rows, cols] / chosen
        innovations = columns[cols]
        self.adopted[rows, innovations] = True
        self.adoption_step[rows, innovations] = t
        return rows, innovations, shares

    def _decide_compiled(self, t: int, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``_decide`` through the numba kernel: the per-region and per-innovation factors are prepared
        here exactly as the numpy path computes them; the kernel does the per-pair work."""
        p = self.params
        ch = p.channels
        inst = self.institutions
        width = columns.size
        none2, none1 = self._placeholders
        learning_now, learning_columns = none2, columns
        adopted = None
        if ch.learning.enabled:
            if self.learning_term is not None:
                learning_now = self.learning_term
            else:
                adopted = self.adopted[:, columns]
                learning_now, learning_columns = self._learning_now(columns, adopted), np.arange(width)
        denominator, ftz, use_ftz, lead, use_lead = none1, self._no_ftz, False, none2, False
        if ch.competition.enabled:
            denominator = self._rival_denominator
            if ch.competition.include_ftz_peers:
                ftz, use_ftz, denominator = self._ftz_rivalry(t)
            if p.coordination.rotating_lead > 0 and self.coordination_membership.shape[1]:
                adopted = self.adopted[:, columns] if adopted is None else adopted
                leads = competition.current_leads(self.coordination_membership, t, p.coordination.lead_term)
                lead = competition.lead_pull(self.coordination_membership, leads, adopted.astype(float))
                use_lead = True
        draws = self.rng.random((self.n_regions, width))
        return kernel.compiled.decide(
            self.adopted, self.abandoned, self.adoption_step, columns, draws, self.exposure_base, self._exposed,
            self.blame, p.failure.blame_weight, self.reward_gain,
            self.innovations.risk, ch.spontaneous.enabled, ch.spontaneous.rate,
            ch.learning.enabled, learning_now, learning_columns,
            ch.competition.enabled, ch.competition.weight, self.rivals.indptr, self.rivals.indices,
            self.rivals.data, self._push, self._rivals_t.indptr, self._rivals_t.indices, self._rivals_t.data,
            denominator, ftz, use_ftz, lead, use_lead, p.coordination.rotating_lead,
            ch.mandate.enabled, self.mandate_base if ch.mandate.enabled else none2, t, self.binding_step,
            self.best_practice_step, ch.mandate.deadline, ch.mandate.escalation, inst.assessment_weight,
            inst.penalty, p.institutions.incentives.penalty_threshold, p.institutions.incentives.nonbinding_assessment)

    def _ftz_rivalry(self, t: int) -> tuple[np.ndarray, bool, np.ndarray]:
        """Open FTZs at a step, whether they rank against each other (two or more), and each region's
        rival-weight denominator (as competition.rival_share computes it); kept until another FTZ opens."""
        n_open = _count_by(self._open_by_step, self._ftz_order, t)
        if self._ftz_cache[0] != n_open:
            ftz = self.ftz_open(t)
            denominator, ranked = competition.rival_denominator(self.rival_total, ftz)
            self._ftz_cache = (n_open, (ftz, ranked, denominator))
        return self._ftz_cache[1]

    def _learning_hazard(self, columns: np.ndarray, cost: np.ndarray) -> np.ndarray:
        spec = self.params.channels.learning
        return learning.learning_hazard(spec.weight, spec.sensitivity, self.belief_mean[:, columns],
                                        self.belief_precision[:, columns], self.prior_precision,
                                        self.innovations.fit[:, columns], cost)

    def _learning_now(self, columns: np.ndarray, adopted: np.ndarray) -> np.ndarray:
        """Learning hazard (before the deterrent) of the available innovations at this step."""
        if self.learning_term is not None:
            return self.learning_term[:, columns]
        mutual = self.params.coordination.mutual_recognition
        with np.errstate(invalid="ignore", divide="ignore"):
            partner_share = np.nan_to_num((self.cluster_partners @ adopted) / self.partner_total[:, None])
        return self._learning_hazard(columns, self.learning_cost[:, columns] * (1.0 - mutual * partner_share))

    def _beliefs_changed(self, columns: np.ndarray) -> None:
        """Refresh the kept learning hazard of innovations whose beliefs were just updated (numpy path)."""
        if self.learning_term is None or not columns.size:
            return
        self.learning_term[:, columns] = self._learning_hazard(columns, self.learning_cost[:, columns])

    def _mandate_hazard(self, t: int, columns: np.ndarray, adopted: np.ndarray) -> np.ndarray | None:
        """Mandate hazard of the available innovations; None while none of them has been promoted."""
        ch = self.params.channels.mandate
        incentives = self.params.institutions.incentives
        issued = self.binding_step[columns]
        binding = (issued > 0) & (issued <= t)
        nonbinding = (self.best_practice_step[columns] > 0) & ~binding
        promoted = np.flatnonzero(binding | nonbinding)
        if promoted.size == 0:
            return None
        deadline = issued + ch.deadline
        overdue = np.where(binding, np.maximum(0, t - deadline), 0)
        due = binding & (t > deadline)
        behind = np.zeros(self.n_regions)
        if due.any():
            behind = (adopted[:, due].mean(axis=1) < incentives.penalty_threshold).astype(float)
        hazard = np.zeros(adopted.shape)   # zero where nothing is promoted
        hazard[:, promoted] = mandate_hazard(
            self.mandate_base[:, columns[promoted]], binding[promoted].astype(float),
            nonbinding[promoted].astype(float), self.institutions.assessment_weight, self.institutions.penalty,
            behind, overdue[promoted], ch.escalation, ch.deadline, incentives.nonbinding_assessment)
        return hazard

    def _realise(self, t: int, pilots: tuple[np.ndarray, np.ndarray], decisions) -> None:
        """Outcomes of this step's adoptions, failures and corrections, then the flow of information."""
        pilot_rows, pilot_cols = pilots
        if pilot_rows.size:
            rows = np.concatenate([pilot_rows, decisions[0]]).astype(np.int64)
            cols = np.concatenate([pilot_cols, decisions[1]]).astype(np.int64)
            shares = np.zeros((rows.size, N_CHANNELS))   # a pilot owes nothing to any channel
            shares[pilot_rows.size:] = decisions[2]
        else:
            rows, cols, shares = np.asarray(decisions[0], np.int64), np.asarray(decisions[1], np.int64), decisions[2]
        if rows.size == 0:
            return
        pilot = np.zeros(rows.size, dtype=bool)
        pilot[:pilot_rows.size] = True
        if self.kernel == "numba":
            self._realise_compiled(t, rows, cols, shares, pilot)
            return
        inn = self.innovations
        quality = implementation_quality(self.quality, self.commerce_system,
                                         self.params.institutions.commerce_domain_bonus, rows,
                                         self.complexity_drag[cols], self.commerce_domain[cols])
        result = realise_outcomes(self.rng, self.params.failure, inn.benefit[cols] * inn.fit[rows, cols] * quality,
                                  inn.risk[cols], self.correction[rows])
        abandoned = result.failed & ~result.corrected
        if result.failed.any():
            self.adopted[rows[abandoned], cols[abandoned]] = False
            self.abandoned[rows[abandoned], cols[abandoned]] = True
            np.add.at(self.blame, rows[result.failed], 1.0 - self.institutions.fault_tolerance[rows[result.failed]])
        mandated = (self.binding_step[cols] > 0) & (self.binding_step[cols] <= t)
        self._record(t, rows, cols, shares, pilot, mandated, result.outcome, result.failed, result.corrected,
                     abandoned)
        self._spread_information(rows, cols, result.outcome)

    def _record(self, t: int, rows: np.ndarray, cols: np.ndarray, shares: np.ndarray, pilot: np.ndarray,
                mandated: np.ndarray, outcome: np.ndarray, failed: np.ndarray, corrected: np.ndarray,
                abandoned: np.ndarray) -> None:
        """Count this step's adoptions, failures, corrections and abandonments, and log them as events."""
        self.counters["adoptions"] += int(rows.size)
        self.counters["failures"] += int(np.count_nonzero(failed))
        self.counters["corrections"] += int(np.count_nonzero(corrected))
        self.counters["abandonments"] += int(np.count_nonzero(abandoned))
        self._events.append({
            "step": np.full(rows.size, t, dtype=np.int32), "region": rows, "innovation": cols, "shares": shares,
            "pilot": pilot, "mandated": mandated, "outcome": outcome, "failed": failed,
            "corrected": corrected, "abandoned": abandoned})

    def _realise_compiled(self, t: int, rows: np.ndarray, cols: np.ndarray, shares: np.ndarray,
                          pilot: np.ndarray) -> None:
        """``_realise`` through the numba kernel: the same two draws from the run's generator, first."""
        inn = self.innovations
        failure = self.params.failure
        normal = self.rng.standard_normal(rows.size)    # as failure.realise_outcomes draws them
        uniform = self.rng.random(rows.size)
        outcome, failed, corrected, abandoned, mandated = kernel.compiled.realise(
            rows, cols, normal, uniform, t, inn.benefit, inn.fit, inn.risk, self.quality, self.commerce_system,
            self.params.institutions.commerce_domain_bonus, self.complexity_drag, self.commerce_domain,
            self.correction, failure.enabled, failure.threshold, self.institutions.fault_tolerance,
            self.binding_step, self.reports_all, inn.origin, self.adopted, self.abandoned, self.blame,
            self.centre_sum, self.centre_count)
        self._record(t, rows, cols, shares, pilot, mandated, outcome, failed, corrected, abandoned)
        self._spread_to_regions(rows, cols, outcome)

    def _spread_information(self, rows: np.ndarray, cols: np.ndarray, outcome: np.ndarray) -> None:
        """Outcomes reach other regions (learning) and the centre (feedback)."""
        reported = self.reports_all[rows] | (self.innovations.origin[cols] == rows)
        np.add.at(self.centre_sum, cols[reported], outcome[reported])
        np.add.at(self.centre_count, cols[reported], 1.0)
        self._spread_to_regions(rows, cols, outcome)

    def _spread_to_regions(self, rows: np.ndarray, cols: np.ndarray, outcome: np.ndarray) -> None:
        """Outcomes reach the regions that see them, and their beliefs (learning)."""
        if not self.params.channels.learning.enabled:
            return
        if self.kernel == "numba":
            visibility = self.visibility
            if not self._broadcasts:   # each region takes in its signals as soon as they are gathered
                fit, cost, sensitivity, track = self._tracking()
                unique, *moved = kernel.compiled.spread_and_update(
                    rows, cols, outcome, visibility.indptr, visibility.indices, visibility.data, self.belief_mean,
                    self.belief_precision, self.signal_precision, fit, cost, sensitivity, track)
                self._learning_moved(*moved)
                return
            unique, outcome_sum, outcome_count, signal_sum, signal_count = kernel.compiled.gather_signals(
                rows, cols, outcome, self.n_regions, self.n_innovations, visibility.indptr, visibility.indices,
                visibility.data)
            learning.add_broadcast(signal_sum, signal_count, self.broadcast, outcome_sum, outcome_count)
        else:
            unique, position = _unique_inverse(cols, self.n_innovations)
            outcome_sum = np.zeros((self.n_regions, unique.size))
            outcome_count = np.zeros((self.n_regions, unique.size))
            np.add.at(outcome_sum, (rows, position), outcome)
            np.add.at(outcome_count, (rows, position), 1.0)
            signal_sum, signal_count = learning.gather_signals(self.visibility, self.broadcast, outcome_sum,
                                                               outcome_count)
        self._update_beliefs(signal_sum, signal_count, unique)

    def _update_beliefs(self, signal_sum: np.ndarray, signal_count: np.ndarray, columns: np.ndarray) -> None:
        """Every region takes in the signals about the innovations ``columns`` (sum and count per region,
        as learning.update_beliefs), and the kept learning term follows its beliefs.

        The compiled path updates element by element (the same numbers) and computes the learning term
        again only where a belief changed, with numpy's tanh in between for the same bits; the numpy
        path computes it again for every region and the given innovations."""
        if self.kernel != "numba":
            learning.update_beliefs(self.belief_mean, self.belief_precision, signal_sum, signal_count,
                                    self.signal_precision, columns)
            self._beliefs_changed(columns)
            return
        fit, cost, sensitivity, track = self._tracking()
        moved = kernel.compiled.update_beliefs(
            self.belief_mean, self.belief_precision, np.ascontiguousarray(signal_sum),
            np.ascontiguousarray(signal_count), self.signal_precision, columns, fit, cost, sensitivity, track)
        self._learning_moved(*moved)

    def _tracking(self) -> tuple[np.ndarray, np.ndarray, float, bool]:
        """What the compiled belief update needs to report the pairs whose learning term must be computed
        again: (fit, cost, sensitivity, whether to report them: only when the term is kept)."""
        if self.learning_term is None:
            return self._placeholders[0], self._placeholders[0], 0.0, False
        return self.innovations.fit, self.learning_cost, self.params.channels.learning.sensitivity, True

    def _learning_moved(self, rows: np.ndarray, innovations: np.ndarray, argument: np.ndarray) -> None:
        """The kept learning term of the pairs whose belief moved, from their logistic argument: numpy's
        tanh (its own vectorised one, which the kernels do not reproduce) between two kernels."""
        if rows.size:
            spec = self.params.channels.learning
            np.tanh(argument, out=argument)
            kernel.compiled.store_learning_term(self.learning_term, argument, rows, innovations, self.belief_precision,
                                                spec.weight, self.prior_precision)

    # ----------------------------------------------------------------------------------- results
    def events(self) -> dict[str, np.ndarray]:
        """All adoption events so far as concatenated arrays (see tables.adoptions for the table).

        The arrays are joined once per step and shared between callers: copy one before changing it.
        """
        if not self._events:
            return {"step": np.zeros(0, np.int32), "region": np.zeros(0, np.int64), "innovation": np.zeros(0, np.int64),
                    "shares": np.zeros((0, N_CHANNELS)), "pilot": np.zeros(0, bool), "mandated": np.zeros(0, bool),
                    "outcome": np.zeros(0), "failed": np.zeros(0, bool), "corrected": np.zeros(0, bool),
                    "abandoned": np.zeros(0, bool)}
        if self._events_joined[0] != len(self._events):   # joined once per step, however many tables ask
            self._events_joined = (len(self._events),
                                   {key: np.concatenate([e[key] for e in self._events]) for key in self._events[0]})
        return self._events_joined[1]

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
