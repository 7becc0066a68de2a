"""The teaching app: the model live in the browser, for a class on a projector or on a classroom network.

``diffusion app [SCENARIO] [--lang en|zh] [--port P] [--host ADDRESS]`` calls :func:`serve`, which runs
Solara's server (uvicorn) inside that process, on 127.0.0.1 by default: Ctrl+C, ``kill``, a closed terminal
and the death of the parent process stop it, and nothing is left listening. The server answers only requests addressed to it by a
loopback name or an IP address (no DNS rebinding) and WebSockets from its own pages, and it asks the
internet for nothing: Solara's telemetry and CDN fetches are off, its front end comes from the installed
``solara-assets``.

The page is built from Solara components around a Mesa model (:class:`AppModel`): the province map filled
by adoption share (diffusion/maps.py; a synthetic network is drawn at its layout), the adoption curves,
the channel attribution, the controls with their values, and a what-if mode that runs the settings and
one changed setting side by side with common random numbers (same seed and replicate:
diffusion/streams.py), so that the difference shows the change, not the luck. Changed settings take
effect when Apply restarts the run, and the page says so. Every word on it follows the language.
"""

from __future__ import annotations

import ctypes
import io
import ipaddress
import os
import signal
import sys
import threading
import time
import warnings
from dataclasses import dataclass, replace
from typing import Any, Callable, Literal

import matplotlib
import matplotlib.dates
import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure

from .charts import CHANNEL_COLOURS, PALETTE, house_style
from .i18n import LANGS, category_name, channel_name, region_name, t
from .model import DiffusionModel
from .params import CHANNELS, COMPENSATION_MODES, FEEDBACK_MODES, LEADERSHIP_MODELS, with_changes
from .scenario import Scenario, load_scenario

SCENARIO_ENV = "FTZ_DIFFUSION_SCENARIO"
LANG_ENV = "FTZ_DIFFUSION_LANG"
NETWORKS = ("provinces", "small_world", "scale_free", "random", "complete")   # the app's network choices
ALL = "all"
PLAY_SECONDS = 0.25      # pause between steps while playing (drawing a step takes longer)
FIGURE_DPI = 120
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
STOPPING = threading.Event()   # set when the server stops: every page's play loop ends with it
COLON = {"en": ": ", "zh": ":"}


# ------------------------------------------------------------------------------------------ controls
@dataclass(frozen=True)
class Control:
    """One control of the page: the parameter it sets, how it is shown, and whether it can be the
    changed setting of a what-if comparison."""

    name: str                                  # keyword of AppModel, key of a settings dict
    path: str | None                           # dotted parameter (None: the seed)
    kind: Literal["slider", "integer", "choice", "switch"]
    label: str                                 # i18n key
    high: float = 1.0                          # sliders: the top of the range (or the scenario's value)
    step: float = 0.05
    choices: tuple[str, ...] = ()
    lever: bool = True

    def text(self, value: Any, lang: str) -> str:
        """The value as the page shows it."""
        if self.kind == "choice":
            return choice_label(value, lang)
        if self.kind == "switch":
            return t("app_on" if value else "app_off", lang)
        if self.kind == "integer":
            return str(int(value))
        return f"{float(value):.{2 if self.step < 0.1 else 1}f}"


CONTROLS: tuple[Control, ...] = (
    Control("seed", None, "integer", "app_seed", high=99, step=1, lever=False),
    Control("mandate", "channels.mandate.enabled", "switch", "app_mandate"),
    Control("leadership", "institutions.leadership", "choice", "app_leadership", choices=LEADERSHIP_MODELS),
    Control("fault_tolerance", "institutions.fault_tolerance", "slider", "app_fault_tolerance", 1.0, 0.05),
    Control("feedback", "institutions.feedback", "choice", "app_feedback", choices=FEEDBACK_MODES),
    Control("learning_weight", "channels.learning.weight_per_year", "slider", "app_learning", 4.0, 0.05),
    Control("competition_weight", "channels.competition.weight_per_year", "slider", "app_competition", 2.0, 0.02),
    Control("mandate_weight", "channels.mandate.weight_per_year", "slider", "app_mandate_weight", 8.0, 0.1),
    Control("assessment_weight", "institutions.incentives.assessment_weight", "slider", "app_assessment", 3.0, 0.1),
    Control("reward", "institutions.incentives.reward", "slider", "app_reward", 2.0, 0.1),
    Control("penalty", "institutions.incentives.penalty", "slider", "app_penalty", 2.0, 0.1),
    Control("inequality", "collaboration.benefit_sharing.inequality", "slider", "app_inequality", 4.0, 0.1),
    Control("compensation", "collaboration.benefit_sharing.compensation", "choice", "app_compensation",
            choices=COMPENSATION_MODES),
    Control("complementarity", "collaboration.industry_chain.complementarity", "slider", "app_complementarity",
            4.0, 0.1),
    Control("central_local", "collaboration.governance.central_local", "slider", "app_central_local", 1.0, 0.05),
    Control("local", "collaboration.governance.local", "slider", "app_local", 1.0, 0.05),
    Control("network", "network.kind", "choice", "app_network", choices=NETWORKS, lever=False),
)
CONTROL = {control.name: control for control in CONTROLS}
LEVERS = tuple(control.name for control in CONTROLS if control.lever)


