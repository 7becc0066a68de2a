"""Industrial-chain linkage among FTZs (seed 003): an industry reform is worth more to a region when the
FTZs linked with it along an industry chain adopt it too.

Seed 003 (促进自由贸易试验区产业协同联动) argues that FTZs serving one national regional strategy must
coordinate their industries across FTZs (错位发展, 梯度互补; 上下游各环节的专业化深耕与互补联动), and seed
001 gives the chains: Shanghai's FTZ does research and development, Anhui's manufactures and Jiangsu's
handles logistics for one car industry chain; Chengdu-Chongqing's electronic information industry. A
reform of the rules of an industry then pays more where the partner FTZs along the chain apply the same
rules: complementarity, the opposite of rivalry.

**Links** T[r,j] (symmetric, weight 1) join FTZ regions (``links``):

- 31 provinces: ``data/industry_links.csv``, 23 ties among 17 of the 22 FTZ provinces: FTZ provinces
  that belong to a common national regional strategy (``data/clusters.csv``) and share a land border
  (``data/adjacency.csv``), derived, plus the two pairs seed 001 names that the rule misses (Shanghai-Anhui
  in the car chain; Shandong-Liaoning across the Bohai Sea). Fujian, Guangdong, Hainan, Heilongjiang and
  Xinjiang have no tie;
- the 367 prefecture-level regions: the same ties between the capitals that host the provinces' FTZs;
- any other network (synthetic graphs, edge lists): FTZ regions at most ``synthetic_hops`` network ties
  apart (industry chains run along corridors between nearby FTZs), a synthetic rule; in a world without
  FTZs (a synthetic network's default), any two regions that close.

**Complementarity.** For a reform i of a complementary category (``categories``: industry),

    L[r,i] = sum_j T[r,j] a[j,i] / sum_j T[r,j]          (share of r's linked FTZs that adopted i; 0 without links)
    value[r,i] = m[r,i] fit[r,i] x (1 + chi x L[r,i])     (chi = complementarity)

replaces m fit in the learning channel's valuation logistic(kappa (value - cost)) (docs/model.md 7.2).
Like competition it is driven by others' adoptions, so it is taken at the state expected half-way
through the step (``learning.midpoint``: step-length independence), and the learning term is not kept
between steps while it is on. Unlike competition it involves no rival weights and no imitation: only
the linked FTZs' adoptions and the value of the reform, so it acts as much with competition switched
off. Outcomes are unchanged: the gains of linkage accrue along the chain (firms' costs across the
partner FTZs), outside the reform's own measured result, which is what adopters report and others
learn from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd
from scipy import sparse

from . import china, competition

_NO_PAIRS = np.zeros(0, np.int64)
_NO_HALF = np.zeros(0)


@dataclass(frozen=True)
class IndustryChain:
    """What the complementarity term needs over a run: the links, their row totals, which innovations are
    complementary and chi."""

    links: sparse.csr_matrix
    total: np.ndarray
    complementary: np.ndarray      # per innovation
    complementarity: float


def provincial_links() -> pd.DataFrame:
    """The packaged industry-chain ties among FTZ provinces (data/industry_links.csv)."""
    return china.load("industry_links")


def _binary(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    out = matrix.tocsr(copy=True)
    out.data = (out.data > 0).astype(float)
    out.eliminate_zeros()
    return out


def links(regions, hops: int) -> sparse.csr_matrix:
    """T: the industry-chain ties among the FTZ regions of a network (see the module docstring)."""
    n = regions.n
    ftz = np.isfinite(regions.ftz_years)
    index = {name: r for r, name in enumerate(regions.names)}
    table = provincial_links()
    named = set(table["a"]) | set(table["b"])
    pairs: list[tuple[int, int]] = []
    if regions.kind == "prefectures":
        from . import geo

        province = geo.prefectures().set_index("name_en")["province"]
        host = {province.get(name): r for r, name in enumerate(regions.names) if ftz[r]}
        pairs = [(host[a], host[b]) for a, b in zip(table["a"], table["b"]) if a in host and b in host]
    elif named <= set(index):
        pairs = [(index[a], index[b]) for a, b in zip(table["a"], table["b"]) if ftz[index[a]] and ftz[index[b]]]
    else:
        step = _binary(regions.adjacency)
        reach = step.copy()
        for _ in range(hops - 1):
            reach = _binary(reach + reach @ step)
        keep = sparse.diags(ftz.astype(float) if ftz.any() else np.ones(n))   # a world without FTZs: all regions
        reach = sparse.triu(keep @ reach @ keep, k=1).tocoo()
        pairs = list(zip(reach.row.tolist(), reach.col.tolist()))
    if not pairs:
        return sparse.csr_matrix((n, n))
    rows, cols = np.array(pairs, np.int64).T
    matrix = sparse.coo_matrix((np.ones(2 * rows.size), (np.r_[rows, cols], np.r_[cols, rows])), shape=(n, n))
    return _binary(matrix.tocsr())


def build(model) -> IndustryChain | None:
    """The run's industry chain, or None when complementarity is off (chi = 0, no complementary
    innovations or no links): today's model, and no extra work."""
    spec = model.params.collaboration.industry_chain
    if spec.complementarity == 0 or not model.params.channels.learning.enabled:
        return None
    complementary = np.isin(model.category_names, spec.categories)
    if not complementary.any():
        return None
    ties = links(model.regions, spec.synthetic_hops)
    if ties.nnz == 0:
        return None
    ties.sort_indices()
    return IndustryChain(links=ties, total=np.asarray(ties.sum(axis=1)).ravel(), complementary=complementary,
                         complementarity=float(spec.complementarity))


def value_factor(model, columns: np.ndarray, rows: np.ndarray = _NO_PAIRS, cols: np.ndarray = _NO_PAIRS,
                 half: np.ndarray = _NO_HALF) -> np.ndarray:
    """Regions x available innovations: 1 + chi L[r,i] for complementary innovations, 1 for the others,
    at the state at the step's start or, given the undecided pairs and their probabilities ``half`` of
    adopting in the first half of the step, at its middle."""
    chain = model.industry_chain
    state = competition.expected_state(model.state.adopted, columns, rows, cols, model.state.position, half)
    t = chain.links
    return _value_factor(t.indptr, t.indices, t.data, chain.total, state, chain.complementary[columns],
                         chain.complementarity)


@numba.njit(cache=True)
def _value_factor(indptr, indices, data, total, state, complementary, chi):
    """1 + chi x (share of linked FTZs that adopted) for the complementary columns, 1 elsewhere."""
    regions, width = state.shape
    out = np.ones((regions, width))
    for r in range(regions):
        if total[r] == 0.0:
            continue
        for c in range(width):
            if not complementary[c]:
                continue
            adopted = 0.0
            for jj in range(indptr[r], indptr[r + 1]):
                adopted += data[jj] * state[indices[jj], c]
            out[r, c] = 1.0 + chi * adopted / total[r]
    return out
