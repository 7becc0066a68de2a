"""Labels in English and Chinese: chart titles, axes, legends, region, category and channel names.

``t(key, lang)`` gives a label; ``region_name`` and ``category_name`` translate data values. Chinese
needs a CJK font: ``use_cjk_font`` finds one (Debian's fonts-noto-cjk) and warns once if none is found.
"""

from __future__ import annotations

import warnings
from functools import cache

LANGS = ("en", "zh")

LABELS: dict[str, tuple[str, str]] = {
    "coverage_axis": ("Adoption coverage (%)", "采纳覆盖率(%)"),
    "date": ("Date", "日期"),
    "all_regions": ("All regions", "全部地区"),
    "ftz_regions": ("FTZ regions", "自贸试验区所在地区"),
    "non_ftz_regions": ("Non-FTZ regions", "非自贸试验区地区"),
    "batch": ("State Council batch", "国务院复制推广批次"),
    "adoption_title": ("Adoption of FTZ innovations over time", "自贸试验区创新成果的采纳进程"),
    "band_note": ("mean and 90% band of {n} runs", "{n}次运行的均值与90%区间"),
    "scenario_curves_title": ("Adoption coverage by scenario", "各情景的采纳覆盖率"),
    "category_title": ("Adoption by category", "分领域采纳进程"),
    "channels_title": ("Why regions adopted: channel attribution over time", "地区为何采纳:各扩散渠道的贡献"),
    "channels_axis": ("Adoptions per period (attributed)", "每期采纳数(按渠道分解)"),
    "map_title": ("Mean years from pilot to adoption", "从试点到采纳的平均年数"),
    "map_colorbar": ("years", "年"),
    "never": ("never adopted", "从未采纳"),
    "no_adoptions": ("No region adopted an innovation it did not pilot.", "没有地区采纳非本地试点的创新。"),
    "ftz_marker": ("FTZ", "自贸试验区"),
    "heatmap_title": ("Mean years from pilot to adoption, by region and category",
                      "分地区、分领域从试点到采纳的平均年数"),
    "failures_title": ("Failures and corrections per year", "每年的改革失败与纠错"),
    "failures": ("Failures", "失败"),
    "corrections": ("Corrected", "已纠正"),
    "abandonments": ("Abandoned", "已放弃"),
    "per_year": ("Adoptions per year", "每年采纳数"),
    "gap_title": ("Coverage gap: FTZ minus non-FTZ regions", "覆盖率差距:自贸试验区地区减非自贸试验区地区"),
    "gap_axis": ("Gap (percentage points)", "差距(百分点)"),
    # measures that no birth of an innovation and no new FTZ can lower (coverage_by_age, _by_cohort, kept adoptions)
    "adoption_age_title": ("Adoption of FTZ innovations by time since pilot", "自贸试验区创新成果试点后的采纳进程"),
    "age_axis": ("Years since pilot", "试点以来年数"),
    "age_coverage_axis": ("Regions that adopted and kept it (%)", "已采纳并保留的地区占比(%)"),
    "age_note": ("each point: mean over the innovations at least that old\n(shown where at least {n} are)",
                 "每点为达到该年数的创新的平均值\n(仅显示至少{n}项创新达到的年数)"),
    "ftz_group": ("FTZ regions (fixed group: FTZ by the end of the run)", "自贸试验区所在地区(固定组:期末设有自贸试验区)"),
    "non_ftz_group": ("Other regions (fixed group)", "其他地区(固定组)"),
    "gap_age_title": ("Coverage gap by time since pilot:\nFTZ regions minus the others (fixed groups)",
                      "试点以来的覆盖率差距:自贸试验区地区减其他地区(固定组)"),
    "gap_age_axis": ("Gap in regions holding the innovation (percentage points)", "采纳并保留地区占比之差(百分点)"),
    "cohort_title": ("Coverage of each pilot-year cohort (fixed membership)", "各试点年份组的覆盖率(成员固定)"),
    "cohort_axis": ("Cohort's region x innovation pairs adopted and kept (%)", "该组地区×创新组合中已采纳并保留的比例(%)"),
    "cohort_legend": ("Pilot year", "试点年份"),
    "mean_note": ("mean of {n} runs", "{n}次运行的均值"),
    "cumulative_title": ("Adoptions kept so far", "累计保留的采纳数"),
    "cumulative_axis": ("Adoptions kept so far (region x innovation pairs, pilots included)",
                        "累计保留的采纳数(地区×创新组合,含试点)"),
    "scenario_cumulative_title": ("Adoptions kept so far, by scenario", "各情景累计保留的采纳数"),
    "projected_batch": ("Projected batch (scenario, not yet issued)", "预测批次(情景假设,尚未发布)"),
    "projection_period": ("Projection (after the historical record)", "预测期(历史记录之后)"),
    "compliance_title": ("Compliance with central policies", "中央政策的执行进度"),
    "point": ("Point", "点"),
    "sweep_report_title": ("Sweep {name}: {points} points, {runs} runs", "参数扫描 {name}:{points}个参数点,{runs}次运行"),
    "point_settings": ("Point and its settings", "参数点及其设定"),
    "points_heading": ("{outcome} by sweep point (best {n} first, at most 12)", "各参数点的{outcome}(由高到低,至多12个)"),
    "difference_title": ("Difference from {reference}, with 90% confidence intervals",
                         "与{reference}的差异(90%置信区间)"),
    "paired_note": ("paired replicates (common random numbers); solid: the interval excludes zero",
                    "配对重复(共同随机数);实心:区间不含零"),
    "unpaired_note": ("unpaired (different seeds or seeding): wider intervals; solid: the interval excludes zero",
                      "非配对(种子不同):区间更宽;实心:区间不含零"),
    "sweep_title": ("{outcome} across the sweep", "{outcome}随参数的变化"),
    "main_effects_note": ("each panel: the mean over the other factors at each value (main effect)",
                          "每幅小图:其余因素取平均时该因素各取值下的均值(主效应)"),
    "compliance_axis": ("Regions in scope that have adopted it (%)", "适用地区中已采纳的比例(%)"),
    "months_since_issue": ("Months since the policy was issued", "政策发布以来的月数"),
    "deadline": ("Deadline", "期限"),
    "issued_share": ("(issued in {share:.0f}% of runs)", "(在{share:.0f}%的运行中发布)"),
    "age_projection_note": ("includes projected years (from {date}, after the historical record)",
                            "含预测期({date}起,历史记录之后)"),
    "coverage_so_far_axis": ("Pairs adopted, over innovations piloted so far (%)", "已采纳组合占比(%,分母为迄今已试点的创新)"),
    "points_unit": (" pp", "个百分点"),
    "so_far_note": ("share of pairs adopted over the innovations piloted so far: it falls when new ones are born",
                    "分母为迄今已试点的创新:新创新出现时会下降"),
    "comparison_title": ("Key metrics by scenario (mean and 5-95% interval over replicates)",
                         "各情景关键指标(均值与5%-95%区间)"),
    "sens_title": ("{method} sensitivity (bars: estimate; whiskers: 95% confidence interval)",
                   "{method}敏感性分析(柱:估计值;须线:95%置信区间)"),
    "S1": ("first order S1", "一阶指数 S1"),
    "ST": ("total ST", "总效应指数 ST"),
    "sobol_axis": ("Sobol index", "Sobol指数"),
    "morris_axis": ("Morris mu* (mean |elementary effect|)", "Morris mu*(基本效应绝对值均值)"),
    "categorical": (" (categorical)", "(分类)"),
    "prim_title": ("Scenario discovery for {outcome}: PRIM peeling trajectory", "{outcome}的情景发现:PRIM剥离轨迹"),
    "prim_coverage": ("Coverage (share of cases of interest inside the box)", "覆盖度(目标情形落在盒内的比例)"),
    "prim_density": ("Density (share of the box that are cases of interest)", "密度(盒内目标情形的比例)"),
    "prim_dims": ("restricted dimensions", "受限维度数"),
    "chosen_box": ("chosen box", "选定的盒"),
    "spontaneous": ("Spontaneous", "自发"),
    "learning": ("Learning", "学习"),
    "competition": ("Competition", "竞争"),
    "mandate": ("Mandate", "强制"),
    "report_title": ("Scenario report", "情景报告"),
    "question": ("Question", "研究问题"),
    "description": ("Scenario", "情景说明"),
    "key_metrics": ("Key metrics", "关键指标"),
    "metric": ("Metric", "指标"),
    "mean": ("Mean", "均值"),
    "interval": ("5-95% interval", "5%-95%区间"),
    "changed": ("Parameters that differ from the baseline", "与基准情景不同的参数"),
    "parameter": ("Parameter", "参数"),
    "value": ("Value", "取值"),
    "baseline_value": ("Baseline", "基准值"),
    "no_changes": ("None: this is the baseline design.", "无:即基准设定。"),
    "sources": ("Data sources", "数据来源"),
    "generated": ("Generated by ftz-diffusion {version}, seed {seed}, {replicates} replicate(s).",
                  "由 ftz-diffusion {version} 生成,随机种子 {seed},{replicates} 次重复运行。"),
    "figures": ("Figures", "图表"),
    "cal_band": ("Simulated, 90% band (posterior predictive)", "模拟值90%区间(后验预测)"),
    "cal_simulated": ("Simulated, median", "模拟值中位数"),
    "cal_observed": ("Observed", "观测值"),
    "cal_time_axis": ("Periods since the policy's first adoption ({months} months each)",
                      "自政策首次采纳以来的期数(每期{months}个月)"),
    "cal_curve_axis": ("Regions that adopted (%, mean over policies)", "已采纳地区占比(%,各政策平均)"),
    "cal_curves_title": ("Calibration: observed vs simulated adoption curves", "校准:观测与模拟的采纳曲线"),
    "cal_posterior": ("Posterior", "后验分布"),
    "cal_prior": ("Prior (uniform)", "先验(均匀分布)"),
    "cal_posterior_title": ("Fitted parameters: posterior, median and 90% interval",
                            "校准参数:后验分布、中位数与90%区间"),
    "cal_observed_ci": ("Observed (95% CI)", "观测数据(95%置信区间)"),
    "cal_simulated_band": ("Simulated (90% band)", "模拟数据(90%区间)"),
    "cal_term_intercept": ("Intercept", "截距"),
    "cal_term_neighbour_share": ("Share of neighbours adopted", "邻近地区已采纳比例"),
    "cal_term_log_time_since_introduction": ("log(1 + time since introduction)", "log(1+引入以来时间)"),
    "cal_coefficient_axis": ("Logit coefficient", "Logit系数"),
    "cal_eha_title": ("Event-history logit of adoption: observed vs simulated", "采纳的事件史Logit模型:观测与模拟"),
    "attr_title": ("Counterfactual channel attribution: Shapley values", "扩散渠道的反事实归因:Shapley值"),
    "attr_note": ("bars: mean of {n} replicates; whiskers: 90% confidence interval of the mean",
                  "柱:{n}次重复运行的均值;须线:均值的90%置信区间"),
    "attr_coverage_title": ("Final coverage", "期末覆盖率"),
    "attr_coverage_total": ("all on minus all off: {total} pp", "全部渠道开启减全部关闭:{total}个百分点"),
    "attr_coverage_axis": ("Contribution (percentage points)", "贡献(百分点)"),
    "attr_time_to_50_title": ("Years to 50% coverage (restricted mean)", "达到50%覆盖的年数(限制均值)"),
    "attr_time_to_50_total": ("all on minus all off: {total} years", "全部渠道开启减全部关闭:{total}年"),
    "attr_time_to_50_axis": ("Contribution (years; negative: faster)", "贡献(年;负值表示更快)"),
    "attr_shapley": ("Shapley value (switching the channel off and on)", "Shapley值(关闭与开启该渠道的反事实)"),
    "attr_hazard": ("Hazard share x total (per-adoption attribution)", "风险份额×总效应(按单次采纳归因)"),
}

