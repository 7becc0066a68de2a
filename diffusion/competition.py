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
    """What :func:`fill` needs this step, or None when the channel adds nothing."""
    spec = model.params.channels.competition
    if not spec.enabled or spec.weight_per_year == 0:
        return None
    s = model.structure
    w = s.rivals
    if spec.include_ftz_peers:   # open FTZs rank against each other
        ftz, denominator = model._ftz_rivalry(t)
        ranked = model._ftz_cache[0] > 1
    else:
        ftz, denominator, ranked = model._no_ftz, s.rival_denominator, False
    share = shares(w.indptr, w.indices, w.data, model.state.adopted, columns, ftz, ranked, denominator)
    coordination = model.params.coordination
    if coordination.rotating_lead > 0 and s.membership.shape[1]:
        leads = current_leads(s.membership, model.timeline.start_years(t), coordination.lead_term_months / 12.0)
        share += coordination.rotating_lead * lead_pull(s.membership, leads, model.state.adopted[:, columns])
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
    """Weighted share of rivals that adopted each innovation (regions x innovations of ``adopted``);
    ``denominator`` is :func:`rival_denominator`'s, when already known."""
    if denominator is None:
        denominator = rival_denominator(weight_total, ftz_open)[0]
    adopted = np.asarray(adopted) > 0
    ftz = np.zeros(adopted.shape[0], bool) if ftz_open is None else np.asarray(ftz_open, bool)
    return shares(weights.indptr, weights.indices, weights.data, adopted, np.arange(adopted.shape[1]), ftz,
                  ftz_open is not None and bool(ftz.sum() > 1), denominator)


@numba.njit(cache=True)
def shares(indptr, indices, data, adopted, columns, ftz, ranked, denominator):
    """share[r, c] for the innovations ``columns`` (see the module docstring): W's row r over the
    adopters, plus the open FTZs that adopted when r is an open FTZ and FTZs rank, over the denominator."""
    regions = adopted.shape[0]
    width = columns.size
    out = np.zeros((regions, width))
    ftz_count = np.zeros(width)
    if ranked:
        for j in range(regions):
            if ftz[j]:
                for c in range(width):
                    if adopted[j, columns[c]]:
                        ftz_count[c] += 1.0
    for r in range(regions):
        row = out[r]
        for jj in range(indptr[r], indptr[r + 1]):
            j = indices[jj]
            v = data[jj]
            for c in range(width):
                if adopted[j, columns[c]]:
                    row[c] += v
        if ranked and ftz[r]:
            for c in range(width):
                row[c] += ftz_count[c]
        for c in range(width):
            row[c] /= denominator[r]
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
