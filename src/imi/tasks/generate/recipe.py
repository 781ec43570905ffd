"""How a generation model learns: the interface the trainer calls (as for edits and captions)."""

from __future__ import annotations

import torch

from imi.core.config import TrainConfig
from imi.core.distributed import Dist
from imi.nn.optim import Optimizers
from imi.tasks.generate.batch import SceneStepBatch


class GenerateRecipe:
    """The interface. ``progress`` names the losses the progress bar shows."""

    progress: tuple[str, ...] = ("loss_d", "loss_g")

    def optimizers(self, model, cfg: TrainConfig) -> Optimizers:
        raise NotImplementedError

    def prepare(self, model, train_set) -> dict[str, float] | None:
        """Before the first step of a new run (not on resume): e.g. train and freeze the context
        recognisers (paper Algorithm 1); returns what it measured (logged at step 0), or None."""

    def losses(self, model, b: SceneStepBatch, cfg: TrainConfig, rng: torch.Generator) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def step(
        self, model, b: SceneStepBatch, cfg: TrainConfig, opts: Optimizers, rng: torch.Generator, dist: Dist
    ) -> dict[str, float]:
        raise NotImplementedError
