"""Benefit sharing, industrial-chain linkage and two levels of collaborative governance (issue 23).

Each mechanism: its equation on hand-computed values, its direction over paired runs (the same seed and
replicates: common random numbers), and its default, which is exactly the model without it.
"""

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import sparse

from conftest import deep_update
from diffusion import DiffusionModel, benefit_sharing, china, governance, industry_chain, make_parameters

ALL_CATEGORIES = list(china.category_weights())
NO_MANDATE = {"channels": {"mandate": {"enabled": False}}}
REPLICATES = range(10)


def run(changes: dict, replicate: int = 0, **kwargs) -> DiffusionModel:
    return DiffusionModel(make_parameters(changes), seed=0, replicate=replicate, **kwargs).run()


def ever_adopted(model: DiffusionModel) -> np.ndarray:
    """Regions x innovations: adopted at some time, pilots left out (a pilot is not a decision)."""
    ever = model.adoption_step > 0
    piloted = model.innovations.origin >= 0
    ever[model.innovations.origin[piloted], np.flatnonzero(piloted)] = False
    return ever


def paired(on: np.ndarray, off: np.ndarray) -> tuple[float, float]:
    """Mean and standard error of the paired difference."""
    difference = np.asarray(on) - np.asarray(off)
    return float(difference.mean()), float(difference.std(ddof=1) / np.sqrt(difference.size))


# ------------------------------------------------------------------------------------------ defaults
@pytest.mark.parametrize("inert", [
    {"benefit_sharing": {"inequality": 0.0, "joint_categories": ALL_CATEGORIES, "compensation": "centre",
                         "compensation_rate": 1.0}},
    {"industry_chain": {"complementarity": 0.0, "categories": ALL_CATEGORIES}},
    {"governance": {"central_local": 0.0, "authorised_share": 1.0, "local": 0.0, "quality_gain": 3.0}},
    {"governance": {"central_local": 0.7, "authorised_share": 1.0, "local": 0.8, "quality_gain": 0.0},
     "_lag": 0.0},
], ids=["benefit-sharing", "industry-chain", "governance", "governance-no-gain"])
def test_each_mechanism_at_its_default_is_todays_model(inert):
    inert = dict(inert)
    changes = {"collaboration": {k: v for k, v in inert.items() if not k.startswith("_")}}
    if "_lag" in inert:   # with no request-authorise lag to shorten, central-local coordination changes nothing
        changes["innovations"] = {"pathways": {"authorisation_lag_months": {"plan_pilot": 0, "request_authorise": 0,
                                                                            "autonomy_absorption": 0}}}
    today = run({k: v for k, v in changes.items() if k != "collaboration"}, replicate=1)
    model = run(changes, replicate=1)
    assert model.benefit_share is None and model.industry_chain is None
    assert model.innovation_quality is model.complexity_drag and model.learning_term[0]   # kept term: no extra work
    for key, value in today.events().items():
        np.testing.assert_array_equal(model.events()[key], value, err_msg=key)
    assert model.summary() == today.summary()


# ------------------------------------------------------------------------------------ benefit sharing
def test_shares_follow_capacity_and_compensation_closes_the_gap():
    share = benefit_sharing.shares(1.0, np.array([1.0, 4.0]))
    np.testing.assert_allclose(share, [0.4, 1.6])                        # 2 x 1/5 and 2 x 4/5
    np.testing.assert_allclose(benefit_sharing.shares(0.0, np.array([1.0, 4.0])), [1.0, 1.0])
    np.testing.assert_allclose(benefit_sharing.compensate(share, "cluster", 0.5), [0.7, 1.3])   # zero-sum
    np.testing.assert_allclose(benefit_sharing.compensate(share, "centre", 0.5), [0.7, 1.6])    # losers topped up
    np.testing.assert_allclose(benefit_sharing.compensate(share, "none", 0.5), share)


def _innovations(regions, origins, category="regional coordination"):
    names = list(china.category_weights())
    return SimpleNamespace(n=len(origins), origin=np.array(origins), categories=names,
                           category=np.full(len(origins), names.index(category)))


