"""Learning: regions adopt what others' results show to be worth it.

Beliefs are normal with conjugate updates. Region r believes innovation i is worth m[r,i] with
precision tau[r,i] (prior m0, tau0 = 1/prior_sd^2). An observed outcome y of another adopter is a
signal with precision tau_e[i] = 1 / (risk_i^2 + fit_noise^2). After n new signals summing to S:

    tau' = tau + n tau_e,        m' = (tau m + tau_e S) / tau'

Signals reach r from itself, its network neighbours, cluster partners with shared data (weight d),
and, with two-way feedback or a published batch, from everywhere through the centre. The hazard is

    lambda_L[r,i] = w_L x (1 - tau0 / tau[r,i]) x logistic(kappa (m[r,i] fit[r,i] - cost[r,i]))   (1/year)

so a region with no evidence does not learn, and evidence of a bad reform keeps it away. The cost is
c k_i / cap_r, cut by mutual recognition: cost x (1 - mu x share of cluster partners that adopted). The
value m fit is the region's own: times its expected share e[r,i] of a joint reform's gains
(:mod:`diffusion.benefit_sharing`, e = 1 by default) and, for a reform complementary along industry
chains, times 1 + chi x the share of its linked FTZs that adopted (:mod:`diffusion.industry_chain`),
which is taken at the middle of the step like competition.
Learning is voluntary: the engine multiplies lambda_L by the institutional factor. Parameters:
``channels.learning`` (w_L = weight_per_year, kappa = sensitivity, m0 = prior_mean, prior_sd,
fit_noise, c = cost).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from . import industry_chain

NAME = "learning"
LABEL = {"en": "Learning", "zh": "学习"}
VOLUNTARY = True

_NONE2 = np.zeros((1, 1))
NO_VALUE = _NONE2   #: for callers with no complementarity factor (fill's ``value`` when ``linked`` is False)


def inputs(model, t: int, columns: np.ndarray):
    """What :func:`fill` needs this step, or None when the channel adds nothing."""
    spec = model.params.channels.learning
    if not spec.enabled or spec.weight_per_year == 0:
        return None
    if model.industry_chain is None:
        return _inputs(model, columns, _NONE2, False)
    return _inputs(model, columns, industry_chain.value_factor(model, columns), True)


def needs_midpoint(model) -> bool:
    """Whether the hazard depends on others' adoptions (industry-chain complementarity), so that the
    engine takes it again at the middle of the step."""
    return model.industry_chain is not None


def midpoint(model, t: int, columns: np.ndarray, rows: np.ndarray, cols: np.ndarray, half: np.ndarray):
    """The inputs with the complementarity factor at the state expected half-way through the step (each
    undecided pair counted with ``half``, its probability of adopting in the first half)."""
    return _inputs(model, columns, industry_chain.value_factor(model, columns, rows, cols, half), True)


def _inputs(model, columns: np.ndarray, value: np.ndarray, linked: bool):
    spec = model.params.channels.learning
    s = model.structure
    discount, position, mutual = _NONE2, model.state.position, False
    if s.mutual_recognition > 0 and s.partners.nnz:
        adopted = model.state.adopted[:, columns].astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.nan_to_num((s.partners @ adopted) / s.partner_total[:, None])
        discount, mutual = 1.0 - s.mutual_recognition * share, True
    return (model.state.belief_mean, model.state.belief_precision, s.prior_precision, model.valuation_fit,
            model.learning_cost, spec.weight_per_year, spec.sensitivity, discount, position, mutual,
            model.learning_term, value, linked)


def keeper(model) -> tuple:
    """What the belief updates need to keep the learning term of each pair: (keep, term, fit, cost,
    weight, sensitivity, prior precision). The term is a function of the pair's belief and fixed inputs,
    so it is computed where a belief moves and read when the pair decides; not kept (keep False) when
    mutual recognition makes the cost, or industry-chain complementarity the value, depend on partners'
    adoptions. ``fit`` is the valuation's: fit x the region's expected share of a joint reform."""
    spec = model.params.channels.learning
    s = model.structure
    keep = spec.enabled and not (s.mutual_recognition > 0 and s.partners.nnz) and model.industry_chain is None
    if not keep:
        return (False, _NONE2, _NONE2, _NONE2, 0.0, 0.0, 1.0)
    return (True, np.zeros(model.state.belief_mean.shape), model.valuation_fit, model.learning_cost,
            float(spec.weight_per_year), float(spec.sensitivity), float(s.prior_precision))


#: for callers that keep no learning term (the belief updates then update beliefs only)
NO_TERM = (False, _NONE2, _NONE2, _NONE2, 0.0, 0.0, 1.0)


@numba.njit(cache=True, inline="always")
def hazard(weight, sensitivity, mean, precision, prior_precision, fit, cost):
    """lambda_L of one pair: w (1 - tau0/tau) logistic(kappa (m fit - cost))."""
    if precision == prior_precision:   # no evidence yet: no learning, and no logistic to compute
        return 0.0
    evidence = 1.0 - prior_precision / precision
    return weight * evidence * 0.5 * (1.0 + math.tanh(0.5 * sensitivity * (mean * fit - cost)))


@numba.njit(cache=True)
def fill(out, rows, cols, belief_mean, belief_precision, prior_precision, fit, cost, weight, sensitivity,
         discount, position, mutual, kept, value, linked):
    """lambda_L for each undecided pair (rows[k], cols[k]): the kept term (see :func:`keeper`), or
    computed here when mutual recognition cuts the cost (``discount``, regions x available innovations)
    or complementarity raises the value (``value``, the same shape, when ``linked``)."""
    keep, term = kept[0], kept[1]
    for k in range(rows.size):
        r = rows[k]
        i = cols[k]
        if keep:
            out[k] = term[r, i]
            continue
        c = cost[r, i] * discount[r, position[i]] if mutual else cost[r, i]
        f = fit[r, i] * value[r, position[i]] if linked else fit[r, i]
        out[k] = hazard(weight, sensitivity, belief_mean[r, i], belief_precision[r, i], prior_precision, f, c)


# --------------------------------------------------------------------------- the flow of evidence
@numba.njit(cache=True)
def _outcomes(rows, cols, outcome, regions, innovations):
    """This step's adopted innovations (sorted) and the outcomes per (region, innovation): (Y, C)."""
    seen = np.zeros(innovations, np.bool_)
    for k in range(cols.size):
        seen[cols[k]] = True
    lookup = np.empty(innovations, np.int64)
    width = 0
    for i in range(innovations):
        if seen[i]:
            lookup[i] = width
            width += 1
    unique = np.empty(width, np.int64)
    for i in range(innovations):
        if seen[i]:
            unique[lookup[i]] = i
    outcome_sum = np.zeros((regions, width))
    outcome_count = np.zeros((regions, width))
    for k in range(rows.size):
        outcome_sum[rows[k], lookup[cols[k]]] += outcome[k]
        outcome_count[rows[k], lookup[cols[k]]] += 1.0
    return unique, outcome_sum, outcome_count


