"""Time 1000 baseline replicates on 2 workers against a plain numpy SI ensemble of the same size.

    python benchmarks/bench_ensemble.py [--replicates 1000] [--workers 2] [--rounds 2] [--json FILE]

Ours: the path 'diffusion sweep' and 'diffusion run --replicates' use: each replicate builds the model,
runs 48 quarters and computes its metrics and series; results are streamed into a Parquet sweep folder
(a temporary directory). The reference: the same number of replicates of a plain numpy SI process of
the same size (31 regions x 349 innovations x 48 steps on the provincial border graph, one sparse
product and one uniform draw a step), on the same number of processes. The two alternate, ``--rounds``
times, in one run, so they see the same machine; the target is ours <= 3x the reference.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from diffusion.evaluate import SweepStore, make_tasks, run_tasks
from diffusion.params import Parameters
from diffusion.provenance import environment
from diffusion.ensemble import map_jobs

REGIONS, INNOVATIONS, STEPS = 31, 349, 48


_GRAPH: list = []


def border_graph():
    """The provincial border graph and its degrees, built once per process."""
    if not _GRAPH:
        from diffusion import make_parameters
        from diffusion.network import build_regions
        from diffusion.timeline import Timeline
        params = make_parameters({})
        adjacency = build_regions(params, Timeline(params.time.start, "quarter", 48), None).adjacency.tocsr()
        _GRAPH.extend([adjacency, np.asarray(adjacency.sum(axis=1)).ravel()])
    return _GRAPH


def si_replicate(seed: int) -> float:
    """One replicate of the reference: SI with hazard 0.08 x (share of adopted neighbours) a step."""
    adjacency, degree = border_graph()
    rng = np.random.default_rng(seed)
    adopted = np.zeros((REGIONS, INNOVATIONS))
    adopted[rng.integers(0, REGIONS, INNOVATIONS), np.arange(INNOVATIONS)] = 1.0
    for _ in range(STEPS):
        pressure = (adjacency @ adopted) / degree[:, None]
        adopted = np.maximum(adopted, rng.random(adopted.shape) < 1 - np.exp(-0.08 * pressure))
    return float(adopted.mean())


def ours(replicates: int, workers: int) -> float:
    design = pd.DataFrame({"point": [0]})
    tasks = make_tasks(design, Parameters(), replicates, root_seed=0)
    with tempfile.TemporaryDirectory() as folder:
        store = SweepStore(Path(folder) / "sweep")
        store.create({"purpose": "benchmark"}, design)
        started = time.perf_counter()
        report = run_tasks(store, tasks, workers=workers, flush_every=200)
        wall = time.perf_counter() - started
        assert len(store.completed()) == replicates and report.failed == 0
    return wall


def reference(replicates: int, workers: int) -> float:
    started = time.perf_counter()
    map_jobs(si_replicate, list(range(replicates)), workers)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of ours and the reference")
    parser.add_argument("--json", default="benchmarks/bench_ensemble.json")
    args = parser.parse_args()
    for name in ("replicates", "workers", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1 (given: {getattr(args, name)})")
    ours(2, 1)   # compiled kernels loaded from numba's cache, imports warm
    border_graph()   # built before the workers fork, as the model's provincial network is
    rounds = []
    for _ in range(args.rounds):
        ours_s = ours(args.replicates, args.workers)
        reference_s = reference(args.replicates, args.workers)
        rounds.append({"ours_seconds": ours_s, "reference_seconds": reference_s, "ratio": ours_s / reference_s})
        print(f"{args.replicates} baseline replicates on {args.workers} workers: {ours_s:.1f} s; numpy SI ensemble "
              f"of the same size: {reference_s:.1f} s; ratio {ours_s / reference_s:.2f} (target <= 3)", flush=True)
    ratios = [r["ratio"] for r in rounds]
    result = {"machine": platform.platform(), "environment": environment(), "replicates": args.replicates,
              "workers": args.workers, "rounds": rounds, "ratio_range": [min(ratios), max(ratios)],
              "wall_seconds": min(r["ours_seconds"] for r in rounds), "target_ratio": 3.0}
    Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
