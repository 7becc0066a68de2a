"""Central policies as events: the policies block, deadline-driven compliance, retries under a standing
mandate, local drivers in their place (event-history logit), relevance and saturation, pilot first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from diffusion import DiffusionModel, make_parameters
from diffusion.eha import event_history_logit, person_period
from diffusion.ensemble import policies_table, run_ensemble
from diffusion.scenario import ScenarioError, load_scenario


def policy_world(deadline=24, leadership="leading_group", bindingness="binding", years=6.0, step="quarter",
                 policy=None, **sections):
    """31 provinces, no FTZ pilots or batches, one central policy issued on 2014-01-01."""
    spec = {"id": "p", "date": "2014-01-01", "bindingness": bindingness}
    if deadline is not None:
        spec["deadline_months"] = deadline
    spec.update(policy or {})
    data = {"innovations": {"expected_total": 0}, "channels": {"mandate": {"schedule": "none"}},
            "time": {"years": years, "step": step}, "institutions": {"leadership": leadership},
            "policies": [spec]}
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value}
    return make_parameters(data)


def months_to_adopt(params, replicates=40):
    """Months from the issue to each region's first adoption, pooled over replicates (never: inf)."""
    out = []
    issued = 0.5   # 2014-01-01 is half a year after the start (2013-07-01)
    for k in range(replicates):
        model = DiffusionModel(params, seed=0, replicate=k).run()
        ev = model.events()
        first = np.full(model.n_regions, np.inf)
        for r, years in zip(ev["region"][::-1], ev["years"][::-1]):
            first[r] = years
        out.append(12 * (first - issued))
    return np.concatenate(out)


# ------------------------------------------------------------------------------ the policies block
def write(tmp_path, text: str):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("policy, message", [
    ("{id: a, date: 2015-01-01, bindingness: binding}", "needs deadline_months"),
    ("{id: a, bindingness: recommended}", "give its date"),
    ("{id: a, date: 2015-01-01, bindingness: mandatory, deadline_months: 12}", "expected one of"),
    ("{id: a, date: 2015-01-01, bindingness: recommended, deadline_months: 12}", "has no deadline"),
    ("{id: a, date: 2015-01-15, bindingness: recommended}", "first day of a month"),
    ("{id: a, date: 2015-01-01, deadline_months: 12, pilot: {regions: [Shanghai], start: 2014-01-01}}",
     "remove date"),
    ("{id: a, date: 2015-01-01, deadline_months: 12, scope: {regions: [Atlantis]}}", "Atlantis"),
    ("{id: a, date: 2015-01-01, deadline_months: 12, scope: {clusters: [nowhere]}}", "unknown cluster 'nowhere'"),
    ("{id: a, deadline_months: 12, pilot: {regions: [Shangai], start: 2014-01-01}}", "Shanghai"),
    ("{id: a, date: 2010-01-01, deadline_months: 12}", "before the run"),
])
def test_a_bad_policy_is_refused_with_a_sentence_naming_the_file_and_the_policy(tmp_path, policy, message):
    path = write(tmp_path, f"name: s\npolicies:\n  - {policy}\n")
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    text = str(error.value)
    assert str(path) in text and message in text, text


def test_two_policies_with_one_id_are_refused(tmp_path):
    path = write(tmp_path, "name: s\npolicies:\n  - {id: a, date: 2015-01-01, deadline_months: 12}\n"
                           "  - {id: a, date: 2016-01-01, deadline_months: 12}\n")
    with pytest.raises(ScenarioError, match="used twice"):
        load_scenario(path)


def test_the_two_library_policy_scenarios_load_and_issue_their_policy():
    for name, pilot_first in (("central-policy-binding", False), ("central-policy-pilot-promote", True)):
        scenario = load_scenario(name)
        model = DiffusionModel(scenario.parameters(), seed=scenario.seed).run()
        table = policies_table(model)
        assert len(table) == 1 and bool(table["pilot_first"].iloc[0]) is pilot_first
        assert model.summary()["binding_batches"] == 0   # no batches: only the policy


# --------------------------------------------------------------------- deadline-driven compliance
def test_a_shorter_deadline_gives_faster_compliance_and_clearly_different_curves():
    short, long = months_to_adopt(policy_world(9)), months_to_adopt(policy_world(24))
    assert np.median(short) < 0.6 * np.median(long)
    for months in (6, 9, 12):   # share complied by then: clearly apart
        assert (short <= months).mean() - (long <= months).mean() > 0.2, months


def test_adoption_builds_up_toward_the_deadline_and_most_comply_before_it_under_a_leading_group():
    months = months_to_adopt(policy_world(24))
    assert np.median(months) > 24 / 4           # not front-loaded into the first quarter
    assert (months <= 3).mean() < 0.25
    assert (months <= 24).mean() >= 0.9         # most provinces finish before the deadline
    # weaker leadership plans later: more regions miss the deadline
    assert (months_to_adopt(policy_world(24, "joint_conference")) <= 24).mean() < (months <= 24).mean()
    assert (months_to_adopt(policy_world(24, "none")) <= 24).mean() < 0.8


def test_deadline_compliance_is_the_same_at_monthly_and_quarterly_steps():
    monthly = months_to_adopt(policy_world(12, step="month"), 60)
    quarterly = months_to_adopt(policy_world(12, step="quarter"), 60)
    for months in (6, 12, 18, 24):   # at dates both calendars share (the issue is on a quarter's start)
        a, b = (monthly <= months).mean(), (quarterly <= months).mean()
        se = np.sqrt(a * (1 - a) / monthly.size + b * (1 - b) / quarterly.size) + 1e-9
        assert abs(a - b) <= 3 * se + 0.01, (months, a, b)


