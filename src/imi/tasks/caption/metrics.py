"""Summaries of captions under fixed and fresh codes (SPEC-caption-gan §4); names no domain."""

from __future__ import annotations

import numpy as np


def histogram(named: np.ndarray, classes: int) -> np.ndarray:
    """Share of each class among the named labels (``-1``, an invalid caption, is left out): ``(classes,)``."""
    named = np.asarray(named)
    counts = np.bincount(named[named >= 0], minlength=classes).astype(float)
    return counts / max(1.0, counts.sum())


def kl(p: np.ndarray, q: np.ndarray, eps: float = 1e-6) -> float:
    """KL(p ‖ q) in nats, both smoothed by ``eps`` so that an empty bin stays finite."""
    p = (np.asarray(p, float) + eps) / (np.sum(p) + eps * len(p))
    q = (np.asarray(q, float) + eps) / (np.sum(q) + eps * len(q))
    return float(np.sum(p * np.log(p / q)))


def entropy(p: np.ndarray) -> float:
    p = np.asarray(p, float)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def spread(p: np.ndarray) -> float:
    """max / min share (inf when a class is never named): 1 is perfectly uniform."""
    p = np.asarray(p, float)
    return float(p.max() / p.min()) if p.min() > 0 else float("inf")


def preferred(p: np.ndarray, uniform: np.ndarray, k: int = 2) -> list[int]:
    """The ``k`` classes a histogram favours most against ``uniform`` (largest ratio first)."""
    ratio = (np.asarray(p, float) + 1e-9) / (np.asarray(uniform, float) + 1e-9)
    return [int(i) for i in np.argsort(-ratio, kind="stable")[:k]]
