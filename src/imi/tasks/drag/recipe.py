"""How a drag editor learns: the interface the trainer calls (as for the other tasks)."""

from __future__ import annotations

import torch

from imi.core.config import TrainConfig
from imi.core.distributed import Dist
from imi.nn.optim import Optimizers
from imi.tasks.drag.batch import PairBatch


class DragRecipe:
    """The interface. ``progress`` names the losses the progress bar shows."""

    progress: tuple[str, ...] = ("loss",)

    def optimizers(self, model, cfg: TrainConfig) -> Optimizers:
        raise NotImplementedError

    def prepare(self, model, train_set) -> dict[str, float] | None:
        """Before the first step of a new run (not on resume); returns what it measured, or None."""

    def losses(self, model, b: PairBatch, cfg: TrainConfig, rng: torch.Generator) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def step(
        self, model, b: PairBatch, cfg: TrainConfig, opts: Optimizers, rng: torch.Generator, dist: Dist
    ) -> dict[str, float]:
        raise NotImplementedError
