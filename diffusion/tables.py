"""Tidy tables of a finished run: events, innovations, regions, time series and headline metrics.

Every table carries ``run`` and, where it has a time axis, ``step``, ``period`` and ``date``, so tables
of many runs can be concatenated and charts never need a live model.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from .engine import gini as _gini_kernel
from .model import SERIES, DiffusionModel
from .network import NEVER
from .params import CHANNELS, PATHWAYS


def _stamp(model: DiffusionModel, table: pd.DataFrame, step_column: str = "step") -> pd.DataFrame:
    steps = table[step_column].to_numpy(int)
    table.insert(0, "run", model.run_id)
    position = table.columns.get_loc(step_column) + 1
    table.insert(position, "period", [model.timeline.label(s) for s in steps] if len(steps) < 5000 else
                 pd.Series(steps).map({s: model.timeline.label(s) for s in np.unique(steps)}).to_numpy())
    table.insert(position + 1, "date", model.timeline.dates(steps).to_numpy())
    return table


def adoptions(model: DiffusionModel) -> pd.DataFrame:
    """One row per adoption: when, who, what, why (channel shares), and what came of it."""
    ev = model.events()
    inn = model.innovations
    table = pd.DataFrame({
        "step": ev["step"].astype(int),
        "region": np.array(model.regions.names, dtype=object)[ev["region"]],
        "innovation": ev["innovation"].astype(int),
        "category": model.category_names[ev["innovation"]] if ev["innovation"].size else np.array([], dtype=object),
        "pilot": ev["pilot"],
        **{f"share_{c}": ev["shares"][:, k] for k, c in enumerate(CHANNELS)},
        "mandated": ev["mandated"],
        "outcome": ev["outcome"],
        "failed": ev["failed"],
        "corrected": ev["corrected"],
        "abandoned": ev["abandoned"],
    })
    table["main_channel"] = np.where(table["pilot"], "pilot",
                                     np.array(CHANNELS, dtype=object)[np.argmax(ev["shares"], axis=1)]
                                     if len(table) else np.array([], dtype=object))
    table["ftz"] = model.regions.ftz_step[ev["region"]] <= ev["step"]
    del inn
    return _stamp(model, table)


def _coverage_steps(model: DiffusionModel, thresholds: tuple[float, ...]) -> list[np.ndarray]:
    """For each threshold, the step at which each innovation's kept adoptions first reach threshold x R
    (0 if never); one sort of the events serves every threshold."""
    ev = model.events()
    kept = ~ev["abandoned"]
    steps, innov = ev["step"][kept], ev["innovation"][kept]
    result = [np.zeros(model.n_innovations, dtype=np.int64) for _ in thresholds]
    if steps.size == 0:
        return result
    order = np.lexsort((steps, innov))
    steps, innov = steps[order], innov[order]
    start = np.r_[0, np.flatnonzero(np.diff(innov)) + 1]
    counts = np.diff(np.r_[start, innov.size])
    for out, threshold in zip(result, thresholds):
        need = int(np.ceil(threshold * model.n_regions - 1e-9))
        reached = counts >= need
        out[innov[start[reached]]] = steps[start[reached] + need - 1]
    return result


def innovations(model: DiffusionModel) -> pd.DataFrame:
    """One row per innovation: traits, promotion, final coverage and time to 50% / 90% coverage."""
    inn = model.innovations
    regions = np.array(model.regions.names, dtype=object)
    table = pd.DataFrame({
        "innovation": np.arange(inn.n),
        "category": model.category_names,
        "pathway": np.array(PATHWAYS, dtype=object)[inn.pathway],
        "origin": np.where(inn.origin >= 0, regions[np.maximum(inn.origin, 0)] if inn.n else [], None),
        "step": inn.birth_step.astype(int),
        "benefit": inn.benefit, "risk": inn.risk, "complexity": inn.complexity,
        "centre_estimate": model.centre.estimate(),
        "binding_step": model.binding_step, "best_practice_step": model.best_practice_step,
        "adopters": model.adopted.sum(axis=0),
        "coverage": model.adopted.mean(axis=0),
        "failures": model.abandoned.sum(axis=0),
    })
    for name, reached in zip(("time_to_50", "time_to_90"), _coverage_steps(model, (0.5, 0.9))):
        table[name] = np.where(reached > 0, reached - inn.birth_step, np.nan)
    table["national"] = table["coverage"] >= model.params.output.national_share
    table = _stamp(model, table)
    return table.rename(columns={"step": "birth_step", "period": "birth_period", "date": "birth_date"})


def regions(model: DiffusionModel) -> pd.DataFrame:
    """One row per region: traits, institutions, FTZ status and what it adopted."""
    inst = model.institutions
    ev = model.events()
    n = model.n_regions
    failures = np.bincount(ev["region"][ev["failed"]], minlength=n)
    corrections = np.bincount(ev["region"][ev["corrected"]], minlength=n)
    born = model.innovations.birth_step <= model.steps
    ftz_step = model.regions.ftz_step
    return pd.DataFrame({
        "run": model.run_id,
        "region": model.regions.names, "name_zh": model.regions.names_zh,
        "capacity": inst.capacity, "risk_aversion": inst.risk_aversion,
        "leadership": [inst.leadership_name(r) for r in range(n)],
        "working_system": [inst.working_system_name(r) for r in range(n)],
        "feedback": [inst.feedback_name(r) for r in range(n)],
        "fault_tolerance": inst.fault_tolerance,
        "ftz": ftz_step != NEVER,
        "ftz_opened": [model.timeline.date_of(int(s)) if s != NEVER else None for s in ftz_step],
        "adopted": model.adopted[:, born].sum(axis=1),
        "coverage": model.adopted[:, born].mean(axis=1) if born.any() else np.zeros(n),
        "failures": failures, "corrections": corrections,
        "blame": model.blame,
        "x": model.regions.x, "y": model.regions.y,
    })


def series(model: DiffusionModel) -> pd.DataFrame:
    """Model-level time series from Mesa's DataCollector, one row per step."""
    table = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    table.insert(0, "step", np.arange(1, len(table) + 1))
    return _stamp(model, table)