@numba.njit(cache=True, inline="always")
def _take_in(r, belief_mean, belief_precision, signal_sum, signal_count, signal_precision, columns, kept):
    """Region r takes in n signals summing to S about each innovation of ``columns``; the kept learning
    term of each pair whose belief moved follows it."""
    keep, term, fit, cost, weight, sensitivity, prior_precision = kept
    for u in range(columns.size):
        n = signal_count[u]
        if n == 0.0:
            continue
        i = columns[u]
        tau = belief_precision[r, i]
        new_tau = tau + n * signal_precision[i]
        belief_mean[r, i] = (tau * belief_mean[r, i] + signal_precision[i] * signal_sum[u]) / new_tau
        belief_precision[r, i] = new_tau
        if keep:
            term[r, i] = hazard(weight, sensitivity, belief_mean[r, i], new_tau, prior_precision, fit[r, i], cost[r, i])


@numba.njit(cache=True)
def spread(rows, cols, outcome, indptr, indices, data, broadcast, belief_mean, belief_precision, signal_precision,
           kept):
    """Outcomes of this step's adoptions reach the regions that see them, and update their beliefs:
    S = V @ Y + b_r sum_j Y_j and N = V @ C + b_r sum_j C_j per region (V: who sees whose results,
    b: the centre's two-way feedback)."""
    regions, n_innovations = belief_mean.shape
    unique, outcome_sum, outcome_count = _outcomes(rows, cols, outcome, regions, n_innovations)
    width = unique.size
    total_sum = np.zeros(width)
    total_count = np.zeros(width)
    for j in range(regions):
        for u in range(width):
            total_sum[u] += outcome_sum[j, u]
            total_count[u] += outcome_count[j, u]
    signal_sum = np.empty(width)
    signal_count = np.empty(width)
    for r in range(regions):
        for u in range(width):
            signal_sum[u] = broadcast[r] * total_sum[u]
            signal_count[u] = broadcast[r] * total_count[u]
        for jj in range(indptr[r], indptr[r + 1]):
            j = indices[jj]
            v = data[jj]
            for u in range(width):
                signal_sum[u] += v * outcome_sum[j, u]
                signal_count[u] += v * outcome_count[j, u]
        _take_in(r, belief_mean, belief_precision, signal_sum, signal_count, signal_precision, unique, kept)
    return unique


@numba.njit(cache=True)
def publish(belief_mean, belief_precision, signal_sum, signal_count, signal_precision, columns, kept):
    """Every region takes in the same evidence (the centre publishing what it knows of ``columns``)."""
    for r in range(belief_mean.shape[0]):
        _take_in(r, belief_mean, belief_precision, signal_sum, signal_count, signal_precision, columns, kept)
