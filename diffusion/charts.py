"""Publication-grade charts drawn from tidy tables (never from a live model), in English or Chinese.

Every chart function takes tables (as written to a results folder), ``lang`` ('en' or 'zh') and
``size`` ('page': 6.5 x 4 in, 'slide': 10 x 5.6 in) and returns a matplotlib Figure in the house style.
``save`` writes PNG, SVG and PDF. ``draw_run_figures`` draws the whole set for one results folder.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .i18n import category_name, channel_name, metric_label, region_name, t, use_cjk_font  # noqa: E402

SIZES = {"page": (6.5, 4.0), "slide": (10.0, 5.6)}
FORMATS = ("png", "svg", "pdf")
PALETTE = ["#1f4e79", "#c0504d", "#4f9a45", "#e39b2d", "#7f5fa8", "#3aa0b5", "#8c6d46", "#d16ba5"]
CHANNEL_COLOURS = {"spontaneous": "#9e9e9e", "learning": "#4f9a45", "competition": "#e39b2d", "mandate": "#1f4e79"}
KEY_METRICS = ("coverage_at_5_years", "share_90_within_5_years", "median_time_to_50", "failure_rate",
               "ftz_gap_at_3_years", "gini")
MIN_INNOVATIONS = 20   # the age curves stop where fewer innovations (mean over runs) are that old
def _in_percent(name: str) -> bool:
    """Whether a metric is drawn in % (a share or a difference of shares; diffusion/outputs.py)."""
    from .outputs import names_with_unit

    return name in names_with_unit("share", "points")


@contextmanager
def house_style(size: str = "page"):
    """The house style: clean axes, light grid, one palette, fonts that carry Chinese glyphs."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)} (given: {size!r})")
    cjk = use_cjk_font()
    scale = 1.0 if size == "page" else 1.25
    style = {
        "figure.figsize": SIZES[size], "figure.dpi": 150, "savefig.dpi": 200, "savefig.bbox": "tight",
        "font.family": ["DejaVu Sans"] + ([cjk] if cjk else []), "font.size": 8.5 * scale,
        "axes.titlesize": 10 * scale, "axes.titleweight": "bold", "axes.labelsize": 8.5 * scale,
        "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
        "grid.linewidth": 0.6, "axes.prop_cycle": matplotlib.cycler(color=PALETTE), "legend.frameon": False,
        "legend.fontsize": 7.5 * scale, "xtick.labelsize": 7.5 * scale, "ytick.labelsize": 7.5 * scale,
        "lines.linewidth": 1.8, "svg.fonttype": "none", "pdf.fonttype": 42,
    }
    with matplotlib.rc_context(style):
        yield


def save(fig, folder: Path, stem: str, formats=FORMATS) -> list[str]:
    """Save a figure in every format; returns the file names."""
    folder = Path(folder)
    names = [f"{stem}.{fmt}" for fmt in formats]
    for name in names:
        fig.savefig(folder / name)
    plt.close(fig)
    return names


def band(frame: pd.DataFrame, column: str, by: str = "date", low: float = 0.05, high: float = 0.95) -> pd.DataFrame:
    """Mean and [low, high] quantiles of a column across runs."""
    grouped = frame.groupby(by)[column]
    return pd.DataFrame({"mean": grouped.mean(), "low": grouped.quantile(low), "high": grouped.quantile(high)})


def _runs(frame: pd.DataFrame) -> int:
    return int(frame["run"].nunique()) if "run" in frame.columns else 1


def _line_with_band(ax, frame, column, label, style="-", colour=None, scale=100.0, by="date"):
    stats = band(frame, column, by=by)
    x = pd.to_datetime(stats.index) if by == "date" else stats.index.to_numpy()
    (line,) = ax.plot(x, scale * stats["mean"], style, label=label, color=colour)
    if _runs(frame) > 1:
        ax.fill_between(x, scale * stats["low"], scale * stats["high"], color=line.get_color(), alpha=0.15, lw=0)
    return line


def _mark_batches(ax, batches: pd.DataFrame | None, lang: str) -> None:
    """Vertical lines at the binding batches (of the first run): solid grey when issued, dashed and lighter
    when the batches table says a batch is a projection (column ``projected``, where present)."""
    if batches is None or not len(batches):
        return
    first = batches[batches["run"] == batches["run"].min()] if "run" in batches.columns else batches
    binding = first[first["kind"] == "binding"]
    projected = (binding["projected"].fillna(False).astype(bool) if "projected" in binding.columns
                 else pd.Series(False, index=binding.index))
    for flag, colour, style, key in ((False, "0.55", "-", "batch"), (True, "0.72", "--", "projected_batch")):
        for i, day in enumerate(binding.loc[projected == flag, "date"]):
            ax.axvline(pd.Timestamp(day), color=colour, lw=0.7, ls=style, zorder=0,
                       label=t(key, lang) if i == 0 else None)