def test_joint_reforms_are_shared_by_the_closest_cluster_or_the_neighbours():
    model = DiffusionModel(seed=0)
    regions, index = model.regions, model.regions.index
    params = make_parameters({})
    inn = _innovations(regions, [index("Shanghai"), index("Fujian"), index("Sichuan")])
    scope = np.ones((regions.n, inn.n), bool)
    groups = benefit_sharing.participants(params, regions, inn, inn.n, [], scope)
    named = [sorted(regions.names[r] for r in members) for members in groups]
    assert named[0] == ["Anhui", "Jiangsu", "Shanghai", "Zhejiang"]          # the Yangtze River Delta
    assert named[1] == ["Fujian", "Guangdong", "Jiangxi", "Zhejiang"]        # no cluster: its neighbours
    assert named[2] == ["Chongqing", "Sichuan"]                              # Chengdu-Chongqing
    wide = make_parameters({"collaboration": {"benefit_sharing": {"participants": "all_clusters"}}})
    assert len(benefit_sharing.participants(wide, regions, inn, inn.n, [], scope)[0]) == 11   # with the Yangtze belt
    other = _innovations(regions, [index("Shanghai")], category="trade")
    assert benefit_sharing.participants(params, regions, other, 1, [], scope[:, :1]) == [None]   # not joint


def test_a_jointly_piloted_or_cluster_scoped_policy_is_shared_by_its_regions():
    policies = [{"id": "joint", "category": "trade", "bindingness": "recommended",
                 "pilot": {"regions": ["Beijing", "Tianjin"], "start": "2016-01-01"}},
                {"id": "yrd", "category": "trade", "date": "2018-01-01", "bindingness": "recommended",
                 "scope": {"clusters": ["Yangtze River Delta"]}}]
    model = DiffusionModel({"policies": policies, "collaboration": {"benefit_sharing": {"inequality": 2.0}}}, seed=0)
    joint, yrd = model.n_generated, model.n_generated + 1
    share = model.benefit_share
    pilots = sorted(model.regions.index(name) for name in ("Beijing", "Tianjin"))
    assert np.flatnonzero(share[:, joint] != 1).tolist() == pilots
    members = [model.regions.index(n) for n in ("Shanghai", "Jiangsu", "Zhejiang", "Anhui")]
    assert (share[:, yrd] != 1).sum() == 4 and share[members, yrd].sum() == pytest.approx(4.0)
    assert share[model.regions.index("Shanghai"), yrd] > 1 > share[model.regions.index("Anhui"), yrd]


def _losers_and_winners(inequality: float, replicate: int) -> tuple[np.ndarray, np.ndarray]:
    shares = DiffusionModel(make_parameters(_sharing(inequality=inequality)), seed=0, replicate=replicate).benefit_share
    return shares < 1, shares > 1


def _sharing(**settings) -> dict:
    return deep_update(NO_MANDATE, {"collaboration": {"benefit_sharing": {"joint_categories": ALL_CATEGORIES,
                                                                          **settings}}})


def test_unequal_shares_slow_the_losers_and_compensation_restores_them():
    """Every reform a joint reform of its cluster, no mandate: the losers (shares below fair at
    inequality 4) adopt less when shares are unequal, as much again when compensated."""
    designs = {"equal": {"inequality": 0.0}, "unequal": {"inequality": 4.0},
               "cluster": {"inequality": 4.0, "compensation": "cluster", "compensation_rate": 1.0},
               "centre": {"inequality": 4.0, "compensation": "centre", "compensation_rate": 1.0}}
    losers = {name: [] for name in designs}
    winners = {name: [] for name in designs}
    for k in REPLICATES:
        lose, win = _losers_and_winners(4.0, k)
        for name, settings in designs.items():
            ever = ever_adopted(run(_sharing(**settings), k))
            losers[name].append(ever[lose].mean())
            winners[name].append(ever[win].mean())
    slower, error = paired(losers["unequal"], losers["equal"])
    assert slower < -0.006 and slower < -5 * error
    assert paired(winners["unequal"], winners["equal"])[0] > 0                 # the core regions gain
    restored, error = paired(losers["centre"], losers["unequal"])
    assert restored > -slower * 0.8 and restored > 5 * error                   # losers topped up: back to equal
    np.testing.assert_allclose(losers["cluster"], losers["equal"], atol=1e-12)  # full transfers: fair shares


