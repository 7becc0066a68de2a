"""The headline measures cannot fall because innovations are born or groups gain members.

Coverage over the innovations born so far falls whenever new pilots are born; the measures here (coverage
per pilot cohort, coverage by time since pilot between fixed groups, kept adoptions) must not, and must
agree with the adoptions table they summarise.
"""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import run_model
from diffusion import tables
from diffusion.cli import main


@pytest.fixture(scope="module")
def without_failures():
    return run_model({"failure": {"enabled": False}, "time": {"years": 8}}, seed=3)


def kept_adoptions(model) -> pd.DataFrame:
    """The adoptions table's kept adoptions (pilots included), with each innovation's birth step."""
    events = tables.adoptions(model)
    births = tables.innovations(model)[["innovation", "birth_step"]]
    return events[~events["abandoned"] & ~events["retried"]].merge(births, on="innovation")


def test_a_cohort_loses_coverage_only_through_abandonments_and_retries(baseline_model):
    cohorts = tables.coverage_by_cohort(baseline_model)
    assert (cohorts.groupby("cohort")["innovations"].nunique() == 1).all()   # fixed membership
    events = tables.adoptions(baseline_model)
    innovations = tables.innovations(baseline_model).assign(cohort=tables.cohort_years(baseline_model))
    events = events.merge(innovations[["innovation", "cohort"]], on="innovation")
    dropped = events[events["abandoned"] | events["retried"]].groupby(["cohort", "step"]).size()
    for cohort, curve in cohorts.groupby("cohort"):
        change = curve.set_index("step")["adopted"].diff().dropna()
        explained = dropped.reindex([(cohort, s) for s in change.index], fill_value=0).to_numpy()
        assert (change.to_numpy() >= -explained).all(), f"cohort {cohort} fell by more than its abandonments"
    assert ((cohorts["coverage"] >= 0) & (cohorts["coverage"] <= 1)).all()


def test_a_cohort_never_loses_coverage_when_nothing_fails(without_failures):
    cohorts = tables.coverage_by_cohort(without_failures)
    assert cohorts["cohort"].nunique() > 3
    for _, curve in cohorts.groupby("cohort"):
        assert curve["coverage"].is_monotonic_increasing


def test_cohorts_are_the_calendar_years_of_the_pilots_and_end_at_the_model_state(baseline_model):
    cohorts = tables.coverage_by_cohort(baseline_model)
    innovations = tables.innovations(baseline_model)
    years = pd.to_datetime(innovations["birth_date"]).dt.year   # quarters never straddle a year
    last = cohorts[cohorts["step"] == baseline_model.steps].set_index("cohort")
    assert (last["innovations"] == years.value_counts().reindex(last.index)).all()
    assert (last["born"] == last["innovations"]).all() and last["innovations"].sum() == len(innovations)
    held = pd.Series(baseline_model.adopted.sum(axis=0), index=years.to_numpy()).groupby(level=0).sum()
    assert (last["adopted"] == held.reindex(last.index)).all()


def test_coverage_by_age_agrees_with_the_adoptions_table(baseline_model):
    by_age = tables.coverage_by_age(baseline_model).set_index("age_steps")
    kept = kept_adoptions(baseline_model)
    regions = tables.regions(baseline_model)
    last_date = tables.series(baseline_model)["date"].iloc[-1]
    ftz = set(regions.loc[regions["ftz_opened"].notna() & (pd.to_datetime(regions["ftz_opened"]) <= last_date),
                          "region"])
    births = tables.innovations(baseline_model).set_index("innovation")["birth_step"]
    n = len(regions)
    for age in (0, 4, 12, 20):
        old_enough = births[births + age <= baseline_model.steps].index
        upto = kept[(kept["step"] - kept["birth_step"] <= age) & kept["innovation"].isin(old_enough)]
        per = upto.groupby("innovation").size().reindex(old_enough, fill_value=0)
        in_ftz = upto[upto["region"].isin(ftz)].groupby("innovation").size().reindex(old_enough, fill_value=0)
        row = by_age.loc[age]
        assert row["innovations"] == len(old_enough)
        assert np.isclose(row["coverage"], (per / n).mean())
        assert np.isclose(row["ftz_coverage"], (in_ftz / len(ftz)).mean())
        assert np.isclose(row["non_ftz_coverage"], ((per - in_ftz) / (n - len(ftz))).mean())
    # at age 0 every innovation counts, each held by its origin unless the pilot was abandoned
    assert by_age.loc[0, "innovations"] == baseline_model.n_innovations
    assert by_age.loc[0, "coverage"] >= 0.5 / n


