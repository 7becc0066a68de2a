"""Competition: regions adopt because rivals did (imitation; the Bass model's q term).

Rival weights W[r,j] = A[r,j] exp(-|log cap_r - log cap_j| / scale) over network ties (economically
similar neighbours compete hardest), plus mutual recognition m on cluster partners. An FTZ also
watches every other open FTZ (national ranking). With a_j,i in {0,1} the adoption state,

    share[r,i] = (sum_j W[r,j] a[j,i] + F_r sum_{j in FTZ} a[j,i]) / (sum_j W[r,j] + F_r (n_FTZ - 1))
    lambda_C[r,i] = w_C x (share[r,i] + rho x lead[r,i])                                  (1/year)

where F_r = 1 for an open FTZ (0 otherwise) and lead[r,i] = 1 when the current rotating lead of one of
r's clusters has adopted i (coordination: rotating lead rho). The hazard does not depend on the
innovation's benefit: imitation copies what rivals do, not what works. The lead rotates every
``coordination.lead_term_months``. Competition is voluntary: the engine multiplies lambda_C by the
institutional factor. Parameters: ``channels.competition`` (w_C = weight_per_year, similarity_scale,
include_ftz_peers) and ``coordination`` (m = mutual_recognition, rho = rotating_lead).
"""

from __future__ import annotations

import numba
import numpy as np
from scipy import sparse

NAME = "competition"
LABEL = {"en": "Competition", "zh": "竞争"}
VOLUNTARY = True


def inputs(model, t: int, columns: np.ndarray):
    """What :func:`fill` needs this step, or None when the channel adds nothing: the rival shares at the
    step's start."""
    spec = model.params.channels.competition
    if not spec.enabled or spec.weight_per_year == 0:
        return None
    return _inputs(model, t, columns, expected_state(model.state.adopted, columns, _NO_PAIRS, _NO_PAIRS,
                                                     model.state.position, _NO_HALF))


def midpoint(model, t: int, columns: np.ndarray, rows: np.ndarray, cols: np.ndarray, half: np.ndarray):
    """The inputs again, with the rival shares at the middle of the step: each undecided pair counts
    as adopted with ``half``, its probability of adopting in the step's first half. Rivals' adoptions
    during a step then press from when they happen, not from the next step (second order in the step)."""
    return _inputs(model, t, columns, expected_state(model.state.adopted, columns, rows, cols, model.state.position,
                                                     half))


_NO_PAIRS = np.zeros(0, np.int64)
_NO_HALF = np.zeros(0)


@numba.njit(cache=True)
def expected_state(adopted, columns, rows, cols, position, half):
    """Regions x available innovations: 1 where adopted, else 0, or for the listed undecided pairs their
    probability ``half`` of adopting by the middle of the step."""
    out = np.zeros((adopted.shape[0], columns.size))
    for r in range(adopted.shape[0]):
        for c in range(columns.size):
            if adopted[r, columns[c]]:
                out[r, c] = 1.0
    for k in range(rows.size):
        out[rows[k], position[cols[k]]] = half[k]
    return out


def _inputs(model, t: int, columns: np.ndarray, state: np.ndarray):
    spec = model.params.channels.competition
    s = model.structure
    w = s.rivals
    if spec.include_ftz_peers:   # open FTZs rank against each other
        ftz, denominator = model._ftz_rivalry(t)
        ranked = model._ftz_cache[0] > 1
    else:
        ftz, denominator, ranked = model._no_ftz, s.rival_denominator, False
    share = shares(w.indptr, w.indices, w.data, state, ftz, ranked, denominator)
    coordination = model.params.coordination
    if coordination.rotating_lead > 0 and s.membership.shape[1]:
        leads = current_leads(s.membership, model.timeline.start_years(t), coordination.lead_term_months / 12.0)
        share += coordination.rotating_lead * lead_pull(s.membership, leads, state)
    return spec.weight_per_year, share, model.state.position


@numba.njit(cache=True)
def fill(out, rows, cols, weight, share, position):
    """lambda_C for each undecided pair (rows[k], cols[k])."""
    for k in range(rows.size):
        out[k] = weight * share[rows[k], position[cols[k]]]


