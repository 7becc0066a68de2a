"""Publication-grade charts drawn from tidy tables (never from a live model), in English or Chinese.

Every chart function takes tables (as written to a results folder), ``lang`` ('en' or 'zh') and
``size`` ('page': 6.5 in wide, 4 in high or taller up to 9 in; 'slide': 10 x 5.625 in, 16:9) and returns a
matplotlib Figure in the house style. ``save`` writes PNG, SVG and PDF of the figure's own frame (no tight
crop, so a slide stays 16:9), each with the figure's :class:`Provenance` in its metadata.
``run_figures`` names the charts of one run and the ones that do not apply to its world, with the reason;
``draw_run_figures`` draws the whole set for one results folder.
"""

from __future__ import annotations

import os

import re
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .i18n import LABELS, category_name, channel_name, metric_label, region_name, t, use_cjk_font  # noqa: E402

SIZES = {"page": (6.5, 4.0), "slide": (10.0, 5.625)}   # a slide is 16:9
PAGE_MAX_HEIGHT = 9.0   # inches: a chart that grows with its rows stops at a printed page's text height
FORMATS = ("png", "svg", "pdf")
#: how figures are saved, inside the house style and by ``save``: the figure's own frame at print resolution
SAVE_STYLE = {"savefig.bbox": "standard", "savefig.dpi": 200}
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
        "figure.figsize": SIZES[size], "figure.dpi": 150, **SAVE_STYLE,
        "font.family": ["DejaVu Sans"] + ([cjk] if cjk else []), "font.size": 8.5 * scale,
        "axes.titlesize": 10 * scale, "axes.titleweight": "bold", "axes.labelsize": 8.5 * scale,
        "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
        "grid.linewidth": 0.6, "axes.prop_cycle": matplotlib.cycler(color=PALETTE), "legend.frameon": False,
        "legend.fontsize": 7.5 * scale, "xtick.labelsize": 7.5 * scale, "ytick.labelsize": 7.5 * scale,
        "lines.linewidth": 1.8, "svg.fonttype": "none", "pdf.fonttype": 42,
    }
    with matplotlib.rc_context(style):
        yield


@dataclass(frozen=True)
class Provenance:
    """What made a figure: the package and model versions, the scenario, its parameter hash and the root
    seed. ``save`` writes it into every file: PNG text chunks, SVG Dublin Core metadata, the PDF Info
    dictionary; ``fields()`` are the same pairs in each."""

    version: str
    scenario: str
    parameter_hash: str
    seed: int | None
    model_version: str = ""

    def __post_init__(self):
        if not self.model_version:
            from .provenance import MODEL_VERSION

            object.__setattr__(self, "model_version", MODEL_VERSION)

    def fields(self) -> dict[str, str]:
        return {"version": self.version, "model_version": self.model_version, "scenario": self.scenario,
                "parameter_hash": self.parameter_hash, "seed": "" if self.seed is None else str(self.seed)}

    def metadata(self, fmt: str) -> dict:
        """``savefig(metadata=...)`` for one format (each has its own keys: PNG free text keys, SVG the
        Dublin Core terms, PDF the Info dictionary's keys)."""
        software = f"ftz-diffusion {self.version}"
        pairs = [f"{key}={value}" for key, value in self.fields().items()]
        if fmt == "png":
            return {"Software": software, "Source": self.scenario, **self.fields()}
        if fmt == "svg":
            return {"Creator": software, "Source": self.scenario, "Identifier": self.parameter_hash,
                    "Description": "; ".join(pairs), "Keywords": pairs}
        if fmt == "pdf":
            return {"Creator": software, "Subject": self.scenario, "Keywords": "; ".join(pairs)}
        return {}


def save(fig, folder: Path, stem: str, formats=FORMATS, provenance: Provenance | None = None) -> list[str]:
    """Save a figure in every format, its own frame (no tight crop) at print resolution, with its
    provenance (model version, scenario, parameter hash, seed) in each file's metadata; returns the file
    names and closes the figure."""
    folder = Path(folder)
    names = [f"{stem}.{fmt}" for fmt in formats]
    try:
        with matplotlib.rc_context(SAVE_STYLE):
            for name, fmt in zip(names, formats):   # each file whole or not at all: written, then renamed
                tmp = folder / f".{name}.tmp"
                try:
                    fig.savefig(tmp, format=fmt, metadata=provenance.metadata(fmt) if provenance else None)
                    os.replace(tmp, folder / name)
                finally:
                    tmp.unlink(missing_ok=True)
    finally:
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


# ------------------------------------------------------------------------------------ layout
def figure_size(size: str, height: float | None = None) -> tuple[float, float]:
    """The frame of a chart: a slide's is always 16:9 (SIZES['slide']); a page's is the page width and
    ``height`` (for a chart that grows or shrinks with its rows), at most PAGE_MAX_HEIGHT."""
    width, base = SIZES[size]
    if size == "slide" or height is None:
        return width, base
    return width, float(min(height, PAGE_MAX_HEIGHT))


_BREAKABLE = r"[\u2e80-\u9fff\uf900-\ufaff]"                       # CJK: a line may break before any of these
_NO_LINE_START = set("，。、；：？！）》」』】〕,.;:?!)]}%")         # ... but not before closing punctuation


