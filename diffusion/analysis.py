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
