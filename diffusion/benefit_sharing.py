"""Benefit sharing and compensation in joint cross-region reforms (seed 001: 利益分配不均, 利益补偿机制).

Seed 001 names unequal benefits among the three obstacles to cross-region cooperation (with
administrative barriers and data silos): a joint reform whose gains land mostly in one region is resisted
by the others, and the remedy is benefit compensation (fiscal transfers that make sure no participant
"loses out"). Today's model gives every region its own benefit; this module splits the benefit of a
*joint* reform among its participants.

**Joint reforms and their participants P_i** (``collaboration.benefit_sharing``):

- an FTZ reform of a joint category (``joint_categories``: regional coordination by default) is shared by
  the members of the piloting region's smallest cluster with another member (data/clusters.csv; or of
  all its clusters, ``participants: all_clusters``); a region in no such cluster shares it with its
  network neighbours; a reform with no piloting region (``source: initial``) is nobody's joint reform;
- a central policy piloted by two or more regions is shared by its pilots, one issued to named clusters
  or regions by the regions in its scope (``joint_policies``), and one of a joint category otherwise as
  an FTZ reform of its first pilot region.

**Shares.** With c_r a participant's capacity and gamma = ``inequality`` (the siphon effect of the
richer members),

    w[r,i] = c_r^gamma / sum_{j in P_i} c_j^gamma,        e[r,i] = |P_i| w[r,i]     (1 = a fair share)

and e = 1 for every pair outside a joint reform. **Compensation** at rate k moves e toward 1:

    cluster:  e' = e + k (1 - e)              transfers among the participants (sum e' = sum e = |P_i|)
    centre:   e' = e + k max(0, 1 - e)        central transfers top up the losers; winners keep theirs

**Where it acts.** A region's valuation of a reform in the learning channel uses its own expected share,
logistic(kappa (e[r,i] m[r,i] fit[r,i] - cost[r,i])) (docs/model.md section 7.2), so a region that
expects a small share is slow to join, and compensation changes who joins. The outcome y an adopter
realises and reports is the reform's result where it is implemented: what its neighbours learn from,
what the centre evaluates and what decides a failure; the share says how much of that result the region
keeps. Imitation (competition) and mandates do not look at benefits and are unchanged.
"""

from __future__ import annotations

import numpy as np

from .params import Parameters, PolicyScope


def _group(origin: int, regions, rule: str) -> np.ndarray:
    """The participants of a joint reform piloted by ``origin``: its smallest cluster with another member
    (or all its clusters), else it and its network neighbours."""
    membership = regions.membership if regions.membership is not None else np.zeros((regions.n, 0))
    members = membership > 0
    sizes = members.sum(axis=0)
    own = np.flatnonzero(members[origin] & (sizes >= 2))
    if own.size:
        if rule == "all_clusters":
            return np.flatnonzero(members[:, own].any(axis=1))
        smallest = own[np.argmin(sizes[own])]   # the first of the smallest, in the order of the cluster names
        return np.flatnonzero(members[:, smallest])
    row = regions.adjacency.getrow(origin)
    return np.union1d(row.indices[row.data > 0], [origin]).astype(np.int64)


def participants(params: Parameters, regions, innovations, n_generated: int, policy_pilots: list,
                 scope: np.ndarray) -> list[np.ndarray | None]:
    """Per innovation: the regions that share its gains (an array of region numbers), or None when it is
    not a joint reform (or only one region takes part)."""
    spec = params.collaboration.benefit_sharing
    categories = np.array(innovations.categories)[innovations.category] if innovations.n else np.array([], str)
    joint_category = np.isin(categories, spec.joint_categories)
    groups: dict[int, np.ndarray] = {}

    def group(origin: int) -> np.ndarray:
        if origin not in groups:
            groups[origin] = _group(origin, regions, spec.participants)
        return groups[origin]

    out: list[np.ndarray | None] = [None] * innovations.n
    for i in range(innovations.n):
        origin = int(innovations.origin[i])
        members = None
        if i >= n_generated:
            policy, pilots = params.policies[i - n_generated], policy_pilots[i - n_generated]
            if spec.joint_policies and isinstance(policy.scope, PolicyScope):
                members = np.union1d(np.flatnonzero(scope[:, i]), pilots).astype(np.int64)
            elif spec.joint_policies and pilots.size >= 2:
                members = np.unique(pilots).astype(np.int64)
            elif joint_category[i] and origin >= 0:
                members = group(origin)
        elif joint_category[i] and origin >= 0:
            members = group(origin)
        out[i] = members if members is not None and members.size >= 2 else None
    return out


def shares(inequality: float, capacity: np.ndarray) -> np.ndarray:
    """e_r = n c_r^gamma / sum_j c_j^gamma for the n participants of one joint reform (1 = a fair share)."""
    weight = capacity ** inequality
    return capacity.size * weight / weight.sum()


def compensate(share: np.ndarray, mode: str, rate: float) -> np.ndarray:
    """Shares after compensation: cluster e + k (1 - e) (zero-sum among the participants), centre
    e + k max(0, 1 - e) (losers topped up), none unchanged."""
    if mode == "cluster":
        return share + rate * (1.0 - share)
    if mode == "centre":
        return share + rate * np.maximum(0.0, 1.0 - share)
    return share


def expected_shares(params: Parameters, regions, innovations, capacity: np.ndarray, n_generated: int,
                    policy_pilots: list, scope: np.ndarray) -> np.ndarray | None:
    """Regions x innovations: e[r,i], each region's expected share of each reform's gains (1 = a fair
    share; 1 outside joint reforms), after compensation; None when every share is fair (inequality 0:
    today's model, and no extra work)."""
    spec = params.collaboration.benefit_sharing
    if spec.inequality == 0 or innovations.n == 0:
        return None
    groups = participants(params, regions, innovations, n_generated, policy_pilots, scope)
    if all(members is None for members in groups):
        return None
    out = np.ones((regions.n, innovations.n))
    for i, members in enumerate(groups):
        if members is not None:
            out[members, i] = compensate(shares(spec.inequality, capacity[members]), spec.compensation,
                                         spec.compensation_rate)
    return out


def joint(params: Parameters, regions, innovations, n_generated: int, policy_pilots: list,
          scope: np.ndarray) -> np.ndarray:
    """Per innovation: whether it is a joint reform (for tables and tests)."""
    groups = participants(params, regions, innovations, n_generated, policy_pilots, scope)
    return np.array([members is not None for members in groups], bool)
