"""Evaluate a design: run every (point, replicate), serially, on local processes or on a Dask cluster.

Results stream into a partitioned Parquet dataset under the sweep folder, so memory stays bounded and an
interrupted sweep resumes where it stopped::

    DIR/sweep.json             what the sweep is (resolved scenario, parameter hash, design method, size)
    DIR/design.parquet         one row per point
    DIR/metrics/part-*.parquet one row per finished run (run_id, point, replicate, metrics)
    DIR/series/part-*.parquet  the model-level series of each finished run
    DIR/errors/part-*.parquet  runs that raised, with their error (the sweep goes on)

A part file is written to a temporary name and renamed when complete, and a run id counts as done only
once its part exists; a sweep killed at any moment therefore loses at most the runs in flight, which
``--resume`` runs again: no run is lost and none is duplicated. Each run's random numbers come from
streams keyed by the root seed and the replicate (and, with ``seeding: independent``, the point's
parameter hash), so tables are identical whatever the backend, the number of workers or the order in
which runs finish, and replicate k of every point faces the same luck (common random numbers).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__, tables
from .provenance import MODEL_VERSION
from .params import Parameters, make_parameters, with_changes
from .results import check_replaceable, folder_lock, write_text_atomic

KINDS = ("metrics", "series", "errors")
SERIES_COLUMNS = ("run_id", "step", "date", "coverage", "ftz_coverage", "non_ftz_coverage", "binding_items",
                  "failures", "gini")


@dataclass(frozen=True)
class Task:
    """One run of a sweep: which point, which replicate, with what parameter changes."""

    run_id: int
    point: int
    replicate: int
    changes: dict
    base: dict          # the base parameters as plain data (picklable, small)
    root_seed: int
    seeding: str = "common"   # 'independent': the point's parameter hash joins the replicate's key
    extra: tuple = ()         # user-declared metrics (diffusion.metric), carried to workers on other machines


def execute(task: Task) -> dict:
    """Run one task; never raises: an error is returned as a record (the sweep goes on).

    A finished run comes back as plain data (its metrics row, its series columns as arrays), which
    travels between processes more cheaply than DataFrames; :func:`run_tasks` builds the tables.
    """
    from .ensemble import run_one
    from .scenario import parameter_hash

    started = time.perf_counter()
    try:
        params = with_changes(make_parameters(task.base), task.changes) if task.changes else make_parameters(task.base)
        digest = parameter_hash(params) if task.seeding == "independent" else None
        model = run_one(params, task.root_seed, task.replicate, task.run_id, parameter_hash=digest)
        metrics = {"run_id": task.run_id, "point": task.point, "replicate": task.replicate}
        user = {output.name: output for output in task.extra}
        metrics.update((key, value) for key, value in tables.metrics_row(model, user).items() if key != "run")
        series = tables.series_columns(model, SERIES_COLUMNS[1:])
        model.release()   # freed now, not by the cyclic collector (docs/performance.md, "Long experiments")
        return {"run_id": task.run_id, "ok": True, "metrics": metrics,
                "series": {"run_id": np.full(series["step"].size, task.run_id), **series},
                "seconds": time.perf_counter() - started}
    except Exception as error:  # noqa: BLE001 - a failing run is data, not a crash
        last = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
        where = f" ({Path(last.filename).name}:{last.lineno})" if last else ""
        return {"run_id": task.run_id, "ok": False, "point": task.point, "replicate": task.replicate,
                "error": f"{type(error).__name__}: {error}{where}", "seconds": time.perf_counter() - started}


def _series_frame(parts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """Series columns of many runs, joined column by column into one table."""
    return pd.DataFrame({name: np.concatenate([part[name] for part in parts]) for name in parts[0]})


# ------------------------------------------------------------------------------------------ store
class SweepStore:
    """The sweep folder: metadata, design and the streamed result parts."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    @property
    def meta_path(self) -> Path:
        return self.folder / "sweep.json"

    def exists(self) -> bool:
        return self.meta_path.exists()

    def lock(self):
        """The folder's one-writer lock (:func:`diffusion.results.folder_lock`): hold it to create,
        run or resume the sweep; a second writer is refused with a sentence naming the holder."""
        return folder_lock(self.folder)

    def create(self, meta: dict, design: pd.DataFrame, force: bool = False) -> None:
        if self.folder.exists() and any(self.folder.iterdir()):
            if not force:
                hint = "pass --resume to continue it or --force to start over" if self.exists() else \
                    "choose another --out or pass --force"
                raise ValueError(f"folder {str(self.folder)!r} already exists and is not empty; {hint}")
            check_replaceable(self.folder)     # --force replaces only this tool's folders
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        design.to_parquet(self.folder / "design.parquet", index=False)
        for kind in KINDS:
            (self.folder / kind).mkdir(exist_ok=True)
        write_text_atomic(self.meta_path, json.dumps(meta, indent=2, ensure_ascii=False, default=str))

    def meta(self) -> dict:
        return json.loads(self.meta_path.read_text(encoding="utf-8"))

    def design(self) -> pd.DataFrame:
        return pd.read_parquet(self.folder / "design.parquet")

    def clean_partials(self) -> None:
        """Remove what a killed sweep left behind: half-written parts, and series of runs not recorded as done."""
        for kind in KINDS:
            for tmp in (self.folder / kind).glob("*.tmp"):
                tmp.unlink(missing_ok=True)
        done = self.completed()
        for part in self.parts("series"):
            if not set(pd.read_parquet(part, columns=["run_id"])["run_id"].unique()) <= done:
                part.unlink()

    def parts(self, kind: str) -> list[Path]:
        return sorted((self.folder / kind).glob("part-*.parquet"))

    def completed(self) -> set[int]:
        """Run ids with a finished record (metrics or error)."""
        done: set[int] = set()
        for kind in ("metrics", "errors"):
            for part in self.parts(kind):
                done.update(pd.read_parquet(part, columns=["run_id"])["run_id"].tolist())
        return done

    def write_part(self, kind: str, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        name = f"part-{int(frame['run_id'].min()):08d}-{uuid.uuid4().hex[:8]}.parquet"
        tmp = self.folder / kind / (name + ".tmp")
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, self.folder / kind / name)

    def load(self, kind: str, columns: list[str] | None = None) -> pd.DataFrame:
        """One result table of all parts, sorted by run id (and step for series)."""
        parts = self.parts(kind)
        if not parts:
            return pd.DataFrame()
        frame = pd.concat([pd.read_parquet(p, columns=columns) for p in parts], ignore_index=True)
        keys = ["run_id", "step"] if kind == "series" and "step" in frame.columns else ["run_id"]
        return frame.sort_values(keys, kind="stable").reset_index(drop=True)

    def results(self) -> pd.DataFrame:
        """Metrics of every finished run joined with its point's factor values."""
        metrics = self.load("metrics")
        if metrics.empty:
            return metrics
        design = self.design()
        factor_cols = [c for c in design.columns if not c.startswith("_u_")]
        return metrics.merge(design[factor_cols], on="point", how="left")


