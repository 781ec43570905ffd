"""Distances between feature distributions (FID in a judge's feature space)."""

from __future__ import annotations

import numpy as np


def frechet(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to feature rows ``a`` and ``b``."""
    mu = a.mean(0) - b.mean(0)
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # tr √(Ca Cb) = tr √(√Ca Cb √Ca), a symmetric PSD matrix: eigenvalues, no complex round-off.
    w, v = np.linalg.eigh(ca)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root @ cb @ root), 0, None)).sum()
    return float(mu @ mu + np.trace(ca) + np.trace(cb) - 2 * cross)
