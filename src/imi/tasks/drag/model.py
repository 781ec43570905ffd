"""What a drag editor offers the pipeline, the trainer and the evaluation."""

from __future__ import annotations

from typing import Protocol

import torch

from imi.tasks.drag.points import Drag


class DragModel(Protocol):
    """A frozen style-based ``generator`` (:class:`imi.nn.stylegan.StyleGenerator`) and a network that moves
    a W+ latent so its picture follows a drag."""

    config: object
    generator: torch.nn.Module

    def edit(self, ws: torch.Tensor, drag: Drag) -> torch.Tensor:
        """W+ ``(B, num_ws, w_dim)`` and a drag → the new W+ (one forward pass)."""
        ...

    def inference_state(self) -> dict[str, torch.Tensor]:
        """The weights an inference checkpoint keeps."""
        ...