CATEGORY_ZH = {
    "investment": "投资自由化便利化",
    "trade": "贸易便利化",
    "finance": "金融开放创新",
    "in-process/ex-post supervision": "全过程监管",
    "industry": "产业开放发展",
    "factor resources": "要素资源保障",
    "regional coordination": "区域协同发展",
}


def t(key: str, lang: str = "en", **fields) -> str:
    """A label in the given language, with {fields} filled in."""
    if lang not in LANGS:
        raise ValueError(f"--lang must be one of {', '.join(LANGS)} (given: {lang!r})")
    en, zh = LABELS[key]
    return (zh if lang == "zh" else en).format(**fields)


@cache
def _region_zh() -> dict[str, str]:
    from . import china

    table = china.load("provinces")
    return {en: zh.removesuffix("省").removesuffix("市") if not zh.endswith("自治区") else _short_zh(zh)
            for en, zh in zip(table["name_en"], table["name_zh"])}


def _short_zh(name: str) -> str:
    for full, short in (("内蒙古自治区", "内蒙古"), ("广西壮族自治区", "广西"), ("西藏自治区", "西藏"),
                        ("宁夏回族自治区", "宁夏"), ("新疆维吾尔自治区", "新疆")):
        if name == full:
            return short
    return name


def region_name(name: str, lang: str) -> str:
    """A region's display name: provinces get their short Chinese name in zh."""
    return _region_zh().get(name, name) if lang == "zh" else name


