"""What one local government knows and decides, and the centre that promotes pilots.

A :class:`Region` owns its row of the model's state arrays (what it adopted and when, what it believes
each innovation is worth) and its institutions. Its decision rule is the sum of the channel hazards
(``learning``, ``competition``, ``mandate`` plus a small spontaneous term); the model applies that rule
to all regions at once, vectorised, so the agent reads as the rule and the arrays do the work.
The :class:`CentralGovernment` evaluates piloted innovations and issues replication batches.
"""

from __future__ import annotations

import itertools
import weakref
from datetime import date

import mesa
import numpy as np

from . import learning
from .mandate import issue_binding, select_items
from .network import NEVER


class _AgentNumbers:
    """Each model's next agent number, held without keeping the model alive.

    Mesa 3.3 numbers agents from ``Agent._ids``, a class-level dict keyed by the model, so every model
    ever built stays in memory (about 1.3 MB a baseline run; Mesa issue 3179, fixed in versions that need
    Python 3.12). Our agents number themselves from this weak-keyed table instead: the same numbers
    (1, 2, ... per model), and a model is freed as soon as nothing else holds it."""

    def __init__(self):
        self._counters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __getitem__(self, model):
        counter = self._counters.get(model)
        if counter is None:
            counter = self._counters[model] = itertools.count(1)
        return counter

    def __len__(self) -> int:
        return len(self._counters)


AGENT_NUMBERS = _AgentNumbers()


class Region(mesa.Agent):
    """One local government (a province by default)."""

    _ids = AGENT_NUMBERS

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index

    # --- identity and traits -------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.model.regions.names[self.index]

    @property
    def name_zh(self) -> str:
        return self.model.regions.names_zh[self.index]

    @property
    def capacity(self) -> float:
        return float(self.model.institutions.capacity[self.index])

    @property
    def risk_aversion(self) -> float:
        return float(self.model.institutions.risk_aversion[self.index])

    # --- institutions ---------------------------------------------------------------------------
    @property
    def leadership(self) -> str:
        return self.model.institutions.leadership_name(self.index)

    @property
    def working_system(self) -> str:
        return self.model.institutions.working_system_name(self.index)

    @property
    def feedback(self) -> str:
        return self.model.institutions.feedback_name(self.index)

    @property
    def fault_tolerance(self) -> float:
        return float(self.model.institutions.fault_tolerance[self.index])

    # --- FTZ status -----------------------------------------------------------------------------
    @property
    def ftz_opening(self) -> date | None:
        """First day of the period in which this region's FTZ opened, or None."""
        step = int(self.model.regions.ftz_step[self.index])
        return None if step == NEVER else self.model.timeline.date_of(step)

    @property
    def is_ftz(self) -> bool:
        """Whether the region's FTZ is open at the current step."""
        return bool(self.model.regions.ftz_step[self.index] <= max(self.model.steps, 1))

    # --- adoption state and beliefs (views into the model's arrays) ------------------------------
    @property
    def adopted(self) -> np.ndarray:
        """Boolean per innovation: adopted and kept."""
        return self.model.adopted[self.index]

    @property
    def adoption_step(self) -> np.ndarray:
        """Step of adoption per innovation (0 = never)."""
        return self.model.adoption_step[self.index]

    @property
    def belief(self) -> np.ndarray:
        """What this region believes each innovation is worth (posterior mean)."""
        return self.model.belief_mean[self.index]

    @property
    def blame(self) -> float:
        """Blame accumulated from failed reforms (decays each step)."""
        return float(self.model.blame[self.index])

    def why(self, innovation: int) -> dict[str, float] | None:
        """Each channel's share in this region's adoption of an innovation; None if it never adopted it."""
        return self.model.attribution(self.index, innovation)