def wrap_to_width(text: str, width_in: float, fontproperties, renderer, dpi: float) -> str:
    """``text`` broken into lines no wider than ``width_in`` inches as drawn in ``fontproperties``: between
    words, or between Chinese characters; its own line breaks are kept, no line starts with closing
    punctuation or ends with an opening bracket, and no last line holds one or two Chinese characters."""
    limit = width_in * dpi

    def width(line: str) -> float:
        return renderer.get_text_width_height_descent(line, fontproperties, ismath=False)[0]

    lines = []
    for paragraph in text.split("\n"):
        if not paragraph.strip() or width(paragraph) <= limit:   # a line held open on purpose, or one that fits
            lines.append(paragraph)
            continue
        # a no-break space (U+00A0) glues its neighbours: "label\u00a0(pp)" never leaves "(pp)" alone
        tokens = re.findall(rf"{_BREAKABLE}|[^ \t\u2e80-\u9fff\uf900-\ufaff]+|[ \t]+", paragraph)
        line = ""
        for token in tokens:
            candidate = line + token
            if not line.strip() or token.isspace() or token in _NO_LINE_START or width(candidate.rstrip()) <= limit:
                line = candidate
            else:
                carried = re.search(r"[(\[{（《「『【〔]+$", line.rstrip())   # an opening bracket never ends a line
                head = line.rstrip()[:carried.start()] if carried else line.rstrip()
                lines.append(head.rstrip())
                line = (carried.group() if carried else "") + token.lstrip()
        lines.append(line.rstrip())
        # no last line of one or two Chinese characters: the line above hands its last character down
        if len(lines) > 1 and len(lines[-1]) <= 2 and re.match(_BREAKABLE, lines[-1]) \
                and re.search(rf"{_BREAKABLE}$", lines[-2]):
            lines[-2], lines[-1] = lines[-2][:-1], lines[-2][-1] + lines[-1]
    return "\n".join(lines)


def _title_room(fig, ax, loc: str) -> float:
    """Inches a title of ``ax`` may take: from the axes' left edge to the next panel on its row (or the
    figure's right edge) for a left title, the axes' width for a centred one or an x label, its height
    for a y label."""
    box = ax.get_position()
    if loc in ("center", "xlabel"):
        return box.width * fig.get_figwidth()
    if loc == "ylabel":
        return box.height * fig.get_figheight() + 0.1
    right = 1.0
    for other in fig.axes:
        place = other.get_position()
        if other is not ax and other.get_visible() and place.x0 > box.x0 + 1e-3 and abs(place.y1 - box.y1) < 0.05:
            right = min(right, place.x0)
    gap = 0.12 if right < 1.0 else 0.06
    return max((right - box.x0) * fig.get_figwidth() - gap, 0.5)


def _wrap_titles(fig, overflowing_only: bool = False) -> bool:
    """Wrap every axes title and axis label and every left-aligned figure text (suptitle, notes) to the
    room it has now (with ``overflowing_only``, only those wider than their room); whether any changed.
    Each keeps the text it was given, so wrapping again starts from it."""
    renderer = fig.canvas.get_renderer()
    items = [(ax, title, loc) for ax in fig.axes if ax.get_visible()
             for title, loc in ((ax._left_title, "left"), (ax.title, "center"), (ax.xaxis.label, "xlabel"),
                                (ax.yaxis.label, "ylabel")) if title.get_text()]
    items += [(None, text, "figure") for text in fig.texts if text.get_text() and text.get_ha() == "left"]
    changed = False
    for ax, text, loc in items:
        given, produced = getattr(text, "_given_and_wrapped", (None, None))
        if text.get_text() != produced:   # set anew since the last wrap
            given = text.get_text()
        if ax is None:
            x = text.get_transform().transform(text.get_position())[0] / fig.bbox.width
            room = (1.0 - x) * fig.get_figwidth() - 0.06
        else:
            room = _title_room(fig, ax, loc)
        if overflowing_only and all(renderer.get_text_width_height_descent(line, text.get_fontproperties(), False)[0]
                                    <= room * fig.dpi for line in text.get_text().split("\n")):
            continue
        wrapped = wrap_to_width(given, room, text.get_fontproperties(), renderer, fig.dpi)
        text._given_and_wrapped = (given, wrapped)
        if wrapped != text.get_text():
            text.set_text(wrapped)
            changed = True
    return changed


def scenario_label(name, titles: dict | None) -> str:
    """How a chart names a scenario: its title where ``titles`` (scenario -> title) has one, else its name."""
    return str((titles or {}).get(name) or name)


def _wrapped_legend(ax, width_in: float, **kwargs):
    """A legend whose labels are wrapped to ``width_in`` inches (long scenario titles stay narrow)."""
    handles, labels = ax.get_legend_handles_labels()
    prop = matplotlib.font_manager.FontProperties(size=kwargs.get("fontsize", matplotlib.rcParams["legend.fontsize"]))
    renderer = ax.figure.canvas.get_renderer()
    labels = [wrap_to_width(label, width_in, prop, renderer, ax.figure.dpi) for label in labels]
    return ax.legend(handles, labels, **kwargs)


