"""Failure and correction: when an adoption goes wrong, and whether fault tolerance saves it.

An adoption by region r of innovation i yields the outcome

    y = b_i x fit[r,i] x Q[r,i] + s_i x eps,    eps ~ N(0, 1)

(true benefit x fit x implementation quality, plus noise of size risk). It fails when y < threshold.
A failure is corrected with probability c_r = FT_r x feedback_correction(feedback_r), provided the
reform itself can work there (b_i fit Q >= threshold: correction fixes the implementation, not a bad
idea); otherwise the region abandons it. Every failure adds (1 - FT_r) to the region's blame, which
deters later risky adoption (see institutions.risk_deterrent) and decays each step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import FailureParams


@dataclass
class Outcomes:
    outcome: np.ndarray
    failed: np.ndarray
    corrected: np.ndarray


def realise_outcomes(rng: np.random.Generator, spec: FailureParams, expected: np.ndarray, risk: np.ndarray,
                     correction: np.ndarray) -> Outcomes:
    """Draw outcomes for new adoptions (expected = b fit Q per adoption) and decide failures/corrections."""
    outcome = expected + risk * rng.standard_normal(expected.size)
    draws = rng.random(expected.size)
    if not spec.enabled:
        none = np.zeros(expected.size, dtype=bool)
        return Outcomes(outcome, none, none.copy())
    failed = outcome < spec.threshold
    corrected = failed & (draws < correction) & (expected >= spec.threshold)
    return Outcomes(outcome, failed, corrected)