def category_name(name: str, lang: str) -> str:
    return CATEGORY_ZH.get(name, name) if lang == "zh" else name


def channel_name(name: str, lang: str) -> str:
    return t(name, lang) if name in LABELS else name


def metric_label(name: str, lang: str) -> str:
    """A metric's label from the registry of declared outputs (diffusion/outputs.py), or its name."""
    from .outputs import all_metrics

    output = all_metrics().get(name)
    return output.label(lang) if output is not None else name


CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                "SimHei", "Microsoft YaHei")


@cache
def cjk_font() -> str | None:
    """Family name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    for attempt in range(2):
        for family in CJK_FAMILIES:
            try:
                path = font_manager.fontManager.findfont(font_manager.FontProperties(family=family),
                                                         fallback_to_default=False)
            except ValueError:
                continue
            if FT2Font(path).get_char_index(ord("中")):
                return family
        if attempt == 0:  # fonts installed after matplotlib cached its font list: rebuild the list once,
            # in place, since the renderers hold references to the font manager object
            rebuilt = font_manager._load_fontmanager(try_read_cache=False)
            font_manager.fontManager.__dict__.update(rebuilt.__dict__)
            cached = getattr(font_manager.FontManager, "_findfont_cached", None)
            if hasattr(cached, "cache_clear"):
                cached.cache_clear()
    return None


_warned = False


def use_cjk_font() -> str | None:
    """Make matplotlib fall back to a CJK font for Chinese glyphs; warn once if there is none."""
    global _warned
    import matplotlib

    family = cjk_font()
    if family is None:
        if not _warned:
            warnings.warn("no Chinese font found: Chinese labels will show as empty boxes. Install Debian's "
                          "fonts-noto-cjk (apt-get install fonts-noto-cjk) and run again.", stacklevel=2)
            _warned = True
        return None
    # matplotlib falls back glyph by glyph only along font.family, not within a generic family's list
    current = list(matplotlib.rcParams["font.family"])
    if family not in current:
        first = [f for f in current if f not in ("sans-serif", "serif", "monospace")] or ["DejaVu Sans"]
        matplotlib.rcParams["font.family"] = [*first, family]
    return family