def _covers_data(ax, box) -> bool:
    """Whether a box (display pixels) lies over data the axes draws: a line, marker, error bar, band,
    area, bar or image (reference lines and shading across the axes do not count)."""
    from matplotlib.collections import LineCollection, PathCollection, PolyCollection
    from matplotlib.patches import Rectangle

    def in_data(artist) -> bool:
        return artist.get_visible() and artist.get_transform() == ax.transData

    pad = 2.0
    for line in ax.get_lines():
        if not in_data(line):
            continue
        path = line.get_transform().transform_path(line.get_path()).cleaned(remove_nans=True)
        if line.get_linestyle() not in ("None", "none", "", " ") and len(path.vertices) > 1:
            if path.intersects_bbox(box, filled=False):
                return True
        radius = line.get_markersize() * ax.figure.dpi / 72 / 2 if line.get_marker() not in (None, "None", "") else 0
        grown = box.expanded(1, 1).padded(radius + pad)
        if radius and grown.count_contains(path.vertices):
            return True
    for collection in ax.collections:
        if not collection.get_visible():
            continue
        if isinstance(collection, PathCollection):
            offsets = collection.get_offset_transform().transform(np.asarray(collection.get_offsets(), float))
            if box.padded(pad + 4).count_contains(offsets[np.isfinite(offsets).all(axis=1)]):
                return True
        elif isinstance(collection, (LineCollection, PolyCollection)) and in_data(collection):
            filled = isinstance(collection, PolyCollection)
            for path in collection.get_paths():
                if collection.get_transform().transform_path(path).intersects_bbox(box, filled=filled):
                    return True
    for patch in ax.patches:
        if (isinstance(patch, Rectangle) and patch.get_visible() and patch.get_data_transform() == ax.transData
                and patch.get_width() and patch.get_height() and box.overlaps(patch.get_window_extent())):
            return True
    return any(image.get_visible() and box.overlaps(image.get_window_extent()) for image in ax.images)


def _clear_legends(fig) -> bool:
    """Move each axes legend that covers data: first where matplotlib finds the least data ('best'), and
    if that too covers data, beside the axes on the right; whether any moved."""
    renderer = fig.canvas.get_renderer()
    moved = False
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None or getattr(legend, "_outside", False):
            continue
        if not _covers_data(ax, legend.get_window_extent(renderer)):
            continue
        legend.set_loc("best")
        if _covers_data(ax, legend.get_window_extent(renderer)):
            legend.set_loc("upper left")
            legend.set_bbox_to_anchor((1.01, 1.0), transform=ax.transAxes)
            legend._outside = True
        moved = True
    return moved


def finish(fig, rect=None) -> None:
    """Lay a figure out so that nothing is cut off or hidden: every title wrapped to the room it has, the
    panels fitted (tight_layout), and every legend moved off the data; laid out again if either changed."""
    _wrap_titles(fig)
    fig.tight_layout(rect=rect)
    wrapped = _wrap_titles(fig, overflowing_only=True)   # the panels moved: a title may have less room now
    moved = _clear_legends(fig)
    if wrapped or moved:
        fig.tight_layout(rect=rect)
        if _wrap_titles(fig, overflowing_only=True):
            fig.tight_layout(rect=rect)


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
        # a world without FTZs (or of FTZs only) has one group, the same as all regions: no group curves
        groups = frame["ftz_coverage"].notna().any() and frame["non_ftz_coverage"].notna().any()
        for column, key, style in (("coverage", "all_regions", "-"), ("ftz_coverage", "ftz_group", "--"),
                                   ("non_ftz_coverage", "non_ftz_group", ":"))[:3 if groups else 1]:
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
        finish(fig)
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
        if ax.get_legend_handles_labels()[0]:   # no cohort old enough yet: no legend
            ax.legend(title=t("cohort_legend", lang), loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=6.5,
                      title_fontsize=7)
        finish(fig)
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
        finish(fig)
    return fig


def scenario_curves(series: pd.DataFrame, lang: str = "en", size: str = "page", titles: dict | None = None):
    """One curve per scenario (column ``scenario``) with its 90% band over runs: the adoptions kept so far,
    which no birth of an innovation can lower (series without that column: coverage over the innovations
    piloted so far, labelled so). ``titles`` names the scenarios in the legend (scenario -> its title in
    ``lang``; default: the scenario names)."""
    cumulative = "cumulative_adoptions" in series.columns
    column = "cumulative_adoptions" if cumulative else "coverage"
    with house_style(size):
        fig, ax = plt.subplots()
        for name, frame in series.groupby("scenario", sort=False):
            _line_with_band(ax, frame, column, scenario_label(name, titles), scale=1.0 if cumulative else 100.0)
        if cumulative:
            ax.set_ylim(bottom=0)
        else:
            ax.set_ylim(0, 100)
        ax.set_ylabel(t("cumulative_axis" if cumulative else "coverage_so_far_axis", lang))
        ax.set_xlabel(t("date", lang))
        ax.set_title(t("scenario_cumulative_title" if cumulative else "scenario_curves_title", lang), loc="left")
        _wrapped_legend(ax, loc="upper left" if cumulative else "lower right", width_in=0.42 * SIZES[size][0])
        finish(fig)
    return fig


