"""What a result was computed with: model version, library versions and the CPU's SIMD features.

Same model version, seed and platform give identical tables on any number of workers. Across CPUs,
numbers can differ in the last bits where a library picks a different vectorised routine for the
CPU's instruction set (numpy's ``exp``, ``log`` and ``cos`` on AVX-512, for instance), and a last-bit
difference can flip a draw that sits on a threshold, after which the runs go their own ways. Results
are then equal in distribution, not bit for bit. The manifest records what is needed to tell.
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata

#: the version of the model's numbers: it changes whenever any number a seed gives changes
MODEL_VERSION = "0.3.0"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def simd_features() -> list[str]:
    """The CPU features numpy detected and can use here (e.g. AVX2, AVX512F)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:   # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__ as features
    return sorted(name for name, present in features.items() if present)


def environment() -> dict:
    """Model version, library versions, Python, platform and SIMD features, for a manifest."""
    from . import __version__
    return {
        "model_version": MODEL_VERSION, "package_version": __version__,
        "python": sys.version.split()[0], "platform": platform.platform(), "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "libraries": {name: _version(name) for name in ("numpy", "numba", "mesa", "scipy", "pandas", "pyarrow")},
        "simd_features": simd_features(),
    }
