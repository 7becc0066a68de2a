"""Institutions of each region and what they do to adoption, implementation and failure.

Every effect lives here as one named function with its equation:

- ``voluntary_factor``: what the engine applies to every voluntary channel: the risk deterrent
  D[r,i] = exp(-a_r (1 - FT_r) (1 + beta B_r) s_i) (fear of blame, 不敢改, which fault tolerance lifts)
  x (1 + reward_r) x cap_r^theta_v (不能改: the means to reform on one's own initiative), and 0 for a
  reform the region abandoned or that addresses no need of the region (relevance).
- ``implementation_quality``: capacity (不能改), leadership and working system coordination (改不动).
- ``mandate_drive``: authority of the leadership model x assessment incentives x penalties.
- ``correction_probability``: fault tolerance and feedback decide whether a failure is corrected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from .network import RegionSet
from .params import FEEDBACK_MODES, LEADERSHIP_MODELS, WORKING_SYSTEMS, Parameters

COMMERCE_CATEGORIES = ("investment", "trade")


@dataclass
class RegionInstitutions:
    """Per-region institutional settings and traits as arrays (after per-region overrides)."""

    leadership: np.ndarray      # int index into LEADERSHIP_MODELS
    working_system: np.ndarray  # int index into WORKING_SYSTEMS
    feedback: np.ndarray        # int index into FEEDBACK_MODES
    fault_tolerance: np.ndarray
    assessment_weight: np.ndarray
    reward: np.ndarray
    penalty: np.ndarray
    capacity: np.ndarray
    risk_aversion: np.ndarray

    def leadership_name(self, r: int) -> str:
        return LEADERSHIP_MODELS[self.leadership[r]]

    def working_system_name(self, r: int) -> str:
        return WORKING_SYSTEMS[self.working_system[r]]

    def feedback_name(self, r: int) -> str:
        return FEEDBACK_MODES[self.feedback[r]]


def region_institutions(params: Parameters, regions: RegionSet, rng: np.random.Generator) -> RegionInstitutions:
    """Scenario-wide settings, then per-region overrides (unknown region names are errors)."""
    n = regions.n
    inst = params.institutions
    out = RegionInstitutions(
        leadership=np.full(n, LEADERSHIP_MODELS.index(inst.leadership)),
        working_system=np.full(n, WORKING_SYSTEMS.index(inst.working_system)),
        feedback=np.full(n, FEEDBACK_MODES.index(inst.feedback)),
        fault_tolerance=np.full(n, inst.fault_tolerance),
        assessment_weight=np.full(n, inst.incentives.assessment_weight),
        reward=np.full(n, inst.incentives.reward),
        penalty=np.full(n, inst.incentives.penalty),
        capacity=regions.base_capacity.astype(float).copy(),
        risk_aversion=params.regions.risk_aversion * np.exp(params.regions.risk_aversion_sd * rng.standard_normal(n)),
    )
    codes = {"leadership": LEADERSHIP_MODELS, "working_system": WORKING_SYSTEMS, "feedback": FEEDBACK_MODES}
    for name, override in params.regions.overrides.items():
        try:
            r = regions.index(name)
        except ValueError as error:
            raise ValueError(f"regions.overrides: {error}") from None
        for key, value in override.model_dump(exclude_none=True).items():
            getattr(out, key)[r] = codes[key].index(value) if key in codes else value
    return out


def voluntary_gain(inst: RegionInstitutions, params: Parameters) -> np.ndarray:
    """(1 + reward_r) x cap_r^theta_v per region: rewards and capacity raise every voluntary hazard."""
    return (1.0 + inst.reward) * inst.capacity ** params.regions.voluntary_capacity_exponent


def propensity(regions: RegionSet, params: Parameters) -> np.ndarray:
    """exp(sum_k beta_k z_rk) per region: the covariates named in ``regions.covariate_effects``, each
    standardised across regions (z-scores), shift every voluntary hazard by a log hazard ratio of beta_k
    per standard deviation. 1 everywhere when no covariate is named."""
    from .params import _did_you_mean
    from .regions_file import standardised

    effects = params.regions.covariate_effects
    linear = np.zeros(regions.n)
    for name, beta in effects.items():
        if name not in regions.covariates:
            known = sorted(regions.covariates)
            available = ", ".join(known) if known else "none (add numeric columns to a network.regions_file)"
            raise ValueError(f"regions.covariate_effects: unknown covariate {name!r}{_did_you_mean(name, known)}; "
                             f"covariates of this network: {available}")
        linear += beta * standardised(np.asarray(regions.covariates[name], float))
    return np.exp(linear)


def relevance(params: Parameters, fit: np.ndarray, key, origins: list) -> np.ndarray:
    """Regions x innovations: whether each reform addresses a need of the region, with probability
    rho^(1 / fit[r,i]) (rho = innovations.relevance: rho at fit 1, more where the reform fits better,
    every pair at rho = 1, none at 0) from the run's RELEVANCE stream at (r, i), so every scenario of a
    seed agrees on it; always true for a reform's own pilots. ``origins`` lists each innovation's pilot
    regions."""
    from . import streams

    rho = params.innovations.relevance
    if rho >= 1.0:
        out = np.ones(fit.shape, bool)
    elif rho <= 0.0:
        out = np.zeros(fit.shape, bool)
    else:
        with np.errstate(divide="ignore"):
            chance = rho ** (1.0 / fit)
        r, i = np.indices(fit.shape)
        u = streams.uniforms(key, streams.RELEVANCE, r.ravel().astype(np.int64), i.ravel().astype(np.int64),
                             np.zeros(fit.size, np.int64)).reshape(fit.shape)
        out = u < chance
    for column, members in enumerate(origins):
        out[members, column] = True
    return out


def exposure_base(inst: RegionInstitutions) -> np.ndarray:
    """a_r (1 - FT_r): a region's exposure to blame before any blame accrues (fixed over a run)."""
    return inst.risk_aversion * (1.0 - inst.fault_tolerance)