def category_curves(coverage_by_category: pd.DataFrame, lang: str = "en", size: str = "page",
                    projection_from: pd.Timestamp | None = None):
    """Small multiples: coverage over time for each innovation category that has innovations (mean and 90%
    band)."""
    import matplotlib.dates as mdates

    piloted = coverage_by_category[coverage_by_category["coverage"].notna()]   # a category none was piloted in
    categories = list(dict.fromkeys(piloted["category"]))                     # has no curve: no panel
    cols = min(4, max(len(categories), 1))
    rows = int(np.ceil(len(categories) / cols)) or 1
    with house_style(size):
        fig, axes = plt.subplots(rows, cols, figsize=figure_size(size, SIZES[size][1] * 0.55 * rows + 0.6),
                                 sharex=True, sharey=True, squeeze=False)
        for ax, category in zip(axes.ravel(), categories):
            frame = coverage_by_category[coverage_by_category["category"] == category]
            _line_with_band(ax, frame, "coverage", None, colour=PALETTE[0])
            _shade_projection(ax, projection_from, lang)
            ax.set_title(category_name(category, lang), fontsize=7.5, loc="left")
            ax.set_ylim(0, 100)
            # a few year ticks, level: a quarter of a page is too narrow for one every second year
            ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=2, maxticks=5))
        for k, ax in enumerate(axes.ravel()[len(categories):], start=len(categories)):
            ax.axis("off")
            axes.ravel()[k - cols].xaxis.set_tick_params(labelbottom=True)   # the panel above keeps its dates
        for ax in axes[:, 0]:
            ax.set_ylabel(t("coverage_axis", lang), fontsize=7)
        title = fig.suptitle(t("category_title", lang) + "\n ", x=0.01, ha="left", fontweight="bold")
        finish(fig)
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
        finish(fig)
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


def region_map(values: pd.Series, regions: pd.DataFrame, network: pd.DataFrame, title: str, label: str,
               lang: str = "en", size: str = "page", cmap: str = "viridis_r", norm=None):
    """A regional metric on the map: a choropleth of the provinces or of the prefecture-level regions
    (diffusion/maps.py) when the regions are real ones, else the network at its layout coordinates, each
    region a dot coloured by its value. ``values`` is indexed by region name; NaN is drawn as 'never'."""
    from matplotlib.collections import LineCollection

    from . import geo, maps

    first_run = regions[regions["run"] == regions["run"].min()] if "run" in regions.columns else regions
    places = first_run.set_index("region")
    values = values.reindex(places.index)
    level = geo.level_of(places.index)
    with house_style(size):
        width, height = figure_size(size, SIZES[size][1] * 1.15)
        fig, ax = plt.subplots(figsize=(width, height))
        ax.set_title(title, loc="left")
        if level is not None:
            ftz = places.index[places["ftz"].astype(bool).to_numpy()]
            maps.choropleth(ax, values, level=level, cmap=cmap, label=label, lang=lang, ftz=ftz,
                            missing_label=t("never", lang), norm=norm)
            finish(fig)
            return fig
        ties = [(row.source, row.target, getattr(row, "type", "land")) for row in network.itertuples()
                if row.source in places.index and row.target in places.index]
        dense = len(ties) > 6 * len(places)       # a complete graph's ties would paint a grey disc
        if dense:
            ax.text(0.0, -0.02, t("ties_not_drawn", lang, ties=len(ties)), transform=ax.transAxes, fontsize=6.5,
                    color="0.35", va="top")
        for kind, style in (("land", "-"), ("sea", "--")) if not dense else ():   # one collection per style
            segments = [[(places.at[a, "x"], places.at[a, "y"]), (places.at[b, "x"], places.at[b, "y"])]
                        for a, b, k in ties if (k == "sea") == (kind == "sea")]
            if segments:
                ax.add_collection(LineCollection(segments, colors="0.75", linewidths=0.6, linestyles=style, zorder=1))
        colours = matplotlib.colormaps[cmap]
        known = values.notna().to_numpy()
        scatter = ax.scatter(places["x"][known], places["y"][known], c=values[known], cmap=colours, norm=norm, s=70,
                             zorder=3, edgecolors="white", linewidths=0.6)
        if (~known).any():
            ax.scatter(places["x"][~known], places["y"][~known], c="0.85", s=70, zorder=3, label=t("never", lang))
        ftz = places["ftz"].astype(bool).to_numpy()
        if ftz.any():
            ax.scatter(places["x"][ftz], places["y"][ftz], s=150, facecolors="none", edgecolors="#c0504d", lw=1.1,
                       zorder=4, label=t("ftz_marker", lang))
        if len(places) <= 60:   # names stay readable up to about the provincial scale
            for name, row in places.iterrows():
                ax.annotate(region_name(name, lang), (row["x"], row["y"]), xytext=(3, 3),
                            textcoords="offset points", fontsize=5.5, zorder=5)
        fig.colorbar(scatter, ax=ax, label=label, shrink=0.8)
        ax.set_aspect("equal" if places["x"].abs().max() <= 2 else 1.2)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if (~known).any() or ftz.any():
            ax.legend(loc="lower left")
        finish(fig)
    return fig


