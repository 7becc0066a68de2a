"""Analysis of experiment results: sensitivity indices (SALib) and scenario discovery (PRIM).

Pure functions: tables in, tables out. They read the results table of a sweep (one row per run, with
the factor values of its point) and never touch a model.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .design import Factor, salib_problem


def outcomes_by_point(results: pd.DataFrame, outcome: str, points: int) -> np.ndarray:
    """Mean of an outcome over the replicates of each point, in point order; ValueError if any is missing."""
    if outcome not in results.columns:
        numeric = [c for c in results.select_dtypes("number").columns if c not in ("run_id", "point", "replicate")]
        from .params import _did_you_mean
        raise ValueError(f"--outcome {outcome!r} is not a metric{_did_you_mean(outcome, numeric)}; "
                         f"available: {', '.join(numeric)}")
    means = results.groupby("point")[outcome].mean().reindex(range(points))
    missing = means.index[means.isna()].tolist()
    if missing:
        raise ValueError(f"outcome {outcome!r} is missing for {len(missing)} of {points} points (e.g. point "
                         f"{missing[0]}): runs failed or are not finished; see errors/ or use --resume")
    return means.to_numpy(float)


def sobol_indices(design: pd.DataFrame, factor_list: list[Factor], y: np.ndarray, outcome: str,
                  seed: int = 0) -> pd.DataFrame:
    """First-order and total Sobol indices with 95% confidence intervals, one row per factor."""
    from SALib.analyze import sobol

    problem = salib_problem(factor_list)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        # a Generator, not the int: SALib tests 'if seed:', so seed 0 would bootstrap from numpy's global state
        result = sobol.analyze(problem, y, calc_second_order=False, seed=np.random.default_rng(seed % 2**32),
                               print_to_console=False)
    return pd.DataFrame({"outcome": outcome, "factor": problem["names"],
                         "categorical": [f.categorical for f in factor_list],
                         "S1": result["S1"], "S1_conf": result["S1_conf"],
                         "ST": result["ST"], "ST_conf": result["ST_conf"]})


def morris_indices(design: pd.DataFrame, factor_list: list[Factor], y: np.ndarray, outcome: str,
                   seed: int = 0) -> pd.DataFrame:
    """Morris elementary-effect statistics (mu, mu*, its 95% interval, sigma), one row per factor."""
    from SALib.analyze import morris

    problem = salib_problem(factor_list)
    x = design[[f"_u_{f.name}" for f in factor_list]].to_numpy(float)
    result = morris.analyze(problem, x, y, num_levels=4, seed=seed % 2**32, print_to_console=False)
    return pd.DataFrame({"outcome": outcome, "factor": problem["names"],
                         "categorical": [f.categorical for f in factor_list],
                         "mu": result["mu"], "mu_star": result["mu_star"], "mu_star_conf": result["mu_star_conf"],
                         "sigma": result["sigma"]})


def prim(results: pd.DataFrame, factor_cols: list[str], outcome: str, threshold: float, above: bool = True,
         peel_alpha: float = 0.05, mass_min: float = 0.05, min_coverage: float = 0.5) -> dict[str, pd.DataFrame]:
    """PRIM (ema_workbench) boxes of settings where the outcome is above (or below) a threshold.

    Returns the peeling trajectory (coverage, density, mass, restricted dimensions per box), the limits
    of the chosen box (the densest with coverage >= min_coverage) and the cases of interest.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim as ema_prim
    if outcome not in results.columns:
        raise ValueError(f"--outcome {outcome!r} is not a column of the results; available: "
                         f"{', '.join(c for c in results.select_dtypes('number').columns)}")
    data = results.dropna(subset=[outcome])
    x = pd.DataFrame(index=data.index)
    for column in factor_cols:
        values = data[column]
        if values.dtype == object or values.dtype == bool:
            x[column] = values.astype(str).astype("category")
        else:
            x[column] = values.astype(float)
    y = (data[outcome] >= threshold) if above else (data[outcome] <= threshold)
    y = y.to_numpy(bool)
    if y.sum() == 0:
        raise ValueError(f"no run has {outcome} {'>=' if above else '<='} {threshold}; "
                         f"the outcome ranges from {data[outcome].min():.3g} to {data[outcome].max():.3g}")
    if y.all():
        raise ValueError(f"every run has {outcome} {'>=' if above else '<='} {threshold}: nothing to discover; "
                         f"choose a stricter threshold")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # ema_workbench counts a case of interest as y >= threshold: y is 0/1, so the threshold is 1
        finder = ema_prim.Prim(x.reset_index(drop=True), y.astype(int), threshold=1, peel_alpha=peel_alpha,
                               mass_min=mass_min)
        box = finder.find_box()
    trajectory = box.peeling_trajectory.copy()
    eligible = trajectory[trajectory["coverage"] >= min_coverage]
    chosen = int(eligible.sort_values(["density", "coverage"], ascending=False)["id"].iloc[0]) if len(eligible) \
        else int(trajectory["id"].iloc[0])
    limits = box.box_lims[chosen]
    rows = []
    for column in factor_cols:
        low, high = limits[column].iloc[0], limits[column].iloc[1]
        full_low, full_high = box.box_lims[0][column].iloc[0], box.box_lims[0][column].iloc[1]
        if isinstance(low, set):
            restricted = low != full_low
            rows.append({"factor": column, "kind": "categorical", "low": np.nan, "high": np.nan,
                         "levels": ", ".join(sorted(map(str, low))), "restricted": restricted})
        else:
            restricted = bool(low > full_low or high < full_high)
            rows.append({"factor": column, "kind": "continuous", "low": float(low), "high": float(high),
                         "levels": "", "restricted": restricted})
    trajectory["chosen"] = trajectory["id"] == chosen
    return {"trajectory": trajectory.reset_index(drop=True), "box": pd.DataFrame(rows),
            "summary": pd.DataFrame([{"outcome": outcome, "threshold": threshold, "direction": "above" if above else "below",
                                      "runs": len(y), "cases_of_interest": int(y.sum()), "box_id": chosen,
                                      **{k: float(trajectory.loc[trajectory["id"] == chosen, k].iloc[0])
                                         for k in ("coverage", "density", "mass")}}])}


