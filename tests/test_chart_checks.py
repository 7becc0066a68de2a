"""Charts checked like code: every library scenario's charts, in English and Chinese, at page and slide
size, have nothing cut off, no legend over data, no empty axes, calendar time axes and their frame (a
slide 16:9); charts that do not apply to a world are left out with a reason (tests/chart_checks.py).

Drawing is what costs (0.05-0.4 s a chart here, several seconds for a map of a complete graph), so by
default a scenario with a world of its own (network, time line, central policies, innovations or channels
unlike the baseline's) has its whole chart set checked in both languages and both sizes, between two
combinations of them, and a scenario that only changes the baseline's institutions or pathways (the same
charts over the same world, other numbers) has the chart that carries its own title checked in both
languages, on the page and on a slide. A chart that does not apply to a world must be left out with a
reason (never silently). FTZ_DIFFUSION_CHART_MATRIX=full checks every chart of every scenario in all four
combinations (five minutes here).
"""

import os
import warnings
from functools import cache

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import chart_checks as checks
import diffusion as d
from diffusion import charts
from diffusion.i18n import t

COMBINATIONS = (("en", "page"), ("zh", "slide"), ("en", "slide"), ("zh", "page"))
RUN_CHARTS = (*charts.RUN_FIGURES, "policy_compliance")
TIME_SERIES = {"cohort_coverage", "cumulative_adoptions", "categories", "channels", "failures"}
FULL = os.environ.get("FTZ_DIFFUSION_CHART_MATRIX") == "full"


@cache
def _world(name: str) -> tuple:
    """What a scenario's charts show besides its numbers: its regions and network, time line, central
    policies, how many innovations of what kind, and which channels (and so which batches) there are."""
    resolved = d.load(name).resolved()
    innovations = {key: value for key, value in resolved["innovations"].items() if not key.startswith("pathway")}
    channels = {key: (value.get("enabled"), value.get("schedule")) for key, value in resolved["channels"].items()}
    return tuple(repr(part) for part in (resolved["network"], resolved["time"], resolved.get("policies"),
                                         innovations, channels))


def _own_world(name: str) -> bool:
    return name == "baseline" or _world(name) != _world("baseline")


def _cases():
    """(scenario, language, size, charts): every scenario in both languages and both sizes."""
    worlds = 0
    for name in sorted(d.library()):
        if FULL:
            chosen, shown = COMBINATIONS, RUN_CHARTS
        elif _own_world(name):   # both languages and both sizes, in two combinations, taken in turn
            chosen, shown = COMBINATIONS[2 * (worlds % 2):2 * (worlds % 2) + 2], RUN_CHARTS
            worlds += 1
        else:
            chosen, shown = COMBINATIONS[:2], ("adoption_curves",)
        for lang, size in chosen:
            yield pytest.param(name, lang, size, shown, id=f"{name}-{lang}-{size}")


@cache
def run_of(name: str):
    """One run of a library scenario: 2 replicates (so the bands are drawn) over its own horizon."""
    return d.run(name, replicates=2)


def assert_passes(fig, size: str, lang: str, what: str, time_series: bool = False) -> None:
    try:
        found = checks.problems(fig, size, charts.SIZES, t("date", lang), time_series)
    finally:
        plt.close(fig)
    assert not found, f"{what}:\n  " + "\n  ".join(found)


@pytest.mark.parametrize("scenario, lang, size, shown", list(_cases()))
def test_library_charts_pass_the_checks(scenario, lang, size, shown):
    chart_set = run_of(scenario).figures(lang, size)
    for chart in shown:
        if chart not in chart_set:   # left out: it does not apply to this world, and says why
            assert chart_set.skipped.get(chart), f"{scenario}: chart {chart!r} is neither drawn nor left out with a reason"
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)   # a missing glyph or a layout not applied is a defect too
            assert_passes(chart_set[chart](), size, lang, f"{scenario} {lang} {size} {chart}", chart in TIME_SERIES)


def test_charts_that_do_not_apply_to_a_teaching_world_are_left_out_with_the_reason():
    for lang in ("en", "zh"):
        chart_set = run_of("teaching-bass").figures(lang)
        assert {"ftz_gap", "failures", "policy_compliance"} <= set(chart_set.skipped)
        assert not {"ftz_gap", "failures", "policy_compliance"} & set(chart_set)
    skipped = run_of("teaching-bass").figures("en").skipped
    assert "no region of this world is an FTZ" in skipped["ftz_gap"]
    assert "no reform failed" in skipped["failures"]
    assert "ftz_gap" not in run_of("teaching-small-world").figures().skipped   # it has 5 FTZs


def test_a_world_without_ftzs_draws_one_curve_not_empty_groups():
    fig = run_of("teaching-bass").figures("en")["adoption_curves"]()
    labels = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    plt.close(fig)
    assert labels == [t("all_regions", "en")]


def test_a_slide_is_16_9_as_saved_even_for_the_heatmap_of_300_cities(tmp_path):
    from PIL import Image

    assert charts.SIZES["slide"][0] / charts.SIZES["slide"][1] == pytest.approx(16 / 9)
    tables = run_of("hierarchy-prefectures").tables
    names = charts.save(charts.region_category_heatmap(tables["adoptions"], tables["innovations"], size="slide"),
                        tmp_path, "heatmap", formats=("png",))
    width, height = Image.open(tmp_path / names[0]).size
    assert width / height == pytest.approx(16 / 9, rel=0.002)


def test_the_failures_chart_is_drawn_on_a_date_axis():
    fig = run_of("baseline").figures("en")["failures"]()
    checks.draw(fig)
    assert not checks.non_date_time_axes(fig, expected=True)
    plt.close(fig)


