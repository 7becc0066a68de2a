"""Spontaneous adoption: a region's own discovery, with no outside cause (the Bass model's p).

    lambda_S[r,i] = p                                   (1/year)

a constant hazard for every undecided pair. Like learning and competition it is voluntary, so the
engine multiplies it by the institutional factor D[r,i] x (1 + reward_r) (see
:func:`diffusion.institutions.voluntary_factor`). Parameters: ``channels.spontaneous``.
"""

from __future__ import annotations

import numba

NAME = "spontaneous"
LABEL = {"en": "Spontaneous", "zh": "自发"}
VOLUNTARY = True


def inputs(model, t: int, columns):
    """What :func:`fill` needs this step, or None when the channel adds nothing."""
    spec = model.params.channels.spontaneous
    if not spec.enabled or spec.rate_per_year == 0:
        return None
    return (spec.rate_per_year,)


@numba.njit(cache=True)
def fill(out, rows, cols, rate):
    """lambda_S for each undecided pair (rows[k], cols[k])."""
    for k in range(rows.size):
        out[k] = rate