@numba.njit(cache=True)
def voluntary_factor(out, rows, cols, exposure, risk, reward_gain, abandoned, relevant, available):
    """D[r,i] x (1 + reward_r) cap_r^theta_v x available_i for each undecided pair, 0 where r abandoned i
    or i is not relevant to r: what multiplies every voluntary channel's hazard. ``exposure`` is
    a_r (1 - FT_r) (1 + beta B_r) per region; ``reward_gain`` (1 + reward_r) cap_r^theta_v; ``available``
    the share of the step in which innovation i exists (below 1 only in its birth step)."""
    for k in range(rows.size):
        r = rows[k]
        i = cols[k]
        if abandoned[r, i] or not relevant[r, i]:
            out[k] = 0.0
        elif exposure[r] == 0.0:
            out[k] = reward_gain[r] * available[i]
        else:
            out[k] = math.exp(-exposure[r] * risk[i]) * reward_gain[r] * available[i]


def quality_factor(inst: RegionInstitutions, params: Parameters) -> np.ndarray:
    """q_r = cap_r^theta x coordination(leadership_r) x system_quality(working_system_r), per region."""
    p = params.institutions
    coordination = np.array([p.coordination[m] for m in LEADERSHIP_MODELS])[inst.leadership]
    system = np.array([p.system_quality[w] for w in WORKING_SYSTEMS])[inst.working_system]
    return inst.capacity ** params.regions.quality_capacity_exponent * coordination * system


def commerce_system(inst: RegionInstitutions) -> np.ndarray:
    """Per region: whether its working system is the commerce department (bonus on commerce-domain reforms)."""
    return inst.working_system == WORKING_SYSTEMS.index("commerce")


@numba.njit(cache=True, inline="always")
def implementation_quality(quality, commerce, bonus, complexity_drag, commerce_domain):
    """Q[r,i] = q_r x (1 + bonus if the commerce department carries an investment/trade reform) x k_i^-psi,
    for one pair: ``quality`` is :func:`quality_factor` of r, ``commerce`` whether r's working system is
    the commerce department, ``complexity_drag`` k_i^-psi and ``commerce_domain`` whether i is one."""
    factor = 1.0 + bonus * (1.0 if (commerce and commerce_domain) else 0.0)
    return quality * factor * complexity_drag


def authority(inst: RegionInstitutions, params: Parameters) -> np.ndarray:
    """authority(leadership_r) per region."""
    return np.array([params.institutions.authority[m] for m in LEADERSHIP_MODELS])[inst.leadership]


def mandate_drive(inst: RegionInstitutions, params: Parameters) -> np.ndarray:
    """m_r = authority(leadership_r) x cap_r^theta: how hard a region pushes an item it is obliged to do."""
    authority = np.array([params.institutions.authority[m] for m in LEADERSHIP_MODELS])[inst.leadership]
    return authority * inst.capacity ** params.regions.quality_capacity_exponent


def correction_probability(inst: RegionInstitutions, params: Parameters) -> np.ndarray:
    """c_r = FT_r x feedback_correction(feedback_r): the chance a failure is corrected rather than abandoned."""
    factor = np.array([params.institutions.feedback_correction[f] for f in FEEDBACK_MODES])[inst.feedback]
    return inst.fault_tolerance * factor


def broadcast_weight(inst: RegionInstitutions, params: Parameters) -> np.ndarray:
    """w_r: weight with which every adopter's result reaches region r through the centre (two-way feedback)."""
    return np.array([params.institutions.feedback_broadcast[f] for f in FEEDBACK_MODES])[inst.feedback]