def choice_label(value: str, lang: str) -> str:
    """A choice's words in a language (a value without words of its own is shown as it is)."""
    key = f"app_choice_{value}"
    try:
        return t(key, lang)
    except KeyError:
        return str(value)


def _base_scenario(scenario: str | None) -> Scenario:
    return load_scenario(scenario or "baseline")


def _value_at(params, path: str) -> Any:
    node = params
    for part in path.split("."):
        node = getattr(node, part)
    return node


def scenario_settings(scenario: str | None = None) -> dict[str, Any]:
    """The controls' starting values: the scenario's parameters, seed 0."""
    params = _base_scenario(scenario).parameters()
    settings = {control.name: _value_at(params, control.path) for control in CONTROLS if control.path}
    settings["seed"] = 0
    return settings


def control_choices(control: Control, settings: dict[str, Any]) -> tuple[str, ...]:
    """A choice control's values; the scenario's own network kind (e.g. prefectures) is kept among them."""
    value = settings.get(control.name)
    if control.kind != "choice" or value in control.choices or value is None:
        return control.choices
    return (value, *control.choices)


def alternative(lever: str, settings: dict[str, Any]) -> Any:
    """A what-if's first changed value of a setting: visibly different from the current one."""
    control, value = CONTROL[lever], settings[lever]
    if control.kind == "switch":
        return not value
    if control.kind == "choice":
        choices = control_choices(control, settings)
        return choices[(choices.index(value) + 1) % len(choices)]
    high = max(control.high, float(value))
    return round(high * 0.9 if value < high / 2 else high * 0.1, 2)


def describe(changes: dict[str, Any], lang: str) -> str:
    """'Fault tolerance = 0.90; Leadership model = none' for a dict of changed settings."""
    sep = ";" if lang == "zh" else "; "
    return sep.join(f"{t(CONTROL[name].label, lang)} = {CONTROL[name].text(value, lang)}"
                    for name, value in changes.items())


class AppModel(DiffusionModel):
    """The diffusion model built from a scenario plus the app's settings (the names in CONTROLS)."""

    def __init__(self, scenario: str | None = None, lang: str = "en", seed: int = 0, replicate: int = 0,
                 **settings: Any):
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {', '.join(LANGS)} (given: {lang!r})")
        unknown = sorted(set(settings) - set(CONTROL))
        if unknown:
            raise ValueError(f"no app setting named {', '.join(unknown)}; the settings are "
                             f"{', '.join(CONTROL)}")
        base = _base_scenario(scenario)
        params = base.parameters()
        changes = {CONTROL[name].path: value for name, value in settings.items()
                   if value is not None and name != "network"}
        network = settings.get("network")
        if network is not None and network != params.network.kind:
            changes["network.kind"] = network
            if params.coordination.clusters:
                changes["coordination.clusters"] = []   # the real clusters exist only on the real network
        params = with_changes(params, changes) if changes else params
        super().__init__(params, seed=int(seed), replicate=int(replicate))
        self.lang = lang
        self.scenario = base
        self.category_history: list[np.ndarray] = []

    def step(self) -> None:
        super().step()
        self.category_history.append(self.category_coverage())

    @property
    def finished(self) -> bool:
        return self.steps >= self.timeline.steps

    def period(self) -> str:
        return self.timeline.label(max(self.steps, 1))

    def category_coverage(self) -> np.ndarray:
        """Coverage (share of region x innovation pairs adopted, among innovations born) per category."""
        inn = self.innovations
        born = inn.birth_step <= max(self.steps, 1)
        out = np.full(len(inn.categories), np.nan)
        if not born.any():
            return out
        per_innovation = self.adopted[:, born].mean(axis=0)
        counts = np.bincount(inn.category[born], minlength=len(inn.categories))
        sums = np.bincount(inn.category[born], weights=per_innovation, minlength=len(inn.categories))
        np.divide(sums, counts, out=out, where=counts > 0)
        return out

    def region_share(self, category: str = ALL) -> pd.Series:
        """Per region, the share of innovations born so far (optionally of one category) that it has adopted."""
        inn = self.innovations
        born = inn.birth_step <= max(self.steps, 1)
        names = list(inn.categories)
        if category in names:
            born &= inn.category == names.index(category)
        share = self.adopted[:, born].mean(axis=1) if born.any() else np.zeros(self.n_regions)
        return pd.Series(share, index=list(self.regions.names), dtype=float)

    def coverage(self, category: str = ALL) -> np.ndarray:
        """Coverage (%) at each step so far: all regions, or one category."""
        names = list(self.innovations.categories)
        if category in names and self.category_history:
            return 100 * np.array(self.category_history)[:, names.index(category)]
        if not self.steps:
            return np.zeros(0)
        return 100 * self.datacollector.get_model_vars_dataframe()["coverage"].to_numpy(float)

    def dates(self) -> list:
        return [self.timeline.date_of(s) for s in range(1, self.steps + 1)]

    def horizon(self) -> tuple:
        """First and last day of the run: the time axes show all of it from the start."""
        return self.timeline.date_of(1), self.timeline.date_of(self.timeline.steps + 1)