class CentralGovernment(mesa.Agent):
    """The centre: evaluates pilots from the results reported to it, issues replication batches and the
    scenario's central policies."""

    _ids = AGENT_NUMBERS

    def __init__(self, model):
        super().__init__(model)
        self.batches: list[dict] = []
        self.issued = {"binding": 0, "best_practice": 0}   # batches issued so far, by kind
        self.policy_log: list[dict] = []                   # one entry per central policy decided
        timeline = model.timeline
        self._policies_by_step: dict[int, list[int]] = {}
        for k, policy in enumerate(model.params.policies):
            step = max(1, timeline.step_at(timeline.years_of(policy.decision)))
            self._policies_by_step.setdefault(step, []).append(k)

    def estimate(self) -> np.ndarray:
        """The centre's estimate of each innovation's worth (conjugate normal over reported outcomes)."""
        m = self.model
        return (m.prior_precision * m.prior_mean + m.signal_precision * m.centre_sum) / (
            m.prior_precision + m.signal_precision * m.centre_count)

    def step(self) -> None:
        """Issue the binding batches and best-practice lists due this step, in date order, then the
        central policies due (a pilot-first one only if the evidence supports it)."""
        m = self.model
        t = m.steps
        due = m.schedule.by_step.get(t)
        if due:
            self._batches(t, due)
        for k in self._policies_by_step.get(t, ()):
            self._policy(t, k)

    def _batches(self, t: int, due: list) -> None:
        m = self.model
        spec = m.params.channels.mandate
        estimate = self.estimate()
        coverage = m.adopted.mean(axis=0)
        not_national = coverage < m.params.output.national_share
        generated = np.arange(m.n_innovations) < m.n_generated    # central policies follow their own rule
        evidence = m.centre_count >= spec.min_reports
        for batch in due:
            ready = generated & evidence & not_national & (m.innovations.evaluation_years <= batch.years)
            if batch.kind == "binding":
                chosen = select_items(estimate, ready & (m.binding_step == 0), spec.threshold, batch.size)
                m.binding_step[chosen] = t
                issue_binding(m, chosen, batch.years, np.full(chosen.size, spec.deadline_months / 12.0))
            else:
                chosen = select_items(estimate, ready & (m.binding_step == 0) & (m.best_practice_step == 0),
                                      spec.threshold, batch.size)
                m.best_practice_step[chosen] = t
                m.best_practice_years[chosen] = batch.years
            self._publish(chosen, batch.kind, t, batch.projected)

    def _policy(self, t: int, k: int) -> None:
        """Decide central policy k: a direct one is issued; a pilot-first one is issued if the centre's
        estimate exceeds the threshold on at least ``min_reports`` reported outcomes, else not scaled up."""
        m = self.model
        spec = m.params.channels.mandate
        policy = m.params.policies[k]
        i = m.n_generated + k
        years = m.timeline.years_of(policy.decision)
        estimate = float(self.estimate()[i])
        supported = policy.pilot is None or (m.centre_count[i] >= spec.min_reports and estimate > spec.threshold)
        self.policy_log.append({"policy": policy.id, "innovation": i, "step": t, "years": years,
                                "issued": bool(supported), "estimate": estimate,
                                "reports": int(m.centre_count[i])})
        if not supported:
            return
        deadline = np.inf if policy.deadline_months is None else policy.deadline_months / 12.0
        if policy.bindingness == "binding":
            m.binding_step[i] = t
            issue_binding(m, np.array([i]), years, np.array([deadline]))
        elif policy.bindingness == "guided":
            m.guided_step[i] = t
            m.guided_years[i] = years
            m.deadline_years[i] = deadline
        else:
            m.best_practice_step[i] = t
            m.best_practice_years[i] = years
        if policy.pilot is not None:
            self._share_evidence(np.array([i], np.int64))

    def _publish(self, items: np.ndarray, kind: str, step: int, projected: bool = False) -> None:
        self.issued[kind] += 1
        number = self.issued[kind]
        self.batches.append({"kind": kind, "number": number, "step": step, "items": items.tolist(),
                             "projected": bool(projected)})
        self._share_evidence(items)

    def _share_evidence(self, items: np.ndarray) -> None:
        m = self.model
        weight = m.params.channels.mandate.publication_weight
        if items.size and weight > 0 and m.params.channels.learning.enabled:
            # the published evidence reaches every region
            learning.publish(m.belief_mean, m.belief_precision, weight * m.centre_sum[items],
                             weight * m.centre_count[items], m.signal_precision, items.astype(np.int64),
                             m.learning_term)
