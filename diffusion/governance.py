"""Two levels of collaborative governance (seed 004): central-local and local-level coordination.

Seed 004 (健全自贸试验区协同治理体系) names two links of the FTZs' governance with different aims:
central-local coordination (央地协同: among ministries, and between the centre and the provinces) is to
make central authorisation fit local requests; local-level coordination (地方层级协同: provincial
departments, FTZ areas, firms and social organisations) is to make implementation and public services
fit what firms expect. Both are institution levels in [0, 1] (``collaboration.governance``); 0 is the
model's reference level, where the model behaves as without them.

Central-local coordination c shortens the request-authorise lag and raises the share of local requests
the centre authorises:

    L_RA(c) = L_RA x (1 - c)                  (months; L_RA = innovations.pathways.authorisation_lag_months)
    a(c)    = a0 + (1 - a0) x c               (a0 = authorised_share)

A request that is not authorised never becomes a pilot. Whether request i is authorised is decided by
the run's AUTHORISE stream at (origin, i): u_i < a(c), so a higher c authorises a superset of the same
requests, and the traits of those authorised are the same (they are drawn before the decision).

Local-level coordination l multiplies implementation quality, more for the reforms firms use:

    Q'[r,i] = Q[r,i] x (1 + g x l x u_i),     u_i = 1 for firm_categories (investment, trade), w otherwise

(g = quality_gain, w = other_weight). Through Q it lowers the chance that an adoption of a beneficial
reform fails (the outcome is y = b fit Q + s eps, a failure y < 0; docs/model.md section 7.7) and raises
the outcomes others learn from.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from . import streams
from .params import PATHWAYS, Parameters

REQUEST = PATHWAYS.index("request_authorise")


def authorisation_lags(params: Parameters) -> dict[str, float]:
    """Months from an idea to the start of its pilot, per pathway: the request-authorise lag shortened by
    central-local coordination, L_RA x (1 - c)."""
    lags = params.innovations.pathways.authorisation_lag_months
    c = params.collaboration.governance.central_local
    if c == 0:
        return lags
    return {**lags, "request_authorise": lags["request_authorise"] * (1.0 - c)}


def authorised_share(params: Parameters) -> float:
    """a(c) = a0 + (1 - a0) c: the share of local requests the centre authorises."""
    spec = params.collaboration.governance
    return spec.authorised_share + (1.0 - spec.authorised_share) * spec.central_local


def authorised(innovations, params: Parameters, key) -> np.ndarray:
    """Per innovation: whether it is piloted. False only for a request-authorise idea whose AUTHORISE
    uniform at (origin, innovation) is at or above :func:`authorised_share`."""
    share = authorised_share(params)
    keep = np.ones(innovations.n, bool)
    if share >= 1.0 or innovations.n == 0:
        return keep
    requests = np.flatnonzero((innovations.pathway == REQUEST) & (innovations.origin >= 0))
    u = streams.uniforms(key, streams.AUTHORISE, innovations.origin[requests].astype(np.int64),
                         requests.astype(np.int64), np.zeros(requests.size, np.int64))
    keep[requests[u >= share]] = False
    return keep


def authorise(innovations, params: Parameters, key, plan=None):
    """The generated innovations without the requests the centre does not authorise (all of them when
    authorised_share(params) is 1, and always for observed innovations, ``plan``: they happened)."""
    if plan is not None:
        return innovations
    keep = authorised(innovations, params, key)
    if keep.all():
        return innovations
    changes = {}
    for field in dataclasses.fields(innovations):
        value = getattr(innovations, field.name)
        if isinstance(value, np.ndarray):
            changes[field.name] = value[:, keep] if value.ndim == 2 else value[keep]
    return dataclasses.replace(innovations, **changes)


def firm_weight(params: Parameters, category_names: np.ndarray) -> np.ndarray:
    """u_i per innovation: 1 for a firm-facing category, ``other_weight`` otherwise."""
    spec = params.collaboration.governance
    return np.where(np.isin(category_names, spec.firm_categories), 1.0, spec.other_weight)


def local_quality(params: Parameters, category_names: np.ndarray) -> np.ndarray | None:
    """1 + g l u_i per innovation: what local-level coordination multiplies implementation quality by;
    None when it is at its reference level (l = 0 or g = 0)."""
    spec = params.collaboration.governance
    if spec.local == 0 or spec.quality_gain == 0:
        return None
    return 1.0 + spec.quality_gain * spec.local * firm_weight(params, category_names)
