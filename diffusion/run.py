"""Run the model and collect its tables: the one place the CLI and the Python API meet."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from . import __version__, tables
from .model import DiffusionModel
from .params import Parameters
from .results import atomic_folder, write_json, write_tables


def run_once(params: Parameters | None = None, seed: int = 0, run_id: int = 0) -> dict[str, pd.DataFrame]:
    """Run one replicate and return all its tidy tables (plus ``batches``)."""
    model = DiffusionModel(params, rng=seed, run_id=run_id).run()
    out = tables.all_tables(model)
    out["batches"] = batches_table(model)
    return out


def batches_table(model: DiffusionModel) -> pd.DataFrame:
    """One row per batch or best-practice list the centre issued."""
    rows = [{"run": model.run_id, "kind": b["kind"], "number": b["number"], "step": b["step"],
             "period": model.timeline.label(b["step"]), "date": pd.Timestamp(model.timeline.date_of(b["step"])),
             "items": len(b["items"]), "innovations": " ".join(map(str, b["items"]))} for b in model.centre.batches]
    return pd.DataFrame(rows, columns=["run", "kind", "number", "step", "period", "date", "items", "innovations"])


def write_run(out: Path, params: Parameters, seed: int, name: str, command: str, force: bool = False) -> dict:
    """Run, then write tables, the adoption chart and a manifest into ``out`` atomically; returns the summary."""
    from .charts import adoption_curves

    started = time.perf_counter()
    model = DiffusionModel(params, rng=seed).run()
    elapsed = time.perf_counter() - started
    result = tables.all_tables(model)
    result["batches"] = batches_table(model)
    with atomic_folder(Path(out), force=force) as folder:
        write_tables(folder, result)
        figures = folder / "figures"
        figures.mkdir()
        fig = adoption_curves(result["series"], result["batches"])
        fig.savefig(figures / "adoption_curves.png")
        fig.savefig(figures / "adoption_curves.svg")
        import matplotlib.pyplot as plt
        plt.close(fig)
        write_json(folder / "parameters.json", params.model_dump(mode="json"))
        summary = model.summary()
        write_json(folder / "manifest.json", {
            "name": name, "package": "ftz-diffusion", "version": __version__, "seed": seed,
            "command": command, "model_seconds": round(elapsed, 4), "summary": summary,
            "tables": sorted(result), "figures": ["adoption_curves.png", "adoption_curves.svg"]})
    return summary