def projection_start(series: pd.DataFrame | None) -> pd.Timestamp | None:
    """The first date of the steps the series marks as projections (after the historical record), or None."""
    if series is None or "projected" not in series.columns or not series["projected"].any():
        return None
    return pd.Timestamp(series.loc[series["projected"].astype(bool), "date"].min())


def _shade_projection(ax, start: pd.Timestamp | None, lang: str) -> None:
    """A light hatched band over the projected part of a date axis (drawn last, so the axis limits are
    those of the data), labelled as a projection."""
    if start is None:
        return
    import matplotlib.dates as mdates

    left, right = ax.get_xlim()
    ax.axvspan(mdates.date2num(start), right, facecolor="0.90", lw=0, zorder=-2, label=t("projection_period", lang))
    ax.axvline(mdates.date2num(start), color="0.45", lw=0.8, ls=(0, (2, 2)), zorder=-1)
    ax.set_xlim(left, right)


def _old_enough(coverage_by_age: pd.DataFrame) -> pd.DataFrame:
    """The ages that at least MIN_INNOVATIONS innovations (mean over runs) reached, or all if none did."""
    count = coverage_by_age.groupby("years_since_pilot")["innovations"].mean()
    ages = count.index[count >= min(MIN_INNOVATIONS, count.max())]
    return coverage_by_age[coverage_by_age["years_since_pilot"].isin(ages)]


def _title(ax, text: str, runs: int, lang: str) -> None:
    ax.set_title(text + (f"\n({t('band_note', lang, n=runs)})" if runs > 1 else ""), loc="left")


# ------------------------------------------------------------------------------------ run charts
def adoption_curves(coverage_by_age: pd.DataFrame, title: str | None = None, lang: str = "en", size: str = "page",
                    projection_from: pd.Timestamp | None = None):
    """Coverage by years since pilot for all regions, the FTZ group and the others (mean and 90% band).

    Read from ``coverage_by_age``: at each age, the mean over the innovations that old of the share of
    regions holding them. The groups are fixed (FTZ by the end of the run), so no curve falls because
    innovations are born or FTZs open.
    """
    frame = _old_enough(coverage_by_age)
    with house_style(size):
        fig, ax = plt.subplots()
        for column, key, style in (("coverage", "all_regions", "-"), ("ftz_coverage", "ftz_group", "--"),
                                   ("non_ftz_coverage", "non_ftz_group", ":")):
            _line_with_band(ax, frame, column, t(key, lang), style, by="years_since_pilot")
        ax.set_ylim(0, 100)
        ax.set_xlim(left=0)
        ax.set_ylabel(t("age_coverage_axis", lang))
        ax.set_xlabel(t("age_axis", lang))
        note = t("age_note", lang, n=MIN_INNOVATIONS)
        if projection_from is not None:   # ages mix history and projection: say so
            note += "\n" + t("age_projection_note", lang, date=f"{projection_from:%Y-%m}")
        ax.text(0.01, 0.98, note, transform=ax.transAxes, va="top", fontsize=6.5, color="0.35")
        _title(ax, title or t("adoption_age_title", lang), _runs(coverage_by_age), lang)
        ax.legend(loc="lower right")
        fig.tight_layout()
    return fig


def cohort_curves(coverage_by_cohort: pd.DataFrame, batches: pd.DataFrame | None = None, lang: str = "en",
                  size: str = "page", projection_from: pd.Timestamp | None = None):
    """One line per pilot cohort (innovations piloted in one calendar year): the share of its (region,
    innovation) pairs adopted and kept, against the date (mean over runs), binding batches marked."""
    mean = coverage_by_cohort.groupby(["cohort", "date"])["coverage"].mean()
    cohorts = list(mean.index.unique("cohort"))
    colours = matplotlib.colormaps["viridis"](np.linspace(0.0, 0.9, max(len(cohorts), 1)))
    with house_style(size):
        fig, ax = plt.subplots()
        for colour, cohort in zip(colours, cohorts):
            line = mean.loc[cohort]
            ax.plot(pd.to_datetime(line.index), 100 * line.to_numpy(), color=colour, lw=1.4, label=str(cohort))
        _mark_batches(ax, batches, lang)
        _shade_projection(ax, projection_from, lang)
        ax.set_ylim(0, 100)
        ax.set_ylabel(t("cohort_axis", lang))
        ax.set_xlabel(t("date", lang))
        runs = _runs(coverage_by_cohort)
        ax.set_title(t("cohort_title", lang) + (f"\n({t('mean_note', lang, n=runs)})" if runs > 1 else ""), loc="left")
        ax.legend(title=t("cohort_legend", lang), loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=6.5,
                  title_fontsize=7)
        fig.tight_layout()
    return fig


