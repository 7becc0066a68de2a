"""Keyed random streams: every random decision of a run is a function of where it is made.

A run has a 64-bit key made from the scenario's root seed and the replicate number (and, with
``seeding: independent``, the parameter hash). Each random number the step needs is then

    u = hash(key, purpose, region, innovation, step) / 2^64        (uniform on [0, 1))

a counter-based generator: SplitMix64's finaliser (Steele, Lea & Flood 2014) chained over the five
coordinates. Nothing is drawn in sequence, so a draw does not depend on how many draws came before it.
Two scenarios that differ in one lever therefore make the same draw for the same decision wherever
their states agree (common random numbers): replicate k of scenario A and of scenario B face the same
luck, and their difference shows the lever, not the noise.

Set-up draws (a synthetic network, regions' risk aversion, the innovations and their traits) come
from numpy generators seeded by ``SeedSequence([key words..., purpose])``: the same for two scenarios
whose inputs to that part agree, whatever else differs.

The hash passes the statistical checks in tests/test_streams.py (uniformity, independence across
neighbouring counters); it is not a cryptographic generator, and need not be.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# purposes of the in-step draws (part of every draw's coordinates)
ADOPT = 1            # does an undecided pair adopt this step
OUTCOME_A = 2        # the two uniforms of an adoption's outcome noise (Box-Muller)
OUTCOME_B = 3
CORRECT = 4          # is a failure corrected
EVIDENCE = 5         # in which of two steps an outcome reaches others (rounding its arrival time)
PLAN = 6             # when a region plans to have a binding item done (per pair, step 0)
RELEVANCE = 7        # whether a reform addresses a problem the region has (per pair, step 0)
AUTHORISE = 8        # whether the centre authorises a request-authorise pilot (per innovation, step 0)
RELEVANCE_GIVEN_HISTORY = 20   # relevance redrawn given a replayed history (forecasts; per pair, step 0)
# purposes of the set-up generators
NETWORK = 101
INSTITUTIONS = 102
INNOVATIONS = 103
MESA = 104
OBSERVE = 105
POLICIES = 106       # the fit of the scenario's central policies

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_SCALE = 1.0 / 9007199254740992.0   # 2^-53


@numba.njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@numba.njit(cache=True, inline="always")
def uniform(key, purpose, region, innovation, step):
    """The uniform on [0, 1) at these coordinates of the run with this key (53 random bits)."""
    h = _mix(key ^ (np.uint64(purpose) * _GOLDEN))
    h = _mix(h ^ (np.uint64(region) + _GOLDEN))
    h = _mix(h ^ (np.uint64(innovation) * _M1 + _GOLDEN))
    h = _mix(h ^ (np.uint64(step) * _M2 + _GOLDEN))
    return np.float64(h >> _S11) * _SCALE


@numba.njit(cache=True, inline="always")
def normal(key, region, innovation, step):
    """A standard normal at these coordinates (Box-Muller from the OUTCOME_A and OUTCOME_B uniforms)."""
    u1 = 1.0 - uniform(key, OUTCOME_A, region, innovation, step)   # (0, 1]: log is finite
    u2 = uniform(key, OUTCOME_B, region, innovation, step)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@numba.njit(cache=True)
def uniforms(key, purpose, regions, innovations, steps):
    """Vectorised :func:`uniform` over arrays of coordinates (for tests and numpy callers)."""
    out = np.empty(regions.size)
    for k in range(regions.size):
        out[k] = uniform(key, purpose, regions[k], innovations[k], steps[k])
    return out


@numba.njit(cache=True)
def normals(key, regions, innovations, steps):
    """Vectorised :func:`normal`."""
    out = np.empty(regions.size)
    for k in range(regions.size):
        out[k] = normal(key, regions[k], innovations[k], steps[k])
    return out


def run_key(seed: int, replicate: int, parameter_hash: str | None = None) -> np.uint64:
    """The 64-bit key of replicate ``replicate`` under root seed ``seed`` (and the parameter hash, for
    ``seeding: independent``)."""
    words = [int(seed) & 0xFFFFFFFFFFFFFFFF, int(replicate)]
    if parameter_hash is not None:
        words += [int(parameter_hash[i:i + 8], 16) for i in range(0, 32, 8)]
    return np.random.SeedSequence(words).generate_state(1, np.uint64)[0]


def generator(key: np.uint64, purpose: int) -> np.random.Generator:
    """A numpy generator for one set-up purpose of the run with this key."""
    key = int(key)
    return np.random.default_rng(np.random.SeedSequence([key & 0xFFFFFFFF, key >> 32, int(purpose)]))
