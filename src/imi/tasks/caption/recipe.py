"""How a caption model learns: the interface the trainer calls (as for edits, see
:mod:`imi.tasks.edit.recipe`): optimisers by name, one step, and what runs before the first step."""

from __future__ import annotations

import torch

from imi.core.config import TrainConfig
from imi.core.distributed import Dist
from imi.nn.optim import Optimizers
from imi.tasks.caption.batch import CaptionStepBatch


class CaptionRecipe:
    """The interface. ``progress`` names the losses the progress bar shows."""

    progress: tuple[str, ...] = ("loss",)

    def optimizers(self, model, cfg: TrainConfig) -> Optimizers:
        raise NotImplementedError

    def prepare(self, model, train_set) -> dict[str, float] | None:
        """Before the first step of a new run (not on resume), e.g. train and freeze a text autoencoder;
        returns what it measured, which the trainer logs at step 0 (or None)."""

    def losses(self, model, b: CaptionStepBatch, cfg: TrainConfig, rng: torch.Generator) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def step(
        self, model, b: CaptionStepBatch, cfg: TrainConfig, opts: Optimizers, rng: torch.Generator, dist: Dist
    ) -> dict[str, float]:
        raise NotImplementedError

    def stepped(self, stats: dict[str, float]) -> str:
        return "loss"