class SweepInterrupted(KeyboardInterrupt):
    """A sweep stopped by Ctrl-C or SIGTERM; its message says how many runs are on disk and how to go on."""


@dataclass
class SweepReport:
    total: int
    done_before: int
    ran: int
    failed: int
    seconds: float


def run_tasks(store: SweepStore, tasks: list[Task], *, workers: int = 1, client=None, backend=None,
              progress: Callable[[int, int], None] | None = None, flush_every: int = 25,
              flush_seconds: float = 5.0) -> SweepReport:
    """Run the tasks not yet done on ``backend`` (default: ``workers`` local processes, or the Dask
    ``client``), streaming results into the store as they finish; returns counts and time."""
    from .backends import Dask, Processes, Serial

    store.clean_partials()
    done = store.completed()
    todo = [t for t in tasks if t.run_id not in done]
    if backend is None:
        backend = Dask(client=client) if client is not None else (Serial() if workers <= 1 else Processes(workers))
    results = backend.stream(execute, todo, max(2 * backend.workers, 8))
    buffers: dict[str, list] = {kind: [] for kind in KINDS}   # metrics and errors rows, series columns
    failed = ran = 0
    started = last_flush = time.perf_counter()

    def flush() -> None:
        # series first, metrics last: a run counts as done only once its metrics (or error) part exists
        for kind in ("series", "errors", "metrics"):
            if buffers[kind]:
                store.write_part(kind, _series_frame(buffers[kind]) if kind == "series" else pd.DataFrame(buffers[kind]))
                buffers[kind].clear()

    try:
        for result in results:
            ran += 1
            if result["ok"]:
                buffers["metrics"].append(result["metrics"])
                buffers["series"].append(result["series"])
            else:
                failed += 1
                buffers["errors"].append({k: result[k] for k in ("run_id", "point", "replicate", "error")})
            if progress:
                progress(1, failed)
            if len(buffers["metrics"]) + len(buffers["errors"]) >= flush_every or \
                    time.perf_counter() - last_flush > flush_seconds:
                flush()
                last_flush = time.perf_counter()
    finally:                  # interrupted too: the runs that finished are kept (each part is atomic)
        flush()
    return SweepReport(total=len(tasks), done_before=len(done), ran=ran, failed=failed,
                       seconds=time.perf_counter() - started)


def make_tasks(design: pd.DataFrame, base: Parameters, replicates: int, root_seed: int,
               seeding: str = "common") -> list[Task]:
    """One task per (point, replicate); run_id = point x replicates + replicate. With common seeding,
    replicate k of every point shares its random numbers (paired comparisons across points)."""
    from .design import point_changes

    from .outputs import USER

    base_data = base.model_dump(mode="json")
    extra = tuple(USER.values())
    tasks = []
    for row in design.to_dict("records"):
        changes = point_changes(row)
        for replicate in range(replicates):
            tasks.append(Task(run_id=int(row["point"]) * replicates + replicate, point=int(row["point"]),
                              replicate=replicate, changes=changes, base=base_data, root_seed=root_seed,
                              seeding=seeding, extra=extra))
    return tasks


def sweep_meta(scenario, method: str, design: pd.DataFrame, replicates: int, purpose: str = "sweep") -> dict:
    """What identifies a sweep: checked on --resume so a folder is never mixed with another sweep."""
    return {"purpose": purpose, "package": "ftz-diffusion", "version": __version__, "scenario": scenario.name,
            "parameter_hash": scenario.parameter_hash(), "seed": scenario.seed, "seeding": scenario.seeding,
            "model_version": MODEL_VERSION, "method": method,
            "points": int(len(design)), "replicates": replicates, "runs": int(len(design)) * replicates,
            "resolved": scenario.resolved()}