def cumulative_adoptions(series: pd.DataFrame, batches: pd.DataFrame | None = None, lang: str = "en",
                         size: str = "page"):
    """Adoptions kept so far (pilots included) against the date (mean and 90% band), binding batches marked,
    the projected part (after the historical record; series column ``projected``) shaded."""
    with house_style(size):
        fig, ax = plt.subplots()
        _line_with_band(ax, series, "cumulative_adoptions", t("all_regions", lang), colour=PALETTE[0], scale=1.0)
        _mark_batches(ax, batches, lang)
        _shade_projection(ax, projection_start(series), lang)
        ax.set_ylim(bottom=0)
        ax.set_ylabel(t("cumulative_axis", lang))
        ax.set_xlabel(t("date", lang))
        _title(ax, t("cumulative_title", lang), _runs(series), lang)
        ax.legend(loc="upper left")
        fig.tight_layout()
    return fig


def scenario_curves(series: pd.DataFrame, lang: str = "en", size: str = "page"):
    """One curve per scenario (column ``scenario``) with its 90% band over runs: the adoptions kept so far,
    which no birth of an innovation can lower (series without that column: coverage over the innovations
    piloted so far, labelled so)."""
    cumulative = "cumulative_adoptions" in series.columns
    column = "cumulative_adoptions" if cumulative else "coverage"
    with house_style(size):
        fig, ax = plt.subplots()
        for name, frame in series.groupby("scenario", sort=False):
            _line_with_band(ax, frame, column, str(name), scale=1.0 if cumulative else 100.0)
        if cumulative:
            ax.set_ylim(bottom=0)
        else:
            ax.set_ylim(0, 100)
        ax.set_ylabel(t("cumulative_axis" if cumulative else "coverage_so_far_axis", lang))
        ax.set_xlabel(t("date", lang))
        ax.set_title(t("scenario_cumulative_title" if cumulative else "scenario_curves_title", lang), loc="left")
        ax.legend(loc="upper left" if cumulative else "lower right")
        fig.tight_layout()
    return fig


def category_curves(coverage_by_category: pd.DataFrame, lang: str = "en", size: str = "page",
                    projection_from: pd.Timestamp | None = None):
    """Small multiples: coverage over time for each innovation category (mean and 90% band)."""
    categories = list(dict.fromkeys(coverage_by_category["category"]))
    cols = 4
    rows = int(np.ceil(len(categories) / cols))
    with house_style(size):
        width, height = SIZES[size]
        fig, axes = plt.subplots(rows, cols, figsize=(width, height * 0.55 * rows + 0.6), sharex=True, sharey=True,
                                 squeeze=False)
        for ax, category in zip(axes.ravel(), categories):
            frame = coverage_by_category[coverage_by_category["category"] == category]
            _line_with_band(ax, frame, "coverage", None, colour=PALETTE[0])
            _shade_projection(ax, projection_from, lang)
            ax.set_title(category_name(category, lang), fontsize=7.5, loc="left")
            ax.set_ylim(0, 100)
            ax.tick_params(axis="x", labelrotation=45)
        for ax in axes.ravel()[len(categories):]:
            ax.axis("off")
        for ax in axes[:, 0]:
            ax.set_ylabel(t("coverage_axis", lang), fontsize=7)
        title = fig.suptitle(t("category_title", lang) + "\n ", x=0.01, ha="left", fontweight="bold")
        fig.tight_layout()
        # the denominator grows as innovations are born: say so on the title's second line
        below = title.get_window_extent(fig.canvas.get_renderer()).y0 / fig.bbox.height
        fig.text(0.01, below, t("so_far_note", lang), fontsize=7, color="0.3", va="bottom", ha="left")
    return fig


def channel_attribution(channels: pd.DataFrame, lang: str = "en", size: str = "page",
                        projection_from: pd.Timestamp | None = None):
    """Stacked areas: adoptions per period attributed to spontaneous, learning, competition and mandate."""
    mean = channels.groupby(["date", "channel"])["adoptions"].mean().unstack("channel").fillna(0.0)
    order = [c for c in ("mandate", "learning", "competition", "spontaneous") if c in mean.columns]
    with house_style(size):
        fig, ax = plt.subplots()
        ax.stackplot(pd.to_datetime(mean.index), *[mean[c].to_numpy() for c in order],
                     labels=[channel_name(c, lang) for c in order], colors=[CHANNEL_COLOURS[c] for c in order],
                     alpha=0.9)
        _shade_projection(ax, projection_from, lang)
        ax.set_ylabel(t("channels_axis", lang))
        ax.set_xlabel(t("date", lang))
        _title(ax, t("channels_title", lang), _runs(channels), lang)
        ax.legend(loc="upper left")
        fig.tight_layout()
    return fig


def adoption_lags(adoptions: pd.DataFrame, innovations: pd.DataFrame) -> pd.DataFrame:
    """Years from pilot to each (kept, non-pilot) adoption, with region and category: from the first
    days of their periods, so the same whatever the step length."""
    undone = adoptions["abandoned"] | adoptions["retried"] if "retried" in adoptions.columns else adoptions["abandoned"]
    kept = adoptions[~adoptions["pilot"] & ~undone]
    births = innovations[["run", "innovation", "birth_date"]]
    lags = kept.merge(births, on=["run", "innovation"], how="left")
    lags["lag"] = (pd.to_datetime(lags["date"]) - pd.to_datetime(lags["birth_date"])).dt.days / 365.25
    return lags[["run", "region", "category", "lag"]]


