"""What a synthesis model offers the pipeline, the trainer and the evaluation."""

from __future__ import annotations

from typing import Protocol

import torch


class MapModel(Protocol):
    """A label-map-conditional generator with (optionally) an encoder of looks into latent codes.

    ``code_shape`` is ``(L, K, d)``: ``L`` code layers × ``K`` classes × ``d`` numbers for class- and
    layer-wise latents, ``(1, 1, d)`` for one global latent, ``(0, 0, 0)`` for none. Codes follow
    N(0, I) a priori.
    """

    config: object

    @property
    def code_shape(self) -> tuple[int, int, int]: ...

    def encode(self, image: torch.Tensor, onehot: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, logvar)``, each ``(B, *code_shape)``, of pictures float ``(B, 3, S, S)`` in [-1, 1]
        pooled over the regions of their one-hot maps ``(B, K, S, S)``."""
        ...

    def generate(self, onehot: torch.Tensor, codes: torch.Tensor | None) -> torch.Tensor:
        """Float ``(B, 3, S, S)`` in [-1, 1] for one-hot maps ``(B, K, S, S)`` and codes
        ``(B, *code_shape)`` (None for a model without a latent)."""
        ...

    def inference_state(self) -> dict[str, torch.Tensor]:
        """The weights an inference checkpoint keeps."""
        ...
