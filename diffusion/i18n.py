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
    "ties_not_drawn": ("{ties:,} ties, too dense to draw: every region is tied to (almost) every other",
                       "共{ties:,}条联系,过密未绘出:几乎每个地区都与其他所有地区相连"),
    "coverage_map_title": ("Share of the innovations each region adopted and kept, at the end",
                           "各地区期末已采纳并保留的创新比例"),
    "map_uncovered": ("Not covered by the model", "模型未覆盖"),
    "map_no_value": ("No value", "无数值"),
    "map_province_border": ("Provincial border", "省级界线"),
    "map_inset": ("South China Sea Islands", "南海诸岛"),
    "never": ("never adopted", "从未采纳"),
    "no_adoptions": ("No region adopted an innovation it did not pilot.", "没有地区采纳非本地试点的创新。"),
    "skip_no_ftz": ("no region of this world is an FTZ, so there is no FTZ gap to draw",
                    "该情景中没有自贸试验区地区,无从绘制自贸试验区差距"),
    "skip_all_ftz": ("every region of this world is an FTZ, so there is no FTZ gap to draw",
                     "该情景中所有地区均为自贸试验区,无从绘制自贸试验区差距"),
    "skip_no_failures": ("no reform failed in any run", "各次运行中均无改革失败"),
    "skip_no_innovations": ("no innovation was piloted in any run", "各次运行中均无创新试点"),
    "skip_no_policies": ("the scenario has no central policies", "该情景没有中央政策"),
    "skip_not_issued": ("no central policy was issued in any run", "各次运行中均未发布中央政策"),
    "skip_missing_tables": ("the results have no {tables} table (written by an older version)",
                            "结果中没有 {tables} 表(由旧版本写出)"),
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
    # the teaching app (diffusion/app.py): every word on its page
    "app_title": ("FTZ innovation diffusion", "自贸试验区制度创新扩散"),
    "app_step": ("Step", "前进一期"),
    "app_play": ("Play", "播放"),
    "app_pause": ("Pause", "暂停"),
    "app_restart": ("Restart", "重新开始"),
    "app_apply": ("Apply and restart", "应用并重新开始"),
    "app_undo": ("Undo", "撤销"),
    "app_status": ("Step {step} of {steps} · {period}", "第{step}期 / 共{steps}期 · {period}"),
    "app_view": ("View", "显示"),
    "app_category": ("Category", "领域"),
    "app_all": ("All categories", "全部领域"),
    "app_whatif": ("What if?", "假如……"),
    "app_compare": ("Compare with one setting changed", "与改变一项设置的情形并排对比"),
    "app_compare_lever": ("Setting to change", "要改变的设置"),
    "app_compare_value": ("{setting}, changed to", "{setting}改为"),
    "app_settings": ("Settings", "参数设置"),
    "app_seed": ("Random seed", "随机种子"),
    "app_mandate": ("Central mandate (batches)", "中央复制推广批次"),
    "app_on": ("on", "开"),
    "app_off": ("off", "关"),
    "app_leadership": ("Leadership model", "领导体制"),
    "app_fault_tolerance": ("Fault tolerance", "容错纠错程度"),
    "app_feedback": ("Feedback", "反馈机制"),
    "app_learning": ("Learning weight (per year)", "学习渠道强度(每年)"),
    "app_competition": ("Competition weight (per year)", "竞争渠道强度(每年)"),
    "app_mandate_weight": ("Mandate weight (per year)", "强制渠道强度(每年)"),
    "app_assessment": ("Assessment weight of binding items", "约束性事项的考核权重"),
    "app_reward": ("Reward for adopters", "对采纳者的奖励"),
    "app_penalty": ("Penalty below 80% completion", "完成率低于80%的惩罚"),
    "app_network": ("Network", "网络"),
    "app_inequality": ("Unequal benefits of joint reforms", "联动改革收益分配不均程度"),
    "app_compensation": ("Benefit compensation", "利益补偿"),
    "app_complementarity": ("Industrial-chain complementarity", "产业链互补强度"),
    "app_central_local": ("Central-local coordination", "央地协同程度"),
    "app_local": ("Local-level coordination", "地方层级协同程度"),
    "app_choice_cluster": ("within the cluster", "区域内转移"),
    "app_choice_centre": ("by the centre", "中央补助"),
    "app_choice_leading_group": ("leading group", "领导小组"),
    "app_choice_joint_conference": ("joint conference", "联席会议"),
    "app_choice_reform_office": ("party reform office", "党委深改办"),
    "app_choice_none": ("none", "无"),
    "app_choice_one_way": ("one way (reporting up)", "单向(向上报告)"),
    "app_choice_two_way": ("two way", "双向"),
    "app_choice_provinces": ("31 provinces (real borders)", "31个省份(真实接壤)"),
    "app_choice_prefectures": ("prefecture-level cities (real borders)", "地级市(真实接壤)"),
    "app_choice_synthetic_prefectures": ("synthetic prefectures", "合成的地级区域"),
    "app_choice_edge_list": ("the scenario's own network", "情景自带的网络"),
    "app_choice_small_world": ("small world", "小世界网络"),
    "app_choice_scale_free": ("scale free", "无标度网络"),
    "app_choice_random": ("random", "随机网络"),
    "app_choice_complete": ("complete", "完全网络"),
    "app_share": ("share of innovations adopted", "已采纳的创新比例"),
    "app_map_title": ("Adoption share by region", "各地区的采纳比例"),
    "app_curves_title": ("Adoption coverage", "采纳覆盖率"),
    "app_coverage_axis": ("coverage (%)", "覆盖率(%)"),
    "app_no_steps": ("Press Step or Play to run the model", "按“前进一期”或“播放”运行模型"),
    "app_channels_title": ("Why regions adopted (per period)", "地区为何采纳(每期)"),
    "app_channels_axis": ("adoptions, split by channel", "采纳数(按渠道分解)"),
    "app_current": ("Current settings", "当前设置"),
    "app_difference_title": ("Effect of the change", "改变的效果"),
    "app_difference_axis": ("changed − current (points)", "改变后减当前(百分点)"),
    "app_restarted": ("The run restarted at {period}.", "已从{period}重新开始运行。"),
    "app_restarted_with": ("The run restarted at {period}: {changes}.", "已从{period}重新开始运行:{changes}。"),
    "app_compare_with": ("compared with {change}", "对比:{change}"),
    "app_compare_off": ("no comparison", "不再对比"),
    "app_pending": ("Not applied yet: {changes}. Applying restarts the run.", "尚未应用:{changes}。应用后运行将重新开始。"),
    "app_ended": ("The run reached its last period, {period}. Press Restart to run it again.",
                  "已运行至最后一期({period})。按“重新开始”可再次运行。"),
    "app_crn_note": ("Both runs use the same random numbers (seed {seed}): the difference is the effect of the change, "
                     "not luck.", "两次运行使用相同的随机数(种子{seed}):差异来自设置的改变,而非运气。"),
    "app_summary": ("binding batches: {batches} · items mandated: {items} · failures: {failures}",
                    "约束性批次:{batches} · 强制推广事项:{items} · 失败:{failures}"),
    "chosen_box": ("chosen box", "选定的盒"),
    "spontaneous": ("Spontaneous", "自发"),
    "learning": ("Learning", "学习"),
    "competition": ("Competition", "竞争"),
    "mandate": ("Mandate", "强制"),
    "report_title": ("Scenario report", "情景报告"),
    "report_kind_run": ("Scenario report", "情景报告"),
    "report_kind_compare": ("Comparison report", "情景比较报告"),
    "report_kind_sweep": ("Parameter sweep report", "参数扫描报告"),
    "report_kind_sensitivity": ("Sensitivity analysis report", "敏感性分析报告"),
    "report_kind_discovery": ("Scenario discovery report", "情景发现报告"),
    "report_kind_attribution": ("Channel attribution report", "渠道贡献分解报告"),
    "report_kind_calibration": ("Calibration report", "参数校准报告"),
    "report_kind_forecast": ("Forecast report", "预测报告"),
    "forecast_facts": ("{draws} draws from the posterior of {calibration}; the observed history to {data_end} is "
                       "replayed in every run, which then continues to {until}; designs share their random numbers "
                       "draw by draw.",
                       "从 {calibration} 的后验中抽取 {draws} 组参数;每次运行先重演截至 {data_end} 的观测历史,再延续至 {until};"
                       "各方案逐次抽样共享随机数。"),
    "forecast_heading": ("Forecast at the horizon", "预测期末"),
    "forecast_design": ("Design", "方案"),
    "forecast_share": ("Adopted (median)", "已采纳(中位数)"),
    "forecast_interval": ("90% band", "90%区间"),
    "forecast_differences_heading": ("Paired differences from the first design", "与第一个方案的配对差异"),
    "forecast_share_higher": ("Draws higher", "更高的抽样占比"),
    "backtest_heading": ("Backtest", "回测"),
    "backtest_text": ("Fitted on the data to {cutoff}: the observed curve lies inside the 90% band in {cov90:.0%} "
                      "of {periods} later periods (50% band: {cov50:.0%}); {policy90:.0%} of {policies} policies' "
                      "adopters lie inside their 90% interval. At the end: observed {observed:.1%}, forecast "
                      "{median:.1%} [{low:.1%}, {high:.1%}].",
                      "以截至 {cutoff} 的数据拟合:其后 {periods} 个时期中,观测曲线落在90%区间内的占 {cov90:.0%}(50%区间:{cov50:.0%});"
                      "{policies} 项政策中 {policy90:.0%} 的采纳数落在其90%区间内。期末:观测 {observed:.1%},预测 {median:.1%} "
                      "[{low:.1%}, {high:.1%}]。"),
    "question": ("Question", "研究问题"),
    "description": ("Scenario", "情景说明"),
    "no_description": ("The scenario file gives no description of its own; what it changes is listed under "
                       "'Parameters that differ from the baseline'.",
                       "情景文件未给出自己的说明;其改动见“与基准情景不同的参数”。"),
    "key_metrics": ("Key metrics", "关键指标"),
    "metric": ("Metric", "指标"),
    "mean": ("Mean", "均值"),
    "interval": ("5-95% interval", "5%-95%区间"),
    "interval_note": ("Mean over {n} replicate runs and the 5-95% range of the replicates.",
                      "{n}次重复运行的均值,及各次运行的5%-95%区间。"),
    "single_run_note": ("One replicate run: no interval; run more replicates (--replicates) for one.",
                        "仅一次运行,无区间;增加重复次数(--replicates)可得区间。"),
    "changed": ("Parameters that differ from the baseline", "与基准情景不同的参数"),
    "changes_of": ("What “{scenario}” changes", "“{scenario}”的参数改动"),
    "parameter": ("Parameter", "参数"),
    "value": ("Value", "取值"),
    "baseline_value": ("Baseline", "基准值"),
    "reference_value": ("Reference", "参照值"),
    "no_changes": ("None: these are the baseline's parameters.", "无:参数与基准情景相同。"),
    "no_changes_from": ("None: the same parameters as the reference.", "无:参数与参照情景相同。"),
    "sources": ("Data sources", "数据来源"),
    "source_file": ("File", "文件"),
    "source_what": ("What it holds", "内容"),
    "source_confidence": ("Source and confidence", "来源与可信度"),
    "generated": ("Generated by ftz-diffusion {version}, seed {seed}, {replicates} replicate(s).",
                  "由 ftz-diffusion {version} 生成,随机种子 {seed},{replicates} 次重复运行。"),
    "provenance_line": ("ftz-diffusion {version} · scenario {name} · parameters {hash} · seed {seed} · {created}",
                        "ftz-diffusion {version} · 情景 {name} · 参数哈希 {hash} · 随机种子 {seed} · {created}"),
    "provenance": ("Provenance", "来源信息"),
    "provenance_note": ("Running the same version with the same scenario file and seed reproduces these numbers; "
                        "the parameter hash identifies the resolved parameters.",
                        "以同一版本、同一情景文件和随机种子运行可复现这些数字;参数哈希标识解析后的全部参数。"),
    "page_of": ("page {page} of {pages}", "第{page}页,共{pages}页"),
    "run_facts": ("{replicates} replicate run(s) · {start} to {end} · {step} steps · seed {seed}",
                  "{replicates}次重复运行 · {start}至{end} · 步长:{step} · 随机种子 {seed}"),
    "notes": ("Notes", "说明"),
    "chart_left_out": ("Chart '{chart}' left out: {reason}", "未绘制“{chart}”:{reason}"),
    "compare_title": ("{n} scenarios compared with “{reference}”", "{n}个情景与“{reference}”的比较"),
    "scenarios_heading": ("The scenarios", "参与比较的情景"),
    "scenario": ("Scenario", "情景"),
    "reference_mark": ("reference", "参照"),
    "metrics_by_scenario": ("Key metrics by scenario", "各情景的关键指标"),
    "metrics_by_scenario_note": ("Each cell: mean over {n} replicate runs, and in brackets the 5-95% range of the "
                                 "replicates.", "每格为{n}次重复运行的均值,括号内为各次运行的5%-95%区间。"),
    "differences_heading": ("Paired differences from “{reference}”", "与“{reference}”的配对差异"),
    "differences_note": ("Each cell: mean of the paired differences (replicate k of each scenario shares its random "
                         "numbers) and its {level:.0%} confidence interval; bold where the interval excludes 0.",
                         "每格为配对差异的均值(各情景的第k次运行共用随机数)及其{level:.0%}置信区间;区间不含0者加粗。"),
    "report_unpaired_note": ("The scenarios do not share random numbers (independent seeding): differences are not paired.",
                      "各情景未共用随机数(独立播种):差异并非配对差异。"),
    "sweep_report_heading": ("{title}: {points} points, {runs} runs", "{title}:{points}个参数点,{runs}次运行"),
    "factors_heading": ("Factors and their values", "扫描因子及其取值"),
    "factor": ("Factor", "因子"),
    "values": ("Values", "取值"),
    "difference": ("Difference from point {point}", "与参数点{point}之差"),
    "sensitivity_heading": ("Sensitivity indices of {outcome}", "{outcome}的敏感性指数"),
    "first_order": ("First-order S1 [95% CI]", "一阶指数S1 [95%置信区间]"),
    "total_order": ("Total ST [95% CI]", "总效应指数ST [95%置信区间]"),
    "seed_share_line": ("{outcome}: {share:.0%} of the variance is between replicates of a point (the seed), the "
                        "rest between points.", "{outcome}:方差中{share:.0%}来自同一参数点的重复运行(随机种子),其余来自参数点之间。"),
    "seed_share_unknown": ("{outcome}: one replicate per point, so the seed's share of the variance cannot be told "
                           "apart; run 2 or more replicates per point.",
                           "{outcome}:每个参数点仅一次运行,无法区分随机种子贡献的方差;请每点至少运行2次。"),
    "discovery_title": ("Where {outcome} {direction} {threshold}: scenario discovery (PRIM)",
                        "{outcome}{direction}{threshold}的情形在哪里:情景发现(PRIM)"),
    "box_heading": ("The chosen box", "选定的盒"),
    "box_summary": ("{cases} of {runs} runs are cases of interest. The box holds {mass:.0%} of the runs; "
                    "{density:.0%} of those are cases of interest, and it covers {coverage:.0%} of all cases.",
                    "{runs}次运行中有{cases}次为目标情形。选定的盒包含{mass:.0%}的运行,其中{density:.0%}为目标情形,"
                    "覆盖全部目标情形的{coverage:.0%}。"),
    "restricted": ("restricted", "受限"),
    "unrestricted": ("any", "不限"),
    "range": ("Range or levels", "范围或水平"),
    "attribution_heading": ("Contribution of each channel (Shapley values)", "各渠道的贡献(Shapley值)"),
    "channel": ("Channel", "渠道"),
    "share_of_total": ("Share of the effect", "占总效应比例"),
    "calibration_heading": ("Fitted parameters", "拟合的参数"),
    "prior": ("Prior range", "先验范围"),
    "posterior_median": ("Posterior median", "后验中位数"),
    "posterior_interval": ("90% interval", "90%区间"),
    "checks_heading": ("Posterior predictive check", "后验预测检验"),
    "statistic": ("Statistic", "统计量"),
    "observed": ("Observed", "观测值"),
    "predictive": ("Predictive 5-95%", "预测5%-95%"),
    "inside": ("inside", "区间内"),
    "outside": ("outside", "区间外"),
    "calibration_facts": ("{simulations} simulations, {accept:.0%} kept; data: {policies} policies, {adoptions} "
                          "adoptions in {regions} regions.", "{simulations}次模拟,保留{accept:.0%};数据:{policies}项政策、"
                          "{regions}个地区的{adoptions}次采纳。"),
    "warnings_heading": ("Warnings", "警告"),
    "years_unit": (" years", "年"),
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
    "forecast_title": ("Forecast from the posterior: share of region-policy pairs adopted",
                       "基于后验的预测:已采纳的地区-政策组合比例"),
    "forecast_backtest_title": ("Backtest: forecast from the cut-off against what followed",
                                "回测:自截止日起的预测与其后实际"),
    "forecast_band90": ("90% band", "90%区间"),
    "forecast_band50": ("50% band", "50%区间"),
    "forecast_median": ("Forecast median", "预测中位数"),
    "forecast_held_out": ("Observed after the cut-off", "截止日后的观测"),
    "forecast_axis": ("Adopted (% of region-policy pairs)", "已采纳(地区-政策组合的%)"),
    "forecast_difference_axis": ("Difference from {reference} at the horizon (percentage points)",
                                 "预测期末与{reference}之差(百分点)"),
    "forecast_differences_title": ("Paired differences between designs (90% interval over draws)",
                                   "方案间的配对差异(各次抽样的90%区间)"),
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

    from . import geo

    cities = geo.prefectures()      # prefecture-level regions: their short Chinese names (provinces win a clash)
    names = dict(zip(cities["name_en"], cities["short_zh"]))
    table = china.load("provinces")
    names.update({en: zh.removesuffix("省").removesuffix("市") if not zh.endswith("自治区") else _short_zh(zh)
                  for en, zh in zip(table["name_en"], table["name_zh"])})
    return names


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