def province_map(regions: pd.DataFrame, network: pd.DataFrame, adoptions: pd.DataFrame, innovations: pd.DataFrame,
                 lang: str = "en", size: str = "page"):
    """Regions at their capitals' coordinates with the adjacency network, coloured by mean adoption lag."""
    lags = adoption_lags(adoptions, innovations).groupby("region")["lag"].mean()
    first_run = regions[regions["run"] == regions["run"].min()] if "run" in regions.columns else regions
    places = first_run.set_index("region")
    with house_style(size):
        width, height = SIZES[size]
        fig, ax = plt.subplots(figsize=(width, height * 1.15))
        for row in network.itertuples():
            if row.source in places.index and row.target in places.index:
                a, b = places.loc[row.source], places.loc[row.target]
                ax.plot([a["x"], b["x"]], [a["y"], b["y"]], color="0.75", lw=0.6,
                        ls="--" if getattr(row, "type", "land") == "sea" else "-", zorder=1)
        values = lags.reindex(places.index)
        cmap = matplotlib.colormaps["viridis_r"]
        known = values.notna().to_numpy()
        scatter = ax.scatter(places["x"][known], places["y"][known], c=values[known], cmap=cmap, s=70, zorder=3,
                             edgecolors="white", linewidths=0.6)
        if (~known).any():
            ax.scatter(places["x"][~known], places["y"][~known], c="0.85", s=70, zorder=3, label=t("never", lang))
        ftz = places["ftz"].astype(bool).to_numpy()
        ax.scatter(places["x"][ftz], places["y"][ftz], s=150, facecolors="none", edgecolors="#c0504d", lw=1.1,
                   zorder=4, label=t("ftz_marker", lang))
        for name, row in places.iterrows():
            ax.annotate(region_name(name, lang), (row["x"], row["y"]), xytext=(3, 3), textcoords="offset points",
                        fontsize=5.5, zorder=5)
        fig.colorbar(scatter, ax=ax, label=t("map_colorbar", lang), shrink=0.8)
        ax.set_aspect("equal" if places["x"].abs().max() <= 2 else 1.2)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_title(t("map_title", lang), loc="left")
        ax.legend(loc="lower left")
        fig.tight_layout()
    return fig


def region_category_heatmap(adoptions: pd.DataFrame, innovations: pd.DataFrame, lang: str = "en",
                            size: str = "page"):
    """Heatmap of the mean years from pilot to adoption, regions x categories."""
    lags = adoption_lags(adoptions, innovations)
    table = lags.pivot_table(index="region", columns="category", values="lag", aggfunc="mean")
    table = table.loc[table.mean(axis=1).sort_values().index]
    with house_style(size):
        width, height = SIZES[size]
        fig, ax = plt.subplots(figsize=(width, max(height, 0.17 * len(table) + 1.5)))
        ax.set_title(t("heatmap_title", lang), loc="left")
        if table.empty:  # e.g. a two-step run in which nobody but the pilots adopted
            ax.axis("off")
            ax.text(0.5, 0.5, t("no_adoptions", lang), ha="center", va="center", transform=ax.transAxes)
            return fig
        image = ax.imshow(table.to_numpy(float), aspect="auto", cmap="viridis_r")
        ax.set_yticks(range(len(table)), [region_name(r, lang) for r in table.index], fontsize=6)
        ax.set_xticks(range(table.shape[1]), [category_name(c, lang) for c in table.columns], rotation=35,
                      ha="right", fontsize=6.5)
        ax.grid(False)
        fig.colorbar(image, ax=ax, label=t("map_colorbar", lang), shrink=0.8)
        fig.tight_layout()
    return fig


def failures_chart(adoptions: pd.DataFrame, lang: str = "en", size: str = "page"):
    """Failures per year split into corrected and abandoned (mean over runs)."""
    frame = adoptions.assign(year=pd.to_datetime(adoptions["date"]).dt.year)
    runs = max(_runs(frame), 1)
    per_year = frame.groupby("year")[["corrected", "abandoned"]].sum() / runs
    with house_style(size):
        fig, ax = plt.subplots()
        years = per_year.index.to_numpy()
        ax.bar(years, per_year["corrected"], color=PALETTE[2], label=t("corrections", lang))
        ax.bar(years, per_year["abandoned"], bottom=per_year["corrected"], color=PALETTE[1],
               label=t("abandonments", lang))
        ax.set_ylabel(t("failures", lang))
        ax.set_xlabel(t("date", lang))
        ax.set_title(t("failures_title", lang), loc="left")
        ax.legend(loc="upper left")
        fig.tight_layout()
    return fig


