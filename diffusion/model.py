"""The world and its schedule: regions adopting FTZ innovations through learning, competition and mandate.

Each step (dt years: a quarter by default):

1. newly piloted innovations are adopted by their origin FTZ;
2. the centre issues the binding batch or best-practice list due this step, if any;
3. every region decides, for every innovation it has not adopted, with hazard (1/year)
   lambda = lambda_spontaneous + lambda_learning + lambda_competition + lambda_mandate
   and adopts with probability 1 - exp(-lambda dt); each channel's share of lambda is recorded;
4. new adoptions produce outcomes; failures are corrected or abandoned, and bring blame;
5. outcomes travel to other regions (learning) and up to the centre (feedback); blame decays.

The parts are in :mod:`diffusion.engine` (Structure, State, the adoption kernel) and one module per
channel; every random number comes from the run's keyed streams (:mod:`diffusion.streams`).

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

from . import benefit_sharing, competition, engine, failure, governance, industry_chain, learning, mandate, streams
from .agents import CentralGovernment, Region
from .engine import State, Structure
from .innovations import InnovationPlan, add_policies, generate
from .institutions import (COMMERCE_CATEGORIES, authority, broadcast_weight, commerce_system, correction_probability,
                           exposure_base, mandate_drive, propensity, quality_factor, region_institutions, relevance,
                           voluntary_factor, voluntary_gain)
from .mandate import build_schedule
from .network import build_regions
from .params import CHANNELS, FEEDBACK_MODES, Parameters, make_parameters
from .timeline import Timeline

N_CHANNELS = len(CHANNELS)

SERIES = ("coverage", "ftz_coverage", "non_ftz_coverage", "innovations", "binding_items", "binding_batches",
          "best_practice_items", "adoptions", "failures", "corrections", "abandonments", "retries", "gini")


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


_COUPLINGS: OrderedDict[bytes, tuple] = OrderedDict()   # the last few networks' coupling matrices
_COUPLINGS_KEPT = 4


def _couplings(adjacency: sparse.csr_matrix, membership: np.ndarray, capacity: np.ndarray, shared_data: float,
               similarity_scale: float, mutual_recognition: float) -> tuple:
    """Who partners whom in the chosen clusters, who sees whose results (V) and who watches whom (W):
    ``(partners, partner totals, V, W, W's row totals)``.

    They depend only on the network, the clusters, capacities and four settings, so runs that share
    these (the replicates of a scenario on a fixed network) share one copy, found by the content of
    its inputs. Nothing changes these matrices after they are built.
    """
    digest = hashlib.blake2b(digest_size=20)
    for array in (adjacency.data, adjacency.indices, adjacency.indptr, membership, capacity):
        digest.update(repr((array.dtype.str, array.shape)).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(repr((adjacency.shape, shared_data, similarity_scale, mutual_recognition)).encode())
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
    built = (partners, partner_total, visibility, rivals, rival_total)
    for matrix in (partners, visibility, rivals):
        for array in (matrix.data, matrix.indices, matrix.indptr):
            array.setflags(write=False)
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


class DiffusionModel(mesa.Model):
    """Local governments adopting FTZ reform innovations; ``DiffusionModel(params, seed=0, replicate=k).run()``.

    ``seed`` is the scenario's root seed and ``replicate`` the replicate number: together they key every
    random draw of the run (:mod:`diffusion.streams`), so replicate k of two scenarios shares its luck
    wherever their states agree. ``parameter_hash`` adds the parameters to the key (``seeding:
    independent``). ``rng`` is an older spelling: an integer is taken as the seed, a numpy Generator
    gives one seed drawn from it.
    """

    def __init__(self, params: Parameters | dict | None = None, *, seed: int | None = None, replicate: int | None = None,
                 rng: int | np.random.Generator | None = None, run_id: int = 0, plan: InnovationPlan | None = None,
                 parameter_hash: str | None = None, history: tuple | None = None):
        if params is None:
            params = Parameters()
        elif isinstance(params, dict):
            params = make_parameters(params)
        elif not isinstance(params, Parameters):
            raise ValueError(f"params must be a Parameters object or a mapping, not {type(params).__name__}")
        seed = self._seed(seed, rng)
        replicate = run_id if replicate is None else replicate
        if not isinstance(replicate, (int, np.integer)) or replicate < 0:
            raise ValueError(f"replicate must be a non-negative integer (given: {replicate!r})")
        self.key = streams.run_key(seed, int(replicate), parameter_hash)
        super().__init__(rng=streams.generator(self.key, streams.MESA))
        # Mesa wraps ``step`` by putting two bound methods on the instance (``step``, ``_user_step``): a
        # reference cycle, so a finished model waited for Python's cyclic collector. ``step`` counts the
        # steps itself instead (as Mesa's wrapper did, before the step's work).
        del self.step, self._user_step
        self.params = params
        self.seed = seed
        self.replicate = int(replicate)
        self.run_id = run_id
        self.timeline = Timeline(params.time.start, params.time.step, params.time.steps)
        regions = build_regions(params, self.timeline, streams.generator(self.key, streams.NETWORK))
        self._check_clusters(regions)
        institutions = region_institutions(params, regions, streams.generator(self.key, streams.INSTITUTIONS))
        generated = generate(params, regions, streams.generator(self.key, streams.INNOVATIONS), plan, self.timeline)
        generated = governance.authorise(generated, params, self.key, plan)   # requests the centre declines: gone
        self.n_generated = generated.n   # innovations 0..n_generated-1; the scenario's policies follow
        self.innovations, self.policy_pilots = add_policies(generated, params, regions,
                                                            streams.generator(self.key, streams.POLICIES),
                                                            self.timeline)
        self.structure = self._structure(params, regions, institutions)
        self.state = State.initial(regions.n, self.innovations.n, self.structure.prior_mean,
                                   self.structure.prior_precision)
        self._innovation_constants()
        self._events: list[dict[str, np.ndarray]] = []
        self._events_joined: tuple[int, dict[str, np.ndarray]] = (0, {})
        self._pending: dict[int, list[tuple[np.ndarray, ...]]] = {}   # outcomes on their way, by arrival step
        self.region_agents = [Region(self, r) for r in range(self.n_regions)]
        self.centre = CentralGovernment(self)
        self._stats: dict[str, float] = {}
        self._history = self._check_history(history)
        self.datacollector = SeriesCollector(model_reporters={name: _reporter(name) for name in SERIES})

    # ------------------------------------------------------------------------------------ set-up
    @staticmethod
    def _seed(seed, rng) -> int:
        if seed is not None and rng is not None:
            raise ValueError("give seed or rng, not both")
        value = seed if seed is not None else rng
        if value is None:
            return 0
        if isinstance(value, np.random.Generator):
            return int(value.integers(0, 2**63 - 1))
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise ValueError(f"seed must be a non-negative integer (or rng a numpy Generator), not {type(value).__name__}")
        if value < 0:
            raise ValueError(f"seed must be a non-negative integer (given: {value})")
        return int(value)

    def _check_history(self, history) -> tuple[np.ndarray, int] | None:
        """``(steps, until[, survived])``: a regions x innovations matrix of observed adoption steps (0: none
        by then) that the run replays for its first ``until`` steps, continuing on its own from there
        (forecasts from an observed history). Columns beyond the matrix (central policies) have no
        history. ``survived``, when given, is the voluntary hazard each pair had over the history (another
        run's ``history_hazard()``), used instead of this run's own to condition relevance on the history."""
        if history is None:
            return None
        steps, until, *given = history
        steps = np.asarray(steps)
        if steps.ndim != 2 or steps.shape[0] != self.n_regions or steps.shape[1] > self.innovations.n:
            raise ValueError(f"history: expected a matrix of {self.n_regions} regions x at most "
                             f"{self.innovations.n} innovations (given: {steps.shape})")
        full = np.zeros((self.n_regions, self.innovations.n), np.int64)
        full[:, :steps.shape[1]] = steps
        self._every_pair = np.ones(full.shape, bool)
        self._survived = np.zeros(full.shape)   # cumulative voluntary hazard of each pair, as if relevant
        self._survived_given = given[0] if given and given[0] is not None else None
        return full, int(until)

    def history_hazard(self) -> np.ndarray:
        """Per pair, the voluntary hazard integrated over the replayed history as if the reform were relevant
        to the region (after the run has replayed it): what the relevance of an undecided pair is
        conditioned on."""
        return self._survived

    def _condition_relevance(self) -> None:
        """At the end of a replayed history, each pair still undecided draws whether the reform addresses a
        need of the region again, given that it did not adopt: with prior chance c = rho^(1/fit) and the
        voluntary hazard H it would have had if relevant over the history, P(relevant | not adopted) =
        c e^-H / (c e^-H + 1 - c) (Bayes). Without this, a forecast would start from regions that resisted
        a reform for years as if they had just met it, and jump."""
        rho = self.params.innovations.relevance
        if rho >= 1.0 or rho <= 0.0:
            return
        relevant = self.structure.relevant
        rows, cols = np.nonzero(~self.state.adopted)
        with np.errstate(divide="ignore"):
            chance = rho ** (1.0 / self.innovations.fit[rows, cols])
        survived = self._survived if self._survived_given is None else self._survived_given
        kept = chance * np.exp(-survived[rows, cols])
        posterior = kept / (kept + 1.0 - chance)
        u = streams.uniforms(self.key, streams.RELEVANCE_GIVEN_HISTORY, rows.astype(np.int64), cols.astype(np.int64),
                             np.zeros(rows.size, np.int64))
        relevant[rows, cols] = u < posterior     # (a pilot adopted its reform: it is never undecided)

    def _check_clusters(self, regions) -> None:
        known = regions.cluster_names
        for name in self.params.coordination.clusters:
            if name not in known:
                from .params import _did_you_mean
                allowed = ", ".join(known) if known else "none (this network has no clusters)"
                raise ValueError(f"coordination.clusters: unknown cluster {name!r}{_did_you_mean(name, known)}; "
                                 f"allowed: {allowed}")

    def _structure(self, p: Parameters, regions, inst) -> Structure:
        chosen = [regions.cluster_names.index(c) for c in p.coordination.clusters]
        membership = regions.membership[:, chosen]
        partners, partner_total, visibility, rivals, rival_total = _couplings(
            regions.adjacency, membership, inst.capacity, p.coordination.shared_data,
            p.channels.competition.similarity_scale, p.coordination.mutual_recognition)
        spec = p.channels.learning
        origins = [np.array([o]) if o >= 0 else np.zeros(0, np.int64) for o in self.innovations.origin]
        for k, members in enumerate(self.policy_pilots):
            origins[self.n_generated + k] = members
        return Structure(
            timeline=self.timeline, regions=regions, institutions=inst, schedule=build_schedule(p, self.timeline),
            membership=membership, partners=partners, partner_total=partner_total, visibility=visibility,
            rivals=rivals, rival_total=rival_total,
            rival_denominator=competition.rival_denominator(rival_total, None)[0],
            mutual_recognition=p.coordination.mutual_recognition,
            prior_mean=spec.prior_mean, prior_precision=1.0 / spec.prior_sd**2,
            scope=self._scope(regions), relevant=relevance(p, self.innovations.fit, self.key, origins),
            exposure_base=exposure_base(inst), reward_gain=voluntary_gain(inst, p) * propensity(regions, p),
            quality=quality_factor(inst, p),
            commerce_system=commerce_system(inst), drive=mandate_drive(inst, p), authority=authority(inst, p),
            assessment=inst.assessment_weight.astype(float), penalty=inst.penalty.astype(float),
            correction=correction_probability(inst, p), broadcast=broadcast_weight(inst, p),
            reports_all=inst.feedback != FEEDBACK_MODES.index("none"),
            blame_retention=failure.blame_retention(p.failure.blame_half_life_months, self.timeline.dt))

    def _scope(self, regions) -> np.ndarray:
        """Regions x innovations: who a mandate of each innovation applies to (every region, except for a
        central policy issued to FTZ regions, clusters or named regions)."""
        scope = np.ones((regions.n, self.innovations.n), bool)
        for k, policy in enumerate(self.params.policies):
            column = self.n_generated + k
            if policy.scope == "all":
                continue
            if policy.scope == "ftz":
                scope[:, column] = regions.ftz_years <= self.timeline.years_of(policy.decision)
                continue
            chosen = np.zeros(regions.n, bool)
            for name in policy.scope.clusters:
                if name not in regions.cluster_names:
                    from .params import _did_you_mean
                    allowed = ", ".join(regions.cluster_names) or "none (this network has no clusters)"
                    raise ValueError(f"policies: {policy.id}: scope.clusters: unknown cluster {name!r}"
                                     f"{_did_you_mean(name, regions.cluster_names)}; allowed: {allowed}")
                chosen |= regions.membership[:, regions.cluster_names.index(name)] > 0
            for name in policy.scope.regions:
                try:
                    chosen[regions.index(name)] = True
                except ValueError as error:
                    raise ValueError(f"policies: {policy.id}: scope.regions: {error}") from None
            scope[:, column] = chosen
        return scope

    def _innovation_constants(self) -> None:
        """Per-innovation and per-pair factors fixed over the run."""
        p = self.params
        inn = self.innovations
        self.signal_precision = 1.0 / (inn.risk**2 + p.channels.learning.fit_noise**2)
        self.category_names = np.array(inn.categories)[inn.category] if inn.n else np.array([], dtype=str)
        self.commerce_domain = np.isin(self.category_names, COMMERCE_CATEGORIES)
        self.complexity_drag = inn.complexity ** -p.innovations.complexity_exponent
        # implementation quality per innovation: k_i^-psi, times local-level coordination's gain (governance)
        local = governance.local_quality(p, self.category_names)
        self.innovation_quality = self.complexity_drag if local is None else self.complexity_drag * local
        self.learning_cost = p.channels.learning.cost * np.multiply.outer(1.0 / self.institutions.capacity,
                                                                          inn.complexity)
        # each region's expected share of a joint reform's gains (None: all fair) scales its valuation
        self.benefit_share = benefit_sharing.expected_shares(p, self.regions, inn, self.institutions.capacity,
                                                             self.n_generated, self.policy_pilots,
                                                             self.structure.scope)
        self.valuation_fit = inn.fit if self.benefit_share is None else inn.fit * self.benefit_share
        self.industry_chain = industry_chain.build(self)   # None: no complementarity
        self.learning_term = learning.keeper(self)   # the learning hazard of each pair, kept between steps
        self._birth_order = np.sort(inn.birth_step)
        piloted = np.flatnonzero(inn.origin >= 0)   # innovations born in a pilot, by birth step
        pilot_region = {int(i): np.array([inn.origin[i]]) for i in piloted}
        for k, members in enumerate(self.policy_pilots):
            if members.size:
                pilot_region[self.n_generated + k] = members
        self._pilots_by_step = {}
        for step in np.unique(inn.birth_step[piloted]):
            born = piloted[inn.birth_step[piloted] == step]
            regions = np.concatenate([pilot_region[int(i)] for i in born]).astype(np.int64)
            columns = np.concatenate([np.full(pilot_region[int(i)].size, i) for i in born]).astype(np.int64)
            self._pilots_by_step[int(step)] = (regions, columns)
        self._ftz_order = np.sort(self.regions.ftz_step)
        horizon = np.maximum(np.arange(p.time.steps + 2), 1)   # step 0 counts as step 1
        self._born_by_step = np.searchsorted(self._birth_order, horizon, side="right").tolist()
        self._open_by_step = np.searchsorted(self._ftz_order, horizon, side="right").tolist()
        self._born_cache: tuple[int, np.ndarray | None] = (-1, None)
        self._ftz_cache: tuple[int, np.ndarray | None] = (-1, None)
        self._no_ftz = np.zeros(self.n_regions, bool)
        self._ftz_group = self.regions.ftz_step <= max(p.time.steps, 1)

    # ------------------------------------------------------------------------------ read access
    @property
    def n_regions(self) -> int:
        return self.structure.regions.n

    @property
    def n_innovations(self) -> int:
        return self.innovations.n

    @property
    def regions(self):
        return self.structure.regions

    @property
    def institutions(self):
        return self.structure.institutions

    @property
    def schedule(self):
        return self.structure.schedule

    @property
    def dt(self) -> float:
        """Years per step."""
        return self.timeline.dt

    @property
    def counters(self) -> dict:
        return self.state.counters

    @property
    def prior_mean(self) -> float:
        return self.structure.prior_mean

    @property
    def prior_precision(self) -> float:
        return self.structure.prior_precision

    # ----------------------------------------------------------------------------------- queries
    def ftz_open(self, step: int | None = None) -> np.ndarray:
        """Boolean per region: FTZ open at a step (default: the current one); kept until another opens."""
        return self._ftz_rivalry(self.steps if step is None else step)[0]

    def _ftz_rivalry(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        """Open FTZs at a step and each region's rival-weight denominator with them (competition), kept
        until another FTZ opens."""
        n_open = _count_by(self._open_by_step, self._ftz_order, step)
        if self._ftz_cache[0] != n_open:
            ftz = self.regions.ftz_step <= max(step, 1)
            ftz.setflags(write=False)
            self._ftz_cache = (n_open, (ftz, competition.rival_denominator(self.structure.rival_total, ftz)[0]))
        return self._ftz_cache[1]

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
        # FTZ regions as a group of fixed membership: those with an FTZ by the end of the run
        coverage, ftz_coverage, other_coverage, gini = engine.snapshot(self.adopted, n_born, self._ftz_group)
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
        """Advance one period: pilots, the centre, hazards and draws, outcomes, information."""
        self.steps += 1
        t = self.steps
        self._receive(t)                                 # outcomes of earlier adoptions reach those who see them
        pilots = self._start_pilots(t)                   # origin FTZs adopt what they pilot from now
        self.centre.step()                               # batches due this step
        decisions = self._decide(t)                      # every undecided pair: channel hazards, one draw
        rows, cols, shares, pilot, times = self._join(pilots, decisions)
        self.state.blame *= self.structure.blame_retention      # blame fades over the step ...
        outcome = self._realise(t, rows, cols, shares, pilot, times)   # ... and failures add to it
        self._send(t, rows, cols, times, outcome)        # outcomes travel, arriving after the evidence lag
        self._stats = self._snapshot()
        self.datacollector.collect(self)
        if t >= self.timeline.steps:
            self.running = False

    def run(self) -> DiffusionModel:
        """Run all steps of the horizon; returns the model for chaining."""
        while self.running and self.steps < self.timeline.steps:
            self.step()
        return self

    def release(self) -> None:
        """Let go of the agents once the run's results are taken, so that the model is freed as soon as
        nothing else holds it.

        Each Mesa agent holds its model and the model holds its agents: a reference cycle, which only
        Python's cyclic collector frees. A model that outlives a young-generation collection while it
        runs reaches the oldest generation, which is collected rarely in a process holding as many
        objects as this one, so a sweep's finished models (about 160 kB each) piled up by thousands
        (issue 18, docs/performance.md "Long experiments"). The runners that drop a model after reading
        its tables call this; the arrays stay readable, but the model has no agents and cannot step.
        """
        self.remove_all_agents()
        self.region_agents = []
        self.centre = None
        self.running = False

    def _born(self, t: int) -> np.ndarray:
        """Innovations born by step t (t >= 1), kept until the next birth; ``state.position`` maps each
        to its column among them."""
        n_born = _count_by(self._born_by_step, self._birth_order, t)
        if self._born_cache[0] != n_born:
            columns = np.flatnonzero(self.innovations.birth_step <= t)
            self.state.position[columns] = np.arange(columns.size)
            self._born_cache = (n_born, columns)
        return self._born_cache[1]

    def available_share(self, t: int) -> np.ndarray:
        """Per innovation: the share of step t after its birth (1 once born in an earlier step, 0 before)."""
        end = self.timeline.start_years(t) + self.dt
        return np.clip((end - self.innovations.birth_years) / self.dt, 0.0, 1.0)

    def _start_pilots(self, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pilots = self._pilots_by_step.get(t)
        if pilots is None:
            return _NONE, _NONE, _NO_TIMES
        regions, born = pilots
        self.adopted[regions, born] = True
        self.adoption_step[regions, born] = t
        return regions, born, self.innovations.birth_years[born]

    def _decide(self, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All regions' adoption decisions this step: each channel fills its hazard for the undecided pairs."""
        columns = self._born(t)
        if columns.size == 0:
            return _NONE, _NONE, np.zeros((0, N_CHANNELS)), _NO_TIMES
        replaying = self._history is not None and t <= self._history[1]
        st, s = self.state, self.structure
        rows, cols = engine.undecided(st.adopted, columns)
        hazards = np.zeros((N_CHANNELS, rows.size))
        active = []
        for k, channel in enumerate(engine.CHANNELS):
            inputs = channel.inputs(self, t, columns)
            if inputs is not None:
                channel.fill(hazards[k], rows, cols, *inputs)
                active.append(k)
        factor = np.empty(rows.size)
        exposure = s.exposure_base * (1.0 + self.params.failure.blame_weight * st.blame)
        relevant = self._every_pair if replaying else s.relevant   # replayed: the hazard the pair had if relevant
        voluntary_factor(factor, rows, cols, exposure, self.innovations.risk, s.reward_gain, st.abandoned, relevant,
                         self.available_share(t))
        # channels driven by others' adoptions look again at the middle of the step, at the state expected
        # from the hazards at its start (a midpoint rule: rivals press from when they adopt)
        again = [k for k in active if engine.looks_again(engine.CHANNELS[k], self)]
        if again:
            half = engine.half_step_probability(hazards, engine.VOLUNTARY, factor, self.dt)
            for k in again:
                channel = engine.CHANNELS[k]
                channel.fill(hazards[k], rows, cols, *channel.midpoint(self, t, columns, rows, cols, half))
        if replaying:
            voluntary = (hazards[engine.VOLUNTARY] * factor).sum(axis=0)
            self._survived[rows, cols] += voluntary * self.dt
            decisions = self._replay(t)
            if t == self._history[1]:
                self._condition_relevance()
            return decisions
        return engine.decide(hazards, engine.VOLUNTARY, factor, rows, cols, self.key, t, self.timeline.start_years(t),
                             self.dt, st.adopted, st.adoption_step)

    def _replay(self, t: int) -> tuple[np.ndarray, ...]:
        """Step t of the observed history: exactly the adoptions it records (no channel caused them: their
        shares are zero), each at a keyed time within the step. Their outcomes, failures and evidence
        follow as for any adoption, so the run reaches the end of the history in a state its own
        mechanisms made of what was observed."""
        steps, _ = self._history
        rows, cols = np.nonzero((steps == t) & ~self.state.adopted)
        rows, cols = rows.astype(np.int64), cols.astype(np.int64)
        self.state.adopted[rows, cols] = True
        self.state.adoption_step[rows, cols] = t
        u = streams.uniforms(self.key, streams.ADOPT, rows, cols, np.full(rows.size, t, np.int64))
        times = self.timeline.start_years(t) + u * self.dt
        return rows, cols, np.zeros((rows.size, N_CHANNELS)), times

    @staticmethod
    def _join(pilots, decisions) -> tuple[np.ndarray, ...]:
        """This step's pilots and adoptions as one list: rows, innovations, channel shares, pilot flags, times."""
        (pilot_rows, pilot_cols, pilot_times), (rows, cols, shares, times) = pilots, decisions
        if not pilot_rows.size:
            return rows, cols, shares, np.zeros(rows.size, bool), times
        pilot = np.zeros(pilot_rows.size + rows.size, bool)
        pilot[:pilot_rows.size] = True
        return (np.concatenate([pilot_rows, rows]), np.concatenate([pilot_cols, cols]),
                np.concatenate([np.zeros((pilot_rows.size, N_CHANNELS)), shares]), pilot,
                np.concatenate([pilot_times, times]))

    def _realise(self, t: int, rows: np.ndarray, cols: np.ndarray, shares: np.ndarray, pilot: np.ndarray,
                 times: np.ndarray) -> np.ndarray:
        """Outcomes of this step's adoptions, failures and corrections; returns the outcomes."""
        if rows.size == 0:
            return np.zeros(0)
        inn, s, st, p = self.innovations, self.structure, self.state, self.params
        end_years = self.timeline.start_years(t) + self.dt
        outcome, failed, corrected, abandoned, retried, mandated = failure.realise(
            rows, cols, times, self.key, t, inn.benefit, inn.fit, inn.risk, s.quality, s.commerce_system,
            p.institutions.commerce_domain_bonus, self.innovation_quality, self.commerce_domain, s.correction,
            p.failure.enabled, p.failure.threshold, s.institutions.fault_tolerance, st.binding_years, s.scope,
            end_years, p.failure.blame_half_life_months / 12.0, s.reports_all, inn.origin, st.adopted, st.abandoned,
            st.blame, st.centre_sum, st.centre_count)
        self._record(t, rows, cols, shares, pilot, mandated, outcome, failed, corrected, abandoned, retried, times)
        return outcome

    def _send(self, t: int, rows: np.ndarray, cols: np.ndarray, times: np.ndarray, outcome: np.ndarray) -> None:
        """Queue this step's outcomes with the step at whose start each reaches others (learning)."""
        if not self.params.channels.learning.enabled or not outcome.size:
            return
        lag = self.params.channels.learning.evidence_lag_months / 12.0
        arrival = engine.arrival_steps(rows, cols, times, self.key, t, lag, self.dt)
        first, last = int(arrival.min()), min(int(arrival.max()), self.timeline.steps)
        for step in range(first, last + 1):   # a lag of a step or less: two arrival steps
            due = arrival == step
            if due.any():
                self._pending.setdefault(step, []).append((rows[due], cols[due], outcome[due]))

    def _receive(self, t: int) -> None:
        """The outcomes arriving at the start of step t update the beliefs of the regions that see them."""
        v = self.structure.visibility
        for rows, cols, outcome in self._pending.pop(t, ()):
            learning.spread(rows, cols, outcome, v.indptr, v.indices, v.data, self.structure.broadcast,
                            self.state.belief_mean, self.state.belief_precision, self.signal_precision,
                            self.learning_term)

    def _record(self, t: int, rows: np.ndarray, cols: np.ndarray, shares: np.ndarray, pilot: np.ndarray,
                mandated: np.ndarray, outcome: np.ndarray, failed: np.ndarray, corrected: np.ndarray,
                abandoned: np.ndarray, retried: np.ndarray, times: np.ndarray) -> None:
        """Count this step's adoptions, failures, corrections, abandonments and retries, and log them as events."""
        counters = self.state.counters
        counters["adoptions"] += int(rows.size)
        counters["failures"] += int(np.count_nonzero(failed))
        counters["corrections"] += int(np.count_nonzero(corrected))
        counters["abandonments"] += int(np.count_nonzero(abandoned))
        counters["retries"] += int(np.count_nonzero(retried))
        self._events.append({
            "step": np.full(rows.size, t, dtype=np.int32), "region": rows, "innovation": cols, "shares": shares,
            "pilot": pilot, "mandated": mandated, "outcome": outcome, "failed": failed,
            "corrected": corrected, "abandoned": abandoned, "retried": retried, "years": times})

    # ----------------------------------------------------------------------------------- results
    def events(self) -> dict[str, np.ndarray]:
        """All adoption events so far as concatenated arrays (see tables.adoptions for the table).

        The arrays are joined once per step and shared between callers: copy one before changing it.
        """
        if not self._events:
            return {"step": np.zeros(0, np.int32), "region": np.zeros(0, np.int64), "innovation": np.zeros(0, np.int64),
                    "shares": np.zeros((0, N_CHANNELS)), "pilot": np.zeros(0, bool), "mandated": np.zeros(0, bool),
                    "outcome": np.zeros(0), "failed": np.zeros(0, bool), "corrected": np.zeros(0, bool),
                    "abandoned": np.zeros(0, bool), "retried": np.zeros(0, bool), "years": np.zeros(0)}
        if self._events_joined[0] != len(self._events):   # joined once per step, however many tables ask
            self._events_joined = (len(self._events),
                                   {key: np.concatenate([e[key] for e in self._events]) for key in self._events[0]})
        return self._events_joined[1]

    def summary(self) -> dict[str, Any]:
        """Headline numbers of the run so far (batches, items mandated, coverage, failures)."""
        binding = [b for b in self.centre.batches if b["kind"] == "binding"]
        projected = [b for b in self.centre.batches if b["projected"]]
        end = self.structure.schedule.record_end
        return {
            "steps": self.steps, "period": self.timeline.label(max(self.steps, 1)),
            "regions": self.n_regions, "innovations": self.n_innovations,
            "binding_batches": len(binding), "binding_items": int((self.binding_step > 0).sum()),
            "best_practice_items": int((self.best_practice_step > 0).sum()),
            "projected_batches": len(projected),
            "record_end": None if end is None else mandate.record_end_date().isoformat(),
            "policies": len(self.params.policies),
            "policies_issued": sum(bool(entry["issued"]) for entry in self.centre.policy_log),
            "coverage": self.coverage(), **self.counters,
        }

    def history_end_years(self) -> float:
        """End of the historical record this run replays (years since the start); inf when it replays
        none. Adoptions after it are projections."""
        end = self.structure.schedule.record_end
        return np.inf if end is None else end


_NONE = np.zeros(0, np.int64)
_NO_TIMES = np.zeros(0)


def _state_view(name: str) -> property:
    return property(lambda self: getattr(self.state, name), doc=f"``state.{name}`` (see engine.State).")


for _name in ("adopted", "abandoned", "adoption_step", "belief_mean", "belief_precision", "blame", "centre_sum",
              "centre_count", "binding_step", "best_practice_step", "binding_years", "best_practice_years",
              "guided_step", "guided_years", "deadline_years", "due"):
    setattr(DiffusionModel, _name, _state_view(_name))