def province_map(regions: pd.DataFrame, network: pd.DataFrame, adoptions: pd.DataFrame, innovations: pd.DataFrame,
                 lang: str = "en", size: str = "page"):
    """Map of the mean years from pilot to adoption per region (over runs and innovations)."""
    lags = adoption_lags(adoptions, innovations).groupby("region")["lag"].mean()
    return region_map(lags, regions, network, t("map_title", lang), t("map_colorbar", lang), lang, size)


def coverage_map(coverage_by_region: pd.DataFrame, regions: pd.DataFrame, network: pd.DataFrame,
                 lang: str = "en", size: str = "page"):
    """Map of each region's coverage at the end of the run: the share of the innovations born that it
    adopted and kept (mean over runs), on a fixed 0-100% scale."""
    last = coverage_by_region[coverage_by_region["step"] == coverage_by_region["step"].max()]
    shares = 100 * last.groupby("region")["coverage"].mean()
    return region_map(shares, regions, network, t("coverage_map_title", lang), t("coverage_axis", lang), lang, size,
                      cmap="viridis", norm=matplotlib.colors.Normalize(0, 100))


def region_category_heatmap(adoptions: pd.DataFrame, innovations: pd.DataFrame, lang: str = "en",
                            size: str = "page"):
    """Heatmap of the mean years from pilot to adoption, regions x categories (regions fastest first; where
    there are more rows than labels fit, every k-th row is labelled)."""
    lags = adoption_lags(adoptions, innovations)
    table = lags.pivot_table(index="region", columns="category", values="lag", aggfunc="mean")
    table = table.loc[table.mean(axis=1).sort_values().index]
    with house_style(size):
        fig, ax = plt.subplots(figsize=figure_size(size, 0.17 * len(table) + 1.5))
        ax.set_title(t("heatmap_title", lang), loc="left")
        if table.empty:  # e.g. a two-step run in which nobody but the pilots adopted
            ax.axis("off")
            ax.text(0.5, 0.5, t("no_adoptions", lang), ha="center", va="center", transform=ax.transAxes)
            return fig
        image = ax.imshow(table.to_numpy(float), aspect="auto", cmap="viridis_r", interpolation="nearest")
        label_in = 6 * 1.25 / 72                                 # a 6-point label and its leading
        every = max(1, int(np.ceil(len(table) * label_in / (fig.get_figheight() - 1.7))))
        rows = range(0, len(table), every)
        ax.set_yticks(list(rows), [region_name(table.index[k], lang) for k in rows], fontsize=6)
        ax.set_xticks(range(table.shape[1]), [category_name(c, lang) for c in table.columns], rotation=35,
                      ha="right", fontsize=6.5)
        ax.grid(False)
        fig.colorbar(image, ax=ax, label=t("map_colorbar", lang), shrink=0.8)
        finish(fig)
    return fig


def failures_chart(adoptions: pd.DataFrame, lang: str = "en", size: str = "page"):
    """Failures per year split into corrected and abandoned (mean over runs), a bar per calendar year on a
    date axis."""
    frame = adoptions.assign(year=pd.to_datetime(adoptions["date"]).dt.year)
    runs = max(_runs(frame), 1)
    per_year = frame.groupby("year")[["corrected", "abandoned"]].sum() / runs
    with house_style(size):
        fig, ax = plt.subplots()
        years = pd.to_datetime([f"{year}-07-01" for year in per_year.index])   # the middle of each year
        ax.bar(years, per_year["corrected"], width=300, color=PALETTE[2], label=t("corrections", lang))
        ax.bar(years, per_year["abandoned"], width=300, bottom=per_year["corrected"], color=PALETTE[1],
               label=t("abandonments", lang))
        ax.set_ylabel(t("failures", lang))
        ax.set_xlabel(t("date", lang))
        ax.set_title(t("failures_title", lang), loc="left")
        ax.legend(loc="upper left")
        finish(fig)
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
        finish(fig)
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
        _wrapped_legend(ax, width_in=0.45 * SIZES[size][0], loc="lower right")
        finish(fig)
    return fig


def _scenario_grid(size: str, panels: int, scenarios: list, titles: dict | None, fontsize: float):
    """Small multiples sharing one row per scenario, its title wrapped on the left of each row of panels:
    2 columns on a page, 3 on a slide; the figure as tall as the labels need (a page up to its maximum),
    the labels' font smaller where a frame cannot hold them. Returns the figure, the axes, the labels and
    their font size."""
    from matplotlib.backends.backend_agg import RendererAgg

    cols = min(3 if size == "slide" else 2, max(panels, 1))
    rows = int(np.ceil(panels / cols)) or 1
    renderer, width = RendererAgg(10, 10, 150), (0.2 if size == "slide" else 0.24) * SIZES[size][0]

    def labelled(points: float):
        prop = matplotlib.font_manager.FontProperties(size=points)
        labels = [wrap_to_width(scenario_label(name, titles), width, prop, renderer, 150) for name in scenarios]
        lines = max([label.count("\n") + 1 for label in labels] or [1])
        return labels, len(scenarios) * (lines * points * 1.3 / 72 + 0.05)   # inches the rows need

    labels, needed = labelled(fontsize)
    frame = SIZES["slide"][1] if size == "slide" else PAGE_MAX_HEIGHT
    while needed > (frame - 0.9) / rows - 0.85 and fontsize > 5.0:
        fontsize -= 0.5
        labels, needed = labelled(fontsize)
    height = None if size == "slide" else rows * (max(needed, 0.6) + 0.85) + 0.9
    fig, axes = plt.subplots(rows, cols, figsize=figure_size(size, height), squeeze=False, sharey=True)
    for ax in axes.ravel():
        ax.set_yticks(np.arange(len(scenarios)), labels, fontsize=fontsize)
        ax.set_ylim(len(scenarios) - 0.5, -0.5)
    for ax in axes.ravel()[panels:]:
        ax.axis("off")
    for ax in axes.ravel()[max(panels - cols, 0):panels]:   # the lowest panel of each column shows its ticks
        ax.xaxis.set_tick_params(labelbottom=True)
    return fig, axes, labels, fontsize