def ftz_gap(coverage_by_age: pd.DataFrame, lang: str = "en", size: str = "page"):
    """The coverage gap between the FTZ group (FTZ by the end of the run) and the other regions, by years
    since pilot (mean and 90% band)."""
    frame = _old_enough(coverage_by_age)
    frame = frame.assign(gap=frame["ftz_coverage"] - frame["non_ftz_coverage"])
    with house_style(size):
        fig, ax = plt.subplots()
        _line_with_band(ax, frame, "gap", None, colour=PALETTE[1], by="years_since_pilot")
        ax.axhline(0, color="0.3", lw=0.8)
        ax.set_xlim(left=0)
        ax.set_ylabel(t("gap_age_axis", lang))
        ax.set_xlabel(t("age_axis", lang))
        _title(ax, t("gap_age_title", lang), _runs(coverage_by_age), lang)
        fig.tight_layout()
    return fig


# -------------------------------------------------------------------------------- experiment charts
def policy_compliance(compliance: pd.DataFrame, policies: pd.DataFrame | None = None, lang: str = "en",
                      size: str = "page"):
    """Compliance curves of the central policies: the share of the regions in scope that had adopted each
    policy, by months since its issue (mean and 90% band over the runs that issued it), its deadline
    marked; the share of runs in which a pilot-first policy was issued in the legend."""
    names = list(dict.fromkeys(compliance["policy"]))
    with house_style(size):
        fig, ax = plt.subplots()
        for n, name in enumerate(names):
            frame = compliance[compliance["policy"] == name]
            colour = PALETTE[n % len(PALETTE)]
            label = name
            if policies is not None and len(policies):
                mine = policies[policies["policy"] == name]
                if len(mine) and bool(mine["pilot_first"].iloc[0]):
                    label += " " + t("issued_share", lang, share=100 * mine["issued"].mean())
            _line_with_band(ax, frame, "share_complied", label, colour=colour, by="months_since_issue")
            deadline = frame["deadline_months"].dropna()
            if len(deadline):
                ax.axvline(float(deadline.iloc[0]), color=colour, lw=0.9, ls="--", zorder=0,
                           label=t("deadline", lang) if n == 0 else None)
        ax.set_ylim(0, 100)
        ax.set_xlim(left=0)
        ax.set_ylabel(t("compliance_axis", lang))
        ax.set_xlabel(t("months_since_issue", lang))
        _title(ax, t("compliance_title", lang), _runs(compliance), lang)
        ax.legend(loc="lower right")
        fig.tight_layout()
    return fig


def metric_comparison(summary: pd.DataFrame, metrics=KEY_METRICS, lang: str = "en", size: str = "page"):
    """Small multiples: each key metric's mean and 5-95% interval per scenario (from summarise_metrics)."""
    present = [m for m in metrics if m in set(summary["metric"])]
    cols = 2
    rows = int(np.ceil(len(present) / cols))
    scenarios = list(dict.fromkeys(summary["scenario"]))
    with house_style(size):
        width, _ = SIZES[size]
        fig, axes = plt.subplots(rows, cols, figsize=(width, (0.35 * len(scenarios) + 0.9) * rows + 0.5),
                                 squeeze=False)
        for k, (ax, metric) in enumerate(zip(axes.ravel(), present)):
            frame = summary[summary["metric"] == metric].set_index("scenario").loc[scenarios]
            y = np.arange(len(scenarios))
            ax.errorbar(frame["mean"], y, xerr=[frame["mean"] - frame["q05"], frame["q95"] - frame["mean"]],
                        fmt="o", capsize=3, lw=1.2, color=PALETTE[k % len(PALETTE)])
            ax.set_yticks(y, scenarios, fontsize=6.5)
            ax.invert_yaxis()
            ax.set_title(metric_label(metric, lang), fontsize=7.5, loc="left")
        for ax in axes.ravel()[len(present):]:
            ax.axis("off")
        fig.suptitle(t("comparison_title", lang), x=0.01, ha="left", fontweight="bold")
        fig.tight_layout()
    return fig


