"""The teaching app: the model live in the browser, with Mesa's SolaraViz.

``diffusion app [SCENARIO] [--port P] [--lang en|zh]`` serves this page on 127.0.0.1. It shows the network of
regions coloured by adoption share, the adoption curves and the channel attribution as the model steps, a
category selector, and controls for the channel weights, leadership model, fault tolerance, incentives,
feedback and network. Mesa's controller gives step, play and reset; a changed control takes effect on reset,
which rebuilds the model from the scenario with the controls applied.

The page reads the scenario and language from the environment (``FTZ_DIFFUSION_SCENARIO``,
``FTZ_DIFFUSION_LANG``), which ``diffusion app`` sets before starting ``solara run`` on this file. Charts are
drawn with matplotlib in custom components (Altair's Vega front end is not available offline).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from .charts import CHANNEL_COLOURS, PALETTE, house_style
from .i18n import LANGS, category_name, channel_name, region_name
from .model import DiffusionModel
from .params import CHANNELS, FEEDBACK_MODES, with_changes
from .scenario import Scenario, load_scenario

SCENARIO_ENV = "FTZ_DIFFUSION_SCENARIO"
LANG_ENV = "FTZ_DIFFUSION_LANG"
LEADERSHIPS = ("leading_group", "joint_conference", "reform_office", "none")
NETWORKS = ("provinces", "small_world", "scale_free", "random", "complete")
ALL = "all"

# label key -> (English, Chinese); the app's own words (chart words come from i18n)
WORDS: dict[str, tuple[str, str]] = {
    "title": ("FTZ innovation diffusion", "自贸试验区制度创新扩散"),
    "seed": ("Random seed", "随机种子"),
    "learning": ("Learning weight", "学习渠道强度"),
    "competition": ("Competition weight", "竞争渠道强度"),
    "mandate": ("Mandate weight", "行政指令渠道强度"),
    "leadership": ("Leadership model", "领导体制"),
    "fault_tolerance": ("Fault tolerance", "容错纠错程度"),
    "assessment": ("Assessment weight of binding items", "约束性事项的考核权重"),
    "reward": ("Reward for adopters", "对采纳者的奖励"),
    "penalty": ("Penalty below 80% completion", "完成率低于80%的惩罚"),
    "feedback": ("Feedback", "反馈机制"),
    "network": ("Network", "网络"),
    "category": ("Category", "领域"),
    "all": ("All categories", "全部领域"),
    "network_title": ("Adoption share by region", "各地区的采纳比例"),
    "share": ("share of innovations adopted", "已采纳的创新比例"),
    "curves_title": ("Adoption coverage", "采纳覆盖率"),
    "coverage_axis": ("coverage (%)", "覆盖率(%)"),
    "all_regions": ("all regions", "全部地区"),
    "ftz": ("FTZ regions", "自贸试验区所在地区"),
    "non_ftz": ("non-FTZ regions", "非自贸试验区地区"),
    "channels_title": ("Why regions adopted (per step)", "地区为何采纳(每期)"),
    "channels_axis": ("adoptions, by channel share", "采纳数(按渠道分解)"),
    "period": ("Period", "时期"),
    "summary": ("{batches} binding batches, {items} items mandated, {failures} failures",
                "已发布{batches}批约束性事项,共{items}项;失败{failures}次"),
    "no_steps": ("Press STEP or ▶ to run the model", "按 STEP 或 ▶ 运行模型"),
}

CHOICE_WORDS: dict[str, tuple[str, str]] = {
    "leading_group": ("leading group", "领导小组"), "joint_conference": ("joint conference", "联席会议"),
    "reform_office": ("party reform office", "党委深改办"), "none": ("none", "无"),
    "one_way": ("one way (reporting up)", "单向(向上报告)"), "two_way": ("two way", "双向"),
    "provinces": ("31 provinces (real borders)", "31个省份(真实接壤)"), "small_world": ("small world", "小世界网络"),
    "scale_free": ("scale free", "无标度网络"), "random": ("random", "随机网络"), "complete": ("complete", "完全网络"),
}


def word(key: str, lang: str, **fields: Any) -> str:
    en, zh = WORDS[key]
    return (zh if lang == "zh" else en).format(**fields)


def choice_label(value: str, lang: str) -> str:
    en, zh = CHOICE_WORDS.get(value, (value, value))
    return zh if lang == "zh" else en


def choice_key(value: str | None) -> str | None:
    """The parameter value behind a select's label (either language), or the value itself."""
    for key, labels in CHOICE_WORDS.items():
        if value == key or value in labels:
            return key
    return value


