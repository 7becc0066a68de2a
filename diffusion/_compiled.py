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
def decide(adopted, abandoned, adoption_step, columns, draws, exposure_base, exposed, blame, blame_weight, reward, risk,
           spontaneous, rate,
           learn, learning, learning_columns,
           compete, weight, indptr, indices, data, push, t_indptr, t_indices, t_data,
           denominator, ftz, use_ftz, lead, use_lead, lead_weight,
           mandate_on, mandate_base, t, binding_step, best_practice_step, deadline, escalation, assessment, penalty,
           penalty_threshold, nonbinding_assessment):
    """Adoptions this step: (rows, innovations, channel shares), in np.nonzero's order, also marked in
    ``adopted`` and ``adoption_step`` once every pair has been decided."""
    regions = adopted.shape[0]
    width = columns.size
    exposure = exposure_base.copy()   # all zero stays zero whatever the blame
    if exposed:
        for r in range(regions):
            exposure[r] = exposure_base[r] * (1.0 + blame_weight * blame[r])
    # the available columns of A = adopted as 0/1 (contiguous rows, so the sums below run over whole
    # rows); rows with something adopted (they push) and rows with something left to decide (they pull)
    available = np.zeros((regions, width), np.uint8)   # one byte a pair: 0 or 1, exact as a float
    adopter = np.zeros(regions, np.bool_)
    undecided = np.zeros(regions, np.bool_)
    n_adopters = 0
    n_undecided = 0
    for r in range(regions):
        for c in range(width):
            if adopted[r, columns[c]]:
                available[r, c] = 1
                adopter[r] = True
            else:
                undecided[r] = True
        n_adopters += adopter[r]
        n_undecided += undecided[r]
    # mandate pressure, as DiffusionModel._mandate_hazard and mandate.mandate_hazard compute it
    promoted = np.zeros(width, np.bool_)
    column_pressure = np.zeros(width)
    nonbinding_pressure = np.zeros(width)
    row_pressure = np.zeros(regions)
    mandate = False
    if mandate_on:
        due = np.zeros(width, np.bool_)
        n_due = 0
        for c in range(width):
            i = columns[c]
            issued = binding_step[i]
            binding = issued > 0 and issued <= t
            nonbinding = best_practice_step[i] > 0 and not binding
            promoted[c] = binding or nonbinding
            mandate = mandate or promoted[c]
            limit = issued + deadline
            overdue = max(0, t - limit) if binding else 0
            column_pressure[c] = (1.0 if binding else 0.0) * (1.0 + escalation * overdue / deadline)
            nonbinding_pressure[c] = nonbinding_assessment * (1.0 if nonbinding else 0.0)
            due[c] = binding and t > limit
            n_due += due[c]
        for r in range(regions):
            behind = 0.0
            if n_due:
                done = 0
                for c in range(width):
                    if due[c] and available[r, c]:
                        done += 1
                behind = 1.0 if done / n_due < penalty_threshold else 0.0
            row_pressure[r] = assessment[r] + penalty[r] * behind
    voluntary_on = spontaneous or learn or compete
    numerator = np.zeros(width)
    ftz_count = np.zeros(width)          # open FTZs that adopted each innovation (an exact integer)
    if compete and use_ftz:
        for j in range(regions):
            if ftz[j]:
                for c in range(width):
                    ftz_count[c] += available[j, c]
    # Sums of w x a over rivals: w x 1 = w, and adding w x 0 = +0 to a sum that starts at +0 changes
    # nothing, so these are the sums of w over the rivals that adopted, in the same order.
    push = push and n_adopters < n_undecided   # the cheaper way round; both give the same sums
    pushed = np.zeros((regions if push else 1, width))
    if compete and push:
        # W @ A pushed from the adopters: each (r, c) still receives w_rj in increasing j, which is
        # the order scipy pulls it in when W's rows are sorted (push is only set then)
        for j in range(regions):
            if not adopter[j]:
                continue
            for jj in range(t_indptr[j], t_indptr[j + 1]):
                r = t_indices[jj]
                w = t_data[jj]
                for c in range(width):
                    pushed[r, c] += w * available[j, c]
    capacity = max(64, regions)
    rows = np.empty(capacity, np.int64)
    cols = np.empty(capacity, np.int64)
    shares = np.empty((capacity, 4))
    found = 0
    hazard = np.zeros(4)
    for r in range(regions):
        if not undecided[r]:   # this region has adopted everything available: nothing to decide
            continue
        # element by element: numba's slice assignment costs more than the row's whole work at width 1
        if compete and push:
            for c in range(width):
                numerator[c] = pushed[r, c]
        elif compete:   # row r of W @ A, accumulated in scipy's order (0 + w_1 a_1 + w_2 a_2 + ...)
            for c in range(width):
                numerator[c] = 0.0
            for jj in range(indptr[r], indptr[r + 1]):
                j = indices[jj]
                w = data[jj]
                for c in range(width):
                    numerator[c] += w * available[j, c]
        if compete and use_ftz:
            flag = 1.0 if ftz[r] else 0.0
            for c in range(width):
                numerator[c] = numerator[c] + flag * ftz_count[c]
        for c in range(width):
            if available[r, c]:   # nothing to decide: an adopted pair is never drawn as an adoption
                continue
            i = columns[c]
            draw = draws[r, c]
            # Shortcut, exact: 1 - exp(-lambda) <= lambda, and lambda is at most its value without the
            # blame damping (exp(-x) <= 1 for x >= 0). A draw above that bound (with a 1e-9 margin for
            # rounding) is not an adoption, so neither exponential is needed to know it.
            if exposure[r] * risk[i] >= 0.0:
                bound = 0.0
                if voluntary_on and not abandoned[r, i]:
                    if spontaneous:
                        bound += rate
                    if learn:
                        bound += learning[r, learning_columns[c]]
                    if compete:
                        bound += weight * (numerator[c] / denominator[r]
                                           + (lead_weight * lead[r, c] if use_lead else 0.0))
                    bound *= reward[r]
                if mandate and promoted[c]:
                    bound += mandate_base[r, i] * (row_pressure[r] * column_pressure[c] + nonbinding_pressure[c])
                if draw >= bound * (1.0 + 1e-9):
                    continue
            deterrent = 0.0
            if voluntary_on:
                # exp(-0.0) is exactly 1: a region without exposure to blame needs no exponential
                damping = math.exp(-(exposure[r] * risk[i])) if exposure[r] != 0.0 else 1.0
                deterrent = damping * reward[r]
                deterrent = deterrent * (0.0 if abandoned[r, i] else 1.0)
            for k in range(4):
                hazard[k] = 0.0
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
            if total == 0.0:   # no hazard: probability 0, which no draw in [0, 1) is below
                continue
            probability = -math.expm1(-total)
            if not draw < probability:
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
    innovations = np.empty(found, np.int64)
    for k in range(found):
        innovations[k] = columns[cols[k]]
        adopted[rows[k], innovations[k]] = True
        adoption_step[rows[k], innovations[k]] = t
    return rows[:found].copy(), innovations, shares[:found].copy()