def _time_axis(ax, model: AppModel) -> None:
    ax.set_xlim(*model.horizon())
    locator = matplotlib.dates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(matplotlib.dates.ConciseDateFormatter(locator, show_offset=False))


# ------------------------------------------------------------------------------------------ figures
def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=FIGURE_DPI, layout="constrained")


def _category_label(category: str, lang: str) -> str:
    return t("app_all", lang) if category == ALL else category_name(category, lang)


def _network_dots(ax, model: AppModel, share: pd.Series, norm) -> None:
    """A network without real places: its regions at their layout coordinates, ties in grey."""
    reg = model.regions
    rows, cols = reg.adjacency.nonzero()
    keep = rows < cols
    for a, b in zip(rows[keep], cols[keep]):
        ax.plot([reg.x[a], reg.x[b]], [reg.y[a], reg.y[b]], color="#c8c8c8", lw=0.6, zorder=1)
    ftz = model.ftz_open()
    points = ax.scatter(reg.x, reg.y, c=share.to_numpy(), cmap="viridis_r", norm=norm, s=np.where(ftz, 110, 70),
                        edgecolors=np.where(ftz, "#c0504d", "white"), linewidths=np.where(ftz, 2.0, 0.6), zorder=2)
    if model.n_regions <= 40:
        for i, name in enumerate(reg.names):
            ax.annotate(region_name(name, model.lang), (reg.x[i], reg.y[i]), fontsize=7, xytext=(3, 3),
                        textcoords="offset points", color="#333333")
    ax.set_axis_off()
    ax.figure.colorbar(points, ax=ax, shrink=0.6, label=t("app_share", model.lang))


def draw_map(model: AppModel, category: str = ALL, size: tuple[float, float] = (5.0, 3.9),
             title: str | None = None) -> Figure:
    """The regions filled by the share of innovations they have adopted: the choropleth of the provinces or
    prefectures (diffusion/maps.py), or a synthetic network at its layout. The one place that draws the map."""
    from . import geo, maps

    lang = model.lang
    share = model.region_share(category)
    norm = matplotlib.colors.Normalize(0.0, 1.0)   # the same colours at every step and in both runs
    with house_style("slide"):
        fig = _figure(*size)
        ax = fig.add_subplot()
        level = geo.level_of(share.index)
        if level is None:
            _network_dots(ax, model, share, norm)
        else:
            ftz = share.index[model.ftz_open()]
            maps.choropleth(ax, share, level=level, label=t("app_share", lang), lang=lang, ftz=ftz, norm=norm)
        heading = title or t("app_map_title", lang)
        ax.set_title(f"{heading}\n{_category_label(category, lang)} · {model.period()}", loc="left")
    return fig


def draw_curves(model: AppModel, category: str = ALL, size: tuple[float, float] = (4.3, 2.6)) -> Figure:
    """Coverage over time: all, FTZ and non-FTZ regions (all categories), or the chosen category."""
    lang = model.lang
    with house_style("slide"):
        fig = _figure(*size)
        ax = fig.add_subplot()
        if model.steps and category == ALL:
            frame = model.datacollector.get_model_vars_dataframe()
            for column, key, colour in (("coverage", "all_regions", PALETTE[0]),
                                        ("ftz_coverage", "ftz_regions", PALETTE[1]),
                                        ("non_ftz_coverage", "non_ftz_regions", PALETTE[2])):
                ax.plot(model.dates(), 100 * frame[column].to_numpy(float), color=colour, label=t(key, lang))
        elif model.steps:
            ax.plot(model.dates(), model.coverage(category), color=PALETTE[0], label=category_name(category, lang))
        else:
            ax.text(0.5, 0.5, t("app_no_steps", lang), ha="center", va="center", transform=ax.transAxes)
        ax.set_ylim(0, 100)
        _time_axis(ax, model)
        ax.set_ylabel(t("app_coverage_axis", lang))
        ax.set_title(f"{t('app_curves_title', lang)}: {_category_label(category, lang)}", loc="left")
        if model.steps:
            ax.legend(loc="upper left")
    return fig