def test_the_fixed_groups_keep_their_members_over_ages(baseline_model):
    by_age = tables.coverage_by_age(baseline_model)
    assert by_age["ftz_regions"].nunique() == 1 and by_age["non_ftz_regions"].nunique() == 1
    assert (by_age["ftz_regions"] + by_age["non_ftz_regions"] == baseline_model.n_regions).all()
    assert by_age["innovations"].is_monotonic_decreasing


def test_cumulative_adoptions_agree_with_the_adoptions_table_and_the_coverage(baseline_model):
    series = tables.series(baseline_model)
    kept = kept_adoptions(baseline_model)
    counted = kept.groupby("step").size().reindex(series["step"], fill_value=0).cumsum().to_numpy()
    assert (series["cumulative_adoptions"].to_numpy() == counted).all()
    births = tables.innovations(baseline_model)["birth_step"].to_numpy()
    assert (series["innovations_born"] == [(births <= s).sum() for s in series["step"]]).all()
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = series["cumulative_adoptions"] / (series["innovations_born"] * baseline_model.n_regions)
    assert np.allclose(series["coverage"], ratio.fillna(0.0))
    metrics = tables.metrics(baseline_model).iloc[0]
    assert metrics["cumulative_adoptions"] == series["cumulative_adoptions"].iloc[-1]


def test_cumulative_adoptions_never_fall_when_nothing_fails(without_failures):
    series = tables.series(without_failures)
    assert series["cumulative_adoptions"].is_monotonic_increasing
    assert (series["cumulative_adoptions"] == series["adoptions"]).all()   # nothing abandoned: all kept


def test_fixed_age_metrics_are_read_from_coverage_by_age(baseline_model):
    by_age = tables.coverage_by_age(baseline_model).set_index("age_steps")
    metrics = tables.metrics(baseline_model).iloc[0]
    three, five = baseline_model.timeline.steps_in(36), baseline_model.timeline.steps_in(60)
    assert np.isclose(metrics["coverage_at_3_years"], by_age.loc[three, "coverage"])
    assert np.isclose(metrics["coverage_at_5_years"], by_age.loc[five, "coverage"])
    assert np.isclose(metrics["ftz_gap_at_3_years"],
                      by_age.loc[three, "ftz_coverage"] - by_age.loc[three, "non_ftz_coverage"])


def test_a_short_run_has_no_five_year_coverage_rather_than_a_wrong_one():
    metrics = tables.metrics(run_model({"time": {"years": 2}}, seed=0)).iloc[0]
    assert np.isnan(metrics["coverage_at_5_years"]) and np.isnan(metrics["coverage_at_3_years"])


def test_run_writes_the_new_tables_as_parquet_and_csv_and_draws_their_charts(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", "baseline", "--replicates", "2", "--steps", "16", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name, key in (("coverage_by_cohort", "cohort"), ("coverage_by_age", "age_steps")):
        parquet = pd.read_parquet(out / "tables" / f"{name}.parquet")
        csv = pd.read_csv(out / "tables" / f"{name}.csv")
        assert len(parquet) > 0 and len(parquet) == len(csv) and set(parquet["run"]) == {0, 1}
        assert list(parquet.columns) == list(csv.columns) and key in parquet.columns
    series = pd.read_parquet(out / "tables" / "series.parquet")
    assert {"cumulative_adoptions", "innovations_born"} <= set(series.columns)
    for stem in ("adoption_curves", "cohort_coverage", "cumulative_adoptions", "ftz_gap"):
        assert (out / "figures" / f"{stem}.png").stat().st_size > 10_000