def _base_scenario(scenario: str | None) -> Scenario:
    return load_scenario(scenario or "baseline")


class AppModel(DiffusionModel):
    """The diffusion model built from a scenario plus the app's controls (flat keyword arguments)."""

    def __init__(self, scenario: str | None = None, lang: str = "en", seed: int = 0,
                 learning_weight: float | None = None, competition_weight: float | None = None,
                 mandate_weight: float | None = None, leadership: str | None = None,
                 fault_tolerance: float | None = None, assessment_weight: float | None = None,
                 reward: float | None = None, penalty: float | None = None, feedback: str | None = None,
                 network: str | None = None):
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {', '.join(LANGS)} (given: {lang!r})")
        base = _base_scenario(scenario)
        params = base.parameters()
        leadership, feedback, network = choice_key(leadership), choice_key(feedback), choice_key(network)
        changes: dict[str, Any] = {
            "channels.learning.weight_per_year": learning_weight,
            "channels.competition.weight_per_year": competition_weight,
            "channels.mandate.weight_per_year": mandate_weight, "institutions.leadership": leadership,
            "institutions.fault_tolerance": fault_tolerance,
            "institutions.incentives.assessment_weight": assessment_weight,
            "institutions.incentives.reward": reward, "institutions.incentives.penalty": penalty,
            "institutions.feedback": feedback,
        }
        if network is not None and network != params.network.kind:
            changes["network.kind"] = network
            if network != "provinces" and params.coordination.clusters:
                changes["coordination.clusters"] = []  # the real clusters exist only on the provincial network
        changes = {k: v for k, v in changes.items() if v is not None}
        params = with_changes(params, changes) if changes else params
        super().__init__(params, seed=int(seed))
        self.lang = lang
        self.scenario_name = base.name
        self.category_history: list[np.ndarray] = []

    def step(self) -> None:
        super().step()
        self.category_history.append(self.category_coverage())

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

    def region_share(self, category: int | None = None) -> np.ndarray:
        """Per region, the share of innovations born so far (optionally of one category) that it has adopted."""
        inn = self.innovations
        born = inn.birth_step <= max(self.steps, 1)
        if category is not None:
            born &= inn.category == category
        if not born.any():
            return np.zeros(self.n_regions)
        return self.adopted[:, born].mean(axis=1)


# ------------------------------------------------------------------------------------------ view
category_choice = solara.reactive(ALL)


def _figure(width: float = 6.0, height: float = 4.2) -> Figure:
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    return fig


def _category_index(model: AppModel) -> int | None:
    names = list(model.innovations.categories)
    return names.index(category_choice.value) if category_choice.value in names else None


