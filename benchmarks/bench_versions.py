"""One baseline replicate of this checkout against another version of the package, side by side.

    git worktree add /tmp/reference <commit>          # e.g. the previous model version
    python benchmarks/bench_versions.py --reference /tmp/reference [--replicates 30] [--rounds 3]

Each round runs, in a fresh process for each version (interleaved, so the machine's noise hits both
alike), one warm-up replicate (compilation or cache load) and then ``--replicates`` baseline replicates
(build + run), and reports the median and range per version and the ratio of the medians. On a noisy
machine read the range of the ratios over rounds, not one number.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from diffusion.model import DiffusionModel
import diffusion
assert diffusion.__file__.startswith(sys.argv[1]), diffusion.__file__
DiffusionModel(seed=0).run()
times = []
for k in range(1, int(sys.argv[2]) + 1):
    start = time.perf_counter()
    DiffusionModel(seed=0, replicate=k).run()
    times.append(time.perf_counter() - start)
print(json.dumps({"version": diffusion.__version__, "times": times}))
"""


def measure(root: Path, replicates: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(root), str(replicates)], capture_output=True, text=True,
                         check=True, cwd="/")
    return json.loads(out.stdout.strip().splitlines()[-1])


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, required=True, help="root of the other checkout (a git worktree)")
    parser.add_argument("--replicates", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not (args.reference / "diffusion" / "__init__.py").is_file():
        parser.error(f"--reference {args.reference}: no diffusion package there; give the root of a checkout "
                     f"(git worktree add /tmp/reference <commit>)")
    for name in ("replicates", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1 (given: {getattr(args, name)})")
    here = Path(__file__).resolve().parent.parent
    ratios = []
    for round_ in range(1, args.rounds + 1):
        ref, this = measure(args.reference.resolve(), args.replicates), measure(here, args.replicates)
        a, b = median(ref["times"]), median(this["times"])
        ratios.append(b / a)
        print(f"round {round_}: reference {ref['version']} {1000 * a:.1f} ms "
              f"[{1000 * min(ref['times']):.1f}-{1000 * max(ref['times']):.1f}], this {this['version']} "
              f"{1000 * b:.1f} ms [{1000 * min(this['times']):.1f}-{1000 * max(this['times']):.1f}], ratio {b / a:.2f}")
    print(f"ratio this / reference over {args.rounds} rounds: {min(ratios):.2f}-{max(ratios):.2f}")


if __name__ == "__main__":
    main()
