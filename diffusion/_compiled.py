"""numba kernels behind :mod:`diffusion.kernel` (imported only when the compiled path is chosen).

``decide`` mirrors ``DiffusionModel._decide`` operation for operation; see :mod:`diffusion.kernel` for
why the results are identical and how that is checked. Compiled once, then loaded from numba's cache.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True)
def exponentials(values):
    """The C library's exp and expm1, as the kernel calls them, for the exactness probe."""
    exp = np.empty(values.size)
    expm1 = np.empty(values.size)
    for k in range(values.size):
        exp[k] = math.exp(values[k])
        expm1[k] = math.expm1(values[k])
    return exp, expm1


@numba.njit(cache=True)
def _grow(values, capacity):
    bigger = np.empty((capacity,) + values.shape[1:], values.dtype)
    bigger[:values.shape[0]] = values
    return bigger


@numba.njit(cache=True)
def decide(adopted, abandoned, columns, draws, exposure, reward, risk,
           spontaneous, rate,
           learn, learning, learning_columns,
           compete, weight, indptr, indices, data, denominator, ftz, use_ftz, lead, use_lead, lead_weight,
           mandate, mandate_base, promoted, row_pressure, column_pressure, nonbinding_pressure):
    """Adoptions this step: (rows, positions in ``columns``, channel shares), in np.nonzero's order."""
    regions = adopted.shape[0]
    width = columns.size
    voluntary_on = spontaneous or learn or compete
    numerator = np.zeros(width)
    ftz_count = np.zeros(width)          # open FTZs that adopted each innovation (an exact integer)
    if compete and use_ftz:
        for j in range(regions):
            if ftz[j]:
                for c in range(width):
                    if adopted[j, columns[c]]:
                        ftz_count[c] += 1.0
    capacity = max(64, regions)
    rows = np.empty(capacity, np.int64)
    cols = np.empty(capacity, np.int64)
    shares = np.empty((capacity, 4))
    found = 0
    hazard = np.zeros(4)
    for r in range(regions):
        if compete:   # row r of W @ A, accumulated in scipy's order (0 + w_1 a_1 + w_2 a_2 + ...)
            numerator[:] = 0.0
            for jj in range(indptr[r], indptr[r + 1]):
                j = indices[jj]
                w = data[jj]
                for c in range(width):
                    numerator[c] += w * (1.0 if adopted[j, columns[c]] else 0.0)
            if use_ftz:
                flag = 1.0 if ftz[r] else 0.0
                for c in range(width):
                    numerator[c] = numerator[c] + flag * ftz_count[c]
        for c in range(width):
            i = columns[c]
            taken = adopted[r, i]
            deterrent = 0.0
            if voluntary_on:
                # exp(-0.0) is exactly 1: a region without exposure to blame needs no exponential
                damping = math.exp(-(exposure[r] * risk[i])) if exposure[r] != 0.0 else 1.0
                deterrent = damping * reward[r]
                deterrent = deterrent * (0.0 if (taken or abandoned[r, i]) else 1.0)
            hazard[:] = 0.0
            total = 0.0
            started = False
            if spontaneous:
                hazard[0] = rate * deterrent
                total = hazard[0]
                started = True
            if learn:
                hazard[1] = deterrent * learning[r, learning_columns[c]]
                total = total + hazard[1] if started else hazard[1]
                started = True
            if compete:
                share = numerator[c] / denominator[r]
                if use_lead:
                    share = share + lead_weight * lead[r, c]
                hazard[2] = weight * deterrent * share
                total = total + hazard[2] if started else hazard[2]
                started = True
            if mandate:
                if promoted[c]:
                    hazard[3] = mandate_base[r, i] * (row_pressure[r] * column_pressure[c] + nonbinding_pressure[c])
                total = total + hazard[3] if started else hazard[3]
            if taken or total == 0.0:   # no hazard: probability 0, which no draw in [0, 1) is below
                continue
            probability = -math.expm1(-total)
            if not draws[r, c] < probability:
                continue
            if found == capacity:
                capacity *= 2
                rows = _grow(rows, capacity)
                cols = _grow(cols, capacity)
                shares = _grow(shares, capacity)
            rows[found] = r
            cols[found] = c
            for k in range(4):
                shares[found, k] = hazard[k] / total
            found += 1
    return rows[:found].copy(), cols[:found].copy(), shares[:found].copy()