def _network(model: AppModel) -> Figure:
    """Regions at their coordinates (capitals or layout), ties in grey, coloured by adoption share."""
    lang = model.lang
    reg = model.regions
    share = model.region_share(_category_index(model))
    fig = _figure()
    ax = fig.add_subplot()
    rows, cols = reg.adjacency.nonzero()
    keep = rows < cols
    for a, b in zip(rows[keep], cols[keep]):
        ax.plot([reg.x[a], reg.x[b]], [reg.y[a], reg.y[b]], color="#c8c8c8", lw=0.6, zorder=1)
    ftz = model.ftz_open()
    points = ax.scatter(reg.x, reg.y, c=share, cmap="viridis", vmin=0, vmax=1, s=np.where(ftz, 90, 55),
                        edgecolors=np.where(ftz, "#c0504d", "white"), linewidths=np.where(ftz, 1.8, 0.6), zorder=2)
    if model.n_regions <= 40:
        for i, name in enumerate(reg.names):
            ax.annotate(region_name(name, lang), (reg.x[i], reg.y[i]), fontsize=6.5, xytext=(3, 3),
                        textcoords="offset points", color="#333333")
    ax.set_axis_off()
    selected = category_choice.value
    label = word("all", lang) if selected == ALL else category_name(selected, lang)
    ax.set_title(f"{word('network_title', lang)}: {label} ({model.timeline.label(max(model.steps, 1))})",
                 fontsize=10, loc="left")
    fig.colorbar(points, ax=ax, shrink=0.7, label=word("share", lang))
    return fig


def _curves(model: AppModel) -> Figure:
    """Coverage over time: all, FTZ and non-FTZ regions (all categories), or the chosen category."""
    lang = model.lang
    fig = _figure()
    ax = fig.add_subplot()
    steps = np.arange(1, model.steps + 1)
    dates = [model.timeline.date_of(s) for s in steps]
    index = _category_index(model)
    if model.steps and index is None:
        frame = model.datacollector.get_model_vars_dataframe()
        for column, key, colour in (("coverage", "all_regions", PALETTE[0]), ("ftz_coverage", "ftz", PALETTE[1]),
                                    ("non_ftz_coverage", "non_ftz", PALETTE[2])):
            ax.plot(dates, 100 * frame[column].to_numpy(float), color=colour, label=word(key, lang))
    elif model.steps:
        history = np.array(model.category_history)[:, index]
        ax.plot(dates, 100 * history, color=PALETTE[0], label=category_name(category_choice.value, lang))
    else:
        ax.text(0.5, 0.5, word("no_steps", lang), ha="center", va="center", transform=ax.transAxes)
    ax.set_ylim(0, 100)
    ax.set_ylabel(word("coverage_axis", lang))
    ax.set_title(word("curves_title", lang), fontsize=10, loc="left")
    ax.grid(alpha=0.3)
    if model.steps:
        ax.legend(frameon=False, fontsize=8, loc="upper left")
    return fig


def _channels(model: AppModel) -> Figure:
    """Adoptions per step split by each channel's share of the hazard: stacked areas."""
    lang = model.lang
    fig = _figure()
    ax = fig.add_subplot()
    sums = np.zeros((model.steps + 1, len(CHANNELS)))
    index = _category_index(model)
    for event in model._events:
        keep = ~event["pilot"]
        if index is not None:
            keep &= model.innovations.category[event["innovation"]] == index
        np.add.at(sums, event["step"][keep], event["shares"][keep])
    if model.steps:
        dates = [model.timeline.date_of(s) for s in range(1, model.steps + 1)]
        ax.stackplot(dates, sums[1:].T, colors=[CHANNEL_COLOURS[c] for c in CHANNELS],
                     labels=[channel_name(c, lang) for c in CHANNELS], alpha=0.9)
        ax.legend(frameon=False, fontsize=8, loc="upper left")
    else:
        ax.text(0.5, 0.5, word("no_steps", lang), ha="center", va="center", transform=ax.transAxes)
    ax.set_ylabel(word("channels_axis", lang))
    ax.set_title(word("channels_title", lang), fontsize=10, loc="left")
    ax.grid(alpha=0.3)
    return fig


def draw_network(model: AppModel) -> Figure:
    with house_style():
        return _network(model)


def draw_curves(model: AppModel) -> Figure:
    with house_style():
        return _curves(model)


def draw_channels(model: AppModel) -> Figure:
    with house_style():
        return _channels(model)


