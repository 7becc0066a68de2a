"""Show that a 10,000-run sweep streams: the parent's memory stays flat as runs accumulate.

    python benchmarks/bench_sweep_memory.py [--runs 10000] [--workers 2]

Runs a Latin-hypercube sweep of a small model (the 31 provinces, 8 quarters) and prints the parent
process's resident memory after every tenth of the runs (Linux /proc/self/status VmRSS).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from diffusion.evaluate import SweepStore, make_tasks, run_tasks
from diffusion.params import make_parameters


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    base = make_parameters({"time": {"years": 2}})
    design = pd.DataFrame({"point": range(args.runs), "institutions.fault_tolerance": [i / args.runs for i in range(args.runs)]})
    tasks = make_tasks(design, base, 1, root_seed=0)
    readings = []
    with tempfile.TemporaryDirectory() as folder:
        store = SweepStore(Path(folder) / "sweep")
        store.create({"purpose": "memory benchmark"}, design)
        started = time.perf_counter()
        tenth = max(1, args.runs // 10)

        def progress(n, failed):
            progress.count += n
            if progress.count % tenth == 0:
                readings.append((progress.count, rss_mib()))
                print(f"{progress.count:>6} runs done: parent RSS {readings[-1][1]:.0f} MiB "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)
        progress.count = 0
        run_tasks(store, tasks, workers=args.workers, progress=progress)
    first, last = readings[0][1], readings[-1][1]
    print(f"memory growth from {readings[0][0]} to {readings[-1][0]} runs: {last - first:+.0f} MiB")


if __name__ == "__main__":
    main()
