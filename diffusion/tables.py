"""Tidy tables of a finished run: events, innovations, regions, time series and headline metrics.

Every table carries ``run`` and, where it has a time axis, ``step``, ``period`` and ``date``, so tables
of many runs can be concatenated and charts never need a live model.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from .engine import gini as _gini_kernel
from .model import SERIES, DiffusionModel
from .network import NEVER
from .params import CHANNELS, PATHWAYS
from .timeline import DAYS_PER_YEAR


def _stamp(model: DiffusionModel, table: pd.DataFrame, step_column: str = "step") -> pd.DataFrame:
    steps = table[step_column].to_numpy(int)
    table.insert(0, "run", model.run_id)
    position = table.columns.get_loc(step_column) + 1
    table.insert(position, "period", [model.timeline.label(s) for s in steps] if len(steps) < 5000 else
                 pd.Series(steps).map({s: model.timeline.label(s) for s in np.unique(steps)}).to_numpy())
    table.insert(position + 1, "date", model.timeline.dates(steps).to_numpy())
    return table


def kept(events: dict[str, np.ndarray]) -> np.ndarray:
    """Which adoption events stand: neither abandoned nor undone to be retried under a binding mandate.

    An adoption that did not stand never counts, at any step: a region drops or undoes a failed reform
    in the step it adopts it, so counts of kept adoptions never fall.
    """
    undone = events["abandoned"] | events["retried"] if "retried" in events else events["abandoned"]
    return ~undone


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
        "retried": ev["retried"],
        # after the end of the historical record the run replays: a model projection
        "projected": ev["years"] > model.history_end_years(),
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
    stands = kept(ev)
    steps, innov = ev["step"][stands], ev["innovation"][stands]
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
        "ftz": ftz_group(model),   # FTZ by the end of the run (the fixed group of every table)
        "ftz_opened": [model.timeline.date_of(int(s)) if s != NEVER else None for s in ftz_step],
        "adopted": model.adopted[:, born].sum(axis=1),
        "coverage": model.adopted[:, born].mean(axis=1) if born.any() else np.zeros(n),
        "failures": failures, "corrections": corrections,
        "blame": model.blame,
        "x": model.regions.x, "y": model.regions.y,
        "population": (np.full(n, np.nan) if model.regions.population is None
                       else np.asarray(model.regions.population, float)),
        **{f"covariate_{name}": np.asarray(values, float) for name, values in model.regions.covariates.items()},
    })


def series(model: DiffusionModel) -> pd.DataFrame:
    """Model-level time series from Mesa's DataCollector, one row per step, with the kept adoptions so far
    and the innovations born so far (the two counts behind every coverage ratio)."""
    table = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    steps = np.arange(1, len(table) + 1)
    table.insert(0, "step", steps)
    ev = model.events()
    so_far = np.bincount(ev["step"][kept(ev)], minlength=len(table) + 1).cumsum()
    table["cumulative_adoptions"] = so_far[steps]
    table["innovations_born"] = np.searchsorted(np.sort(model.innovations.birth_step), steps, side="right")
    # a step that ends after the historical record the run replays is a projection
    table["projected"] = (steps - 1) * model.dt + model.dt > model.history_end_years() + 1e-9
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
    stands = kept(ev)
    counts = np.zeros((model.steps + 1, n_keys))
    np.add.at(counts, (ev["step"][stands], key[stands]), 1.0)
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


def cohort_years(model: DiffusionModel) -> np.ndarray:
    """Calendar year in which each innovation's pilot started: its cohort (a fixed set of innovations).

    From the birth moment (``innovations.birth_years``, years since ``time.start``, months counted as
    twelfths as the timeline counts them), not from the first day of the birth step's period.
    """
    timeline, years = model.timeline, model.innovations.birth_years
    if timeline.months is None:   # weekly steps: the timeline counts days
        return np.array([(timeline.start + timedelta(days=float(y) * DAYS_PER_YEAR)).year for y in years],
                        dtype=np.int64)
    months = timeline.start.month - 1 + np.floor(np.asarray(years) * 12.0 + 1e-9).astype(np.int64)
    return timeline.start.year + months // 12


def coverage_by_cohort(model: DiffusionModel) -> pd.DataFrame:
    """Share of each pilot cohort's (region, innovation) pairs adopted and kept, per step.

    A cohort is the innovations whose pilot started in one calendar year; its membership is fixed, so
    its curve does not fall when later innovations are born. Kept adoptions are counted as in
    ``_kept_counts`` (see ``kept``: an adoption abandoned or undone never counts), pilots included. Rows
    start at the step of the cohort's first pilot.
    """
    inn = model.innovations
    cohorts, member = np.unique(cohort_years(model), return_inverse=True)
    n_cohorts = cohorts.size
    ev = model.events()
    adopted = _kept_counts(model, member[ev["innovation"]], n_cohorts)
    steps = np.arange(1, model.steps + 1)
    size = np.bincount(member, minlength=n_cohorts)
    births = np.zeros((model.steps + 1, n_cohorts))
    due = inn.birth_step <= model.steps   # (a model not run to its horizon has innovations still to come)
    np.add.at(births, (inn.birth_step[due], member[due]), 1.0)
    born = births.cumsum(axis=0)[1:]
    started = born > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        share = adopted / (size * model.n_regions)
    table = pd.DataFrame({"step": np.repeat(steps, n_cohorts)[started.ravel()],
                          "cohort": np.tile(cohorts, len(steps))[started.ravel()],
                          "innovations": np.tile(size, len(steps))[started.ravel()],
                          "born": born.ravel()[started.ravel()].astype(np.int64),
                          "adopted": adopted.ravel()[started.ravel()].astype(np.int64),
                          "coverage": share.ravel()[started.ravel()]})
    return _stamp(model, table)


def ftz_group(model: DiffusionModel) -> np.ndarray:
    """Regions that have an FTZ by the end of the run (its horizon, as the series' ``ftz_coverage``): a
    group of fixed membership, unlike the FTZs open at each date (a group that gains members)."""
    return model.regions.ftz_step <= max(model.timeline.steps, 1)


def _kept_by_age(model: DiffusionModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kept adoptions of each innovation by each age (0 = its pilot's step, then steps since), as
    cumulative counts (innovation x age) in the FTZ group and in the other regions, and which
    (innovation, age) the run reached (birth step + age <= the last step)."""
    inn = model.innovations
    ages = max(model.steps - int(inn.birth_step.min()), 0) + 1 if inn.n else 0
    ev = model.events()
    stands = kept(ev)
    innovation, region = ev["innovation"][stands], ev["region"][stands]
    age = ev["step"][stands] - inn.birth_step[innovation]
    in_ftz = ftz_group(model)[region]
    counts = np.zeros((2, inn.n, ages))
    np.add.at(counts, (np.where(in_ftz, 0, 1), innovation, age), 1.0)
    counts = counts.cumsum(axis=2)
    reached = inn.birth_step[:, None] + np.arange(ages)[None, :] <= model.steps
    return counts[0], counts[1], reached


def coverage_by_age(model: DiffusionModel) -> pd.DataFrame:
    """Mean coverage of an innovation by time since its pilot, for all regions, the FTZ group and the others.

    For each age (steps since the pilot's step, in years: ``age_steps`` x dt) the mean over the innovations
    old enough to have reached it by the end of the run of their kept adoptions / regions, pilots counting
    as adopted by their origin. The FTZ group is the regions with an FTZ by the end of the run (fixed), so
    no curve falls because innovations are born or because the group gains members.
    """
    ftz, other, reached = _kept_by_age(model)
    in_ftz = ftz_group(model)
    n_ftz, n_other = int(in_ftz.sum()), int((~in_ftz).sum())
    n = reached.sum(axis=0)

    def mean_share(counts: np.ndarray, regions: int) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(reached, counts, 0.0).sum(axis=0) / (n * regions) if regions else np.full(n.size, np.nan)

    ages = np.arange(n.size)
    return pd.DataFrame({
        "run": model.run_id, "age_steps": ages, "years_since_pilot": ages * model.dt, "innovations": n,
        "coverage": mean_share(ftz + other, model.n_regions), "ftz_coverage": mean_share(ftz, n_ftz),
        "non_ftz_coverage": mean_share(other, n_other), "ftz_regions": n_ftz, "non_ftz_regions": n_other,
    })


def _at_age(by_age: pd.DataFrame, model: DiffusionModel, months: float) -> pd.Series:
    """The row of a coverage_by_age table ``months`` after the pilot (NaN where no innovation is that old)."""
    row = by_age[by_age["age_steps"] == model.timeline.steps_in(months)]
    return row.iloc[0] if len(row) else pd.Series(np.nan, index=by_age.columns)


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


def metrics_row(model: DiffusionModel, user: dict | None = None) -> dict[str, Any]:
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
    ftz = ftz_group(model)   # the fixed group: FTZ by the end of the run
    horizon = model.timeline.steps_in(60)   # five years
    old = inn.birth_step[born] <= model.steps - horizon
    any_born = bool(born.any())
    by_age = coverage_by_age(model)   # fixed ages since the pilot: no fall when innovations are born
    at_3, at_5 = _at_age(by_age, model, 36), _at_age(by_age, model, 60)
    ev = model.events()
    row = {
        "run": model.run_id, "steps": model.steps, "regions": model.n_regions, "innovations": model.n_innovations,
        "coverage": summary["coverage"],
        "coverage_at_3_years": float(at_3["coverage"]), "coverage_at_5_years": float(at_5["coverage"]),
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
        "adoptions": summary["adoptions"], "cumulative_adoptions": int(np.count_nonzero(kept(ev))),
        "failures": summary["failures"],
        "corrections": summary["corrections"], "abandonments": summary["abandonments"],
        "retries": summary["retries"], "projected_batches": summary["projected_batches"],
        **scale_up_shares(model),
        "failure_rate": summary["failures"] / summary["adoptions"] if summary["adoptions"] else np.nan,
        "ftz_gap": float(coverage[ftz].mean() - coverage[~ftz].mean()) if ftz.any() and (~ftz).any() else np.nan,
        "ftz_gap_at_3_years": float(at_3["ftz_coverage"] - at_3["non_ftz_coverage"]),
        "gini": _gini_kernel(np.asarray(adopted, np.int64)),
    }
    decided = ~ev["pilot"]
    if decided.any():
        for k, channel in enumerate(CHANNELS):
            row[f"share_{channel}"] = float(ev["shares"][decided, k].mean())
    from .outputs import user_values

    row.update(user_values(model, user))   # metrics the user declared (diffusion.metric)
    return row


def scale_up_shares(model: DiffusionModel) -> dict[str, float]:
    """The share of FTZ pilots the centre never scaled up (promoted in no batch or list), raw and among
    pilots at least ``output.mature_pilot_years`` old at the end of the run, whose chance to be promoted
    has come: the raw share counts young pilots, which have had no time, so censoring would pass for a
    finding. Central policies of the ``policies`` block are not pilots in this sense."""
    inn = model.innovations
    n = model.n_generated
    born = (inn.birth_step[:n] <= model.steps) & (inn.origin[:n] >= 0)
    scaled = (model.binding_step[:n] > 0) | (model.best_practice_step[:n] > 0)
    end = model.timeline.start_years(model.steps) + model.dt
    mature = born & (inn.birth_years[:n] <= end - model.params.output.mature_pilot_years)
    return {"pilots": int(born.sum()), "mature_pilots": int(mature.sum()),
            "share_never_scaled_up": float((~scaled[born]).mean()) if born.any() else np.nan,
            "share_never_scaled_up_mature": float((~scaled[mature]).mean()) if mature.any() else np.nan}


def _median(values: np.ndarray) -> float:
    """Median ignoring NaN (as pandas does); NaN when nothing is left."""
    values = values[~np.isnan(values)]
    return float(np.median(values)) if values.size else np.nan


def network(model: DiffusionModel) -> pd.DataFrame:
    """One row per tie of the network: source, target, weight, type (land, sea or tie)."""
    from scipy import sparse

    coo = sparse.triu(model.regions.adjacency, k=1).tocoo()
    names = np.array(model.regions.names, dtype=object)
    kind = "land" if model.regions.kind in ("provinces", "prefectures") else "tie"   # real borders
    types = ["sea" if (int(i), int(j)) in model.regions.sea_ties else kind for i, j in zip(coo.row, coo.col)]
    return pd.DataFrame({"run": model.run_id, "source": names[coo.row], "target": names[coo.col],
                         "weight": coo.data, "type": types})


TABLES = {
    "adoptions": adoptions, "innovations": innovations, "regions": regions, "series": series,
    "coverage_by_category": coverage_by_category, "coverage_by_region": coverage_by_region,
    "coverage_by_cohort": coverage_by_cohort, "coverage_by_age": coverage_by_age,
    "channels": channels_over_time, "metrics": metrics, "network": network,
}


def all_tables(model: DiffusionModel) -> dict[str, pd.DataFrame]:
    """Every tidy table of a finished run, by name."""
    return {name: build(model) for name, build in TABLES.items()}
