"""Learning: regions adopt what others' results show to be worth it.

Beliefs are normal with conjugate updates. Region r believes innovation i is worth m[r,i] with
precision tau[r,i] (prior m0, tau0 = 1/prior_sd^2). An observed outcome y of another adopter is a
signal with precision tau_e[i] = 1 / (risk_i^2 + fit_noise^2). After n new signals summing to S:

    tau' = tau + n tau_e,        m' = (tau m + tau_e S) / tau'

Signals reach r from itself, its network neighbours, cluster partners with shared data (weight d),
and, with two-way feedback or a published batch, from everywhere through the centre. The hazard is

    lambda_L[r,i] = w_L x (1 - tau0 / tau[r,i]) x logistic(kappa (m[r,i] fit[r,i] - cost[r,i]))

so a region with no evidence does not learn, and evidence of a bad reform keeps it away.
"""

from __future__ import annotations

import numpy as np


def logistic(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # numerically safe logistic


def learning_hazard(weight: float, sensitivity: float, belief_mean: np.ndarray, belief_precision: np.ndarray,
                    prior_precision: float, fit: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """lambda_L = w (1 - tau0/tau) logistic(kappa (m fit - cost)), elementwise over (region, innovation)."""
    evidence = 1.0 - prior_precision / belief_precision
    return weight * evidence * logistic(sensitivity * (belief_mean * fit - cost))


def update_beliefs(belief_mean: np.ndarray, belief_precision: np.ndarray, signal_sum: np.ndarray,
                   signal_count: np.ndarray, signal_precision: np.ndarray, columns: np.ndarray) -> None:
    """Conjugate normal update in place, for the innovation columns that received signals."""
    if columns.size == 0:
        return
    tau = belief_precision[:, columns]
    new_tau = tau + signal_count * signal_precision[columns]
    belief_mean[:, columns] = (tau * belief_mean[:, columns] + signal_precision[columns] * signal_sum) / new_tau
    belief_precision[:, columns] = new_tau


def gather_signals(visibility, broadcast: np.ndarray, outcome_sum: np.ndarray, outcome_count: np.ndarray):
    """Signals each region receives: S = V @ Y + b_r sum_j Y[j], N likewise (Y: outcomes this step, R x I')."""
    width = outcome_sum.shape[1]
    both = visibility @ np.hstack([outcome_sum, outcome_count])  # one sparse product for both
    signal_sum, signal_count = both[:, :width], both[:, width:]
    add_broadcast(signal_sum, signal_count, broadcast, outcome_sum, outcome_count)
    return signal_sum, signal_count


def add_broadcast(signal_sum: np.ndarray, signal_count: np.ndarray, broadcast: np.ndarray, outcome_sum: np.ndarray,
                  outcome_count: np.ndarray) -> None:
    """Add, in place, what reaches every region through the centre: b_r x (sum over adopters of Y and C)."""
    if broadcast.any():
        signal_sum += np.multiply.outer(broadcast, outcome_sum.sum(axis=0))
        signal_count += np.multiply.outer(broadcast, outcome_count.sum(axis=0))
