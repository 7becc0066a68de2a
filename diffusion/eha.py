"""Event-history analysis of simulated adoptions: the discrete-time logit of the diffusion literature.

Berry & Berry (1990) model a jurisdiction's adoption as a hazard: each region that has not yet adopted
a policy contributes one record per period (person-period data), the outcome is whether it adopts in
that period, and covariates are internal (capacity) and external (the share of neighbours that have
adopted) determinants. The same design run on simulated data tests whether the model puts local
drivers where the literature finds them: they shape voluntary adoption and lose their pull under a
binding mandate (Zhu 2014; Zhu & Zhang 2016).

    table = person_period(model)                 # one row per region x innovation x step at risk
    fit = event_history_logit(table)             # coefficient, std_error, z, p_value per term
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

TERMS = ("const", "neighbour_share", "log_capacity", "log_time")


def person_period(model, innovations: np.ndarray | None = None) -> pd.DataFrame:
    """Person-period records of a finished run for some innovations (default: every one born).

    A region is at risk of adopting innovation i in step t from the step the innovation exists until the
    step it first adopts it (pilots excluded: they adopt at birth). Covariates, all known at the start
    of the step: ``neighbour_share`` (the share of its network neighbours that had adopted i),
    ``log_capacity`` and ``log_time`` (log of 1 + years since i became available), plus ``binding``
    (a binding mandate of i was in force).
    """
    inn = model.innovations
    ev = model.events()
    if innovations is None:
        innovations = np.flatnonzero(inn.birth_step <= model.steps)
    innovations = np.asarray(innovations, np.int64)
    steps = model.steps
    first = np.zeros((model.n_regions, inn.n), np.int64)        # step of first adoption, 0: never
    pilot = np.zeros((model.n_regions, inn.n), bool)
    order = np.argsort(ev["step"], kind="stable")
    for r, i, t, is_pilot in zip(ev["region"][order], ev["innovation"][order], ev["step"][order], ev["pilot"][order]):
        if first[r, i] == 0:
            first[r, i] = t
            pilot[r, i] = is_pilot
    adjacency = sparse.csr_matrix(model.regions.adjacency, dtype=float)
    adjacency.data[:] = 1.0
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    log_capacity = np.log(model.institutions.capacity)
    frames = []
    for i in innovations:
        birth = int(inn.birth_step[i])
        adopted_at = first[:, i]
        never = adopted_at == 0
        end = np.where(never, steps, adopted_at)
        for t in range(max(birth, 1), steps + 1):
            at_risk = (end >= t) & ~pilot[:, i]
            if not at_risk.any():
                break
            before = ((adopted_at > 0) & (adopted_at < t)).astype(float)
            share = np.divide(adjacency @ before, degree, out=np.zeros(model.n_regions), where=degree > 0)
            regions = np.flatnonzero(at_risk)
            start = model.timeline.start_years(t)
            frames.append(pd.DataFrame({
                "region": regions, "innovation": i, "step": t,
                "event": (adopted_at[regions] == t).astype(float),
                "neighbour_share": share[regions], "log_capacity": log_capacity[regions],
                "log_time": np.log1p(max(0.0, start - inn.birth_years[i])),
                "binding": bool(model.binding_years[i] < start + model.dt)}))
    columns = ["region", "innovation", "step", "event", "neighbour_share", "log_capacity", "log_time", "binding"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def event_history_logit(table: pd.DataFrame, terms: tuple[str, ...] = TERMS[1:]) -> pd.DataFrame:
    """The discrete-time logit of ``event`` on ``terms`` (with a constant), by maximum likelihood
    (statsmodels): coefficient, standard error, z, p-value and 95% interval per term."""
    import statsmodels.api as sm

    missing = [term for term in terms if term not in table.columns]
    if missing:
        raise ValueError(f"event_history_logit: no column {missing[0]!r} in the person-period table; "
                         f"available: {', '.join(table.columns)}")
    if table.empty or table["event"].sum() == 0:
        raise ValueError("event_history_logit: no adoption among the records; nothing to fit")
    X = sm.add_constant(table[list(terms)].to_numpy(float), has_constant="add")
    fit = sm.Logit(table["event"].to_numpy(float), X).fit(disp=0, maxiter=200)
    interval = np.asarray(fit.conf_int(0.05))
    return pd.DataFrame({"term": ("const",) + tuple(terms), "coefficient": fit.params, "std_error": fit.bse,
                         "z": fit.tvalues, "p_value": fit.pvalues, "ci_low": interval[:, 0],
                         "ci_high": interval[:, 1], "records": len(table), "events": int(table["event"].sum())})
