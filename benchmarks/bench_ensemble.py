"""Time 1000 replicates of the baseline on 2 worker processes (issue 4 target: 5 s or less).

    python benchmarks/bench_ensemble.py [--replicates 1000] [--workers 2] [--kernel auto|numpy|numba]

Runs the same path as 'diffusion sweep' and 'diffusion run --replicates' use for experiments: each
replicate builds the model, runs 48 quarters and computes its metrics and series; results are streamed
into a sweep folder (a temporary directory). Prints wall time and replicates per second.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import pandas as pd

from diffusion import kernel
from diffusion.evaluate import SweepStore, make_tasks, run_tasks
from diffusion.params import Parameters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kernel", choices=kernel.CHOICES, default="auto",
                        help="the step's path in every worker (same numbers either way)")
    parser.add_argument("--json", default="benchmarks/bench_ensemble.json")
    args = parser.parse_args()
    if args.replicates < 1:
        parser.error(f"--replicates must be at least 1 (given: {args.replicates})")
    if args.workers < 1:
        parser.error(f"--workers must be at least 1 (given: {args.workers})")
    os.environ[kernel.ENVIRONMENT] = args.kernel   # the workers inherit it
    path = kernel.choose(args.kernel)
    design = pd.DataFrame({"point": [0]})
    tasks = make_tasks(design, Parameters(), args.replicates, root_seed=0)
    with tempfile.TemporaryDirectory() as folder:
        store = SweepStore(Path(folder) / "sweep")
        store.create({"purpose": "benchmark"}, design)
        started = time.perf_counter()
        report = run_tasks(store, tasks, workers=args.workers, flush_every=200)
        wall = time.perf_counter() - started
        assert len(store.completed()) == args.replicates and report.failed == 0
    result = {"machine": platform.platform(), "replicates": args.replicates, "workers": args.workers, "kernel": path,
              "wall_seconds": wall, "replicates_per_second": args.replicates / wall, "target_seconds": 5.0}
    print(f"{args.replicates} baseline replicates on {args.workers} workers, kernel {path}: {wall:.1f} s "
          f"({args.replicates / wall:.0f} replicates/s; target 5 s)")
    Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