# ----------------------------------------------------------------------- a standing mandate stays
def test_under_a_standing_binding_mandate_failures_are_retried_never_abandoned():
    risky = {"benefit": 0.1, "risk": 1.5}
    model = DiffusionModel(policy_world(12, years=8, policy=risky), seed=0).run()
    ev = model.events()
    mandated = ev["mandated"]
    assert ev["failed"][mandated].sum() > 20              # plenty of failures under the mandate ...
    assert not ev["abandoned"][mandated].any()            # ... none abandoned
    assert ev["retried"][mandated].sum() > 0
    assert model.adopted[:, 0].mean() >= 0.9              # compliance stays near complete
    # the same reform only recommended: failures may be abandoned for good
    voluntary = DiffusionModel(policy_world(None, bindingness="recommended", years=8, policy=risky), seed=0).run()
    assert voluntary.events()["abandoned"].sum() > 0 and not voluntary.events()["retried"].any()


# ------------------------------------------------------------------------ local drivers in place
def eha(mandate: bool) -> pd.DataFrame:
    params = make_parameters({
        "innovations": {"expected_total": 0}, "channels": {"mandate": {"schedule": "none", "enabled": mandate}},
        "network": {"kind": "small_world", "n_regions": 300}, "time": {"years": 8},
        "policies": [{"id": f"p{k}", "date": "2014-01-01", "bindingness": "binding", "deadline_months": 24,
                      "risk": 0.3} for k in range(8)]})
    frames = [person_period(DiffusionModel(params, seed=0, replicate=k).run()) for k in range(2)]
    return event_history_logit(pd.concat(frames, ignore_index=True)).set_index("term")


def test_local_drivers_shape_voluntary_adoption_and_lose_their_pull_under_a_binding_mandate():
    voluntary, binding = eha(False), eha(True)
    for term in ("neighbour_share", "log_capacity"):
        assert voluntary.loc[term, "coefficient"] > 0 and voluntary.loc[term, "p_value"] < 0.01, term
        weak = binding.loc[term, "p_value"] >= 0.01
        smaller = abs(binding.loc[term, "coefficient"]) * 3 <= voluntary.loc[term, "coefficient"]
        assert weak or smaller, (term, voluntary.loc[term].to_dict(), binding.loc[term].to_dict())


# ------------------------------------------------------------------------ relevance and saturation
def test_voluntary_diffusion_levels_off_below_all_regions_while_a_binding_mandate_reaches_all():
    def final(params):
        return np.mean([DiffusionModel(params, seed=0, replicate=k).run().adopted[:, 0].mean() for k in range(10)])
    base = {"bindingness": "recommended", "deadline": None, "years": 30.0}
    voluntary = final(policy_world(**base, channels={"mandate": {"schedule": "none", "enabled": False}}))
    everyone = final(policy_world(**base, channels={"mandate": {"schedule": "none", "enabled": False}},
                                  innovations={"expected_total": 0, "relevance": 1.0}))
    assert voluntary < 0.95 and everyone > voluntary + 0.05
    assert final(policy_world(24, years=8)) >= 0.99   # the order applies whether or not the reform is relevant


def test_relevance_is_shared_by_scenarios_of_one_seed():
    a = DiffusionModel(policy_world(24), seed=3).structure.relevant
    b = DiffusionModel(policy_world(9, "none"), seed=3).structure.relevant
    assert (a == b).all() and not a.all()


# ----------------------------------------------------------------------- pilot first, and scope
def test_the_centre_scales_up_a_good_pilot_and_not_a_bad_one():
    def decided(benefit):
        pilot = {"date": None, "benefit": benefit, "risk": 0.3,
                 "pilot": {"regions": ["Shanghai", "Guangdong"], "start": "2014-01-01", "evaluation_months": 12}}
        table = run_ensemble(policy_world(24, policy=pilot), 10).tables["policies"]
        return table["issued"].mean()
    assert decided(0.8) >= 0.9 and decided(-0.5) <= 0.1


def test_a_policy_issued_to_ftz_regions_binds_only_them():
    params = policy_world(12, years=7, policy={"scope": "ftz", "date": "2018-01-01"})
    model = DiffusionModel(params, seed=0).run()
    scope = model.structure.scope[:, 0]
    assert 0 < scope.sum() < 31 and scope.sum() == (model.regions.ftz_years <= model.timeline.years_of(
        params.policies[0].date)).sum()
    assert model.adopted[scope, 0].mean() > model.adopted[~scope, 0].mean() + 0.3


def test_a_run_with_policies_writes_their_tables_and_compliance_chart(tmp_path):
    from click.testing import CliRunner

    from diffusion.cli import main

    out = tmp_path / "binding"
    result = CliRunner().invoke(main, ["run", "central-policy-binding", "--out", str(out), "--replicates", "3"])
    assert result.exit_code == 0, result.output
    assert "policy single-window (binding): issued in 100% of runs" in result.output
    policies = pd.read_parquet(out / "tables" / "policies.parquet")
    compliance = pd.read_parquet(out / "tables" / "policy_compliance.parquet")
    assert len(policies) == 3 and policies["issued"].all()
    for _, curve in compliance.groupby("run"):   # a compliance curve only rises, and reaches everyone
        assert (np.diff(curve["share_complied"].to_numpy()) >= 0).all() and curve["share_complied"].iloc[-1] == 1.0
    assert (out / "figures" / "policy_compliance.png").is_file() and (out / "figures" / "policy_compliance.pdf").is_file()