def metric_comparison(summary: pd.DataFrame, metrics=KEY_METRICS, lang: str = "en", size: str = "page",
                      titles: dict | None = None):
    """Small multiples: each key metric's mean and 5-95% interval per scenario (from summarise_metrics),
    the scenarios named by ``titles`` (scenario -> its title; default: the names)."""
    present = [m for m in metrics if m in set(summary["metric"])]
    scenarios = list(dict.fromkeys(summary["scenario"]))
    with house_style(size):
        fig, axes, _, _ = _scenario_grid(size, len(present), scenarios, titles, 6.5)
        for k, (ax, metric) in enumerate(zip(axes.ravel(), present)):
            frame = summary[summary["metric"] == metric].set_index("scenario").loc[scenarios]
            y = np.arange(len(scenarios))
            ax.errorbar(frame["mean"], y, xerr=[frame["mean"] - frame["q05"], frame["q95"] - frame["mean"]],
                        fmt="o", capsize=3, lw=1.2, color=PALETTE[k % len(PALETTE)])
            ax.set_title(metric_label(metric, lang), fontsize=7.5, loc="left")
        fig.suptitle(t("comparison_title", lang), x=0.01, ha="left", fontweight="bold")
        finish(fig)
    return fig


def difference_chart(differences: pd.DataFrame, metrics=KEY_METRICS, lang: str = "en", size: str = "page",
                     titles: dict | None = None):
    """Each scenario's paired difference from the reference in key metrics, with its confidence interval
    (one panel per metric; a difference whose interval excludes zero is drawn solid); the scenarios and
    the reference named by ``titles`` (scenario -> its title; default: the names)."""
    frame = differences[differences["metric"].isin(list(metrics)) & differences["difference"].notna()]
    shown = [m for m in metrics if m in set(frame["metric"])]   # (a metric a short run cannot measure is left out)
    scenarios = list(dict.fromkeys(frame["scenario"]))
    with house_style(size):
        fig, axes, _, _ = _scenario_grid(size, len(shown), scenarios, titles, 7)
        for ax, metric in zip(axes.ravel(), shown):
            part = frame[frame["metric"] == metric]
            scale = 100.0 if _in_percent(metric) else 1.0
            for row in part.itertuples():
                colour = PALETTE[0] if row.clear else "0.6"
                ax.errorbar(scale * row.difference, scenarios.index(row.scenario),
                            xerr=[[scale * (row.difference - row.ci_low)], [scale * (row.ci_high - row.difference)]],
                            fmt="o", color=colour, capsize=2.5, lw=1.1)
            ax.axvline(0, color="0.3", lw=0.7)
            # the unit stays on the label's last line (a no-break space), never a line of its own
            ax.set_title(metric_label(metric, lang) + ("\u00a0(pp)" if scale == 100.0 else ""), fontsize=7, loc="left")
            ax.tick_params(axis="x", labelsize=7)
        reference = differences["reference"].iloc[0] if len(differences) else ""
        paired = bool(differences["paired"].all()) if len(differences) else True
        fig.suptitle(t("difference_title", lang, reference=scenario_label(reference, titles)), x=0.01, ha="left",
                     fontsize=9, fontweight="bold")
        fig.text(0.01, 0.01, t("paired_note" if paired else "unpaired_note", lang), fontsize=6.5, color="0.3")
        finish(fig, rect=(0, 0.05, 1, 1))
    return fig


def sweep_chart(points: pd.DataFrame, factor_cols: list[str], outcome: str, lang: str = "en", size: str = "page"):
    """A sweep's outcome by its factors: a line with the 5-95% band for one factor, a heatmap of the mean for
    two, and the mean against each factor (small multiples of main effects) beyond."""
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
            ax.grid(False)
            ax.set_title(t("sweep_title", lang, outcome=metric_label(outcome, lang)), loc="left")
        else:
            cols = min(3, max(len(factor_cols), 1))
            rows = int(np.ceil(len(factor_cols) / cols)) or 1
            height = SIZES[size][1] * (0.55 * rows if rows > 1 else 1)
            fig, axes = plt.subplots(rows, cols, figsize=figure_size(size, height), squeeze=False, sharey=True)
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
            fig.suptitle(t("sweep_title", lang, outcome=metric_label(outcome, lang))
                         + ("" if len(factor_cols) == 1 else "\n" + t("main_effects_note", lang)),
                         x=0.01, ha="left", fontsize=9, fontweight="bold")
        finish(fig)
    return fig


