"""What an unconditional style-based generator offers the pipeline, the trainer and the evaluation."""

from __future__ import annotations

from typing import Protocol

import torch


class PriorModel(Protocol):
    """A generator of pictures from latents ``z ~ N(0, I)`` through per-layer styles (W+).

    ``ema`` is the :class:`imi.nn.stylegan.StyleGenerator` a checkpoint ships: ``w(z, truncation)``,
    ``broadcast(w)``, ``synthesis(ws)``, ``features(ws)``, ``num_ws``, ``w_avg``.
    """

    config: object
    ema: torch.nn.Module

    latent_dim: int  # values per latent

    def styles(self, z: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        """Latents ``(B, latent_dim)`` ~ N(0, I) → styles ``(B, w_dim)`` (pulled toward the mean by 1 − truncation)."""
        ...

    def sample(self, z: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        """Float ``(B, 3, S, S)`` in about [-1, 1] of latents ``(B, z_dim)``."""
        ...

    def inference_state(self) -> dict[str, torch.Tensor]:
        """The weights an inference checkpoint keeps."""
        ...