def test_benefit_sharing_leaves_outcomes_and_evidence_alone():
    """The share changes who joins, not what a reform yields where it is implemented."""
    model = DiffusionModel(make_parameters(_sharing(inequality=3.0)), seed=0)
    np.testing.assert_array_equal(model.learning_term[2], model.innovations.fit * model.benefit_share)
    assert model.innovations.fit is not model.valuation_fit


# ------------------------------------------------------------------------------------ industry chain
def test_the_packaged_links_are_the_documented_rule_plus_the_seeds_pairs():
    table = industry_chain.provincial_links()
    clusters, adjacency = china.load("clusters"), china.load("adjacency")
    ftz = set(china.ftz()["province"])
    land = {frozenset(p) for p, kind in zip(zip(adjacency["a"], adjacency["b"]), adjacency["type"]) if kind == "land"}
    shared = {frozenset((a, b)) for _, group in clusters.groupby("cluster")
              for a in group["province"] for b in group["province"] if a != b and {a, b} <= ftz}
    derived = {frozenset(pair) for pair, basis in zip(zip(table["a"], table["b"]), table["basis"])
               if basis.startswith("shared")}
    assert derived == shared & land
    named = table[table["basis"] == "named in a seed"]
    assert set(map(frozenset, zip(named["a"], named["b"]))) == {frozenset(("Anhui", "Shanghai")),
                                                                frozenset(("Liaoning", "Shandong"))}
    model = DiffusionModel(seed=0)
    ties = industry_chain.links(model.regions, 2)
    assert ties.nnz == 2 * 23 and (ties != ties.T).nnz == 0
    unlinked = {model.regions.names[r] for r in np.flatnonzero(np.asarray(ties.sum(axis=1)).ravel() == 0)} & ftz
    assert unlinked == {"Fujian", "Guangdong", "Hainan", "Heilongjiang", "Xinjiang"}


def test_prefecture_and_synthetic_networks_get_links_by_rule():
    cities = DiffusionModel({"network": {"kind": "prefectures"}, "time": {"years": 0.25}}, seed=0)
    ties = industry_chain.links(cities.regions, 2)
    assert ties.nnz == 2 * 23
    assert np.isfinite(cities.regions.ftz_years[np.unique(ties.nonzero()[0])]).all()    # the FTZ capitals
    ring = SimpleNamespace(n=6, names=[f"R{i}" for i in range(6)], kind="small_world",
                           ftz_years=np.array([0.0, np.inf, 1.0, np.inf, np.inf, 2.0]),
                           adjacency=sparse.csr_matrix(np.roll(np.eye(6), 1, axis=1) + np.roll(np.eye(6), -1, axis=1)))
    pairs = {tuple(sorted(p)) for p in zip(*industry_chain.links(ring, 2).nonzero())}
    assert pairs == {(0, 2), (0, 5)}           # FTZs two ties apart or less: 5 is three from 2
    assert {tuple(sorted(p)) for p in zip(*industry_chain.links(ring, 1).nonzero())} == {(0, 5)}


def test_complementarity_grows_with_the_share_of_linked_adopters():
    chain = industry_chain.IndustryChain(
        links=sparse.csr_matrix(np.array([[0, 1, 1, 0], [1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]], float)),
        total=np.array([2.0, 1.0, 1.0, 0.0]), complementary=np.array([True, False]), complementarity=2.0)
    model = SimpleNamespace(industry_chain=chain, state=SimpleNamespace(
        adopted=np.array([[False, False], [True, True], [False, False], [True, True]]), position=np.array([0, 1])))
    factor = industry_chain.value_factor(model, np.array([0, 1]))
    np.testing.assert_allclose(factor[:, 0], [1 + 2.0 * 1 / 2, 1.0, 1.0, 1.0])   # region 0: one of its two partners
    np.testing.assert_allclose(factor[:, 1], 1.0)                                  # not an industry reform
    halfway = industry_chain.value_factor(model, np.array([0, 1]), np.array([2]), np.array([0]), np.array([0.5]))
    assert halfway[0, 0] == pytest.approx(1 + 2.0 * 1.5 / 2)                      # partner 2 half expected


