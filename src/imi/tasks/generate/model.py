"""What a generation model offers the pipeline, the trainer and the evaluation."""

from __future__ import annotations

from typing import Protocol

import torch


class SceneModel(Protocol):
    """A text- and context-conditional multi-scale generator.

    ``config`` carries ``z_dim`` and the stage sizes (``stage_sizes()``).
    """

    config: object

    def read_context(self, context: torch.Tensor) -> dict[str, torch.Tensor]:
        """What its recognisers read in context pictures float ``(B, 3, H, W)`` in [-1, 1]:
        ``place`` ``(B, P)`` and ``people`` ``(B, N)`` probabilities."""
        ...

    def context_vector(self, read: dict[str, torch.Tensor], place: torch.Tensor, kind: torch.Tensor,
                       person: torch.Tensor) -> torch.Tensor:  # fmt: skip
        """The merged one-hot context ``(B, P + N)`` (``(B, 0)`` for a text-only model) from what the
        context shows and what the text names (long ``(B,)`` each, −1: not named)."""
        ...

    def generate(self, text: torch.Tensor, context: torch.Tensor, z: torch.Tensor) -> list[torch.Tensor]:
        """The pictures of every stage, float ``(B, 3, h_k, w_k)`` in [-1, 1], smallest first, for sentence
        vectors ``(B, D)``, context vectors and noise ``(B, z_dim)``."""
        ...

    def inference_state(self) -> dict[str, torch.Tensor]:
        """The weights an inference checkpoint keeps."""
        ...
