"""Run replicates of a model and collect their tables: where the CLI and the Python API meet.

Replicate k of a scenario draws every random number from streams keyed by (root seed, k) (see
:mod:`diffusion.streams`), so its numbers depend only on the resolved parameters, the root seed and k:
never on how many workers ran the ensemble or in which order. Replicate k of two scenarios with the
same seed shares its draws wherever their states agree (common random numbers); ``seeding:
independent`` adds the parameter hash to the key instead.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import tables
from .model import DiffusionModel
from .params import Parameters
from .scenario import parameter_hash


SEEDINGS = ("common", "independent")


def check_seeding(seeding: str) -> str:
    if seeding not in SEEDINGS:
        raise ValueError(f"seeding: unknown mode {seeding!r}; allowed: common (paired replicates across "
                         f"scenarios) or independent (the parameter hash in every replicate's key)")
    return seeding


def batches_table(model: DiffusionModel) -> pd.DataFrame:
    """One row per batch or best-practice list the centre issued; ``projected``: after the end of the
    historical record (a model projection, not a real batch)."""
    rows = [{"run": model.run_id, "kind": b["kind"], "number": b["number"], "step": b["step"],
             "period": model.timeline.label(b["step"]), "date": pd.Timestamp(model.timeline.date_of(b["step"])),
             "items": len(b["items"]), "innovations": " ".join(map(str, b["items"])),
             "projected": b["projected"]} for b in model.centre.batches]
    return pd.DataFrame(rows, columns=["run", "kind", "number", "step", "period", "date", "items", "innovations",
                                       "projected"]).astype({"projected": bool})


POLICY_COLUMNS = ["run", "policy", "title_en", "title_zh", "innovation", "bindingness", "pilot_first", "decision_step",
                  "decision_period", "decision_date", "issued", "centre_estimate", "reports", "deadline_months", "in_scope",
                  "adopters", "compliance", "compliance_by_deadline", "median_months_to_adopt",
                  "share_before_deadline"]


def first_adoption_years(model: DiffusionModel, innovation: int, pilots: bool = True) -> np.ndarray:
    """Per region, when it first adopted ``innovation`` (years since the start; inf: never), pilots
    included or not."""
    ev = model.events()
    mine = ev["innovation"] == innovation
    if not pilots:
        mine &= ~ev["pilot"]
    first = np.full(model.n_regions, np.inf)
    np.minimum.at(first, ev["region"][mine], ev["years"][mine])
    return first


def policies_table(model: DiffusionModel) -> pd.DataFrame:
    """One row per central policy of the scenario: whether and when the centre issued it, and how the
    regions in its scope complied (first adoption after the issue date; months from the issue)."""
    rows = []
    decided = {entry["policy"]: entry for entry in model.centre.policy_log}
    for k, policy in enumerate(model.params.policies):
        i = model.n_generated + k
        entry = decided.get(policy.id)
        scope = model.structure.scope[:, i]
        row = {"run": model.run_id, "policy": policy.id, "title_en": policy.title.en, "title_zh": policy.title.zh,
               "innovation": i, "bindingness": policy.bindingness, "pilot_first": policy.pilot is not None,
               "decision_step": entry["step"] if entry else None,
               "decision_period": model.timeline.label(entry["step"]) if entry else None,
               "decision_date": pd.Timestamp(policy.decision),
               "issued": bool(entry and entry["issued"]), "centre_estimate": entry["estimate"] if entry else np.nan,
               "reports": entry["reports"] if entry else 0, "deadline_months": policy.deadline_months,
               "in_scope": int(scope.sum()), "adopters": int(model.adopted[scope, i].sum()),
               "compliance": float(model.adopted[scope, i].mean()) if scope.any() else np.nan,
               "compliance_by_deadline": np.nan, "median_months_to_adopt": np.nan, "share_before_deadline": np.nan}
        if row["issued"]:
            issued = entry["years"]
            first = first_adoption_years(model, i, pilots=False)[scope]
            when = first[np.isfinite(first)]          # the regions in scope that adopted (pilots excluded)
            months = 12.0 * (when[when >= issued] - issued)   # those who adopted after the order
            if months.size:
                row["median_months_to_adopt"] = float(np.median(months))
            if policy.deadline_months is not None:
                pilots = int(scope[model.policy_pilots[k]].sum())
                due = issued + policy.deadline_months / 12.0
                row["compliance_by_deadline"] = (int((when <= due).sum()) + pilots) / max(int(scope.sum()), 1)
                row["share_before_deadline"] = float((months <= policy.deadline_months).mean()) if months.size else np.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=POLICY_COLUMNS)


COMPLIANCE_COLUMNS = ["run", "policy", "months_since_issue", "in_scope", "complied", "share_complied",
                      "deadline_months"]


def policy_compliance_table(model: DiffusionModel) -> pd.DataFrame:
    """Per issued central policy and month since its issue (0, 1, ... to the end of the run): the share of
    the regions in its scope that had adopted it by then (first adoption, pilots and earlier voluntary
    adopters included): the compliance curve of a central campaign."""
    rows = []
    decided = {entry["policy"]: entry for entry in model.centre.policy_log}
    end = model.timeline.start_years(model.steps) + model.dt
    for k, policy in enumerate(model.params.policies):
        entry = decided.get(policy.id)
        if not entry or not entry["issued"]:
            continue
        i = model.n_generated + k
        scope = model.structure.scope[:, i]
        first = first_adoption_years(model, i)
        months = np.arange(0, int(np.floor(12 * (end - entry["years"]) + 1e-9)) + 1)
        complied = (first[scope][None, :] <= entry["years"] + months[:, None] / 12.0).sum(axis=1)
        rows.append(pd.DataFrame({"run": model.run_id, "policy": policy.id, "months_since_issue": months,
                                  "in_scope": int(scope.sum()), "complied": complied,
                                  "share_complied": complied / max(int(scope.sum()), 1),
                                  "deadline_months": policy.deadline_months}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=COMPLIANCE_COLUMNS)


def model_tables(model: DiffusionModel) -> dict[str, pd.DataFrame]:
    """All tidy tables of a finished model, including its batches and central policies."""
    out = tables.all_tables(model)
    out["batches"] = batches_table(model)
    out["policies"] = policies_table(model)
    out["policy_compliance"] = policy_compliance_table(model)
    return out


def run_once(params: Parameters | None = None, seed: int = 0, run_id: int = 0) -> dict[str, pd.DataFrame]:
    """Run one model with a plain integer seed and return all its tidy tables."""
    model = run_one(params or Parameters(), seed, run_id)
    out = model_tables(model)
    model.release()   # freed now, not by the cyclic collector (docs/performance.md, "Long experiments")
    return out


def run_replicate(params: Parameters, root_seed: int, index: int,
                  params_hash: str | None = None) -> tuple[dict[str, pd.DataFrame], float]:
    """Replicate ``index`` of an ensemble (``run`` = index in every table) and its model time in seconds;
    ``params_hash`` only for independent seeding."""
    started = time.perf_counter()
    model = run_one(params, root_seed, index, parameter_hash=params_hash)
    seconds = time.perf_counter() - started
    out = model_tables(model)
    model.release()   # freed now, not by the cyclic collector (docs/performance.md, "Long experiments")
    return out, seconds


@dataclass
class Ensemble:
    """Tables of all replicates (concatenated in replicate order) and the summed model time."""

    tables: dict[str, pd.DataFrame]
    model_seconds: float


def worker_context() -> multiprocessing.context.BaseContext:
    """How worker processes start: forked from this process on Linux, so a worker needs no fresh import
    of the package (about 1.4 s each), else spawned.

    Importing Mesa switches the process-wide default to 'spawn' (mesa.batchrunner), which is why the
    context is named here rather than inherited ('fork' is Python's own default on Linux before 3.14).
    Workers compute from what they are sent, so forking changes no number: the tests compare 1 worker,
    2 workers and Dask. The CLI runs no thread of its own while a pool starts (its progress bar
    redraws without one).
    """
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def _replicate_job(args):
    return run_replicate(*args)


def map_jobs(function: Callable, jobs: list, workers: int = 1, progress: Callable[[int], None] | None = None,
             chunks_per_worker: int = 4, backend=None) -> list:
    """``[function(job) for job in jobs]`` in job order, on ``backend`` (default: ``workers`` local
    processes); ``progress(1)`` after each."""
    from .backends import Processes, Serial

    if backend is None:
        backend = Serial() if workers <= 1 else Processes(workers, chunks_per_worker)
    return backend.map(function, jobs, progress)


def run_one(params: Parameters, seed: int = 0, replicate: int = 0, run_id: int | None = None,
            parameter_hash: str | None = None, plan=None) -> DiffusionModel:
    """The one way every experiment runs the model: replicate ``replicate`` of ``params`` under root seed
    ``seed`` (``parameter_hash`` only for independent seeding; ``plan`` the observed innovations of a
    calibration), run to its horizon."""
    return DiffusionModel(params, seed=seed, replicate=replicate, run_id=replicate if run_id is None else run_id,
                          parameter_hash=parameter_hash, plan=plan).run()


def run_ensemble(params: Parameters, replicates: int = 1, root_seed: int = 0, workers: int = 1,
                 progress: Callable[[int], None] | None = None, seeding: str = "common", backend=None) -> Ensemble:
    """Run ``replicates`` replicates on ``workers`` processes; tables concatenated in replicate order."""
    if replicates < 1:
        raise ValueError(f"replicates must be at least 1 (given: {replicates})")
    if workers < 1:
        raise ValueError(f"workers must be at least 1 (given: {workers})")
    params_hash = parameter_hash(params) if check_seeding(seeding) == "independent" else None
    jobs = [(params, root_seed, k, params_hash) for k in range(replicates)]
    results = map_jobs(_replicate_job, jobs, workers, progress, backend=backend)
    merged = {name: pd.concat([r[name] for r, _ in results], ignore_index=True) for name in results[0][0]}
    return Ensemble(merged, float(sum(seconds for _, seconds in results)))


def summarise_metrics(metrics: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Mean, sd and 5-95% interval of every numeric metric over replicates (tidy: one row per metric)."""
    numeric = metrics.select_dtypes("number").drop(columns=["run"], errors="ignore")
    groups = [(None, numeric)] if by is None else [(key, numeric[metrics[by] == key]) for key in metrics[by].unique()]
    rows = []
    for key, frame in groups:
        for column in numeric.columns:
            values = frame[column].dropna()
            row = {by: key} if by else {}
            row.update({"metric": column, "mean": values.mean(), "sd": values.std(ddof=1) if len(values) > 1 else 0.0,
                        "q05": values.quantile(0.05) if len(values) else np.nan,
                        "q95": values.quantile(0.95) if len(values) else np.nan, "n": len(values)})
            rows.append(row)
    return pd.DataFrame(rows)


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