def difference_chart(differences: pd.DataFrame, metrics=KEY_METRICS, lang: str = "en", size: str = "page"):
    """Each scenario's paired difference from the reference in key metrics, with its confidence interval
    (one panel per metric; a difference whose interval excludes zero is drawn solid)."""
    import textwrap

    frame = differences[differences["metric"].isin(list(metrics)) & differences["difference"].notna()]
    shown = [m for m in metrics if m in set(frame["metric"])]   # (a metric a short run cannot measure is left out)
    cols = 2
    rows = int(np.ceil(len(shown) / cols)) or 1
    per_row = 0.35 + 0.22 * max(frame["scenario"].nunique(), 1)
    with house_style(size):
        width, height = SIZES[size]
        fig, axes = plt.subplots(rows, cols, figsize=(width, 0.9 + per_row * rows * 1.35), squeeze=False)
        for ax, metric in zip(axes.ravel(), shown):
            part = frame[frame["metric"] == metric]
            scale = 100.0 if _in_percent(metric) else 1.0
            y = np.arange(len(part))
            for k, row in enumerate(part.itertuples()):
                colour = PALETTE[0] if row.clear else "0.6"
                ax.errorbar(scale * row.difference, k, xerr=[[scale * (row.difference - row.ci_low)],
                                                             [scale * (row.ci_high - row.difference)]],
                            fmt="o", color=colour, capsize=2.5, lw=1.1)
            ax.axvline(0, color="0.3", lw=0.7)
            ax.set_yticks(y, [str(v) for v in part["scenario"]], fontsize=7)
            lines = textwrap.wrap(metric_label(metric, lang), 34 if lang == "en" else 20)
            if len(lines) > 1 and len(lines[-1]) <= 2:   # no line of a lone bracket
                last = lines.pop()
                lines[-1] += last
            lines[-1] += " (pp)" if scale == 100.0 else ""
            ax.set_title("\n".join(lines), fontsize=7, loc="left")
            ax.tick_params(axis="x", labelsize=7)
            ax.set_ylim(-0.6, len(part) - 0.4)
        for ax in axes.ravel()[len(shown):]:
            ax.axis("off")
        reference = differences["reference"].iloc[0] if len(differences) else ""
        paired = bool(differences["paired"].all()) if len(differences) else True
        fig.suptitle(t("difference_title", lang, reference=reference), x=0.01, ha="left", fontsize=9,
                     fontweight="bold")
        fig.tight_layout(rect=(0, 0.05, 1, 1))
        fig.text(0.01, 0.01, t("paired_note" if paired else "unpaired_note", lang), fontsize=6.5, color="0.3")
    return fig


def sweep_chart(points: pd.DataFrame, factor_cols: list[str], outcome: str, lang: str = "en", size: str = "page"):
    """A sweep's outcome by its factors: a line with the 5-95% band for one factor, a heatmap of the mean for
    two, and the mean against each factor (small multiples of main effects) beyond."""
    import textwrap

    frame = points[points["metric"] == outcome]
    scale = 100.0 if _in_percent(outcome) else 1.0
    label = metric_label(outcome, lang) + (" (%)" if scale == 100.0 else "")
    numeric = {f: pd.api.types.is_numeric_dtype(frame[f]) for f in factor_cols}
    with house_style(size):
        if len(factor_cols) == 2:
            fig, ax = plt.subplots()
            grid = frame.pivot_table(index=factor_cols[0], columns=factor_cols[1], values="mean", aggfunc="mean")
            image = ax.imshow(scale * grid.to_numpy(float), cmap="viridis", aspect="auto", origin="lower")
            ax.set_yticks(range(len(grid.index)), [f"{v:g}" if numeric[factor_cols[0]] else str(v) for v in grid.index])
            ax.set_xticks(range(len(grid.columns)), [f"{v:g}" if numeric[factor_cols[1]] else str(v)
                                                     for v in grid.columns])
            for (i, j), value in np.ndenumerate(scale * grid.to_numpy(float)):
                ax.text(j, i, f"{value:.1f}" if scale == 100.0 else f"{value:.2f}", ha="center", va="center",
                        fontsize=6.5, color="white" if value < np.nanmean(scale * grid.to_numpy(float)) else "black")
            ax.set_ylabel(factor_cols[0])
            ax.set_xlabel(factor_cols[1])
            fig.colorbar(image, ax=ax, label=label)
            ax.set_title("\n".join(textwrap.wrap(t("sweep_title", lang, outcome=metric_label(outcome, lang)),
                                                 52 if lang == "en" else 26)), loc="left")
        else:
            cols = min(3, max(len(factor_cols), 1))
            rows = int(np.ceil(len(factor_cols) / cols)) or 1
            width, height = SIZES[size]
            fig, axes = plt.subplots(rows, cols, figsize=(width, height * (0.55 * rows if rows > 1 else 1)),
                                     squeeze=False, sharey=True)
            for ax, factor in zip(axes.ravel(), factor_cols):
                if len(factor_cols) == 1:
                    part = frame.sort_values(factor)
                    x = part[factor] if numeric[factor] else np.arange(len(part))
                    ax.plot(x, scale * part["mean"], "-o", color=PALETTE[0], ms=3.5)
                    ax.fill_between(x, scale * part["q05"], scale * part["q95"], color=PALETTE[0], alpha=0.15, lw=0)
                else:   # main effect: the mean over the other factors at each value of this one
                    part = frame.groupby(factor)["mean"].mean()
                    x = part.index if numeric[factor] else np.arange(len(part))
                    ax.plot(x, scale * part.to_numpy(), "-o", color=PALETTE[0], ms=3.5)
                if not numeric[factor]:
                    values = sorted(frame[factor].unique(), key=str)
                    ax.set_xticks(range(len(values)), [str(v) for v in values], rotation=30, fontsize=6.5)
                ax.set_xlabel(factor, fontsize=7)
            for ax in axes.ravel()[len(factor_cols):]:
                ax.axis("off")
            axes[0, 0].set_ylabel(label)
            fig.suptitle("\n".join(textwrap.wrap(t("sweep_title", lang, outcome=metric_label(outcome, lang)),
                                                 80 if lang == "en" else 40))
                         + ("" if len(factor_cols) == 1 else "\n" + t("main_effects_note", lang)),
                         x=0.01, ha="left", fontsize=9, fontweight="bold")
        fig.tight_layout()
    return fig


