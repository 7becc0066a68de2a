"""Where one baseline replicate's time goes.

    python benchmarks/bench_replicate.py [--replicates 200] [--json FILE]

Builds and runs the baseline model ``--replicates`` times in one process and splits each replicate's
wall time into: building the model; the compiled kernels (the engine's pair listing and draw, each
channel's hazard, the institutional factor, outcomes and the spread of evidence; the random numbers
are drawn inside them); the channels' numpy preparation (``inputs``: the rival shares, the mandate
pressure); and the rest (Python between the kernels, Mesa, the event log, the data collector).

Timing wraps the functions (a microsecond or so per call), so the parts are a little high; compare
them with each other, not with bench_ensemble's wall time.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections import Counter
from pathlib import Path

from diffusion import DiffusionModel, engine, failure, institutions, learning, model
from diffusion.params import Parameters
from diffusion.provenance import environment

TIMES: Counter = Counter()


def timed(function, part: str):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            TIMES[part] += time.perf_counter() - start
    return wrapper


def instrument() -> None:
    """Wrap every compiled function the step calls, and every channel's numpy preparation."""
    engine.undecided = timed(engine.undecided, "kernels")
    engine.decide = timed(engine.decide, "kernels")
    failure.realise = timed(failure.realise, "kernels")
    learning.spread = timed(learning.spread, "kernels")
    learning.publish = timed(learning.publish, "kernels")
    model.voluntary_factor = timed(institutions.voluntary_factor, "kernels")
    for channel in engine.CHANNELS:
        channel.fill = timed(channel.fill, "kernels")
        channel.inputs = timed(channel.inputs, "inputs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--json", default="benchmarks/bench_replicate.json")
    args = parser.parse_args()
    if args.replicates < 1:
        parser.error(f"--replicates must be at least 1 (given: {args.replicates})")
    params = Parameters()
    DiffusionModel(params, seed=0).run()   # compiled kernels loaded, caches warm
    instrument()
    TIMES.clear()
    total = build = 0.0
    for replicate in range(1, args.replicates + 1):
        start = time.perf_counter()
        run = DiffusionModel(params, seed=0, replicate=replicate)
        built = time.perf_counter()
        run.run()
        total += time.perf_counter() - start
        build += built - start
    per = {part: seconds / args.replicates * 1e3 for part, seconds in TIMES.items()}
    result = {
        "machine": platform.platform(), "environment": environment(), "replicates": args.replicates,
        "replicate_ms": total / args.replicates * 1e3, "build_ms": build / args.replicates * 1e3,
        "kernels_ms": per.get("kernels", 0.0), "inputs_ms": per.get("inputs", 0.0),
    }
    result["rest_ms"] = result["replicate_ms"] - result["build_ms"] - result["kernels_ms"] - result["inputs_ms"]
    print(f"one baseline replicate, mean of {args.replicates}: {result['replicate_ms']:.1f} ms")
    print(f"  building the model          {result['build_ms']:6.2f} ms")
    print(f"  compiled kernels            {result['kernels_ms']:6.2f} ms")
    print(f"  channels' numpy inputs      {result['inputs_ms']:6.2f} ms")
    print(f"  the rest of the run         {result['rest_ms']:6.2f} ms")
    Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
