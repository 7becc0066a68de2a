"""Charts drawn from tidy tables (never from a live model). Each function returns a matplotlib Figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

KEY_METRICS = {
    "coverage": "Final coverage (share of region x innovation pairs)",
    "share_national": "Share of innovations that became national (>= 90% of regions)",
    "median_time_to_50": "Median quarters from pilot to 50% of regions",
    "failure_rate": "Share of adoptions that failed",
    "ftz_gap": "Coverage gap, FTZ minus non-FTZ regions",
    "gini": "Gini of adoption across regions",
}


def band(series: pd.DataFrame, column: str, low: float = 0.05, high: float = 0.95) -> pd.DataFrame:
    """Mean and [low, high] quantiles of a column across runs, by date."""
    grouped = series.groupby("date")[column]
    return pd.DataFrame({"mean": grouped.mean(), "low": grouped.quantile(low), "high": grouped.quantile(high)})


def adoption_curves(series: pd.DataFrame, batches: pd.DataFrame | None = None, title: str | None = None):
    """Coverage over time for all, FTZ and non-FTZ regions (mean and 90% band over runs), batches marked."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=150)
    runs = series["run"].nunique() if "run" in series else 1
    for column, label, style in (("coverage", "All regions", "-"), ("ftz_coverage", "FTZ regions", "--"),
                                 ("non_ftz_coverage", "Non-FTZ regions", ":")):
        stats = band(series, column)
        dates = pd.to_datetime(stats.index)
        (line,) = ax.plot(dates, 100 * stats["mean"], style, lw=2, label=label)
        if runs > 1:
            ax.fill_between(dates, 100 * stats["low"], 100 * stats["high"], color=line.get_color(), alpha=0.15, lw=0)
    if batches is not None and len(batches):
        first_run = batches[batches["run"] == batches["run"].min()] if "run" in batches else batches
        for i, row in enumerate(first_run[first_run["kind"] == "binding"].itertuples()):
            ax.axvline(pd.Timestamp(row.date), color="0.6", lw=0.8, zorder=0,
                       label="State Council batch" if i == 0 else None)
    ax.set_ylim(0, 100)
    ax.set_ylabel("Adoption coverage (%)")
    ax.set_xlabel("Date")
    suffix = f" (mean and 90% band of {runs} runs)" if runs > 1 else ""
    ax.set_title((title or "Adoption of FTZ innovations over time") + suffix, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def scenario_curves(series: pd.DataFrame, title: str = "Adoption coverage by scenario"):
    """One coverage curve per scenario (column ``scenario``), with its 90% band over runs."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=150)
    for name, frame in series.groupby("scenario", sort=False):
        stats = band(frame, "coverage")
        dates = pd.to_datetime(stats.index)
        (line,) = ax.plot(dates, 100 * stats["mean"], lw=2, label=name)
        ax.fill_between(dates, 100 * stats["low"], 100 * stats["high"], color=line.get_color(), alpha=0.15, lw=0)
    ax.set_ylim(0, 100)
    ax.set_ylabel("Adoption coverage (%)")
    ax.set_xlabel("Date")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def metric_comparison(summary: pd.DataFrame, metrics: dict[str, str] | None = None):
    """Small multiples: each key metric's mean and 5-95% interval per scenario (from summarise_metrics)."""
    metrics = metrics or KEY_METRICS
    present = [m for m in metrics if m in set(summary["metric"])]
    cols = 2
    rows = int(np.ceil(len(present) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(8, 2.2 * rows + 0.4), dpi=150, squeeze=False)
    scenarios = list(dict.fromkeys(summary["scenario"]))
    for ax, metric in zip(axes.ravel(), present):
        frame = summary[summary["metric"] == metric].set_index("scenario").loc[scenarios]
        y = np.arange(len(scenarios))
        ax.errorbar(frame["mean"], y, xerr=[frame["mean"] - frame["q05"], frame["q95"] - frame["mean"]],
                    fmt="o", capsize=3, lw=1.2)
        ax.set_yticks(y, scenarios, fontsize=7)
        ax.invert_yaxis()
        ax.set_title(metrics[metric], fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(axis="x", labelsize=7)
    for ax in axes.ravel()[len(present):]:
        ax.axis("off")
    fig.suptitle("Key metrics by scenario (mean and 5-95% interval over replicates)", fontsize=10)
    fig.tight_layout()
    return fig


def save(fig, folder, stem: str) -> list[str]:
    """Save a figure as PNG and SVG; returns the file names."""
    names = [f"{stem}.png", f"{stem}.svg"]
    for name in names:
        fig.savefig(folder / name)
    plt.close(fig)
    return names


def sensitivity_bars(indices: pd.DataFrame, method: str):
    """Bars of sensitivity indices with 95% confidence intervals, one panel per outcome."""
    outcomes = list(dict.fromkeys(indices["outcome"]))
    fig, axes = plt.subplots(1, len(outcomes), figsize=(4.2 * len(outcomes), 0.45 * indices["factor"].nunique() + 1.6),
                             dpi=150, squeeze=False)
    for ax, outcome in zip(axes.ravel(), outcomes):
        frame = indices[indices["outcome"] == outcome]
        y = np.arange(len(frame))
        if method == "sobol":
            ax.barh(y - 0.2, frame["S1"], 0.4, xerr=frame["S1_conf"], capsize=2, label="first order S1")
            ax.barh(y + 0.2, frame["ST"], 0.4, xerr=frame["ST_conf"], capsize=2, label="total ST")
            ax.set_xlabel("Sobol index")
        else:
            ax.barh(y, frame["mu_star"], 0.6, xerr=frame["mu_star_conf"], capsize=2, label="mu*")
            ax.set_xlabel("Morris mu* (mean |elementary effect|)")
        ax.set_yticks(y, [f + (" (categorical)" if c else "") for f, c in zip(frame["factor"], frame["categorical"])],
                      fontsize=7)
        ax.invert_yaxis()
        ax.set_title(outcome, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
        ax.legend(frameon=False, fontsize=7)
    fig.suptitle(f"{method.title()} sensitivity (bars: estimate; whiskers: 95% confidence interval)", fontsize=10)
    fig.tight_layout()
    return fig


def prim_tradeoff(trajectory: pd.DataFrame, outcome: str):
    """PRIM peeling trajectory: coverage against density of each box, coloured by restricted dimensions."""
    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=150)
    points = ax.scatter(trajectory["coverage"], trajectory["density"], c=trajectory["res_dim"], cmap="viridis", s=22)
    chosen = trajectory[trajectory["chosen"]]
    ax.scatter(chosen["coverage"], chosen["density"], s=120, facecolors="none", edgecolors="red", lw=1.5,
               label="chosen box")
    fig.colorbar(points, ax=ax, label="restricted dimensions")
    ax.set_xlabel("Coverage (share of cases of interest inside the box)")
    ax.set_ylabel("Density (share of the box that are cases of interest)")
    ax.set_title(f"Scenario discovery for {outcome}: PRIM peeling trajectory", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig
