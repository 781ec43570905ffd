"""A seeded bijection on ``[0, n)`` evaluated pointwise, without storing it.

Splitting and shuffling millions of triplets must not allocate memory that
grows with the data set, yet the 90%/10% train/dev split has to be exact. A
small Feistel network on the next even power of two, with cycle-walking back
into ``[0, n)``, gives a pseudo-random permutation that costs a few integer
operations per index.
"""

from __future__ import annotations

import numpy as np

_ROUNDS = 4
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(v: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on uint64 arrays (wrap-around is intended)."""
    v = v ^ (v >> np.uint64(30))
    v = v * np.uint64(0xBF58476D1CE4E5B9)
    v = v ^ (v >> np.uint64(27))
    v = v * np.uint64(0x94D049BB133111EB)
    return (v ^ (v >> np.uint64(31))) & _MASK64


class Permutation:
    """``perm(k)`` for ``k`` in ``[0, n)``; the same ``(n, seed)`` gives the same map everywhere."""

    def __init__(self, n: int, seed: int):
        if n < 1:
            raise ValueError(f"cannot permute an empty range (n={n})")
        self.n = n
        bits = max(2, int(n - 1).bit_length())
        self._half = (bits + 1) // 2
        self._lo = np.uint64((1 << self._half) - 1)
        base = _mix(np.array([seed & 0xFFFFFFFFFFFFFFFF, n], dtype=np.uint64))
        self._keys = _mix(
            base[0] ^ (base[1] + np.arange(1, _ROUNDS + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))
        )

    def _feistel(self, v: np.ndarray) -> np.ndarray:
        left, right = v >> np.uint64(self._half), v & self._lo
        for key in self._keys:
            left, right = right, left ^ (_mix(right ^ key) & self._lo)
        return (left << np.uint64(self._half)) | right

    def __call__(self, k: np.ndarray | int) -> np.ndarray:
        """Map indices ``k`` (any shape, all in ``[0, n)``) to their images."""
        k = np.asarray(k, dtype=np.int64)
        if k.size and (k.min() < 0 or k.max() >= self.n):
            raise IndexError(f"index out of range for a permutation of {self.n}")
        v = self._feistel(k.astype(np.uint64))
        # Cycle-walk: the Feistel domain is < 4n, so few indices need a second step.
        out = v >= np.uint64(self.n)
        while out.any():
            v[out] = self._feistel(v[out])
            out = v >= np.uint64(self.n)
        return v.astype(np.int64)