def draw_channels(model: AppModel, category: str = ALL, size: tuple[float, float] = (4.3, 2.6)) -> Figure:
    """Adoptions per step split by each channel's share of the hazard: stacked areas."""
    lang = model.lang
    names = list(model.innovations.categories)
    index = names.index(category) if category in names else None
    sums = np.zeros((model.steps + 1, len(CHANNELS)))
    for event in model._events:
        keep = ~event["pilot"]
        if index is not None:
            keep &= model.innovations.category[event["innovation"]] == index
        np.add.at(sums, event["step"][keep], event["shares"][keep])
    with house_style("slide"):
        fig = _figure(*size)
        ax = fig.add_subplot()
        if model.steps:
            ax.stackplot(model.dates(), sums[1:].T, colors=[CHANNEL_COLOURS[c] for c in CHANNELS],
                         labels=[channel_name(c, lang) for c in CHANNELS], alpha=0.9)
            ax.legend(loc="upper left", ncols=2)
        else:
            ax.text(0.5, 0.5, t("app_no_steps", lang), ha="center", va="center", transform=ax.transAxes)
        _time_axis(ax, model)
        ax.set_ylim(0, max(1.0, ax.get_ylim()[1]))
        ax.set_ylabel(t("app_channels_axis", lang))
        ax.set_title(t("app_channels_title", lang), loc="left")
    return fig


def draw_comparison(current: AppModel, changed: AppModel, change: str, category: str = ALL,
                    size: tuple[float, float] = (4.8, 2.2)) -> Figure:
    """The two runs' coverage on one axis: same random numbers, so the gap is the change's effect."""
    lang = current.lang
    with house_style("slide"):
        fig = _figure(*size)
        ax = fig.add_subplot()
        if current.steps:
            ax.plot(current.dates(), current.coverage(category), color=PALETTE[0], label=t("app_current", lang))
            ax.plot(changed.dates(), changed.coverage(category), color=PALETTE[1], label=change)
            ax.legend(loc="upper left")
        else:
            ax.text(0.5, 0.5, t("app_no_steps", lang), ha="center", va="center", transform=ax.transAxes)
        ax.set_ylim(0, 100)
        _time_axis(ax, current)
        ax.set_ylabel(t("app_coverage_axis", lang))
        ax.set_title(f"{t('app_curves_title', lang)}: {_category_label(category, lang)}", loc="left")
    return fig


def draw_difference(current: AppModel, changed: AppModel, category: str = ALL,
                    size: tuple[float, float] = (4.8, 2.2)) -> Figure:
    """Changed minus current coverage, in percentage points, at each step (paired: the same luck)."""
    lang = current.lang
    with house_style("slide"):
        fig = _figure(*size)
        ax = fig.add_subplot()
        if current.steps:
            gap = changed.coverage(category) - current.coverage(category)
            dates = current.dates()
            ax.fill_between(dates, 0, gap, where=gap >= 0, color=PALETTE[2], alpha=0.35, lw=0, interpolate=True)
            ax.fill_between(dates, 0, gap, where=gap < 0, color=PALETTE[1], alpha=0.35, lw=0, interpolate=True)
            ax.plot(dates, gap, color="0.2")
            limit = max(5.0, float(np.abs(gap).max()) * 1.15)
            ax.set_ylim(-limit, limit)
        else:
            ax.text(0.5, 0.5, t("app_no_steps", lang), ha="center", va="center", transform=ax.transAxes)
        ax.axhline(0, color="0.4", lw=0.8)
        _time_axis(ax, current)
        ax.set_ylabel(t("app_difference_axis", lang))
        ax.set_title(t("app_difference_title", lang), loc="left")
    return fig


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes, saved in the house style it was drawn in."""
    buffer = io.BytesIO()
    with house_style("slide"):   # the figure's own frame: in Solara's per-session rcParams the house style's
        # savefig.bbox reaches matplotlib unvalidated ("standard"), so it is given here
        fig.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches=fig.bbox_inches)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------ the run
class Run:
    """The model (and in what-if mode its twin with one setting changed) that a page steps."""

    def __init__(self, scenario: str | None, lang: str, settings: dict[str, Any],
                 compare: tuple[str, Any] | None = None):
        self.settings, self.compare = dict(settings), compare
        self.current = AppModel(scenario, lang, **settings)
        self.changed = None
        if compare is not None:   # same seed and replicate: the two runs share their random numbers
            lever, value = compare
            self.changed = AppModel(scenario, lang, **{**settings, lever: value})
        self.lock = threading.RLock()

    def models(self) -> tuple[AppModel, ...]:
        return (self.current,) if self.changed is None else (self.current, self.changed)

    def step(self) -> bool:
        """One period for every model; False once the horizon is reached."""
        with self.lock:
            if self.current.finished:
                return False
            for model in self.models():
                model.step()
            return not self.current.finished


# ------------------------------------------------------------------------------------------ page
CSS = """
html, body, .v-application, .v-application--wrap { height: 100%; overflow: hidden; }
.ftz-page { height: 100vh; display: grid; grid-template-rows: auto 1fr; font-size: 15px; }
.ftz-header { display: flex; align-items: center; gap: 14px; padding: 6px 14px; background: #1f4e79;
              color: white; flex-wrap: wrap; }
