"""Declared outputs: one registry of the metrics and series every run reports.

Each :class:`Output` has its name, unit, whether higher is better, English and Chinese labels and a
description. The tables docs (docs_gen), chart and report labels and formats (i18n, charts, report)
and the outcome checks of experiments (api) all read this registry, so a metric is declared once.

Users can declare their own metric, a function of one run's tables, and use it as an outcome in sweeps,
sensitivity analyses and scenario discovery, as BehaviorSpace reporters allow::

    import diffusion as d
    d.metric("share_trade_national", lambda tables: ..., unit="share",
             label_en="Trade reforms that became national", label_zh="成为全国性改革的贸易类创新占比")
    d.sweep("my-sweep", folder="out").tables["results"]["share_trade_national"]

Units: ``share`` (0-1, shown in %), ``points`` (a difference of shares, shown in percentage points),
``count``, ``years``, ``index`` (such as a Gini) and ``number``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

UNITS = ("share", "points", "count", "years", "index", "number", "flag")


@dataclass(frozen=True)
class Output:
    """One declared output: a metric (one number per run) or a series (one per step)."""

    name: str
    unit: str
    higher_is_better: bool | None
    label_en: str
    label_zh: str
    description: str
    function: Callable | None = None    # a user-declared metric: function(tables of one run) -> number

    def label(self, lang: str = "en") -> str:
        return (self.label_zh if lang == "zh" and self.label_zh else self.label_en) or self.name


METRICS: dict[str, Output] = {o.name: o for o in (
    Output('steps', 'count', None,
           'Steps run',
           '运行步数',
           'Steps run.'),
    Output('regions', 'count', None,
           'Regions',
           '地区数',
           'Number of regions.'),
    Output('innovations', 'count', None,
           'Innovations in the run',
           '创新数',
           'Innovations in the run.'),
    Output('coverage', 'share', True,
           'Final coverage (share of region x innovation pairs)',
           '期末覆盖率(地区×创新组合的比例)',
           'Share of (region, innovation) pairs held at the end, over innovations born (lowered by the innovations born near the end).'),
    Output('coverage_at_3_years', 'share', True,
           'Coverage 3 years after pilot (share of regions, mean over innovations)',
           '试点3年后的覆盖率(地区占比,各创新平均)',
           'Mean share of regions holding an innovation three years after its pilot, over the innovations piloted at least three years before the end (`coverage_by_age` at 3 years).'),
    Output('coverage_at_5_years', 'share', True,
           'Coverage 5 years after pilot (share of regions, mean over innovations)',
           '试点5年后的覆盖率(地区占比,各创新平均)',
           'The same five years after the pilot.'),
    Output('binding_batches', 'count', None,
           'Binding batches issued',
           '强制推广批次数',
           'Binding batches issued.'),
    Output('binding_items', 'count', None,
           'Innovations made binding',
           '强制推广事项数',
           'Innovations made binding.'),
    Output('binding_batches_by_2023', 'count', None,
           'Binding batches by 2023',
           '2023年前强制推广批次数',
           'Binding batches issued by December 2023 (7 real).'),
    Output('binding_items_by_2023', 'count', None,
           'Binding items mandated by 2023',
           '2023年前国务院复制推广事项数',
           'Innovations made binding by December 2023 (167 real).'),
    Output('best_practice_items', 'count', None,
           'Best-practice items',
           '最佳实践案例数',
           'Innovations published as best practices.'),
    Output('share_national', 'share', True,
           'Share of innovations that became national (>= 90% of regions)',
           '成为全国性改革的创新占比(≥90%地区采纳)',
           'Share of the innovations born that at least `output.national_share` of regions hold.'),
    Output('share_reaching_50', 'share', True,
           'Share of innovations reaching 50% of regions',
           '达到50%地区采纳的创新占比',
           'Share of the innovations born that reached 50% of regions at some step.'),
    Output('share_reaching_90', 'share', True,
           'Share of innovations reaching 90% of regions',
           '达到90%地区采纳的创新占比',
           'Share that reached 90%.'),
    Output('median_time_to_50', 'years', False,
           'Median years from pilot to 50% of regions',
           '从试点到50%地区采纳的年数(中位数)',
           'Median years from birth to 50% of regions, over innovations that got there.'),
    Output('median_time_to_90', 'years', False,
           'Median years from pilot to 90% of regions',
           '从试点到90%地区采纳的年数(中位数)',
           'The same for 90%.'),
    Output('share_90_within_5_years', 'share', True,
           'Share reaching 90% of regions within 5 years',
           '5年内达到90%地区覆盖的比例',
           'Of the innovations born at least five years before the end, the share that reached 90% within five years.'),
    Output('adoptions', 'count', True,
           'Adoptions (pilots included)',
           '采纳次数(含试点)',
           'Adoptions, pilots included.'),
    Output('cumulative_adoptions', 'count', True,
           'Adoptions kept at the end (pilots included)',
           '期末保留的采纳数(含试点)',
           'Adoptions kept at the end, pilots included (`adoptions` less the abandoned and retried ones; the last value of the series column).'),
    Output('failures', 'count', False,
           'Failed adoptions',
           '失败的采纳数',
           'Failed adoptions.'),
    Output('corrections', 'count', True,
           'Corrected failures',
           '纠正的失败数',
           'Corrected failures.'),
    Output('abandonments', 'count', False,
           'Abandoned reforms',
           '放弃的改革数',
           'Uncorrected failures (reform dropped).'),
    Output('failure_rate', 'share', False,
           'Share of adoptions that failed',
           '失败的采纳占比',
           '`failures` / `adoptions`.'),
    Output('retries', 'count', False,
           'Failures retried under a binding mandate',
           '强制要求下重做的失败数',
           'Failures under a binding mandate in force that were undone to be done again (a standing mandate is never abandoned).'),
    Output('projected_batches', 'count', None,
           'Projected batches',
           '预测批次数',
           'Batches issued after the end of the historical record (projections).'),
    Output('pilots', 'count', None,
           'FTZ pilots',
           '自贸试验区试点数',
           'FTZ pilots born in the run (generated innovations with an origin; central policies excluded).'),
    Output('mature_pilots', 'count', None,
           'Pilots old enough to be judged',
           '已足够成熟的试点数',
           'Pilots at least `output.mature_pilot_years` old at the end of the run.'),
    Output('share_never_scaled_up', 'share', None,
           'Share of pilots never scaled up (all)',
           '从未推广的试点占比(全部)',
           'Share of the pilots the centre never promoted (in no batch or list), raw: young pilots have had no chance yet.'),
    Output('share_never_scaled_up_mature', 'share', None,
           'Share of mature pilots never scaled up',
           '成熟试点中从未推广的占比',
           'The same among the mature pilots only (exposure-adjusted): the share to compare with the record of central experiments never scaled up.'),
    Output('ftz_gap', 'points', False,
           'Coverage gap, FTZ minus non-FTZ regions',
           '覆盖率差距(自贸试验区地区减非自贸试验区地区)',
           'Mean coverage of FTZ regions (FTZ by the end of the run) minus that of the others.'),
    Output('ftz_gap_at_3_years', 'points', False,
           'Coverage gap 3 years after pilot, FTZ regions minus others (fixed groups)',
           '试点3年后的覆盖率差距(自贸试验区地区减其他地区,固定组)',
           '`coverage_by_age` three years after the pilot: `ftz_coverage` minus `non_ftz_coverage` (fixed groups).'),
    Output('gini', 'index', False,
           'Gini of adoption across regions',
           '地区间采纳的基尼系数',
           'Gini coefficient of the number of innovations each region holds.'),
    Output('share_spontaneous', 'share', None,
           'Share of the spontaneous channel',
           '自发渠道占比',
           'Mean share of the spontaneous channel over adoptions (pilots left out).'),
    Output('share_learning', 'share', None,
           'Share of the learning channel',
           '学习渠道占比',
           'Mean share of the learning channel.'),
    Output('share_competition', 'share', None,
           'Share of the competition channel',
           '竞争渠道占比',
           'Mean share of the competition channel.'),
    Output('share_mandate', 'share', None,
           'Share of the mandate channel',
           '强制渠道占比',
           'Mean share of the mandate channel.'),
)}

SERIES: dict[str, Output] = {o.name: o for o in (
    Output('coverage', 'share', True,
           'Coverage over innovations born so far',
           '迄今诞生创新的覆盖率',
           'Share of (region, innovation) pairs held, over innovations born so far: falls whenever innovations are born faster than they spread (see above).'),
    Output('ftz_coverage', 'share', True,
           'Coverage, FTZ regions (fixed group)',
           '覆盖率(自贸试验区地区,固定组)',
           'The same over the regions with an FTZ by the end of the run (a fixed group), still over the innovations born so far.'),
    Output('non_ftz_coverage', 'share', True,
           'Coverage, other regions (fixed group)',
           '覆盖率(其他地区,固定组)',
           'The same over the other regions.'),
    Output('innovations', 'count', None,
           'Innovations born',
           '已诞生创新数',
           'Innovations born so far.'),
    Output('binding_items', 'count', None,
           'Binding items so far',
           '迄今强制推广事项数',
           'Innovations made binding so far (cumulative).'),
    Output('binding_batches', 'count', None,
           'Binding batches so far',
           '迄今强制推广批次',
           'Binding batches issued so far.'),
    Output('best_practice_items', 'count', None,
           'Best-practice items so far',
           '迄今最佳实践案例数',
           'Innovations published as best practices so far.'),
    Output('adoptions', 'count', None,
           'Adoptions so far',
           '迄今采纳次数',
           'Adoptions so far, pilots included.'),
    Output('failures', 'count', False,
           'Failures so far',
           '迄今失败数',
           'Failed adoptions so far.'),
    Output('corrections', 'count', None,
           'Corrections so far',
           '迄今纠正数',
           'Corrected failures so far.'),
    Output('abandonments', 'count', None,
           'Abandonments so far',
           '迄今放弃数',
           'Uncorrected failures (reform dropped) so far.'),
    Output('retries', 'count', None,
           'Retries so far',
           '迄今重做数',
           'Failures under a binding mandate undone to be done again, so far (never abandoned).'),
    Output('projected', 'flag', None,
           'Projected step',
           '预测期',
           'True for a step that ends after the historical record the run replays (2025): a projection (shaded in the charts). Always false when the batch schedule is not `historical`.'),
    Output('gini', 'index', False,
           'Gini of adoption',
           '采纳基尼系数',
           'Gini coefficient of the number of innovations each region holds.'),
    Output('cumulative_adoptions', 'count', True,
           'Adoptions kept so far',
           '迄今保留的采纳数',
           'Adoptions kept so far, pilots included: adoption events up to this step that were neither abandoned nor undone to be retried (such an adoption never counts). It never falls.'),
    Output('innovations_born', 'count', None,
           'Innovations born so far',
           '迄今诞生创新数',
           'Innovations whose pilot started by this step: the denominator of `coverage` (divided by the regions), so `coverage` = `cumulative_adoptions` / (`innovations_born` x regions).'),
)}

#: metrics declared by the user in this process (name -> Output with its function)
USER: dict[str, Output] = {}


def metric(name: str, function: Callable, *, unit: str = "number", label_en: str = "", label_zh: str = "",
           description: str = "", higher_is_better: bool | None = None) -> Output:
    """Declare a metric computed from one run's tables (``function(tables) -> number``, tables as in a
    results folder); it then appears in every run's metrics and can be an outcome of sweeps, sensitivity
    analyses and discovery. The function must be importable or picklable to run on other processes."""
    import re

    if not re.fullmatch(r"[a-z][a-z0-9_]*", str(name)):
        raise ValueError(f"metric name {name!r}: use lower-case letters, digits and _ (starting with a letter)")
    if name in METRICS:
        raise ValueError(f"metric {name!r} is a built-in metric; choose another name")
    if not callable(function):
        raise ValueError(f"metric {name!r}: function must be callable (a function of one run's tables)")
    if unit not in UNITS:
        raise ValueError(f"metric {name!r}: unit {unit!r} is not one of {', '.join(UNITS)}")
    output = Output(name, unit, higher_is_better, label_en or name, label_zh, description, function)
    USER[name] = output
    return output


def forget(name: str | None = None) -> None:
    """Remove one user-declared metric (or all)."""
    if name is None:
        USER.clear()
    else:
        USER.pop(name, None)


def all_metrics() -> dict[str, Output]:
    """Built-in and user-declared metrics."""
    return {**METRICS, **USER}


def names_with_unit(*units: str) -> tuple[str, ...]:
    """The metrics (built-in and declared) with one of these units."""
    return tuple(name for name, output in all_metrics().items() if output.unit in units)


def user_values(model, user: dict[str, Output] | None = None) -> dict[str, float]:
    """The user-declared metrics of one finished run (its tables are built once, only if any is declared)."""
    user = USER if user is None else user
    if not user:
        return {}
    from . import tables as run_tables
    from .ensemble import batches_table, policies_table, policy_compliance_table

    # every table of the run but the metrics themselves (which call this)
    tables = {name: build(model) for name, build in run_tables.TABLES.items() if name != "metrics"}
    tables.update(batches=batches_table(model), policies=policies_table(model),
                  policy_compliance=policy_compliance_table(model))
    out = {}
    for name, output in user.items():
        value = output.function(tables)
        try:
            out[name] = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"metric {name!r}: its function returned {value!r}, not a number") from None
    return out
