"""Print the CPU features numpy dispatches to on this machine above its compiled baseline.

``NPY_DISABLE_CPU_FEATURES="$(python tests/numpy_dispatch.py)"`` then makes numpy run its
baseline kernels, as on an older CPU: ``make test`` runs the notebook checks that way too,
so stored outputs that depend on the last bits of a float cannot pass on one CPU only.
"""

from __future__ import annotations

from numpy._core import _multiarray_umath as umath


def features_above_baseline() -> list[str]:
    """Dispatch targets that numpy compiled and this CPU supports (empty on a baseline CPU)."""
    return [name for name in umath.__cpu_dispatch__ if umath.__cpu_features__.get(name)]


if __name__ == "__main__":
    print(" ".join(features_above_baseline()))