def test_complementarity_ignores_rivalry():
    """The term counts linked FTZs' adoptions whatever the rival weights and FTZ ranking."""
    base = {"collaboration": {"industry_chain": {"complementarity": 1.0}}}
    rivalry = deep_update(base, {"channels": {"competition": {"similarity_scale": 0.0, "include_ftz_peers": False,
                                                              "weight_per_year": 3.0}}})
    a, b = (DiffusionModel(make_parameters(c), seed=0) for c in (base, rivalry))
    adopted = np.random.default_rng(1).random(a.state.adopted.shape) < 0.3
    for model in (a, b):
        model.state.adopted[:] = adopted
    columns = np.arange(a.n_innovations)
    a.state.position[:] = b.state.position[:] = columns
    np.testing.assert_array_equal(industry_chain.value_factor(a, columns), industry_chain.value_factor(b, columns))


def _linkage_gain(changes: dict) -> tuple[list, list, list]:
    """Per replicate, the rise (complementarity 2 - 0) in the share of industry reforms adopted by linked
    FTZs, by unlinked FTZs, and of the other reforms by linked FTZs."""
    model = DiffusionModel(seed=0)
    ties = industry_chain.links(model.regions, 2)
    linked = np.asarray(ties.sum(axis=1)).ravel() > 0
    unlinked = np.isfinite(model.regions.ftz_years) & ~linked
    gains = ([], [], [])
    for k in REPLICATES:
        models = [run(deep_update(changes, {"collaboration": {"industry_chain": {"complementarity": x}}}), k)
                  for x in (0.0, 2.0)]
        industry = models[0].category_names == "industry"
        off, on = (ever_adopted(m) for m in models)
        for out, rows, cols in ((gains[0], linked, industry), (gains[1], unlinked, industry),
                                (gains[2], linked, ~industry)):
            out.append(on[np.ix_(rows, cols)].mean() - off[np.ix_(rows, cols)].mean() if cols.any() else 0.0)
    return gains


def test_linkage_spreads_industry_reforms_faster_among_linked_ftzs_with_or_without_rivalry():
    industry_world = deep_update(NO_MANDATE, {"innovations": {"category_weights": {"industry": 1.0}}})
    for world in (industry_world, deep_update(industry_world, {"channels": {"competition": {"enabled": False}}})):
        linked, unlinked, _ = _linkage_gain(world)
        gain, error = paired(linked, np.zeros(len(linked)))
        assert gain > 0.004 and gain > 5 * error
        assert gain > 2 * np.mean(unlinked)
    _, _, other = _linkage_gain(NO_MANDATE)
    assert abs(np.mean(other)) < 0.002                      # the other reforms are not complementary


def test_complementarity_is_the_same_at_monthly_and_quarterly_steps():
    world = deep_update(NO_MANDATE, {"innovations": {"category_weights": {"industry": 1.0}},
                                     "collaboration": {"industry_chain": {"complementarity": 3.0}},
                                     "time": {"years": 8}})
    coverage = {}
    for step in ("month", "quarter"):
        changes = deep_update(world, {"time": {"step": step}})
        coverage[step] = np.array([run(changes, k).coverage() for k in range(24)])
    error = np.sqrt(coverage["month"].var(ddof=1) / 24 + coverage["quarter"].var(ddof=1) / 24)
    assert abs(coverage["month"].mean() - coverage["quarter"].mean()) < 3 * error + 0.002


# ------------------------------------------------------------------------------------------ governance
def test_central_local_coordination_shortens_the_request_authorise_lag():
    params = make_parameters({"collaboration": {"governance": {"central_local": 0.5}}})
    assert governance.authorisation_lags(params)["request_authorise"] == 3.0
    assert governance.authorisation_lags(params)["plan_pilot"] == 0
    before, after = (DiffusionModel({"collaboration": {"governance": {"central_local": c}}}, seed=0).innovations
                     for c in (0.0, 0.5))
    request = lambda inn: np.sort(inn.birth_years[inn.pathway == governance.REQUEST])   # noqa: E731
    early = request(before)
    early = early[early < before.birth_years.max() - 0.5]
    shifted = early - 0.25                                   # every pilot starts a quarter (3 of 6 months) earlier
    assert np.isin(np.round(shifted, 9), np.round(request(after), 9)).all()


