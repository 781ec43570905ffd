"""What every recipe uses to step: Adam by the shared settings, and the non-finite check."""

from __future__ import annotations

import numpy as np
import torch

Optimizers = dict[str, torch.optim.Optimizer]


class NonFiniteLoss(RuntimeError):
    """A loss became NaN or Inf; the caller stops and keeps the last checkpoint."""


def adam(params, cfg) -> torch.optim.Adam:
    """Adam with ``cfg.lr``, ``cfg.beta1``, ``cfg.beta2`` (a :class:`imi.core.config.TrainConfig`)."""
    return torch.optim.Adam(params, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))


def check_finite(values: dict[str, float]) -> None:
    bad = {k: v for k, v in values.items() if not np.isfinite(v)}
    if bad:
        raise NonFiniteLoss(", ".join(f"{k} = {v}" for k, v in bad.items()))
