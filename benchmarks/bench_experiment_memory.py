"""Memory of long experiments through the public API: a 5000-run sweep and a 2000-simulation calibration.

    python benchmarks/bench_experiment_memory.py [--sweep-runs 5000] [--simulations 2000] [--workers 1]
                                                  [--json FILE]

Each experiment runs through ``diffusion.sweep`` / ``diffusion.calibrate`` in this process (``--workers 1``,
the strictest case: every run's objects pass through the process that is measured; with more workers
the runs happen in children and the parent holds only results). The resident memory (Linux VmRSS) is
read before, after every tenth of the runs and at the end; the target is a growth of at most 100 MB.
"Before" follows a warm-up (one short run and a 4-run sweep) that compiles the kernels and loads the
libraries a first sweep needs once; what that warm-up took is reported beside the growth.
The sweep is a Latin hypercube over fault tolerance on the provinces, 2 years a run; the calibration
fits one weight to adoptions the model itself generated (``diffusion observe``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

TARGET_MB = 100


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Meter:
    """Progress callback that samples the resident memory every tenth of ``total`` runs."""

    def __init__(self, total: int):
        self.total, self.count, self.marks = total, 0, []
        self.every = max(1, total // 10)

    def __call__(self, n: int = 1, failed: int | None = None) -> None:
        self.count += n
        if self.count % self.every == 0 or self.count == self.total:
            self.marks.append({"runs": self.count, "rss_mb": round(rss_mb(), 1)})


def sweep_scenario(folder: Path, name: str, runs: int) -> Path:
    scenario = folder / f"{name}.yaml"
    scenario.write_text(f"""
name: {name}
extends: baseline
replicates: 1
time: {{years: 2}}
sweep:
  method: lhs
  samples: {runs}
  parameters:
    institutions.fault_tolerance: {{min: 0.0, max: 1.0}}
""")
    return scenario


def sweep_memory(folder: Path, runs: int, workers: int) -> dict:
    import diffusion as d

    start = rss_mb()
    # compile and warm up before the first reading: the model's kernels, and what any first sweep loads
    # once (scipy.stats for the design and the intervals, pyarrow's Parquet reader and writer: about
    # 50 MB, reported as warm_up_mb), so that the growth measured is the experiment's own
    d.run("baseline", replicates=1, steps=2)
    d.sweep(sweep_scenario(folder, "memory-warm-up", 4), folder=folder / "warm-up", workers=workers)
    before = rss_mb()
    meter = Meter(runs)
    started = time.perf_counter()
    result = d.sweep(sweep_scenario(folder, "memory-sweep", runs), folder=folder / "sweep", workers=workers,
                     progress=meter)
    seconds = time.perf_counter() - started
    after = rss_mb()
    return {"experiment": "sweep", "runs": int(len(result.tables["results"])), "workers": workers,
            "seconds": round(seconds, 1), "warm_up_mb": round(before - start, 1), "rss_before_mb": round(before, 1),
            "rss_after_mb": round(after, 1), "growth_mb": round(after - before, 1),
            "peak_growth_mb": round(max(m["rss_mb"] for m in meter.marks) - before, 1), "marks": meter.marks}


def calibration_memory(folder: Path, simulations: int, workers: int) -> dict:
    import warnings

    import diffusion as d
    from diffusion.observed import from_model

    world = {"channels": {"mandate": {"enabled": False}}, "innovations": {"expected_total": 60}}
    truth = d.make_parameters({**world, "channels": {"mandate": {"enabled": False},
                                                     "competition": {"weight_per_year": 2.0}}})
    data = folder / "observed.csv"
    from_model(d.DiffusionModel(truth, seed=11).run()).to_csv(data, index=False)
    import yaml
    scenario = folder / "memory-calibration.yaml"
    scenario.write_text(yaml.safe_dump({"name": "memory-calibration", **world, "calibrate": {
        "parameters": {"channels.competition.weight_per_year": {"min": 0, "max": 8}},
        "simulations": simulations, "accept": 0.05, "predictive": 20}}))
    before = rss_mb()
    meter = Meter(simulations + 20)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = d.calibrate(scenario, data=data, workers=workers, progress=meter)
    seconds = time.perf_counter() - started
    after = rss_mb()
    return {"experiment": "calibration", "runs": int(result.meta["simulations"]), "workers": workers,
            "seconds": round(seconds, 1), "rss_before_mb": round(before, 1), "rss_after_mb": round(after, 1),
            "growth_mb": round(after - before, 1), "peak_growth_mb": round(max(m["rss_mb"] for m in meter.marks) - before, 1),
            "marks": meter.marks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep-runs", type=int, default=5000)
    parser.add_argument("--simulations", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.sweep_runs < 1 or args.simulations < 20 or args.workers < 1:
        parser.error(f"--sweep-runs must be at least 1, --simulations at least 20 and --workers at least 1 "
                     f"(given: {args.sweep_runs}, {args.simulations}, {args.workers})")
    with tempfile.TemporaryDirectory() as tmp:
        rows = [sweep_memory(Path(tmp), args.sweep_runs, args.workers),
                calibration_memory(Path(tmp), args.simulations, args.workers)]
    for row in rows:
        print(f"{row['experiment']}: {row['runs']} runs on {row['workers']} worker(s) in {row['seconds']} s; resident "
              f"memory {row['rss_before_mb']} -> {row['rss_after_mb']} MB (growth {row['growth_mb']} MB, peak "
              f"{row['peak_growth_mb']} MB; target <= {TARGET_MB} MB)"
              + (f"; warm-up before it {row['warm_up_mb']} MB" if "warm_up_mb" in row else ""))
    if args.json:
        args.json.write_text(json.dumps({"target_mb": TARGET_MB, "experiments": rows}, indent=2))


if __name__ == "__main__":
    main()
