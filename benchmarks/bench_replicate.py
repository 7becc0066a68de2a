"""Where one baseline replicate's time goes, and the least an ensemble of them could take.

    python benchmarks/bench_replicate.py [--replicates 200] [--kernel auto|numpy|numba] [--json FILE]

Builds and runs the baseline model ``--replicates`` times in one process and splits each replicate's
wall time into: building the model; inside the compiled kernels (numba path only); numpy's ``tanh``
(the learning logistic, which the kernels do not reproduce bit for bit); the run generator's draws
(one uniform per undecided region x innovation pair and step, normals and uniforms per adoption);
and everything else (Python between the kernels, Mesa, the event log, the data collector).

The kernels, ``tanh`` and the draws are the arithmetic that gives these numbers, so their sum is a
floor for this code: 1000 replicates on 2 cores cannot take less than 500 times it, however the rest
of the program were written (faster kernels would lower it). Timing wraps the functions (a few microseconds per call), so the parts
are a little high; compare them with each other, not with bench_ensemble's wall time.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections import Counter
from pathlib import Path

import numpy as np

from diffusion import DiffusionModel, kernel
from diffusion.params import Parameters

TIMES: Counter = Counter()


def timed(function, part: str):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            TIMES[part] += time.perf_counter() - start
    return wrapper


class TimedGenerator:
    """The run's generator, with its draws timed (everything else passes through untouched)."""

    def __init__(self, rng: np.random.Generator):
        self._rng = rng
        self.random = timed(rng.random, "draws")
        self.standard_normal = timed(rng.standard_normal, "draws")

    def __getattr__(self, name):
        return getattr(self._rng, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--kernel", choices=kernel.CHOICES, default="auto")
    parser.add_argument("--json", default="benchmarks/bench_replicate.json")
    args = parser.parse_args()
    if args.replicates < 1:
        parser.error(f"--replicates must be at least 1 (given: {args.replicates})")
    path = kernel.choose(args.kernel)
    params = Parameters()
    DiffusionModel(params, rng=0, kernel=path).run()   # compiled kernels loaded, caches warm
    if path == "numba":
        for name in dir(kernel.compiled):
            function = getattr(kernel.compiled, name)
            if not name.startswith("_") and hasattr(function, "py_func"):   # the numba kernels
                setattr(kernel.compiled, name, timed(function, "kernels"))
    np.tanh = timed(np.tanh, "tanh")   # the model and learning modules call it as np.tanh
    TIMES.clear()
    total = build = 0.0
    for seed in range(1, args.replicates + 1):
        start = time.perf_counter()
        model = DiffusionModel(params, rng=seed, kernel=path)
        built = time.perf_counter()
        model.rng = TimedGenerator(model.rng)
        model.run()
        total += time.perf_counter() - start
        build += built - start
    per = {part: seconds / args.replicates * 1e3 for part, seconds in TIMES.items()}
    result = {
        "machine": platform.platform(), "kernel": path, "replicates": args.replicates,
        "replicate_ms": total / args.replicates * 1e3, "build_ms": build / args.replicates * 1e3,
        "kernels_ms": per.get("kernels", 0.0), "tanh_ms": per.get("tanh", 0.0), "draws_ms": per.get("draws", 0.0),
    }
    floor = result["kernels_ms"] + result["tanh_ms"] + result["draws_ms"]
    result["rest_ms"] = result["replicate_ms"] - result["build_ms"] - floor
    # on the numpy path the step's arithmetic is in "the rest": a floor needs the compiled kernels
    result["floor_ms"] = floor if path == "numba" else None
    result["floor_1000_on_2_cores_s"] = floor * 1000 / 2 / 1e3 if path == "numba" else None
    print(f"one baseline replicate, kernel {path}, mean of {args.replicates}: {result['replicate_ms']:.1f} ms")
    print(f"  building the model     {result['build_ms']:6.2f} ms")
    if path == "numba":
        print(f"  compiled kernels       {result['kernels_ms']:6.2f} ms")
    print(f"  numpy's tanh           {result['tanh_ms']:6.2f} ms")
    print(f"  the generator's draws  {result['draws_ms']:6.2f} ms")
    print(f"  the rest of the run    {result['rest_ms']:6.2f} ms")
    if path == "numba":
        print(f"floor (kernels + tanh + draws): {floor:.2f} ms a replicate, so 1000 replicates on 2 cores take at "
              f"least {result['floor_1000_on_2_cores_s']:.1f} s (issue target: 5 s)")
    else:
        print("no floor on the numpy path: its arithmetic is in the rest (run with --kernel numba)")
    Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
