"""Failure and correction: when an adoption goes wrong, and whether fault tolerance saves it.

An adoption by region r of innovation i yields the outcome

    y = b_i x fit[r,i] x Q[r,i] + s_i x eps,    eps ~ N(0, 1)

(true benefit x fit x implementation quality, plus noise of size risk). It fails when y < threshold.
A failure is corrected with probability c_r = FT_r x feedback_correction(feedback_r), provided the
reform itself can work there (b_i fit Q >= threshold: correction fixes the implementation, not a bad
idea); otherwise a voluntary adopter abandons it, while a region bound by a binding mandate in force
retries: the failed implementation is undone and the mandate presses again (at the fastest pace of
the plan, 1 / shortest_months), so a standing mandate is never abandoned for good. Every failure adds (1 - FT_r) to the region's blame, which
deters later risky adoption (see institutions.voluntary_factor) and decays with a half-life of
``failure.blame_half_life_months``: B <- B x 2^(-dt / half-life) each step. The noise eps and the
correction draw come from the run's keyed streams (diffusion.streams) at the adoption's coordinates
(region, innovation, step), so two scenarios in which a region adopts the same reform in the same step
see the same luck.
"""

from __future__ import annotations

import numba
import numpy as np

from . import streams
from .institutions import implementation_quality


def blame_retention(half_life_months: float, dt: float) -> float:
    """Share of blame left after one step of dt years: 2^(-dt / half-life)."""
    return float(np.exp2(-dt * 12.0 / half_life_months))


@numba.njit(cache=True)
def realise(rows, cols, times, key, t, benefit, fit, risk, quality, commerce, bonus, complexity_drag, commerce_domain,
            correction, failure_on, threshold, fault_tolerance, binding_years, scope, end_years, half_life_years,
            reports_all, origin, adopted, abandoned, blame, centre_sum, centre_count):
    """Outcomes of this step's adoptions, applied in order: abandonments and retries, blame, results
    reported to the centre. A failure at time ``times[k]`` adds blame that has already decayed until the
    step's end (the blame carried in is decayed by the caller). Returns (outcome, failed, corrected,
    abandoned, retried, mandated) per adoption."""
    n = rows.size
    outcome = np.empty(n)
    failed = np.zeros(n, np.bool_)
    corrected = np.zeros(n, np.bool_)
    dropped = np.zeros(n, np.bool_)
    retried = np.zeros(n, np.bool_)
    mandated = np.zeros(n, np.bool_)
    for k in range(n):
        r = rows[k]
        i = cols[k]
        quality_ri = implementation_quality(quality[r], commerce[r], bonus, complexity_drag[i], commerce_domain[i])
        expected = benefit[i] * fit[r, i] * quality_ri   # b fit Q
        outcome[k] = expected + risk[i] * streams.normal(key, r, i, t)
        if failure_on and outcome[k] < threshold:
            failed[k] = True
            corrected[k] = streams.uniform(key, streams.CORRECT, r, i, t) < correction[r] and expected >= threshold
        mandated[k] = binding_years[i] < end_years and scope[r, i]
        if failed[k] and not corrected[k]:
            if mandated[k]:
                retried[k] = True
            else:
                dropped[k] = True
    for k in range(n):
        if dropped[k] or retried[k]:
            adopted[rows[k], cols[k]] = False
        if dropped[k]:
            abandoned[rows[k], cols[k]] = True
        if failed[k]:
            blame[rows[k]] += (1.0 - fault_tolerance[rows[k]]) * 2.0 ** (-(end_years - times[k]) / half_life_years)
        if reports_all[rows[k]] or origin[cols[k]] == rows[k]:
            centre_sum[cols[k]] += outcome[k]
            centre_count[cols[k]] += 1.0
    return outcome, failed, corrected, dropped, retried, mandated
