"""The decision step compiled with numba: the numpy path's numbers, in one pass over the pairs.

The numpy path (``DiffusionModel._decide``) builds each channel's hazard as a regions x innovations
array, some twenty array operations a step. This kernel computes, for each (region, innovation) pair,
the same four hazards with the same floating-point operations in the same order, then
``1 - exp(-lambda)``, compares it with the same uniform draw (drawn by numpy from the run's generator
before the kernel runs) and records the adoptions with their channel shares. Everything else in the
step (pilots, batches, outcomes, information) stays in numpy.

Results are identical, not merely close: the tests compare whole runs of both paths. Two things make
that hold and are checked, not assumed:

- no fused multiply-add: numba compiles without fast-math, so ``a * b + c`` is rounded twice, as
  numpy and scipy's sparse product do;
- the same exponentials: the kernel calls the C library's ``exp`` and ``expm1``; numpy uses the same
  functions on most CPUs, but has its own vectorised ``exp`` on some (AVX-512). :func:`available`
  compares the two on 200,000 probe values, once per process, and refuses the kernel where a single
  bit differs. The logistic of the learning channel (numpy's own ``tanh``) is never taken here: the
  kernel reads the learning term the model keeps in numpy.

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
_decide = None


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
        exp, expm1 = _exponentials(probe)
    except Exception as error:  # a broken numba install: fall back rather than fail
        return False, f"numba failed to compile the kernel ({type(error).__name__}: {error})"
    if not (_same_bits(exp, np.exp(probe)) and _same_bits(expm1, np.expm1(probe))):
        return False, ("numpy's exp on this CPU differs in the last bit from the C library's, "
                       "so the kernel would not reproduce the numpy path exactly")
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
    global _decide, _exponentials
    if _decide is None:
        from . import _compiled
        _decide, _exponentials = _compiled.decide, _compiled.exponentials


_exponentials = None


def decide(*arguments):
    """Run the compiled decision kernel (see :meth:`DiffusionModel._decide_compiled` for the arguments)."""
    return _decide(*arguments)
