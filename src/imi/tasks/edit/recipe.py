"""How each variant learns: optimisers, one step, and the validation score.

A recipe is stateless; the trainer owns the model, the optimisers (by name,
so checkpoints store them as ``opt_<name>``) and the random generator, and
calls the same four methods whatever the variant. So every variant gets the
same data order, time budget, checkpoints, resume, model selection and DDP.

* ``paper``: the matching-aware GAN with update rule (23) (imi-paper, imi-sim, cap2image).
* ``tim``: text-conditioned GAN + L1, D and G stepped every iteration (tim).
* ``supervised``: cross-entropy on the scene labels (ours).
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from imi.core.config import TrainConfig
from imi.core.distributed import Dist
from imi.nn.optim import NonFiniteLoss, Optimizers, adam, check_finite  # noqa: F401 (the recipes' names)
from imi.tasks.edit.batch import StepBatch
from imi.tasks.edit.model import EditModel


class Recipe:
    """The interface; see the module text. ``progress`` names the losses the progress bar shows."""

    progress: tuple[str, ...] = ("loss",)

    def optimizers(self, model: EditModel, cfg: TrainConfig) -> Optimizers:
        raise NotImplementedError

    def prepare(self, model: EditModel, train_set) -> None:
        """Set data-derived state from the train split before the first step of a new run (not on resume)."""
        model.prepare(train_set)

    def losses(self, model: EditModel, b: StepBatch, cfg: TrainConfig, rng: torch.Generator) -> dict[str, torch.Tensor]:
        """Every loss term of one iteration (its random choices drawn from ``rng``)."""
        raise NotImplementedError

    def step(
        self, model: EditModel, b: StepBatch, cfg: TrainConfig, opts: Optimizers, rng: torch.Generator, dist: Dist
    ) -> dict[str, float]:
        """One update; returns the scalars to log."""
        raise NotImplementedError

    def stepped(self, stats: dict[str, float]) -> str:
        """The loss that the step in ``stats`` descended (what the shared tester checks fell)."""
        return "loss"

    def val_loss(self, model: EditModel, b: StepBatch, cfg: TrainConfig, gen: torch.Generator) -> torch.Tensor:
        """Model-selection score of one dev batch (lower is better); by default L1 of the edit to the target."""
        z = torch.randn(b.source.shape[0], model.config.z_dim, generator=gen).to(b.source.device)
        return (model.generate(b.source, b.tokens, b.lengths, z) - b.target).abs().mean()

    def validate(self, model: EditModel, batches, cfg: TrainConfig, seed: int = 0) -> float:
        """Mean :meth:`val_loss` over ``batches``, on a copy of the model in training mode.

        Training mode keeps batch norm as in the loss being trained (paper §5.3);
        the copy leaves the real model's running statistics untouched.
        """
        model = copy.deepcopy(model).train()
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            return float(np.mean([float(self.val_loss(model, b, cfg, gen)) for b in batches]))