def sensitivity_bars(indices: pd.DataFrame, method: str, lang: str = "en", size: str = "page"):
    """Bars of sensitivity indices with 95% confidence intervals, one panel per outcome (the factors named
    once, on the left), one legend for all below the panels, clear of the bars."""
    outcomes = list(dict.fromkeys(indices["outcome"]))
    with house_style(size):
        fig, axes = plt.subplots(1, len(outcomes), figsize=figure_size(size, 0.42 * indices["factor"].nunique() + 1.9),
                                 squeeze=False, sharey=True)
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
            ax.set_ylim(len(frame) - 0.5, -0.5)
            ax.set_title(metric_label(outcome, lang), fontsize=8, loc="left")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower left", bbox_to_anchor=(0.01, 0.0), ncol=len(labels))
        fig.suptitle(t("sens_title", lang, method=method.title()), x=0.01, ha="left", fontweight="bold")
        finish(fig, rect=(0, 0.07 if size == "page" else 0.06, 1, 1))
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
        finish(fig)
    return fig


# ------------------------------------------------------------------------------------- a whole run
RUN_FIGURES = ("adoption_curves", "cohort_coverage", "cumulative_adoptions", "categories", "channels", "map",
               "coverage_map", "heatmap", "failures", "ftz_gap")


FIGURE_TABLES = {   # the tables each chart of a run reads
    "adoption_curves": ("coverage_by_age",), "cohort_coverage": ("coverage_by_cohort",),
    "cumulative_adoptions": ("series",), "categories": ("coverage_by_category",), "channels": ("channels",),
    "map": ("regions", "network", "adoptions", "innovations"), "coverage_map": ("coverage_by_region", "regions", "network"),
    "heatmap": ("adoptions", "innovations"),
    "failures": ("adoptions",), "ftz_gap": ("coverage_by_age",), "policy_compliance": ("policy_compliance",),
}


class ChartSet(dict):
    """Charts by name, each a function that draws its figure, and ``skipped``: the charts left out, by
    name, with the reason in the charts' language (for the manifest, the report and the command line)."""

    def __init__(self, draws=(), skipped: dict[str, str] | None = None):
        super().__init__(draws)
        self.skipped = dict(skipped or {})


def _not_applicable(tables: dict[str, pd.DataFrame], lang: str) -> dict[str, str]:
    """The run charts that do not apply to the world the tables come from, with the reason."""
    out = {}
    for stem, needed in FIGURE_TABLES.items():
        missing = [name for name in needed if name not in tables]
        if missing:
            out[stem] = t("skip_missing_tables", lang, tables=", ".join(missing))
    if "series" in tables and "cumulative_adoptions" not in tables["series"].columns:
        out["cumulative_adoptions"] = t("skip_missing_tables", lang, tables="series.cumulative_adoptions")
    by_age = tables.get("coverage_by_age")
    if by_age is not None and "ftz_gap" not in out:
        if not by_age["ftz_coverage"].notna().any():
            out["ftz_gap"] = t("skip_no_ftz", lang)
        elif not by_age["non_ftz_coverage"].notna().any():
            out["ftz_gap"] = t("skip_all_ftz", lang)
    categories = tables.get("coverage_by_category")
    if categories is not None and not categories["coverage"].notna().any():
        out["categories"] = t("skip_no_innovations", lang)
    adoptions = tables.get("adoptions")
    if adoptions is not None and "failures" not in out and not (adoptions["corrected"].any() or adoptions["abandoned"].any()):
        out["failures"] = t("skip_no_failures", lang)
    policies, compliance = tables.get("policies"), tables.get("policy_compliance")
    if compliance is None or not len(compliance):
        out["policy_compliance"] = t("skip_no_policies" if policies is None or not len(policies) else
                                     "skip_not_issued", lang)
    return out


def run_figures(tables: dict[str, pd.DataFrame], lang: str = "en", size: str = "page",
                title: str | None = None) -> ChartSet:
    """The charts of one run's tables, by name: each a function that draws its figure. A chart that does
    not apply to the run's world (no FTZs: no FTZ gap; no failures: no failures chart; no central policy
    issued: no compliance curves) or whose tables are missing (a folder written by an older version) is
    left out, and named in ``skipped`` with the reason."""
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
        "coverage_map": lambda: coverage_map(tables["coverage_by_region"], tables["regions"], tables["network"], lang,
                                             size),
        "heatmap": lambda: region_category_heatmap(tables["adoptions"], tables["innovations"], lang, size),
        "failures": lambda: failures_chart(tables["adoptions"], lang, size),
        "ftz_gap": lambda: ftz_gap(tables["coverage_by_age"], lang, size),
        "policy_compliance": lambda: policy_compliance(tables["policy_compliance"], tables.get("policies"), lang, size),
    }
    skipped = _not_applicable(tables, lang)
    return ChartSet({stem: draw for stem, draw in figures.items() if stem not in skipped}, skipped)