@numba.njit(cache=True)
def _outcomes(rows, cols, outcome, regions, innovations):
    """This step's adopted innovations (sorted) and the outcomes per (region, innovation): (Y, C).
    Mirrors model._unique_inverse, then ``np.add.at`` into zeros."""
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


@numba.njit(cache=True)
def _seen_by(r, indptr, indices, data, outcome_sum, outcome_count, signal_sum, signal_count):
    """Row r of S = V @ Y and N = V @ C, accumulated in scipy's order (0 + v_1 y_1 + v_2 y_2 + ...)."""
    for u in range(signal_sum.size):
        signal_sum[u] = 0.0
        signal_count[u] = 0.0
    for jj in range(indptr[r], indptr[r + 1]):
        j = indices[jj]
        v = data[jj]
        for u in range(signal_sum.size):
            signal_sum[u] += v * outcome_sum[j, u]
            signal_count[u] += v * outcome_count[j, u]


@numba.njit(cache=True)
def gather_signals(rows, cols, outcome, regions, innovations, indptr, indices, data):
    """This step's adopted innovations (sorted), the outcomes per (region, innovation) (Y, C) and what
    each region sees: S = V @ Y, N = V @ C (as scipy's sparse product computes them)."""
    unique, outcome_sum, outcome_count = _outcomes(rows, cols, outcome, regions, innovations)
    signal_sum = np.zeros((regions, unique.size))
    signal_count = np.zeros((regions, unique.size))
    for r in range(regions):
        _seen_by(r, indptr, indices, data, outcome_sum, outcome_count, signal_sum[r], signal_count[r])
    return unique, outcome_sum, outcome_count, signal_sum, signal_count