.ftz-header h1 { font-size: 21px; font-weight: 600; margin: 0 10px 0 0; }
.ftz-header .ftz-status { font-size: 18px; font-weight: 600; min-width: 12em; }
.ftz-header .v-btn { font-size: 15px; }
.ftz-body { display: grid; grid-template-columns: 310px 1fr; min-height: 0; }
.ftz-sidebar { overflow-y: auto; padding: 8px 14px 30px 14px; border-right: 1px solid #ddd; background: #fafafa; }
.ftz-sidebar h2 { font-size: 16px; margin: 12px 0 4px 0; color: #1f4e79; }
.ftz-control { margin-top: 4px; }
.ftz-control-label { display: flex; justify-content: space-between; font-size: 14px; color: #222; }
.ftz-control-value { font-weight: 700; color: #1f4e79; }
.ftz-main { overflow: auto; padding: 6px 10px; min-width: 0; display: flex; flex-direction: column; gap: 4px; }
.ftz-notice { font-size: 15px; padding: 6px 10px; border-radius: 4px; }
.ftz-notice-pending { background: #fff4d6; border: 1px solid #e39b2d; }
.ftz-notice-restarted { background: #e5f2e3; border: 1px solid #4f9a45; }
.ftz-line { font-size: 15px; color: #333; }
.ftz-views { display: grid; grid-template-columns: minmax(0, 1.3fr) minmax(0, 1fr); gap: 6px; min-height: 0; }
.ftz-compare { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 6px; }
.ftz-column { display: flex; flex-direction: column; gap: 4px; min-width: 0; }
img.ftz-panel { display: block; width: 100%; height: auto; object-fit: contain; object-position: left top; }
img.ftz-map-panel { max-height: calc(100vh - 150px); }
img.ftz-side-panel { max-height: calc(50vh - 80px); }
.ftz-compare img.ftz-map-panel { max-height: calc(60vh - 110px); }
.ftz-compare img.ftz-side-panel { max-height: calc(40vh - 90px); }
.ftz-compare .ftz-line { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.ftz-run-title { font-weight: 700; color: #1f4e79; }
.ftz-sidebar .v-select { margin-top: 12px; }
.ftz-sidebar .v-input { flex: 0 0 auto; }
@media (min-width: 1700px) {   /* a large screen or projector: larger words, as the charts grow with the width */
  .ftz-page { font-size: 18px; }
  .ftz-header h1 { font-size: 27px; }
  .ftz-header .ftz-status { font-size: 23px; }
  .ftz-header .v-btn { font-size: 18px; height: 44px; }
  .ftz-body { grid-template-columns: 370px 1fr; }
  .ftz-sidebar h2 { font-size: 20px; }
  .ftz-control-label, .ftz-sidebar .v-label, .ftz-sidebar .v-select__selection { font-size: 17px !important; }
  .ftz-notice, .ftz-line { font-size: 18px; }
}
"""


def _page_settings() -> tuple[str | None, str]:
    scenario = os.environ.get(SCENARIO_ENV) or None
    lang = os.environ.get(LANG_ENV, "en")
    return scenario, lang if lang in LANGS else "en"


@solara.component
def ControlInput(control: Control, value: Any, on_value: Callable[[Any], None], choices: tuple[str, ...], lang: str,
                 label: str | None = None):
    """One control, with its name and its value written next to it."""
    label = label or t(control.label, lang)

    def set_value(new):
        if control.kind == "integer":
            new = int(round(float(new)))
        elif control.kind == "slider":
            new = round(float(new), 4)
            if abs(new - float(value)) < control.step / 2 - 1e-9:
                return   # the slider snapping a value off its grid to the nearest step: not a change
        elif control.kind == "switch":
            new = bool(new)
        if new != value:
            on_value(new)

    with solara.Column(classes=["ftz-control", f"ftz-control-{control.name}"], gap="0px"):
        if control.kind == "choice":
            solara.v.Select(label=label, v_model=value, on_v_model=set_value, dense=True, hide_details=True,
                            items=[{"text": choice_label(c, lang), "value": c} for c in choices])
        elif control.kind == "switch":
            solara.v.Switch(label=f"{label}{COLON[lang]}{control.text(value, lang)}", v_model=bool(value),
                            on_v_model=set_value, dense=True, hide_details=True, class_="mt-1")
        else:
            solara.HTML(tag="div", classes=["ftz-control-label"],
                        unsafe_innerHTML=f'<span>{label}</span><span class="ftz-control-value">'
                                         f'{control.text(value, lang)}</span>')
            solara.v.Slider(v_model=value, on_v_model=set_value, min=0, max=max(control.high, float(value)),
                            step=control.step, dense=True, hide_details=True)


@solara.component
def Sidebar(draft: solara.Reactive, compare_draft: solara.Reactive, category: solara.Reactive, categories,
            lang: str):
    """The view (category), the what-if comparison and the settings."""
    settings = draft.value
    with solara.Column(classes=["ftz-sidebar"], gap="2px"):
        solara.HTML(tag="h2", unsafe_innerHTML=t("app_view", lang))
        solara.v.Select(label=t("app_category", lang), v_model=category.value, on_v_model=category.set,
                        items=[{"text": _category_label(c, lang), "value": c} for c in (ALL, *categories)],
                        dense=True, hide_details=True, class_="ftz-control ftz-control-category")

        solara.HTML(tag="h2", unsafe_innerHTML=t("app_whatif", lang))
        comparing = compare_draft.value is not None
        solara.v.Switch(label=t("app_compare", lang), v_model=comparing, dense=True, hide_details=True,
                        class_="ftz-control ftz-control-compare mt-0",
                        on_v_model=lambda on: compare_draft.set((LEVERS[0], alternative(LEVERS[0], settings))
                                                                if on else None))
        if comparing:
            lever, changed = compare_draft.value
            solara.v.Select(label=t("app_compare_lever", lang), v_model=lever, dense=True, hide_details=True,
                            items=[{"text": t(CONTROL[name].label, lang), "value": name} for name in LEVERS],
                            class_="ftz-control ftz-control-lever mt-2",
                            on_v_model=lambda name: compare_draft.set((name, alternative(name, settings))))
            control = CONTROL[lever]
            ControlInput(replace(control, name="changed"), changed,
                         lambda value: compare_draft.set((lever, value)), control_choices(control, settings), lang,
                         label=t("app_compare_value", lang, setting=t(control.label, lang)))

        solara.HTML(tag="h2", unsafe_innerHTML=t("app_settings", lang))
        for control in CONTROLS:
            ControlInput(control, settings[control.name],
                         lambda value, name=control.name: draft.set({**draft.value, name: value}),
                         control_choices(control, settings), lang)


@solara.component
def Chart(run: Run, draw: Callable[[], Figure], key: tuple, css: str):
    """A matplotlib figure as a PNG, redrawn only when its key (run, step, category) changes."""
    def render() -> bytes:
        with run.lock:   # not while a Step click or the play loop moves the model
            return png(draw())

    solara.Image(solara.use_memo(render, dependencies=list(key)), classes=["ftz-panel", css])


@solara.component
def Page():
    """The teaching app's page (Solara's entry point for ``diffusion.app``)."""
    scenario, lang = _page_settings()
    start = solara.use_memo(lambda: scenario_settings(scenario), [])
    applied = solara.use_reactive(start)
    compare = solara.use_reactive(None)
    draft = solara.use_reactive(start)
    compare_draft = solara.use_reactive(None)
    run = solara.use_reactive(solara.use_memo(lambda: Run(scenario, lang, start), []))
    tick = solara.use_reactive(0)            # bumped at each step: redraws the views
    playing = solara.use_reactive(False)
    notice = solara.use_reactive("")
    category = solara.use_reactive(ALL)
    current = run.value.current

    def restart(settings, comparison, message):
        new = Run(scenario, lang, settings, comparison)
        applied.set(dict(settings))
        compare.set(comparison)
        run.set(new)
        tick.set(tick.value + 1)
        notice.set(message)

    words = pending_words(draft.value, applied.value, compare_draft.value, compare.value, lang)

    def apply():
        restart(draft.value, compare_draft.value,
                t("app_restarted_with", lang, period=current.timeline.label(1), changes=words))

    def undo():
        draft.set(dict(applied.value))
        compare_draft.set(compare.value)

    def step_once():
        playing.set(False)
        run.value.step()
        tick.set(tick.value + 1)

    def play():
        while playing.value and not STOPPING.wait(PLAY_SECONDS):
            more = run.value.step()
            tick.set(tick.value + 1)
            if not more:
                playing.set(False)

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)

    comparison = run.value.changed is not None

    solara.Title(t("app_title", lang))
    solara.Style(CSS)
    with solara.Div(classes=["ftz-page"]):
        with solara.Div(classes=["ftz-header"]):
            solara.HTML(tag="h1", unsafe_innerHTML=t("app_title", lang))
            solara.HTML(tag="div", classes=["ftz-status"], unsafe_innerHTML=t(
                "app_status", lang, step=current.steps, steps=current.timeline.steps, period=current.period()))
            solara.Button(t("app_step", lang), on_click=step_once, disabled=current.finished,
                          icon_name="mdi-step-forward", classes=["ftz-step"])
            if playing.value:
                solara.Button(t("app_pause", lang), on_click=lambda: playing.set(False), icon_name="mdi-pause",
                              classes=["ftz-pause"])
            else:
                solara.Button(t("app_play", lang), on_click=lambda: playing.set(True), disabled=current.finished,
                              icon_name="mdi-play", classes=["ftz-play"])
            solara.Button(t("app_restart", lang), icon_name="mdi-restart", classes=["ftz-restart"],
                          on_click=lambda: restart(applied.value, compare.value,
                                                   t("app_restarted", lang, period=current.timeline.label(1))))
        with solara.Div(classes=["ftz-body"]):
            Sidebar(draft, compare_draft, category, tuple(current.innovations.categories), lang)
            with solara.Div(classes=["ftz-main"]):
                if words:
                    with solara.Row(classes=["ftz-notice", "ftz-notice-pending"], style={"align-items": "center"}):
                        solara.Text(t("app_pending", lang, changes=words))
                        solara.Button(t("app_apply", lang), on_click=apply, color="primary", classes=["ftz-apply"])
                        solara.Button(t("app_undo", lang), on_click=undo, text=True, classes=["ftz-undo"])
                elif notice.value:
                    solara.Div(children=[notice.value], classes=["ftz-notice", "ftz-notice-restarted"])
                if current.finished:
                    solara.Div(children=[t("app_ended", lang, period=current.period())], classes=["ftz-line"])
                key = (id(run.value), tick.value, category.value)
                if comparison:
                    Comparison(run.value, compare.value, category.value, key, lang)
                else:
                    solara.Div(children=[_summary(current, lang)], classes=["ftz-line"])
                    with solara.Div(classes=["ftz-views"]):
                        with solara.Div(classes=["ftz-column"]):
                            Chart(run.value, lambda: draw_map(current, category.value), key, "ftz-map-panel")
                        with solara.Div(classes=["ftz-column"]):
                            Chart(run.value, lambda: draw_curves(current, category.value), key, "ftz-side-panel")
                            Chart(run.value, lambda: draw_channels(current, category.value), key, "ftz-side-panel")


@solara.component
def Comparison(run: Run, compare: tuple[str, Any], category: str, key: tuple, lang: str):
    """What-if mode: the current settings and the changed one, side by side, sharing their random numbers."""
    lever, value = compare
    change = describe({lever: value}, lang)
    solara.Div(children=[t("app_crn_note", lang, seed=run.settings["seed"])], classes=["ftz-line"])
    with solara.Div(classes=["ftz-compare"]):
        for model, heading, css in ((run.current, t("app_current", lang), "ftz-run-current"),
                                    (run.changed, change, "ftz-run-changed")):
            with solara.Div(classes=["ftz-column", css]):
                solara.HTML(tag="div", classes=["ftz-line"], unsafe_innerHTML=f'<span class="ftz-run-title">'
                            f'{heading}</span> · {_summary(model, lang)}')
                Chart(run, lambda model=model, heading=heading: draw_map(model, category, size=(4.6, 3.6),
                                                                       title=heading), key, "ftz-map-panel")
        with solara.Div(classes=["ftz-column"]):
            Chart(run, lambda: draw_comparison(run.current, run.changed, change, category), key, "ftz-side-panel")
        with solara.Div(classes=["ftz-column"]):
            Chart(run, lambda: draw_difference(run.current, run.changed, category), key, "ftz-side-panel")


def pending_words(draft: dict[str, Any], applied: dict[str, Any], compare_draft, compare, lang: str) -> str:
    """What Apply would change, in words ('' when nothing): the settings, then the comparison."""
    changes = {name: value for name, value in draft.items() if applied.get(name) != value}
    parts = [describe(changes, lang)] if changes else []
    if compare_draft != compare:
        parts.append(t("app_compare_off", lang) if compare_draft is None else
                     t("app_compare_with", lang, change=describe(dict([compare_draft]), lang)))
    return ("; " if lang == "en" else ";").join(parts)


def _summary(model: AppModel, lang: str) -> str:
    summary = model.summary()
    return t("app_summary", lang, batches=summary["binding_batches"], items=summary["binding_items"],
             failures=summary["failures"])


@solara.component
def Layout(children=[]):
    """The page as it is, without Solara's default app bar and its framework controls."""
    return solara.Div(children=children)


# ------------------------------------------------------------------------------------------ serving
def check_host(host: str) -> str:
    """The address to serve on: an IP address (a name could be rebound by someone else's DNS)."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        raise ValueError(f"--host must be an IP address such as 127.0.0.1 or 0.0.0.0 (given: {host!r}); "
                         "students open the app by this computer's address") from None


def is_loopback(host: str) -> bool:
    return ipaddress.ip_address(host).is_loopback


class LocalOnly:
    """ASGI middleware: refuse a request whose Host is not this server's address (a web page could make a
    browser send one through DNS rebinding), and a WebSocket or a posted request from another origin.

    Allowed Host names: localhost and the loopback addresses, the address served on and, when serving on
    every interface (0.0.0.0 or ::), any IP address; each with the served port. A rebinding attack
    needs a domain name, so IP addresses are safe to allow."""

    def __init__(self, app, host: str, port: int):
        self.app, self.port = app, port
        self.address = ipaddress.ip_address(host)

    def allowed(self, host_header: str) -> bool:
        name, _, port = host_header.rpartition(":") if not host_header.endswith("]") else (host_header, "", "")
        if not name or port != str(self.port):
            return False
        name = name.lower()
        if name in LOOPBACK_NAMES:
            return True
        try:
            address = ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            return False   # a domain name
        return address == self.address or self.address.is_unspecified or address.is_loopback

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if not self.allowed(host):
            return await self._refuse(scope, send, 400, f"this server answers only at its own address, "
                                                         f"not at {host!r}\n")
        origin = headers.get("origin")
        checked = scope["type"] == "websocket" or scope.get("method") not in ("GET", "HEAD", "OPTIONS")
        if checked and origin is not None and origin.lower() not in (f"http://{host}".lower(),
                                                                      f"https://{host}".lower()):
            return await self._refuse(scope, send, 403, f"requests from {origin!r} are refused\n")
        return await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(scope, send, status: int, text: str) -> None:
        if scope["type"] == "websocket":   # closing before accepting: uvicorn answers the handshake with 403
            await send({"type": "websocket.close", "code": 1008})
            return
        body = text.encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def _offline_solara() -> None:
    """Solara as the app needs it: no telemetry (mixpanel, and the IP lookup it makes), no CDN (its front end
    comes from the installed solara-assets; a missing file is a 404, not a download). The PyPI version check
    belongs to ``solara run``, which the app does not use."""
    os.environ["SOLARA_APP"] = "diffusion.app"
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    os.environ["SOLARA_ASSETS_PROXY"] = "true"
    os.environ["SOLARA_ASSETS_CDN"] = "offline://solara-assets/"   # requests refuses the scheme: nothing is fetched
    os.environ["SOLARA_THEME_LOADER"] = "plain"                    # no "Made with Solara" card while loading
    os.environ["SOLARA_MODE"] = "production"
    import solara.server.settings as server_settings
    import solara.settings as solara_settings

    server_settings.telemetry.mixpanel_enable = False
    server_settings.main.mode = "production"
    server_settings.theme.loader = "plain"
    server_settings.theme.show_banner = False
    solara_settings.assets.proxy = True
    solara_settings.assets.cdn = os.environ["SOLARA_ASSETS_CDN"]


PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its parent dies (a killed terminal or test runner)."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:   # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def serve(scenario: str | None = None, lang: str = "en", host: str = "127.0.0.1", port: int = 8765,
          ready: Callable[[str], None] | None = None) -> int:
    """Serve the app in this process until SIGINT, SIGTERM, SIGHUP or the parent's death; returns the exit status.

    ``ready`` is called with the address once the server listens."""
    import uvicorn

    if lang not in LANGS:
        raise ValueError(f"--lang must be one of {', '.join(LANGS)} (given: {lang!r})")
    host = check_host(host)
    _base_scenario(scenario).parameters()   # a bad scenario fails here, not in the browser
    os.environ[SCENARIO_ENV] = scenario or ""
    os.environ[LANG_ENV] = lang
    _offline_solara()
    import solara.server.starlette as solara_starlette

    # Solara warns that a cookie for 127.0.0.1 cannot be SameSite=None without https: true, and harmless here
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

    config = uvicorn.Config(LocalOnly(solara_starlette.app, host, port), host=host, port=port, lifespan="on",
                            log_level="warning", access_log=False, timeout_graceful_shutdown=3, ws="websockets-sansio")
    server = uvicorn.Server(config)
    _die_with_parent()
    if threading.current_thread() is threading.main_thread():   # a closed terminal stops it as Ctrl+C does
        signal.signal(signal.SIGHUP, lambda signum, frame: server.handle_exit(signal.SIGTERM, frame))
    if ready is not None:
        def announce():
            while not server.started and not server.should_exit:
                time.sleep(0.05)
            if server.started:
                ready(f"http://{'127.0.0.1' if ipaddress.ip_address(host).is_unspecified else host}:{port}/")
        threading.Thread(target=announce, daemon=True).start()
    try:
        server.run()   # uvicorn stops on SIGINT/SIGTERM, then raises the signal again
    except KeyboardInterrupt:
        code = 130
    else:
        code = 0 if server.started else 1
    finally:
        STOPPING.set()
    return code