def rival_weights(adjacency: sparse.csr_matrix, capacity: np.ndarray, similarity_scale: float,
                  cluster_partners: sparse.csr_matrix, mutual_recognition: float) -> sparse.csr_matrix:
    """W = A o exp(-|log cap_r - log cap_j| / scale) + m x cluster partners."""
    weights = adjacency.tocoo(copy=True)
    if similarity_scale > 0:
        log_cap = np.log(capacity)
        weights.data = weights.data * np.exp(-np.abs(log_cap[weights.row] - log_cap[weights.col]) / similarity_scale)
    weights = weights.tocsr()
    if mutual_recognition > 0 and cluster_partners.nnz:
        weights = weights + mutual_recognition * cluster_partners
    return weights.tocsr()


def rival_denominator(weight_total: np.ndarray, ftz_open: np.ndarray | None) -> tuple[np.ndarray, bool]:
    """Each region's rival weight (the share's denominator, inf where there are no rivals, so that
    0 / inf = 0: no pressure), and whether open FTZs rank against each other (two or more open)."""
    ranked = ftz_open is not None and bool(ftz_open.sum() > 1)
    denominator = weight_total + ftz_open * (ftz_open.sum() - 1) if ranked else weight_total
    return np.where(denominator > 0, denominator, np.inf), ranked


def rival_share(weights: sparse.csr_matrix, weight_total: np.ndarray, adopted: np.ndarray,
                ftz_open: np.ndarray | None, denominator: np.ndarray | None = None) -> np.ndarray:
    """Weighted share of rivals that adopted each innovation (regions x innovations of ``adopted``, 0/1
    or, for an expected state, between); ``denominator`` is :func:`rival_denominator`'s, when known."""
    if denominator is None:
        denominator = rival_denominator(weight_total, ftz_open)[0]
    ftz = np.zeros(adopted.shape[0], bool) if ftz_open is None else np.asarray(ftz_open, bool)
    return shares(weights.indptr, weights.indices, weights.data, np.asarray(adopted, float), ftz,
                  ftz_open is not None and bool(ftz.sum() > 1), denominator)


@numba.njit(cache=True)
def shares(indptr, indices, data, state, ftz, ranked, denominator):
    """share[r, c] (see the module docstring) for a regions x innovations adoption state: W's row r
    times the state, plus the open FTZs' adoptions when r is an open FTZ and FTZs rank, over the
    denominator."""
    regions, width = state.shape
    out = np.zeros((regions, width))
    ftz_count = np.zeros(width)
    if ranked:
        for j in range(regions):
            if ftz[j]:
                for c in range(width):
                    ftz_count[c] += state[j, c]
    for r in range(regions):
        if width == 1:   # one innovation (an SI process): a plain sparse dot product
            total = 0.0
            for jj in range(indptr[r], indptr[r + 1]):
                total += data[jj] * state[indices[jj], 0]
            if ranked and ftz[r]:
                total += ftz_count[0]
            out[r, 0] = total / denominator[r]
            continue
        for jj in range(indptr[r], indptr[r + 1]):
            j = indices[jj]
            v = data[jj]
            for c in range(width):
                out[r, c] += v * state[j, c]
        for c in range(width):
            if ranked and ftz[r]:
                out[r, c] += ftz_count[c]
            out[r, c] /= denominator[r]
    return out


def current_leads(membership: np.ndarray, years: float, term_years: float) -> np.ndarray:
    """Region number leading each cluster at a time (years since the start): full members take turns,
    one term each."""
    leads = np.full(membership.shape[1], -1)
    for k in range(membership.shape[1]):
        members = np.flatnonzero(membership[:, k] >= 1.0)
        if members.size == 0:
            members = np.flatnonzero(membership[:, k] > 0)
        if members.size:
            leads[k] = members[int(np.floor(years / term_years + 1e-9)) % members.size]
    return leads


def lead_pull(membership: np.ndarray, leads: np.ndarray, adopted: np.ndarray) -> np.ndarray:
    """lead[r,i] = max over r's clusters k of member weight x a[lead_k, i] (zero for the lead itself)."""
    pull = np.zeros(adopted.shape)
    for k, lead in enumerate(leads):
        if lead < 0:
            continue
        members = membership[:, k].copy()
        members[lead] = 0.0
        np.maximum(pull, np.multiply.outer(members, adopted[lead]), out=pull)
    return pull