# ------------------------------------------------------------------------------ paired comparisons
def _numeric_metrics(frame: pd.DataFrame, skip: tuple[str, ...]) -> list[str]:
    return [c for c in frame.select_dtypes("number").columns if c not in skip and frame[c].dtype != bool]


def paired_differences(metrics: pd.DataFrame, by: str, reference, *, pair_on: str = "run", paired: bool = True,
                       level: float = 0.90, skip: tuple[str, ...] = ("run", "run_id", "point", "replicate")
                       ) -> pd.DataFrame:
    """Each group's difference from the reference group (``by`` == ``reference``), per metric, with a
    ``level`` confidence interval.

    Paired (common random numbers: replicate k of every group shares its luck): the differences of
    replicate k's values, matched on ``pair_on``, their mean and a t interval. Unpaired (independent
    seeding, or groups with different seeds or replicates): the difference of the means with Welch's
    interval. A difference whose interval excludes 0 is marked ``clear``. Vectorised over groups and
    metrics, so a sweep of thousands of points costs a few group-bys.
    """
    from scipy import stats

    if reference not in set(metrics[by]):
        raise ValueError(f"reference {reference!r} is not one of the {by}s: {', '.join(map(str, metrics[by].unique()))}")
    columns = _numeric_metrics(metrics, skip)
    order = [g for g in metrics[by].unique() if g != reference]
    empty = pd.DataFrame(columns=[by, "reference", "metric", "mean", "reference_mean", "difference", "ci_low",
                                  "ci_high", "sd_difference", "n", "paired", "clear"])
    if not order or not columns:
        return empty
    base = metrics[metrics[by] == reference]
    other = metrics[metrics[by] != reference]
    values = other[columns].astype(float)
    group_mean = values.groupby(other[by], sort=False).mean().reindex(order)
    base_mean = base[columns].astype(float).mean()
    keys = set(base[pair_on]) if pair_on in metrics.columns else set()
    matched = (paired and pair_on in metrics.columns and not base[pair_on].duplicated().any()
               and bool(other.groupby(by, sort=False)[pair_on].apply(lambda k: set(k) == keys).all()))
    if matched:
        reference_rows = base.set_index(pair_on)[columns].astype(float)
        delta = values.to_numpy() - reference_rows.loc[other[pair_on].to_numpy()].to_numpy()
        delta = pd.DataFrame(delta, columns=columns, index=other.index)
        grouped = delta.groupby(other[by], sort=False)
        diff, sd, n = grouped.mean().reindex(order), grouped.std(ddof=1).reindex(order), grouped.count().reindex(order)
        se = sd / np.sqrt(n)
        dof = n - 1
    else:
        grouped = values.groupby(other[by], sort=False)
        diff = group_mean - base_mean
        var_b, n_b = grouped.var(ddof=1).reindex(order), grouped.count().reindex(order)
        var_a, n_a = base[columns].astype(float).var(ddof=1), base[columns].count()
        va, vb = var_a / n_a, var_b / n_b
        se = np.sqrt(vb + va)
        with np.errstate(divide="ignore", invalid="ignore"):
            dof = (va + vb) ** 2 / (vb**2 / (n_b - 1) + va**2 / (n_a - 1))
        n = pd.DataFrame(np.minimum(n_b.to_numpy(), n_a.to_numpy()[None, :]), index=n_b.index, columns=columns)
        sd = pd.DataFrame(np.nan, index=diff.index, columns=columns)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = pd.DataFrame(stats.t.ppf(0.5 + level / 2, dof.to_numpy(float)), index=diff.index, columns=columns) * se
    half = half.where(~((se == 0) & (n > 1)), 0.0)
    tidy = {name: frame.rename_axis(by).reset_index().melt(id_vars=by, var_name="metric", value_name=name)[name]
            for name, frame in (("mean", group_mean), ("difference", diff), ("half", half), ("sd_difference", sd),
                                ("n", n))}
    keys_frame = diff.rename_axis(by).reset_index().melt(id_vars=by, var_name="metric")[[by, "metric"]]
    out = keys_frame.assign(reference=reference, **tidy)
    out["reference_mean"] = out["metric"].map(base_mean)
    out["ci_low"], out["ci_high"] = out["difference"] - out["half"], out["difference"] + out["half"]
    out["n"] = out["n"].fillna(0).astype(int)
    out["paired"] = bool(matched)
    out["clear"] = np.isfinite(out["half"]) & ((out["ci_low"] > 0) | (out["ci_high"] < 0))
    # one block per group, metrics in table order (as the console and charts read it)
    out["_g"] = out[by].map({g: k for k, g in enumerate(order)})
    out["_m"] = out["metric"].map({m: k for k, m in enumerate(columns)})
    out = out.sort_values(["_g", "_m"], kind="stable").reset_index(drop=True)
    out["metric"] = pd.Categorical(out["metric"], categories=columns)   # 40 names, not 200,000 strings
    if isinstance(reference, str):
        out["reference"] = pd.Categorical(out["reference"])
    return out[list(empty.columns)]


