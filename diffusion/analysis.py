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
        result = sobol.analyze(problem, y, calc_second_order=False, seed=seed % 2**32, print_to_console=False)
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
    interval. A difference whose interval excludes 0 is marked ``clear``.
    """
    from scipy import stats

    if reference not in set(metrics[by]):
        raise ValueError(f"reference {reference!r} is not one of the {by}s: {', '.join(map(str, metrics[by].unique()))}")
    columns = _numeric_metrics(metrics, skip)
    base = metrics[metrics[by] == reference]
    rows = []
    for group in metrics[by].unique():
        if group == reference:
            continue
        other = metrics[metrics[by] == group]
        matched = paired and pair_on in metrics.columns and set(other[pair_on]) == set(base[pair_on])
        for column in columns:
            a = base.set_index(pair_on)[column] if matched else base[column]
            b = other.set_index(pair_on)[column] if matched else other[column]
            if matched:
                d = (b - a.reindex(b.index)).dropna()
                n = len(d)
                diff, sd = (float(d.mean()), float(d.std(ddof=1))) if n else (np.nan, np.nan)
                half = stats.t.ppf(0.5 + level / 2, n - 1) * sd / np.sqrt(n) if n > 1 else np.nan
            else:
                a, b = a.dropna(), b.dropna()
                n = min(len(a), len(b))
                diff = float(b.mean() - a.mean()) if n else np.nan
                va, vb = (a.var(ddof=1) / len(a) if len(a) > 1 else np.nan), (b.var(ddof=1) / len(b) if len(b) > 1 else np.nan)
                se = np.sqrt(va + vb)
                dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)) if n > 1 and va + vb > 0 else np.nan
                half = stats.t.ppf(0.5 + level / 2, dof) * se if n > 1 and np.isfinite(dof) else (0.0 if se == 0 else np.nan)
                sd = np.nan
            rows.append({by: group, "reference": reference, "metric": column,
                         "mean": float(other[column].mean()), "reference_mean": float(base[column].mean()),
                         "difference": diff, "ci_low": diff - half, "ci_high": diff + half, "sd_difference": sd,
                         "n": int(n), "paired": bool(matched),
                         "clear": bool(np.isfinite(half) and (diff - half > 0 or diff + half < 0))})
    return pd.DataFrame(rows, columns=[by, "reference", "metric", "mean", "reference_mean", "difference", "ci_low",
                                       "ci_high", "sd_difference", "n", "paired", "clear"])


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
    return pd.concat(rows).reset_index() if rows else pd.DataFrame()


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