def sensitivity_bars(indices: pd.DataFrame, method: str, lang: str = "en", size: str = "page"):
    """Bars of sensitivity indices with 95% confidence intervals, one panel per outcome."""
    outcomes = list(dict.fromkeys(indices["outcome"]))
    with house_style(size):
        width, _ = SIZES[size]
        fig, axes = plt.subplots(1, len(outcomes), figsize=(max(width, 3.6 * len(outcomes)),
                                                           0.42 * indices["factor"].nunique() + 1.6), squeeze=False)
        for ax, outcome in zip(axes.ravel(), outcomes):
            frame = indices[indices["outcome"] == outcome]
            y = np.arange(len(frame))
            if method == "sobol":
                ax.barh(y - 0.2, frame["S1"], 0.4, xerr=frame["S1_conf"], capsize=2, label=t("S1", lang))
                ax.barh(y + 0.2, frame["ST"], 0.4, xerr=frame["ST_conf"], capsize=2, label=t("ST", lang))
                ax.set_xlabel(t("sobol_axis", lang))
            else:
                ax.barh(y, frame["mu_star"], 0.6, xerr=frame["mu_star_conf"], capsize=2, label="mu*")
                ax.set_xlabel(t("morris_axis", lang))
            ax.set_yticks(y, [f + (t("categorical", lang) if c else "") for f, c in
                              zip(frame["factor"], frame["categorical"])], fontsize=6.5)
            ax.invert_yaxis()
            ax.set_title(metric_label(outcome, lang), fontsize=8, loc="left")
            ax.legend()
        fig.suptitle(t("sens_title", lang, method=method.title()), x=0.01, ha="left", fontweight="bold")
        fig.tight_layout()
    return fig


def prim_tradeoff(trajectory: pd.DataFrame, outcome: str, lang: str = "en", size: str = "page"):
    """PRIM peeling trajectory: coverage against density of each box, coloured by restricted dimensions."""
    with house_style(size):
        fig, ax = plt.subplots()
        points = ax.scatter(trajectory["coverage"], trajectory["density"], c=trajectory["res_dim"], cmap="viridis",
                            s=22)
        chosen = trajectory[trajectory["chosen"]]
        ax.scatter(chosen["coverage"], chosen["density"], s=120, facecolors="none", edgecolors="#c0504d", lw=1.5,
                   label=t("chosen_box", lang))
        fig.colorbar(points, ax=ax, label=t("prim_dims", lang))
        ax.set_xlabel(t("prim_coverage", lang))
        ax.set_ylabel(t("prim_density", lang))
        ax.set_title(t("prim_title", lang, outcome=metric_label(outcome, lang)), loc="left")
        ax.legend()
        fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------- a whole run
RUN_FIGURES = ("adoption_curves", "cohort_coverage", "cumulative_adoptions", "categories", "channels", "map",
               "heatmap", "failures", "ftz_gap")


FIGURE_TABLES = {   # the tables each chart of a run reads
    "adoption_curves": ("coverage_by_age",), "cohort_coverage": ("coverage_by_cohort",),
    "cumulative_adoptions": ("series",), "categories": ("coverage_by_category",), "channels": ("channels",),
    "map": ("regions", "network", "adoptions", "innovations"), "heatmap": ("adoptions", "innovations"),
    "failures": ("adoptions",), "ftz_gap": ("coverage_by_age",), "policy_compliance": ("policy_compliance",),
}


def run_figures(tables: dict[str, pd.DataFrame], lang: str = "en", size: str = "page",
                title: str | None = None) -> dict:
    """The charts of one run's tables, by name: each a function that draws its figure. A chart whose
    tables are missing (a folder written by an older version) is left out."""
    batches = tables.get("batches")
    start = projection_start(tables.get("series"))   # where the run leaves the historical record
    figures = {
        "adoption_curves": lambda: adoption_curves(tables["coverage_by_age"], title, lang, size, start),
        "cohort_coverage": lambda: cohort_curves(tables["coverage_by_cohort"], batches, lang, size, start),
        "cumulative_adoptions": lambda: cumulative_adoptions(tables["series"], batches, lang, size),
        "categories": lambda: category_curves(tables["coverage_by_category"], lang, size, start),
        "channels": lambda: channel_attribution(tables["channels"], lang, size, start),
        "map": lambda: province_map(tables["regions"], tables["network"], tables["adoptions"], tables["innovations"],
                                    lang, size),
        "heatmap": lambda: region_category_heatmap(tables["adoptions"], tables["innovations"], lang, size),
        "failures": lambda: failures_chart(tables["adoptions"], lang, size),
        "ftz_gap": lambda: ftz_gap(tables["coverage_by_age"], lang, size),
    }
    compliance = tables.get("policy_compliance")
    if compliance is not None and len(compliance):   # a scenario with central policies the centre issued
        figures["policy_compliance"] = lambda: policy_compliance(compliance, tables.get("policies"), lang, size)
    return {stem: draw for stem, draw in figures.items()
            if set(FIGURE_TABLES[stem]) <= tables.keys() and not (
                stem == "cumulative_adoptions" and "cumulative_adoptions" not in tables["series"].columns)}