def test_central_local_coordination_authorises_more_requests():
    params = lambda c: make_parameters({"collaboration": {"governance": {"authorised_share": 0.4,   # noqa: E731
                                                                          "central_local": c}}})
    assert governance.authorised_share(params(0.0)) == 0.4 and governance.authorised_share(params(0.5)) == 0.7
    no_lag = {"innovations": {"pathways": {"authorisation_lag_months": {"plan_pilot": 0, "request_authorise": 0,
                                                                         "autonomy_absorption": 0}}}}
    counts, promoted = {}, {}
    for c in (0.0, 0.5, 1.0):
        kept, binding = [], []
        for k in REPLICATES:
            governed = {"collaboration": {"governance": {"authorised_share": 0.4, "central_local": c}}}
            changes = deep_update(no_lag, governed)
            model = run(changes, k)
            request = model.innovations.pathway == governance.REQUEST
            kept.append(request.sum())
            binding.append(((model.binding_step > 0) & request).sum())
        counts[c], promoted[c] = np.array(kept), np.array(binding)
    everyone = np.array([(DiffusionModel(make_parameters(no_lag), seed=0, replicate=k).innovations.pathway
                          == governance.REQUEST).sum() for k in REPLICATES])
    for c, share in ((0.0, 0.4), (0.5, 0.7), (1.0, 1.0)):
        assert counts[c].sum() / everyone.sum() == pytest.approx(share, abs=0.08)
    assert (counts[0.0] <= counts[0.5]).all() and (counts[1.0] == everyone).all()    # a superset, no new draws
    assert promoted[0.0].mean() + 3 < promoted[0.5].mean() and promoted[0.5].mean() + 3 < promoted[1.0].mean()


def test_authorisation_keeps_the_traits_of_the_authorised():
    full, part = (DiffusionModel({"collaboration": {"governance": {"authorised_share": share}}}, seed=0).innovations
                  for share in (1.0, 0.5))
    kept = np.isin(full.birth_years, part.birth_years)
    assert 0 < (~kept).sum() and (full.pathway[~kept] == governance.REQUEST).all()
    np.testing.assert_array_equal(full.benefit[kept], part.benefit)
    np.testing.assert_array_equal(full.fit[:, kept], part.fit)


def test_local_coordination_raises_quality_more_for_the_reforms_firms_use():
    model = DiffusionModel({"collaboration": {"governance": {"local": 0.8}}}, seed=0)
    firm = np.isin(model.category_names, ["investment", "trade"])
    ratio = model.innovation_quality / model.complexity_drag
    np.testing.assert_allclose(ratio[firm], 1 + 0.5 * 0.8)
    np.testing.assert_allclose(ratio[~firm], 1 + 0.5 * 0.8 * 0.5)


def _failure_rates(changes: dict) -> np.ndarray:
    """Per replicate: failure rate of adoptions of firm-facing reforms and of the others."""
    out = []
    for k in REPLICATES:
        model = run(changes, k)
        events = model.events()
        firm = np.isin(model.category_names[events["innovation"]], ["investment", "trade"])
        out.append((events["failed"][firm].mean(), events["failed"][~firm].mean()))
    return np.array(out)


def test_local_coordination_lowers_failure_most_for_firm_facing_reforms():
    today = _failure_rates({})
    local = _failure_rates({"collaboration": {"governance": {"local": 1.0}}})
    firm_drop, firm_error = paired(today[:, 0], local[:, 0])
    other_drop, _ = paired(today[:, 1], local[:, 1])
    assert firm_drop > 0.02 and firm_drop > 5 * firm_error and other_drop > 0.01
    only_firms = _failure_rates({"collaboration": {"governance": {"local": 1.0, "other_weight": 0.0}}})
    drop_firms, error = paired(today[:, 0], only_firms[:, 0])
    drop_others, _ = paired(today[:, 1], only_firms[:, 1])
    assert drop_firms > 5 * error and drop_firms > drop_others + 0.02
