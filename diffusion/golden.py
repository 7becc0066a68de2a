"""The golden baseline: summary metrics of a few library scenarios and seeds, committed with the code.

    python -m diffusion.golden            # compare this code's numbers with tests/golden/summary.json
    python -m diffusion.golden --write    # regenerate the file (a deliberate change of numbers)

A change that moves any number a seed gives shows up as a failing ``tests/test_golden.py`` and, once
regenerated, as a diff of this small JSON file in review, next to a new ``MODEL_VERSION``
(diffusion/provenance.py) when the change is meant.

On the platform that wrote the file (same CPU features and library versions, see
:func:`platform_id`) the numbers must be equal exactly. Elsewhere a last-bit difference in a vectorised
library function can flip a draw, after which a run goes its own way, so the comparison is of the
mean over the file's replicates, within ``TOLERANCE`` (relative, or absolute for shares near zero).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path

from .provenance import MODEL_VERSION, environment

FILE = Path(__file__).resolve().parent.parent / "tests" / "golden" / "summary.json"
SCENARIOS = ("baseline", "no-mandate", "fault-tolerance-high", "coordination-yrd-mutual-recognition",
             "teaching-small-world")
SEEDS = (0, 1)
REPLICATES = 2
METRICS = ("coverage", "binding_batches", "binding_items", "best_practice_items", "share_national",
           "median_time_to_50", "adoptions", "failures", "corrections", "abandonments", "ftz_gap", "gini",
           "share_spontaneous", "share_learning", "share_competition", "share_mandate")
TOLERANCE = {"relative": 0.10, "absolute": 0.02}


def platform_id(env: dict | None = None) -> str:
    """What must agree for numbers to be equal bit for bit: machine, SIMD features, numerical libraries."""
    env = env or environment()
    key = [env["machine"], env["simd_features"], {k: env["libraries"][k] for k in ("numpy", "numba", "scipy")}]
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def compute() -> dict:
    """The summary of every (scenario, seed): each metric for each replicate."""
    from .ensemble import run_ensemble
    from .scenario import load_scenario

    cases = {}
    for name in SCENARIOS:
        params = load_scenario(name).parameters()
        for seed in SEEDS:
            metrics = run_ensemble(params, REPLICATES, root_seed=seed).tables["metrics"].sort_values("run")
            cases[f"{name}/seed={seed}"] = {m: [None if _missing(v) else float(v) for v in metrics[m]]
                                            for m in METRICS if m in metrics}
    return cases


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def document() -> dict:
    env = environment()
    return {"model_version": MODEL_VERSION, "platform_id": platform_id(env), "environment": env,
            "regenerate": "python -m diffusion.golden --write", "tolerance_elsewhere": TOLERANCE, "cases": compute()}


def differences(stored: dict, current: dict) -> list[str]:
    """What differs between the stored summary and this code's, as sentences (empty: none)."""
    exact = stored["platform_id"] == platform_id()
    out = []
    if stored["model_version"] != MODEL_VERSION:
        out.append(f"model version {MODEL_VERSION} but the golden file is for {stored['model_version']}")
    for case in sorted(set(stored["cases"]) | set(current)):
        if case not in current or case not in stored["cases"]:
            out.append(f"{case}: present in only one of the file and this code")
            continue
        for metric, values in stored["cases"][case].items():
            now = current[case].get(metric)
            if exact:
                if now != values:
                    out.append(f"{case} {metric}: {now} now, {values} in the golden file")
                continue
            a, b = _mean(values), _mean(now)
            if a is None or b is None:
                if (a is None) != (b is None):
                    out.append(f"{case} {metric}: {b} now, {a} in the golden file")
            elif abs(a - b) > max(TOLERANCE["absolute"], TOLERANCE["relative"] * abs(a)):
                out.append(f"{case} {metric}: mean {b:.4g} now, {a:.4g} in the golden file (beyond the tolerance)")
    return out


def _mean(values):
    values = [v for v in (values or []) if v is not None]
    return sum(values) / len(values) if values else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m diffusion.golden", description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"regenerate {FILE}")
    args = parser.parse_args(argv)
    if args.write:
        FILE.parent.mkdir(parents=True, exist_ok=True)
        FILE.write_text(json.dumps(document(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {FILE}")
        return 0
    found = differences(json.loads(FILE.read_text(encoding="utf-8")), compute())
    for line in found:
        print(line, file=sys.stderr)
    print("the numbers match the golden file" if not found else f"{len(found)} difference(s); if the change of "
          f"numbers is meant, run  python -m diffusion.golden --write  and say why in the commit")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
