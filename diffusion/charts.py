"""Charts drawn from tidy tables (never from a live model)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def adoption_curves(series: pd.DataFrame, batches: pd.DataFrame | None = None, title: str | None = None):
    """Coverage over time (all, FTZ, non-FTZ regions) with binding batches marked; returns the Figure."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=150)
    dates = pd.to_datetime(series["date"])
    for column, label, style in (("coverage", "All regions", "-"), ("ftz_coverage", "FTZ regions", "--"),
                                 ("non_ftz_coverage", "Non-FTZ regions", ":")):
        ax.plot(dates, 100 * series[column], style, lw=2, label=label)
    if batches is not None and len(batches):
        for i, row in enumerate(batches[batches["kind"] == "binding"].itertuples()):
            ax.axvline(pd.Timestamp(row.date), color="0.6", lw=0.8, zorder=0,
                       label="State Council batch" if i == 0 else None)
    ax.set_ylim(0, 100)
    ax.set_ylabel("Adoption coverage (% of region x innovation pairs)")
    ax.set_xlabel("Date")
    ax.set_title(title or "Adoption of FTZ innovations over time")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, loc="lower right")
    fig.tight_layout()
    return fig