@numba.njit(cache=True)
def _take_in(r, belief_mean, belief_precision, signal_sum, signal_count, signal_precision, columns, fit, cost,
             sensitivity, track, rows, innovations, argument, found):
    """Region r takes in its signals (one value per innovation of ``columns``); returns the new count of
    pairs whose belief moved, recorded in rows, innovations, argument when ``track``."""
    for u in range(columns.size):
        i = columns[u]
        tau = belief_precision[r, i]
        mean = belief_mean[r, i]
        new_tau = tau + signal_count[u] * signal_precision[i]
        new_mean = (tau * mean + signal_precision[i] * signal_sum[u]) / new_tau
        belief_mean[r, i] = new_mean
        belief_precision[r, i] = new_tau
        # equal values give the same term, even +0 and -0 (m fit - cost is the same unless the cost
        # is 0, and then the logistic is 0.5 either way); a NaN is never equal, so it is computed again
        if track and (new_mean != mean or new_tau != tau):
            rows[found] = r
            innovations[found] = i
            argument[found] = 0.5 * (sensitivity * (new_mean * fit[r, i] - cost[r, i]))
            found += 1
    return found


@numba.njit(cache=True)
def update_beliefs(belief_mean, belief_precision, signal_sum, signal_count, signal_precision, columns,
                   fit, cost, sensitivity, track):
    """learning.update_beliefs in place: tau' = tau + n tau_e, m' = (tau m + tau_e S) / tau'.

    Every pair of the given innovations is updated, as numpy updates them: a region that saw nothing
    (n = 0) still has its mean multiplied and divided by tau, which can move its last bit. With
    ``track``, also returns the pairs whose belief did change, (rows, innovations, 0.5 x kappa
    (m fit - cost)), so that only their learning term is computed again: the term is a function of
    (m, tau) alone, so where neither moved it is already right.
    """
    regions = belief_mean.shape[0]
    capacity = regions * columns.size if track else 0
    rows = np.empty(capacity, np.int64)
    innovations = np.empty(capacity, np.int64)
    argument = np.empty(capacity)
    found = 0
    for r in range(regions):
        found = _take_in(r, belief_mean, belief_precision, signal_sum[r], signal_count[r], signal_precision, columns,
                         fit, cost, sensitivity, track, rows, innovations, argument, found)
    return rows[:found], innovations[:found], argument[:found]


@numba.njit(cache=True)
def spread_and_update(rows, cols, outcome, indptr, indices, data, belief_mean, belief_precision, signal_precision,
                      fit, cost, sensitivity, track):
    """gather_signals, then update_beliefs, region by region: the same numbers, without holding S and N
    for every region (at 3000 regions they are megabytes a step, written once and read once).
    Returns the step's adopted innovations and what update_beliefs returns."""
    regions, n_innovations = belief_mean.shape
    unique, outcome_sum, outcome_count = _outcomes(rows, cols, outcome, regions, n_innovations)
    capacity = regions * unique.size if track else 0
    moved_rows = np.empty(capacity, np.int64)
    moved_innovations = np.empty(capacity, np.int64)
    argument = np.empty(capacity)
    signal_sum = np.empty(unique.size)
    signal_count = np.empty(unique.size)
    found = 0
    for r in range(regions):
        _seen_by(r, indptr, indices, data, outcome_sum, outcome_count, signal_sum, signal_count)
        found = _take_in(r, belief_mean, belief_precision, signal_sum, signal_count, signal_precision, unique,
                         fit, cost, sensitivity, track, moved_rows, moved_innovations, argument, found)
    return unique, moved_rows[:found], moved_innovations[:found], argument[:found]


@numba.njit(cache=True)
def store_learning_term(term, tanh, rows, innovations, belief_precision, weight, prior_precision):
    """term = w (1 - tau0 / tau) x 0.5 (1 + tanh) at the given pairs, as learning.learning_hazard computes it."""
    for k in range(rows.size):
        r = rows[k]
        i = innovations[k]
        term[r, i] = (weight * (1.0 - prior_precision / belief_precision[r, i])) * (0.5 * (1.0 + tanh[k]))


@numba.njit(cache=True)
def _pairwise_leaf(values, start, n):
    """numpy's pairwise sum of at most 128 values: eight accumulators, then the remainder."""
    if n < 8:
        total = -0.0
        for k in range(n):
            total += values[start + k]
        return total
    r0, r1, r2, r3 = values[start], values[start + 1], values[start + 2], values[start + 3]
    r4, r5, r6, r7 = values[start + 4], values[start + 5], values[start + 6], values[start + 7]
    k = 8
    while k < n - (n % 8):
        r0 += values[start + k]
        r1 += values[start + k + 1]
        r2 += values[start + k + 2]
        r3 += values[start + k + 3]
        r4 += values[start + k + 4]
        r5 += values[start + k + 5]
        r6 += values[start + k + 6]
        r7 += values[start + k + 7]
        k += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while k < n:
        total += values[start + k]
        k += 1
    return total


@numba.njit(cache=True)
def pairwise_sum(values, start, n):
    """numpy's pairwise summation of float64, the same bits as np.sum: above 128 values numpy halves the
    range (at a multiple of 8) and adds the halves' sums. Walked with an explicit stack, not recursion
    (numba's cache cannot reload recursive functions)."""
    if n <= 128:
        return _pairwise_leaf(values, start, n)
    starts = np.empty(128, np.int64)
    sizes = np.empty(128, np.int64)
    phases = np.zeros(128, np.int64)     # 0: split, 1: left half done, 2: both halves done
    partial = np.empty(128)
    top, done = 0, 0
    starts[0], sizes[0], phases[0] = start, n, 0
    while top >= 0:
        size = sizes[top]
        if size <= 128:
            partial[done] = _pairwise_leaf(values, starts[top], size)
            done += 1
            top -= 1
            continue
        half = size // 2
        half -= half % 8
        if phases[top] == 0:
            phases[top] = 1
            top += 1
            starts[top], sizes[top], phases[top] = starts[top - 1], half, 0
        elif phases[top] == 1:
            phases[top] = 2
            top += 1
            starts[top], sizes[top], phases[top] = starts[top - 1] + half, size - half, 0
        else:
            done -= 1
            partial[done - 1] = partial[done - 1] + partial[done]
            top -= 1
    return partial[0]


@numba.njit(cache=True)
def snapshot(adopted, n_born, ftz):
    """Coverage overall, in open FTZs and elsewhere, and the Gini of adoptions per region (DiffusionModel._snapshot)."""
    regions, width = adopted.shape
    counts = np.zeros(regions, np.int64)
    for r in range(regions):
        k = 0
        for i in range(width):
            if adopted[r, i]:
                k += 1
        counts[r] = k
    per_region = np.zeros(regions)
    if n_born:
        for r in range(regions):
            per_region[r] = counts[r] / n_born
    inside = per_region[ftz]
    outside = per_region[~ftz]
    coverage = pairwise_sum(per_region, 0, regions) / regions
    ftz_coverage = pairwise_sum(inside, 0, inside.size) / inside.size if inside.size else np.nan
    other_coverage = pairwise_sum(outside, 0, outside.size) / outside.size if outside.size else np.nan
    # Gini of integer counts: numerator and total are exact integers, as they are in the float formula
    total = 0
    for r in range(regions):
        total += counts[r]
    gini = 0.0
    if total > 0:   # sum of (2k - n - 1) x_(k) over the sorted counts, by a counting sort
        histogram = np.zeros(width + 1, np.int64)
        for r in range(regions):
            histogram[counts[r]] += 1
        numerator = 0
        k = 1
        for value in range(width + 1):
            for _ in range(histogram[value]):
                numerator += (2 * k - regions - 1) * value
                k += 1
        gini = numerator / (regions * total)
    return coverage, ftz_coverage, other_coverage, gini


@numba.njit(cache=True)
def realise(rows, cols, normal, uniform, t, benefit, fit, risk, quality, commerce, bonus, complexity_drag,
            commerce_domain, correction, failure_on, threshold, fault_tolerance, binding_step, reports_all, origin,
            adopted, abandoned, blame, centre_sum, centre_count):
    """Outcomes of this step's adoptions (DiffusionModel._realise with failure.realise_outcomes), applied in
    numpy's order: abandonments, blame (np.add.at in event order), results reported to the centre."""
    n = rows.size
    outcome = np.empty(n)
    failed = np.zeros(n, np.bool_)
    corrected = np.zeros(n, np.bool_)
    dropped = np.zeros(n, np.bool_)
    mandated = np.zeros(n, np.bool_)
    for k in range(n):
        r = rows[k]
        i = cols[k]
        factor = 1.0 + bonus * (1.0 if (commerce[r] and commerce_domain[i]) else 0.0)
        expected = benefit[i] * fit[r, i] * (quality[r] * factor * complexity_drag[i])
        outcome[k] = expected + risk[i] * normal[k]
        if failure_on and outcome[k] < threshold:
            failed[k] = True
            corrected[k] = uniform[k] < correction[r] and expected >= threshold
            dropped[k] = not corrected[k]
        mandated[k] = binding_step[i] > 0 and binding_step[i] <= t
    for k in range(n):
        if dropped[k]:
            adopted[rows[k], cols[k]] = False
            abandoned[rows[k], cols[k]] = True
    for k in range(n):
        if failed[k]:
            blame[rows[k]] += 1.0 - fault_tolerance[rows[k]]
    for k in range(n):
        if reports_all[rows[k]] or origin[cols[k]] == rows[k]:
            centre_sum[cols[k]] += outcome[k]
            centre_count[cols[k]] += 1.0
    return outcome, failed, corrected, dropped, mandated
