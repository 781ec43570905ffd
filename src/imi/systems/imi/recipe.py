"""The paper's recipe (imi-paper, imi-sim, cap2image): the matching-aware GAN under update rule (23)."""

from __future__ import annotations

import torch

from imi.systems.imi import step
from imi.tasks.edit.recipe import Recipe, adam


class PaperRecipe(Recipe):
    """Eq. (20)–(23): see :mod:`imi.systems.imi.step`.

    Validation: feature matching on the edit draw (paper §5.3); with the L1 term
    (``lambda_rec`` > 0), the L1 of the edit to its target, the loss those variants descend
    (feature matching reads features of a D that keeps changing, so it does not fall steadily).
    """

    progress = ("loss_d", "loss_g")

    def optimizers(self, model, cfg):
        enc = model.encoder_parameters()
        opts = {
            "d": adam([*model.dis.parameters(), *enc], cfg),
            "g": adam([*model.generator_parameters(), *enc], cfg),
        }
        if model.aux_parameters():
            opts["m"] = adam(model.aux_parameters(), cfg)
        return opts

    def losses(self, model, b, cfg, rng):
        return step.compute_losses(model, b, cfg, *step.draw_noise(model, b, rng))

    def step(self, model, b, cfg, opts, rng, dist):
        return step.train_step(model, b, cfg, opts, rng, dist)

    def stepped(self, stats):
        return "loss_d" if stats["update_d"] == 1.0 else "loss_g"  # "both" steps G as well

    def val_loss(self, model, b, cfg, gen):
        z = torch.randn(b.source.shape[0], model.config.z_dim, generator=gen).to(b.source.device)
        return step.compute_losses(model, b, cfg, model.num_draws - 1, z)["rec" if cfg.lambda_rec else "fmatch"]
