"""Time the model: the default run (31 provinces x ~349 innovations x 48 quarters) and 300 regions.

    python benchmarks/bench_model.py [--repeat N] [--skip CASES] [--json FILE]

Reports the median wall time of set-up (building regions, innovations) and of the 48 steps separately,
and the time per region-innovation-step, at 31 provinces, 300, 3000 and 30,000 regions (small world)
and the province -> prefecture hierarchy of 300 synthetic cities; and the time a fresh process takes to import
the package and run the baseline once. Targets: cost linear in regions x innovations (equal ns per
region-innovation-step) up to 30,000 regions; a fresh process runs the baseline in 2 s or less.

The step has one numerical path (the compiled engine); the first run of a process loads its kernels
from numba's on-disk cache, and that start-up is reported apart.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time

from diffusion import DiffusionModel, make_parameters
from diffusion.provenance import environment

CASES = {
    "default_31": {},
    "small_world_300": {"network": {"kind": "small_world", "n_regions": 300, "mean_degree": 6}},
    "prefectures_300": {"network": {"kind": "synthetic_prefectures", "cities": 300}},   # 300 exactly: synthetic
    "small_world_3000": {"network": {"kind": "small_world", "n_regions": 3000, "mean_degree": 6}},
    "small_world_30000": {"network": {"kind": "small_world", "n_regions": 30000, "mean_degree": 6}},
}
REPEATS = {"small_world_3000": 3, "small_world_30000": 1}  # seconds a run: fewer repeats


def time_case(changes: dict, repeat: int) -> dict:
    params = make_parameters(changes)
    setup, steps, cells = [], [], 0
    for seed in range(repeat):
        t0 = time.perf_counter()
        model = DiffusionModel(params, seed=seed)
        t1 = time.perf_counter()
        model.run()
        t2 = time.perf_counter()
        setup.append(t1 - t0)
        steps.append(t2 - t1)
        cells = model.n_regions * model.n_innovations * model.steps
    run = statistics.median(steps)
    return {"regions": model.n_regions, "innovations": model.n_innovations, "steps": model.steps,
            "setup_s": statistics.median(setup), "run_s": run, "total_s": statistics.median(
                [a + b for a, b in zip(setup, steps)]), "ns_per_region_innovation_step": 1e9 * run / cells}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", default="benchmarks/bench_model.json")
    parser.add_argument("--skip", default="", help="comma-separated cases to leave out (e.g. small_world_30000)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1 (given: {args.repeat})")
    started = time.perf_counter()
    DiffusionModel(seed=0).run()  # warm imports, caches and the compiled kernels
    first = time.perf_counter() - started
    # a fresh process: interpreter start, imports, the kernels loaded from numba's on-disk cache, one run
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from diffusion import DiffusionModel; DiffusionModel(seed=0).run()"],
                   check=True)
    second = time.perf_counter() - started
    print(f"first run in this process {first:.2f} s; a fresh process importing and running the baseline "
          f"{second:.2f} s (target <= 2 s)", flush=True)
    results = {"machine": platform.platform(), "python": platform.python_version(), "environment": environment(),
               "first_run_s": first, "fresh_process_baseline_s": second, "cases": {}}
    for name, changes in CASES.items():
        if name in args.skip.split(","):
            continue
        r = time_case(changes, min(args.repeat, REPEATS.get(name, args.repeat)))
        results["cases"][name] = r
        print(f"{name:>16}: {r['regions']} regions x {r['innovations']} innovations x {r['steps']} "
              f"steps: set-up {1e3 * r['setup_s']:.1f} ms, run {1e3 * r['run_s']:.1f} ms "
              f"({r['ns_per_region_innovation_step']:.0f} ns per region-innovation-step)", flush=True)
    with open(args.json, "w") as handle:
        json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()
