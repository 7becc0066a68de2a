"""Resident memory over many baseline runs in one process (issue target: growth <= 50 MB over 5000).

    python benchmarks/bench_memory.py [--runs 5000] [--json FILE]

Mesa 3.3 keeps every model alive through ``Agent._ids`` (Mesa issue 3179; about 1.26 MB a baseline
run); the model's agents number themselves from a weak-keyed table instead. Prints the resident set
after a warm-up and after every 1000 runs, and the growth.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
from pathlib import Path

from diffusion import DiffusionModel, make_parameters
from diffusion.provenance import environment


def resident_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--json", default="benchmarks/bench_memory.json")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error(f"--runs must be at least 1 (given: {args.runs})")
    params = make_parameters({})
    for replicate in range(50):
        DiffusionModel(params, seed=0, replicate=replicate).run()
    gc.collect()
    start = resident_mb()
    marks = []
    for k in range(args.runs):
        DiffusionModel(params, seed=1, replicate=k).run()
        if (k + 1) % 1000 == 0 or k + 1 == args.runs:
            gc.collect()
            marks.append({"runs": k + 1, "resident_mb": resident_mb()})
            print(f"{k + 1:>6} runs: resident {marks[-1]['resident_mb']:.1f} MB", flush=True)
    growth = marks[-1]["resident_mb"] - start
    print(f"growth over {args.runs} runs: {growth:.1f} MB (target <= 50 MB; Mesa's leak would be about "
          f"{1.26 * args.runs:.0f} MB)")
    Path(args.json).write_text(json.dumps({"environment": environment(), "runs": args.runs, "start_mb": start,
                                           "marks": marks, "growth_mb": growth, "target_mb": 50}, indent=2))


if __name__ == "__main__":
    main()