# ------------------------------------------------------------------------------ experiment charts
COMPARED = ["baseline", "leadership-reform-office", "pathway-autonomy-absorption", "incentives-positive-reverse",
            "no-mandate"]


@pytest.fixture(scope="module")
def comparison():
    return d.compare(COMPARED, replicates=2)


@pytest.mark.parametrize("lang, size", COMBINATIONS)
def test_comparison_charts_name_the_scenarios_by_title_and_cut_nothing_off(comparison, lang, size):
    titles = {name: getattr(d.load(name).title, lang) or d.load(name).title.en for name in COMPARED}
    for chart, draw in comparison.figures(lang, size).items():
        fig = draw()
        found = checks.problems(fig, size, charts.SIZES, t("date", lang), chart == "adoption_curves")
        shown = " ".join(text.get_text() for text, *_ in checks.Drawn(fig, fig.canvas.get_renderer()).items)
        plt.close(fig)
        assert not found, f"comparison {lang} {size} {chart}:\n  " + "\n  ".join(found)
        assert "leadership-reform-office" not in shown, f"{chart}: a scenario is named by its file name"
        assert titles["pathway-autonomy-absorption"][:4] in shown, f"{chart}: the scenarios' titles are not shown"


@pytest.mark.parametrize("lang, size", COMBINATIONS[:2])
def test_comparison_panel_titles_are_whole_not_cut_at_the_edge(comparison, lang, size):
    from diffusion.i18n import metric_label

    metrics = (*charts.KEY_METRICS, "share_national")   # "Share of innovations that became national (...)"
    fig = charts.metric_comparison(comparison.tables["comparison"], metrics, lang=lang, size=size)
    drawn = checks.Drawn(fig, checks.draw(fig))
    titles = ["".join(text.get_text().split()) for text, _, _, kind in drawn.items if kind == "title"]
    for metric in metrics:
        assert "".join(metric_label(metric, lang).split()) in titles, f"{metric}: its panel title is not whole"
    assert not checks.clipped_texts(drawn) and not checks.overlapping_titles(drawn)
    plt.close(fig)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    return d.sweep("sweep-leadership-fault-tolerance", folder=tmp_path_factory.mktemp("sweep"), replicates=1,
                   steps=12)


@pytest.mark.parametrize("lang, size", COMBINATIONS[1:3])
def test_sweep_charts_pass_the_checks(sweep, lang, size):
    for name, draw in sweep.figures(lang, size).items():
        assert_passes(draw(), size, lang, f"sweep {lang} {size} {name}")


@pytest.mark.parametrize("lang, size", COMBINATIONS[:2])
def test_the_discovery_chart_passes_the_checks(lang, size):
    """(A peeling trajectory of the shape PRIM gives: scenario discovery itself imports the EMA Workbench,
    seconds that a chart check need not spend.)"""
    trajectory = pd.DataFrame({"coverage": np.linspace(1.0, 0.3, 12), "density": np.linspace(0.4, 0.95, 12),
                               "res_dim": [0, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4], "chosen": [False] * 7 + [True] + [False] * 4})
    assert_passes(charts.prim_tradeoff(trajectory, "coverage", lang, size), size, lang, f"discovery {lang} {size}")


@pytest.fixture(scope="module")
def sensitivity(tmp_path_factory):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # too few samples for trustworthy indices: only the chart is tested
        return {method: d.sensitivity("sensitivity-institutions", method=method, samples=samples,
                                      outcomes=["coverage", "median_time_to_50"], steps=12,
                                      folder=tmp_path_factory.mktemp(method))
                for method, samples in (("morris", 4), ("sobol", 4))}


@pytest.mark.parametrize("lang, size", (COMBINATIONS[0], COMBINATIONS[3]))
def test_the_sensitivity_legend_covers_no_bars(sensitivity, lang, size):
    for method, result in sensitivity.items():
        fig = result.plot("sensitivity", lang=lang, size=size)
        assert not fig.axes[0].get_legend(), "one legend for all panels, beside them"
        assert_passes(fig, size, lang, f"sensitivity {method} {lang} {size}")


# ------------------------------------------------------------------------------ the checks themselves
def test_the_checks_find_what_they_claim_to_find():
    sizes = {"page": (6.5, 4.0), "slide": (10.0, 5.625)}
    fig, ax = plt.subplots(figsize=(6.5, 4.0))
    ax.plot([0, 10], [5, 5], label="a line through the legend")
    ax.legend(loc="center left")
    ax.set_title("a title far too long for its figure " * 4, loc="left")
    empty = fig.add_axes((0.7, 0.7, 0.2, 0.2))
    found = checks.problems(fig, "page", sizes)
    assert any("cut off at the right edge" in f for f in found)
    assert any("legend covers data" in f for f in found)
    assert any("has no data" in f for f in found)
    assert not checks.problems(plt.figure(figsize=(6.5, 4.0)), "page", sizes)
    fig.delaxes(empty)

    hours = plt.figure(figsize=(10.0, 6.5))
    axes = hours.add_subplot()
    axes.plot(pd.date_range("2020-01-01", periods=5, freq="h"), np.arange(5))
    axes.set_xlabel("Date")
    found = checks.problems(hours, "slide", sizes, date_label="Date")
    assert any("16:9" in f for f in found) and any("days or hours" in f for f in found)
    numbers = plt.figure(figsize=(6.5, 4.0))
    numbers.add_subplot().plot([2014, 2015, 2016], [1, 2, 3])
    assert any("not a date axis" in f for f in checks.problems(numbers, "page", sizes, time_series=True))
    plt.close("all")