def point_summary(results: pd.DataFrame, factor_cols: list[str]) -> pd.DataFrame:
    """Per sweep point: its factor values and, per metric, the mean and the 5-95% interval over replicates
    (tidy: one row per point and metric)."""
    columns = _numeric_metrics(results, ("run", "run_id", "point", "replicate", *factor_cols))
    grouped = results.groupby("point")
    factors = grouped[factor_cols].first() if factor_cols else pd.DataFrame(index=grouped.size().index)
    rows = []
    for column in columns:
        values = grouped[column]
        frame = pd.DataFrame({"metric": column, "mean": values.mean(), "q05": values.quantile(0.05),
                              "q95": values.quantile(0.95), "n": values.count()})
        rows.append(factors.join(frame))
    if not rows:
        return pd.DataFrame()
    out = pd.concat(rows).reset_index()
    out["metric"] = pd.Categorical(out["metric"], categories=columns)   # a few names, many rows
    return out


def noise_share(results: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """How much of each outcome's variance over a sweep's runs is the seed's: the mean variance between
    replicates of one point over the total variance (0: the factors explain everything; near 1: the
    indices mostly measure noise). NaN with one replicate per point."""
    rows = []
    for outcome in outcomes:
        values = results[["point", outcome]].dropna()
        total = values[outcome].var(ddof=1)
        within = values.groupby("point")[outcome].var(ddof=1).mean()
        share = float(within / total) if total and total > 0 and np.isfinite(within) else np.nan
        rows.append({"outcome": outcome, "total_variance": total, "within_point_variance": within,
                     "seed_share": share, "replicates_per_point": float(values.groupby("point").size().mean())})
    return pd.DataFrame(rows)
