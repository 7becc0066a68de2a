"""Discrete-time error of the engine against Bass's closed form, by step length (for docs/model.md).

    python benchmarks/accuracy_bass.py [--replicates 200] [--steps week,month,quarter,half_year,year]

For the four (p, q) pairs of tests/test_bass.py, 300 regions on a complete graph, prints the largest
gap (percentage points) between the mean adoption share over replicates and F(t), at each step length.
Part of the gap is sampling noise (about 0.4 pp at 200 replicates near the curve's middle).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_bass import PAIRS, REGIONS, bass, bass_parameters  # noqa: E402

from diffusion import DiffusionModel  # noqa: E402
from diffusion.params import with_changes  # noqa: E402
from diffusion.ensemble import map_jobs  # noqa: E402


def curve(job):
    p, q, step, replicate = job
    params = with_changes(bass_parameters(p, q), {"time.step": step})
    return DiffusionModel(params, seed=7, replicate=replicate).run().datacollector.get_model_vars_dataframe()[
        "coverage"].to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--steps", default="week,month,quarter,half_year,year")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    steps = args.steps.split(",")
    print(f"largest |mean - F(t)| in percentage points, {args.replicates} replicates of {REGIONS} regions")
    print(f"{'p, q (1/year)':>14} " + " ".join(f"{s:>9}" for s in steps))
    for p, q in PAIRS:
        gaps = []
        for step in steps:
            curves = np.array(map_jobs(curve, [(p, q, step, k) for k in range(args.replicates)], args.workers))
            dt = with_changes(bass_parameters(p, q), {"time.step": step}).time.dt
            expected = bass(p, q, np.arange(1, curves.shape[1] + 1) * dt)
            gaps.append(100 * np.abs(curves.mean(axis=0) - expected).max())
        print(f"{p:>6}, {q:<6} " + " ".join(f"{g:>9.2f}" for g in gaps), flush=True)


if __name__ == "__main__":
    main()