@solara.component
def ViewControls(model: AppModel):
    """The category selector and a line on where the run stands."""
    update_counter.get()  # re-render on every step (Mesa's controller bumps the counter)
    lang = model.lang
    inst = model.params.institutions
    summary = model.summary()
    labels = {word("all", lang): ALL, **{category_name(c, lang): c for c in model.innovations.categories}}
    current = next((label for label, value in labels.items() if value == category_choice.value), word("all", lang))
    with solara.Column():
        solara.Select(label=word("category", lang), value=current, values=list(labels),
                      on_value=lambda label: category_choice.set(labels.get(label, ALL)))
        solara.Markdown(
            f"**{word('period', lang)}: {model.timeline.label(max(model.steps, 1))}** — "
            + word("summary", lang, batches=summary["binding_batches"], items=summary["binding_items"],
                   failures=summary["failures"])
            + f"\n\n{word('leadership', lang)}: {choice_label(inst.leadership, lang)} · "
            f"{word('fault_tolerance', lang)}: {inst.fault_tolerance:.2f} · "
            f"{word('feedback', lang)}: {choice_label(inst.feedback, lang)} · "
            f"{word('network', lang)}: {choice_label(model.params.network.kind, lang)} "
            f"({model.n_regions} × {model.n_innovations})")


@solara.component
def NetworkView(model: AppModel):
    update_counter.get()
    solara.FigureMatplotlib(draw_network(model), format="png")


@solara.component
def CurvesView(model: AppModel):
    update_counter.get()
    solara.FigureMatplotlib(draw_curves(model), format="png")


@solara.component
def ChannelsView(model: AppModel):
    update_counter.get()
    solara.FigureMatplotlib(draw_channels(model), format="png")


def model_controls(scenario: str | None, lang: str) -> dict[str, Any]:
    """SolaraViz's user parameters: sliders and selects starting at the scenario's values."""
    p = _base_scenario(scenario).parameters()
    inc = p.institutions.incentives

    def slider(key: str, value: float, high: float, step: float) -> dict[str, Any]:
        return {"type": "SliderFloat", "label": word(key, lang), "value": float(value), "min": 0.0,
                "max": float(max(high, value)), "step": step}

    def select(key: str, value: str, values) -> dict[str, Any]:
        return {"type": "Select", "label": word(key, lang), "value": choice_label(value, lang),
                "values": [choice_label(v, lang) for v in values]}

    return {
        "scenario": scenario,
        "lang": lang,
        "seed": {"type": "SliderInt", "label": word("seed", lang), "value": 0, "min": 0, "max": 99, "step": 1},
        "learning_weight": slider("learning", p.channels.learning.weight_per_year, 4.0, 0.05),
        "competition_weight": slider("competition", p.channels.competition.weight_per_year, 2.0, 0.05),
        "mandate_weight": slider("mandate", p.channels.mandate.weight_per_year, 8.0, 0.1),
        "leadership": select("leadership", p.institutions.leadership, LEADERSHIPS),
        "fault_tolerance": slider("fault_tolerance", p.institutions.fault_tolerance, 1.0, 0.05),
        "assessment_weight": slider("assessment", inc.assessment_weight, 3.0, 0.1),
        "reward": slider("reward", inc.reward, 2.0, 0.1),
        "penalty": slider("penalty", inc.penalty, 2.0, 0.1),
        "feedback": select("feedback", p.institutions.feedback, FEEDBACK_MODES),
        "network": select("network", p.network.kind if p.network.kind in NETWORKS else "provinces", NETWORKS),
    }


def make_page(scenario: str | None = None, lang: str = "en"):
    """The SolaraViz page for a scenario (a library name or a file) in a language."""
    model = AppModel(scenario=scenario, lang=lang)
    return SolaraViz(model, components=[(ViewControls, 0), (NetworkView, 0), (CurvesView, 0), (ChannelsView, 0)],
                     model_params=model_controls(scenario, lang), name=word("title", lang), play_interval=150)


def _page_from_environment():
    scenario = os.environ.get(SCENARIO_ENV) or None
    lang = os.environ.get(LANG_ENV, "en")
    return make_page(scenario, lang)


@solara.component
def Page():
    """Solara's entry point when this file is served with ``solara run``."""
    return _page_from_environment()
