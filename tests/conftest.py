"""Shared helpers for the tests: small runs of the model with parameter changes."""

from __future__ import annotations

import numpy as np
import pytest

from diffusion import DiffusionModel, make_parameters


def deep_update(base: dict, changes: dict) -> dict:
    out = dict(base)
    for key, value in changes.items():
        out[key] = deep_update(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def run_model(changes: dict | None = None, seed: int = 0) -> DiffusionModel:
    return DiffusionModel(make_parameters(changes or {}), seed=seed).run()


def replicate(changes: dict, seeds, measure) -> np.ndarray:
    """measure(model) for each seed, as an array."""
    return np.array([measure(run_model(changes, seed)) for seed in seeds], dtype=float)


@pytest.fixture(scope="session")
def baseline_model() -> DiffusionModel:
    return run_model({}, seed=1)