def series_columns(model: DiffusionModel, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Some columns of the series table as arrays (``step``, ``date`` or a collected variable), with the
    values and dtypes the table has; for experiments, which keep a few columns of every run."""
    collected = model.datacollector.model_vars
    steps = np.arange(1, len(collected[SERIES[0]]) + 1)
    known = {"step": lambda: steps, "date": lambda: model.timeline.dates(steps).to_numpy()}
    return {name: known[name]() if name in known else np.asarray(collected[name]) for name in names}


def _kept_counts(model: DiffusionModel, key: np.ndarray, n_keys: int) -> np.ndarray:
    """Cumulative kept adoptions per step (rows 1..steps) and key (columns)."""
    ev = model.events()
    kept = ~ev["abandoned"]
    counts = np.zeros((model.steps + 1, n_keys))
    np.add.at(counts, (ev["step"][kept], key[kept]), 1.0)
    return counts.cumsum(axis=0)[1:]


def coverage_by_category(model: DiffusionModel) -> pd.DataFrame:
    """Share of (region, innovation) pairs adopted, per step and category, among innovations born by then."""
    inn = model.innovations
    n_cat = len(inn.categories)
    ev = model.events()
    adopted = _kept_counts(model, inn.category[ev["innovation"]], n_cat)
    steps = np.arange(1, model.steps + 1)
    born = np.stack([np.bincount(inn.category[inn.birth_step <= s], minlength=n_cat) for s in steps])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = adopted / (born * model.n_regions)
    table = pd.DataFrame({"step": np.repeat(steps, n_cat), "category": np.tile(inn.categories, len(steps)),
                          "innovations": born.ravel(), "coverage": share.ravel()})
    return _stamp(model, table)


def coverage_by_region(model: DiffusionModel) -> pd.DataFrame:
    """Share of born innovations each region has adopted (and kept), per step."""
    ev = model.events()
    adopted = _kept_counts(model, ev["region"], model.n_regions)
    steps = np.arange(1, model.steps + 1)
    born = np.array([(model.innovations.birth_step <= s).sum() for s in steps], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = adopted / born[:, None]
    table = pd.DataFrame({"step": np.repeat(steps, model.n_regions),
                          "region": np.tile(model.regions.names, len(steps)), "coverage": share.ravel()})
    return _stamp(model, table)


def channels_over_time(model: DiffusionModel) -> pd.DataFrame:
    """Sum of channel shares of the adoptions made in each step (pilots excluded): the attribution series."""
    ev = model.events()
    decided = ~ev["pilot"]
    steps = np.arange(1, model.steps + 1)
    sums = np.zeros((model.steps + 1, len(CHANNELS)))
    np.add.at(sums, ev["step"][decided], ev["shares"][decided])
    table = pd.DataFrame({"step": np.repeat(steps, len(CHANNELS)), "channel": np.tile(CHANNELS, len(steps)),
                          "adoptions": sums[1:].ravel()})
    return _stamp(model, table)


def metrics(model: DiffusionModel) -> pd.DataFrame:
    """Headline metrics of the run, one row: coverage, speed, breadth, failures, gaps and inequality."""
    return pd.DataFrame([metrics_row(model)])


def metrics_row(model: DiffusionModel) -> dict[str, Any]:
    """The metrics table's one row as a mapping (what experiments keep of every run).

    Computed from the model's arrays (not from the innovations and regions tables, which give the same
    numbers) because experiments compute it for every run.
    """
    inn = model.innovations
    summary = model.summary()
    binding = [b for b in model.centre.batches if b["kind"] == "binding"]
    end_2023 = model.timeline.step_of(date(2023, 12, 1))
    born = inn.birth_step <= model.steps
    national = model.adopted.mean(axis=0) >= model.params.output.national_share
    times = {}
    for name, reached in zip(("time_to_50", "time_to_90"), _coverage_steps(model, (0.5, 0.9))):
        times[name] = np.where(reached > 0, reached - inn.birth_step, np.nan)[born]
    adopted = np.count_nonzero(model.adopted[:, born], axis=1)
    coverage = adopted / born.sum() if born.any() else np.zeros(model.n_regions)
    ftz = model.regions.ftz_step != NEVER
    horizon = model.timeline.steps_in(60)   # five years
    old = inn.birth_step[born] <= model.steps - horizon
    any_born = bool(born.any())
    row = {
        "run": model.run_id, "steps": model.steps, "regions": model.n_regions, "innovations": model.n_innovations,
        "coverage": summary["coverage"],
        "binding_batches": len(binding), "binding_items": summary["binding_items"],
        "binding_batches_by_2023": sum(b["step"] <= end_2023 for b in binding),
        "binding_items_by_2023": sum(len(b["items"]) for b in binding if b["step"] <= end_2023),
        "best_practice_items": summary["best_practice_items"],
        "share_national": float(national[born].mean()) if any_born else np.nan,
        "share_reaching_50": float((~np.isnan(times["time_to_50"])).mean()) if any_born else np.nan,
        "share_reaching_90": float((~np.isnan(times["time_to_90"])).mean()) if any_born else np.nan,
        "median_time_to_50": _median(times["time_to_50"]) * model.dt,   # years, whatever the step
        "median_time_to_90": _median(times["time_to_90"]) * model.dt,
        "share_90_within_5_years": float((times["time_to_90"][old] <= horizon).mean()) if old.any() else np.nan,
        "adoptions": summary["adoptions"], "failures": summary["failures"],
        "corrections": summary["corrections"], "abandonments": summary["abandonments"],
        "failure_rate": summary["failures"] / summary["adoptions"] if summary["adoptions"] else np.nan,
        "ftz_gap": float(coverage[ftz].mean() - coverage[~ftz].mean()) if ftz.any() and (~ftz).any() else np.nan,
        "gini": _gini_kernel(np.asarray(adopted, np.int64)),
    }
    ev = model.events()
    decided = ~ev["pilot"]
    if decided.any():
        for k, channel in enumerate(CHANNELS):
            row[f"share_{channel}"] = float(ev["shares"][decided, k].mean())
    return row


def _median(values: np.ndarray) -> float:
    """Median ignoring NaN (as pandas does); NaN when nothing is left."""
    values = values[~np.isnan(values)]
    return float(np.median(values)) if values.size else np.nan


def network(model: DiffusionModel) -> pd.DataFrame:
    """One row per tie of the network: source, target, weight, type (land, sea or tie)."""
    from scipy import sparse

    coo = sparse.triu(model.regions.adjacency, k=1).tocoo()
    names = np.array(model.regions.names, dtype=object)
    kind = "land" if model.regions.kind == "provinces" else "tie"
    types = ["sea" if (int(i), int(j)) in model.regions.sea_ties else kind for i, j in zip(coo.row, coo.col)]
    return pd.DataFrame({"run": model.run_id, "source": names[coo.row], "target": names[coo.col],
                         "weight": coo.data, "type": types})


TABLES = {
    "adoptions": adoptions, "innovations": innovations, "regions": regions, "series": series,
    "coverage_by_category": coverage_by_category, "coverage_by_region": coverage_by_region,
    "channels": channels_over_time, "metrics": metrics, "network": network,
}


def all_tables(model: DiffusionModel) -> dict[str, pd.DataFrame]:
    """Every tidy table of a finished run, by name."""
    return {name: build(model) for name, build in TABLES.items()}
