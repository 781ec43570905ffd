"""What every recipe uses to step: Adam by the shared settings, the non-finite check, one descent."""

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


def descend(out: dict[str, torch.Tensor], key: str, opt: torch.optim.Optimizer, params, dist, stats: dict) -> None:
    """Record ``out``'s values in ``stats`` (a non-finite one raises :class:`NonFiniteLoss` before any
    update), then step ``opt`` down ``out[key]`` with the gradients of ``params`` averaged over processes."""
    stats |= {k: float(v.detach()) for k, v in out.items()}
    check_finite(stats)
    opt.zero_grad(set_to_none=True)
    out[key].backward()
    dist.average_grads(params)
    opt.step()