def draw_run_figures(tables: dict[str, pd.DataFrame], folder: Path, lang: str = "en", size: str = "page",
                     title: str | None = None, provenance: Provenance | None = None) -> list[str]:
    """Draw the chart set of one results folder's tables into ``folder``, each file carrying
    ``provenance``; returns the file names (``run_figures(...).skipped`` says which were left out, why)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "" if lang == "en" else f"_{lang}"
    names = []
    for stem, draw in run_figures(tables, lang, size, title).items():
        names += save(draw(), folder, stem + suffix, provenance=provenance)
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
        finish(fig)
    return fig


def calibration_posterior(posterior: pd.DataFrame, fitted: pd.DataFrame, lang: str = "en", size: str = "page"):
    """Posterior (weighted histogram of adjusted draws, median and 90% interval) against the uniform prior."""
    names = list(fitted["parameter"])
    with house_style(size):
        width, height = SIZES[size]
        cols = min(3, len(names))
        rows = int(np.ceil(len(names) / cols))
        fig, axes = plt.subplots(rows, cols, figsize=figure_size(size, max(height * 0.6 * rows, 2.4)), squeeze=False)
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
        finish(fig)
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
        ax.set_yticks(y, [t(f"cal_term_{term}", lang) if f"cal_term_{term}" in LABELS else term   # a covariate
                          for term in event_history["term"]])
        ax.invert_yaxis()
        ax.axvline(0, color="0.5", lw=0.7)
        ax.set_xlabel(t("cal_coefficient_axis", lang))
        ax.set_title(t("cal_eha_title", lang), loc="left")
        ax.legend(loc="best")
        finish(fig)
    return fig


def forecast_curves(curves: pd.DataFrame, lang: str = "en", size: str = "page", backtest: pd.DataFrame | None = None):
    """Observed cumulative adoption (share of region-policy pairs) and each design's forecast from the end
    of the data: median with 50% and 90% bands across posterior draws; a backtest also shows what
    happened after its cut-off."""
    with house_style(size):
        fig, ax = plt.subplots()
        designs = list(dict.fromkeys(curves["design"]))
        first = curves[curves["design"] == designs[0]]
        history = first[~first["forecast"]]
        for k, design in enumerate(designs):
            part = curves[(curves["design"] == design) & curves["forecast"]]
            if not len(part):
                continue
            x = pd.to_datetime(pd.concat([history["date"].tail(1), part["date"]]))
            join = history.tail(1)
            def band(column):
                return 100 * np.r_[join["observed"].to_numpy(), part[column].to_numpy()]
            color = PALETTE[k % len(PALETTE)]
            ax.fill_between(x, band("q05"), band("q95"), color=color, alpha=0.12, lw=0,
                            label=t("forecast_band90", lang) if k == 0 else None)
            ax.fill_between(x, band("q25"), band("q75"), color=color, alpha=0.22, lw=0,
                            label=t("forecast_band50", lang) if k == 0 else None)
            ax.plot(x, band("q50"), color=color, lw=1.6, label=textwrap.fill(design, 28) if len(designs) > 1
                    else t("forecast_median", lang))
        ax.plot(pd.to_datetime(history["date"]), 100 * history["observed"], color="0.15", lw=1.8,
                label=t("cal_observed", lang))
        if backtest is not None and len(backtest):
            ax.plot(pd.to_datetime(backtest["date"]), 100 * backtest["observed"], "o", color="0.15", ms=3,
                    mfc="white", label=t("forecast_held_out", lang))
        ax.axvline(pd.to_datetime(history["date"].iloc[-1]), color="0.5", ls=":", lw=1)
        top = 100 * float(np.nanmax(curves[["q95", "observed"]].to_numpy(float)))
        ax.set_ylim(0, min(100.0, max(10.0, 10 * np.ceil(top * 1.15 / 10))))
        ax.set_ylabel(t("forecast_axis", lang))
        ax.set_title(t("forecast_backtest_title" if backtest is not None else "forecast_title", lang), loc="left")
        ax.legend(loc="upper left", fontsize=7)
        finish(fig)
    return fig


def forecast_differences(differences: pd.DataFrame, lang: str = "en", size: str = "page"):
    """Each design's paired difference from the first in the share of pairs adopted at the horizon:
    median and 90% interval across posterior draws."""
    with house_style(size):
        fig, ax = plt.subplots()
        y = np.arange(len(differences))
        median, low, high = (100 * differences[c].to_numpy(float) for c in ("median", "q05", "q95"))
        ax.errorbar(median, y, xerr=np.vstack([median - low, high - median]), fmt="o", color=PALETTE[0], capsize=3)
        ax.axvline(0, color="0.4", lw=0.8)
        ax.set_yticks(y, [textwrap.fill(str(d), 30) for d in differences["design"]])
        ax.set_ylim(len(y) - 0.4 + max(0, 2 - len(y)), -0.6 - max(0, 2 - len(y)))   # first on top, rows close
        ax.set_xlabel(t("forecast_difference_axis", lang, reference=differences["reference"].iloc[0]))
        ax.set_title(t("forecast_differences_title", lang), loc="left")
        finish(fig)
    return fig
