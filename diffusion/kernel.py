"""The step compiled with numba: the numpy path's numbers, in one pass over the pairs.

The numpy path builds each channel's hazard as a regions x innovations array: some sixty array
operations a step, each with a fixed cost. The compiled path does the same arithmetic pair by pair:
the four channel hazards, ``1 - exp(-lambda)`` against the same uniform draw (drawn by numpy from the
run's generator before the kernel runs), the channel shares of each adoption; then the outcome sums
and the sparse product that spread information, the belief update, the learning term around numpy's
tanh, and the step's coverage series. Pilots, batches, outcome draws and the event log stay in numpy.

Results are identical, not merely close: the tests compare whole runs of both paths bit for bit.
What makes that hold is checked, not assumed:

- the same operations in the same order, with no fused multiply-add (numba compiles without
  fast-math, so ``a * b + c`` is rounded twice, as in numpy and scipy); sparse products accumulate in
  scipy's order;
- the same exponentials: the kernel calls the C library's ``exp`` and ``expm1``. numpy uses the same
  functions on most CPUs, but has its own vectorised ``exp`` on some (AVX-512). :func:`available`
  compares the two on 200,000 probe values, once per process, and refuses the kernel if a single bit
  differs. The learning channel's logistic uses numpy's own vectorised ``tanh``, which the C library
  does not match, so numpy computes it on the arguments the kernel prepares;
- the same sums: coverage means use a copy of numpy's pairwise summation, checked against
  ``np.add.reduce`` by the same probe; the Gini is computed in exact integers, which the float formula
  also is for counts.

Choose the path with ``DiffusionModel(kernel=...)`` or the environment variable
``FTZ_DIFFUSION_KERNEL``: ``auto`` (the default: numba when installed and exact here), ``numpy``, or
``numba`` (an error if it cannot be used). Install numba with ``pip install "ftz-diffusion[fast]"``.
"""

from __future__ import annotations

import os

import numpy as np

ENVIRONMENT = "FTZ_DIFFUSION_KERNEL"
CHOICES = ("auto", "numpy", "numba")

_verdict: tuple[bool, str] | None = None


def choose(requested: str | None = None) -> str:
    """The path a model will use: 'numpy' or 'numba', from the request or the environment variable."""
    source = "kernel"
    if requested is None:
        requested, source = os.environ.get(ENVIRONMENT, "auto").strip().lower() or "auto", ENVIRONMENT
    if requested not in CHOICES:
        raise ValueError(f"{source}: unknown kernel {requested!r}; allowed: {', '.join(CHOICES)}")
    if requested == "numpy":
        return "numpy"
    usable, reason = available()
    if usable:
        return "numba"
    if requested == "numba":
        raise ValueError(f"{source}: the numba kernel cannot be used here: {reason}. "
                         f"Use kernel 'auto' or 'numpy' (same results, slower).")
    return "numpy"


def available() -> tuple[bool, str]:
    """Whether the compiled kernel can be used in this process, and if not, why (checked once)."""
    global _verdict
    if _verdict is None:
        _verdict = _check()
    return _verdict


def _check() -> tuple[bool, str]:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False, 'numba is not installed (pip install "ftz-diffusion[fast]")'
    try:
        _compile()
        probe = _probe_values()
        exp, expm1 = compiled.exponentials(probe)
    except Exception as error:  # a broken numba install: fall back rather than fail
        return False, f"numba failed to compile the kernel ({type(error).__name__}: {error})"
    if not (_same_bits(exp, np.exp(probe)) and _same_bits(expm1, np.expm1(probe))):
        return False, ("numpy's exp on this CPU differs in the last bit from the C library's, "
                       "so the kernel would not reproduce the numpy path exactly")
    for n in (*range(1, 300), 1000, 3001, 8191, 8193, 30011):
        values = probe[:n] / 7.0
        if not _same_bits(np.float64(compiled.pairwise_sum(values, 0, n)), np.add.reduce(values)):
            return False, ("numpy sums in a different order here than the kernel's copy of its pairwise "
                           "summation, so the kernel would not reproduce the numpy path exactly")
    return True, ""


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a.view(np.int64), b.view(np.int64)))


def _probe_values() -> np.ndarray:
    """Arguments like the model's: -exposure x risk and -lambda, from tiny to large, plus edge cases."""
    rng = np.random.default_rng(20251126)
    return np.concatenate([-rng.exponential(1.0, 100_000), -rng.uniform(0.0, 40.0, 50_000),
                           -10.0 ** rng.uniform(-12, 0, 50_000), [0.0, -0.0, -1e-300, -700.0, -745.5]])


def _compile() -> None:
    """Import (and so compile, or load from numba's cache) the kernels: numba is imported only when asked for."""
    global compiled
    if compiled is None:
        from . import _compiled
        compiled = _compiled


compiled = None   # the module of numba kernels, once available() has said yes
