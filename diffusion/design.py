"""Experimental designs: which parameter values each run of a sweep uses.

A design is a plain table with one row per *point* (a parameter setting) and one column per factor,
built from a scenario's ``sweep`` block. Factors are continuous (``{min, max}``) or categorical (a list:
leadership, feedback, working system are categories, not numbers; a list of numbers is a set of levels).

- ``grid``: the full factorial product of the listed values.
- ``lhs``: a Latin hypercube of ``samples`` points (scipy.stats.qmc).
- ``sobol``: Saltelli's extension of the Sobol sequence (SALib), ``samples`` x (D + 2) points, for
  Sobol indices; ``morris``: Morris trajectories (SALib), ``samples`` x (D + 1) points.

Sampled designs draw in the unit cube; a continuous factor maps u -> min + u (max - min), a categorical
factor with k levels maps u -> level floor(u k) (each level gets an equal share of the cube). For
sensitivity analysis a categorical factor is thus analysed through its level index: its indices say
how much switching among the levels matters, not the effect of a direction.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .scenario import RangeSpec, SweepSpec

METHODS = ("grid", "lhs", "sobol", "morris")


@dataclass(frozen=True)
class Factor:
    """One swept parameter: its dotted name and either a range or a list of levels."""

    name: str
    low: float | None = None
    high: float | None = None
    levels: tuple[Any, ...] | None = None

    @property
    def categorical(self) -> bool:
        return self.levels is not None

    def from_unit(self, u: np.ndarray) -> list:
        """Map unit-cube coordinates to parameter values."""
        if self.categorical:
            index = np.minimum((np.asarray(u) * len(self.levels)).astype(int), len(self.levels) - 1)
            return [self.levels[i] for i in index]
        return list(self.low + np.asarray(u) * (self.high - self.low))


def factors(spec: SweepSpec) -> list[Factor]:
    """The factors of a sweep block, in the order written."""
    out = []
    for name, values in spec.parameters.items():
        if isinstance(values, RangeSpec):
            out.append(Factor(name, low=values.min, high=values.max))
        else:
            out.append(Factor(name, levels=tuple(values)))
    return out


def salib_problem(factor_list: list[Factor]) -> dict:
    """SALib problem specification over the unit cube, one variable per factor."""
    return {"num_vars": len(factor_list), "names": [f.name for f in factor_list],
            "bounds": [[0.0, 1.0]] * len(factor_list)}


def unit_sample(method: str, factor_list: list[Factor], samples: int, seed: int) -> np.ndarray:
    """Points in the unit cube for a sampled design (rows = points, columns = factors)."""
    d = len(factor_list)
    if method == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=d, seed=np.random.default_rng(seed)).random(samples)
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(salib_problem(factor_list), samples, calc_second_order=False, seed=seed % 2**32)
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(salib_problem(factor_list), samples, num_levels=4, seed=seed % 2**32)
    raise ValueError(f"unknown sampling method {method!r}; allowed: {', '.join(METHODS)}")


def build_design(spec: SweepSpec, seed: int, method: str | None = None, samples: int | None = None) -> pd.DataFrame:
    """The design table: column ``point`` then one column per factor (values as the model takes them)."""
    method = method or spec.method
    samples = samples or spec.samples
    factor_list = factors(spec)
    if method == "grid":
        levels = []
        for factor in factor_list:
            if not factor.categorical:
                raise ValueError(f"sweep.parameters.{factor.name}: a grid needs a list of values, not a range")
            levels.append(factor.levels)
        rows = list(itertools.product(*levels))
        table = pd.DataFrame(rows, columns=[f.name for f in factor_list])
    else:
        unit = unit_sample(method, factor_list, samples, seed)
        table = pd.DataFrame({f.name: f.from_unit(unit[:, k]) for k, f in enumerate(factor_list)})
        for k, f in enumerate(factor_list):
            table[f"_u_{f.name}"] = unit[:, k]  # kept for SALib's analysis of the same points
    table.insert(0, "point", np.arange(len(table)))
    return table


def factor_columns(design: pd.DataFrame) -> list[str]:
    """Names of the factor columns of a design table."""
    return [c for c in design.columns if c != "point" and not c.startswith("_u_")]


def point_changes(design_row: dict) -> dict[str, Any]:
    """Dotted-path parameter changes of one design row (numpy scalars made plain)."""
    out = {}
    for key, value in design_row.items():
        if key == "point" or key.startswith("_u_"):
            continue
        out[key] = value.item() if isinstance(value, np.generic) else value
    return out
