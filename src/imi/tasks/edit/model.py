"""What every model variant offers the pipeline, the checkpoints and the trainer."""

from __future__ import annotations

import torch
from torch import nn

from imi.core.config import ModelConfig


class EditModel(nn.Module):
    """An instruction-conditioned image editor.

    Subclasses set :attr:`inference_prefixes` (the state-dict prefixes an
    edit needs; the rest, e.g. a discriminator, is training-only and never
    shipped) and implement :meth:`generate`. How a variant is trained lives
    in its recipe (:mod:`imi.tasks.edit.recipe`), not here.
    """

    inference_prefixes: tuple[str, ...] = ()

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config

    def generate(self, x: torch.Tensor, tokens: torch.Tensor, lengths: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """The edit: normalised source ``(B, C, S, S)`` + instruction ``(B, T)``, ``(B,)`` + noise
        ``(B, z_dim)`` → normalised ``(B, C, S, S)``. Deterministic variants ignore ``z``."""
        raise NotImplementedError

    def change_map(self, x: torch.Tensor, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor | None:
        """The model's own map of what the edit changes, ``(B, 1, S, S)`` in [0, 1] (1 = redrawn), or
        None for a model without one. Used by figures (Fig. 15) and the demo, never by the edit itself."""
        return None

    def prepare(self, train_set) -> None:
        """Set data-derived state from the train split before a new run's first step (default: none)."""

    def inference_state(self) -> dict[str, torch.Tensor]:
        """The weights (and buffers) :meth:`generate` needs, detached on the CPU."""
        return {
            k: v.detach().cpu().contiguous()
            for k, v in self.state_dict().items()
            if k.startswith(self.inference_prefixes)
        }