def draw_run_figures(tables: dict[str, pd.DataFrame], folder: Path, lang: str = "en", size: str = "page",
                     title: str | None = None) -> list[str]:
    """Draw the chart set of one results folder's tables into ``folder``; returns the file names."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "" if lang == "en" else f"_{lang}"
    names = []
    for stem, draw in run_figures(tables, lang, size, title).items():
        names += save(draw(), folder, stem + suffix)
    return names


# ----------------------------------------------------------------------------------- calibration
def calibration_curves(curves: pd.DataFrame, lang: str = "en", size: str = "page"):
    """Observed mean cumulative adoption curve against the posterior predictive median and 90% band."""
    with house_style(size):
        fig, ax = plt.subplots()
        x = curves["time_since_introduction"]
        if "simulated_median" in curves.columns:
            ax.fill_between(x, 100 * curves["simulated_q05"], 100 * curves["simulated_q95"], color=PALETTE[0],
                            alpha=0.18, lw=0, label=t("cal_band", lang))
            ax.plot(x, 100 * curves["simulated_median"], color=PALETTE[0], label=t("cal_simulated", lang))
        ax.plot(x, 100 * curves["observed"], "o-", color=PALETTE[1], ms=3, label=t("cal_observed", lang))
        ax.set_ylim(0, 100)
        ax.set_xlabel(t("cal_time_axis", lang, months=int(curves["period_months"].iloc[0])))
        ax.set_ylabel(t("cal_curve_axis", lang))
        ax.set_title(t("cal_curves_title", lang), loc="left")
        ax.legend(loc="lower right")
        fig.tight_layout()
    return fig


def calibration_posterior(posterior: pd.DataFrame, fitted: pd.DataFrame, lang: str = "en", size: str = "page"):
    """Posterior (weighted histogram of adjusted draws, median and 90% interval) against the uniform prior."""
    names = list(fitted["parameter"])
    with house_style(size):
        width, height = SIZES[size]
        cols = min(3, len(names))
        rows = int(np.ceil(len(names) / cols))
        fig, axes = plt.subplots(rows, cols, figsize=(width, max(height * 0.6 * rows, 2.4)), squeeze=False)
        for ax, row in zip(axes.ravel(), fitted.itertuples()):
            low, high = row.prior_min, row.prior_max
            ax.hist(posterior[row.parameter], bins=20, range=(low, high), weights=posterior["weight"], density=True,
                    color=PALETTE[0], alpha=0.7, label=t("cal_posterior", lang))
            ax.axhline(1.0 / (high - low), color="0.4", ls="--", lw=1, label=t("cal_prior", lang))
            ax.axvline(row.median, color=PALETTE[1], lw=1.2)
            ax.axvspan(row.q05, row.q95, color=PALETTE[1], alpha=0.1, lw=0)
            ax.set_xlim(low, high)
            ax.set_title(row.parameter, fontsize=7.5, loc="left")
            ax.set_yticks([])
        for ax in axes.ravel()[len(names):]:
            ax.axis("off")
        axes.ravel()[0].legend(fontsize=6.5)
        fig.suptitle(t("cal_posterior_title", lang), x=0.01, ha="left", fontweight="bold")
        fig.tight_layout()
    return fig


def calibration_coefficients(event_history: pd.DataFrame, lang: str = "en", size: str = "page"):
    """Event-history logit coefficients: observed (95% CI) against the posterior predictive 90% band."""
    with house_style(size):
        fig, ax = plt.subplots()
        y = np.arange(len(event_history))
        ax.errorbar(event_history["coefficient"], y - 0.12, xerr=[event_history["coefficient"] - event_history["ci_low"],
                    event_history["ci_high"] - event_history["coefficient"]], fmt="o", color=PALETTE[1], capsize=3,
                    label=t("cal_observed_ci", lang))
        if "simulated_mean" in event_history.columns:
            ax.errorbar(event_history["simulated_mean"], y + 0.12,
                        xerr=[event_history["simulated_mean"] - event_history["simulated_q05"],
                              event_history["simulated_q95"] - event_history["simulated_mean"]],
                        fmt="s", color=PALETTE[0], capsize=3, label=t("cal_simulated_band", lang))
        ax.set_yticks(y, [t(f"cal_term_{term}", lang) for term in event_history["term"]])
        ax.invert_yaxis()
        ax.axvline(0, color="0.5", lw=0.7)
        ax.set_xlabel(t("cal_coefficient_axis", lang))
        ax.set_title(t("cal_eha_title", lang), loc="left")
        ax.legend(loc="best")
        fig.tight_layout()
    return fig
