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

from imi.config import TrainConfig
from imi.models.base import EditModel
from imi.training import losses, step
from imi.training.distributed import Dist
from imi.training.step import NonFiniteLoss, StepBatch

Optimizers = dict[str, torch.optim.Optimizer]


def _adam(params, cfg: TrainConfig) -> torch.optim.Adam:
    return torch.optim.Adam(params, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))


def _check_finite(values: dict[str, float]) -> None:
    bad = {k: v for k, v in values.items() if not np.isfinite(v)}
    if bad:
        raise NonFiniteLoss(", ".join(f"{k} = {v}" for k, v in bad.items()))


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


class PaperRecipe(Recipe):
    """Eq. (20)–(23): see :mod:`imi.training.step`. Validation: feature matching on the edit draw."""

    progress = ("loss_d", "loss_g")

    def optimizers(self, model, cfg):
        enc = model.encoder_parameters()
        opts = {
            "d": _adam([*model.dis.parameters(), *enc], cfg),
            "g": _adam([*model.generator_parameters(), *enc], cfg),
        }
        if model.aux_parameters():
            opts["m"] = _adam(model.aux_parameters(), cfg)
        return opts

    def losses(self, model, b, cfg, rng):
        return step.compute_losses(model, b, cfg, *step.draw_noise(model, b, rng))

    def step(self, model, b, cfg, opts, rng, dist):
        return step.train_step(model, b, cfg, opts, rng, dist)

    def stepped(self, stats):
        return "loss_d" if stats["update_d"] else "loss_g"

    def val_loss(self, model, b, cfg, gen):
        z = torch.randn(b.source.shape[0], model.config.z_dim, generator=gen).to(b.source.device)
        return step.compute_losses(model, b, cfg, model.num_draws - 1, z)["fmatch"]


class TIMRecipe(Recipe):
    """``L_D = λrr CE(D(Xt,t),1) + λrw CE(D(Xt,t'),0) + λfr CE(D(G,t),0)``, ``L_G = λgfr CE(D(G,t),1) + λl1 |G − Xt|``.

    ``t'`` is another item's instruction (matching-aware D). D steps first on
    the detached edit, then G against the updated D, as in pix2pix.
    """

    progress = ("loss_d", "loss_g")

    def optimizers(self, model, cfg):
        return {"d": _adam(model.dis.parameters(), cfg), "g": _adam(model.generator_parameters(), cfg)}

    def _d_loss(self, model, b, cfg, fake, t):
        phi_real, _ = model.dis.features(b.target)
        phi_fake, _ = model.dis.features(fake.detach())
        t = t.detach()
        rr = losses.d_real_right(model.dis.score(phi_real, t))
        rw = losses.d_real_wrong(model.dis.score(phi_real, t.roll(1, 0)))
        fr = losses.d_fake_right(model.dis.score(phi_fake, t))
        return losses.discriminator_loss(rr, rw, fr, cfg.lambda_rr, cfg.lambda_rw, cfg.lambda_fr)

    def _g_loss(self, model, b, cfg, fake, t):
        gfr = losses.g_fake_right(model.dis.score(model.dis.features(fake)[0], t))
        l1 = (fake.float() - b.target.float()).abs().mean()
        return cfg.lambda_gfr * gfr + cfg.lambda_l1 * l1, l1

    def losses(self, model, b, cfg, rng):
        t = model.i_enc(b.tokens, b.lengths)
        fake, _ = model.edit(b.source, t)
        loss_g, l1 = self._g_loss(model, b, cfg, fake, t)
        return {"loss_d": self._d_loss(model, b, cfg, fake, t), "loss_g": loss_g, "l1": l1}

    def step(self, model, b, cfg, opts, rng, dist):
        for opt in opts.values():
            opt.zero_grad(set_to_none=True)
        with dist.autocast(cfg.bf16):
            t = model.i_enc(b.tokens, b.lengths)
            fake, mask = model.edit(b.source, t)
            loss_d = self._d_loss(model, b, cfg, fake, t)
        loss_d.backward()
        dist.average_grads(list(model.dis.parameters()))
        opts["d"].step()
        opts["d"].zero_grad(set_to_none=True)
        with dist.autocast(cfg.bf16):
            loss_g, l1 = self._g_loss(model, b, cfg, fake, t)
        loss_g.backward()
        dist.average_grads(model.generator_parameters())
        opts["g"].step()
        dist.sync_buffers(model)
        parts = {"loss_d": loss_d, "loss_g": loss_g, "l1": l1, "mask": mask.mean()}
        stats = {k: float(v.detach()) for k, v in parts.items()}
        _check_finite(stats)
        return stats

    def stepped(self, stats):
        return "l1"  # the D step does not touch it, so one G step must lower it


class SupervisedRecipe(Recipe):
    """Cross-entropy of a model's own ``loss(b)`` (ours: the box and digit heads) with one Adam."""

    def optimizers(self, model, cfg):
        return {"g": _adam(model.parameters(), cfg)}

    def losses(self, model, b, cfg, rng):
        return model.loss(b)

    def step(self, model, b, cfg, opts, rng, dist):
        opts["g"].zero_grad(set_to_none=True)
        with dist.autocast(cfg.bf16):
            out = model.loss(b)
        stats = {k: float(v.detach()) for k, v in out.items()}
        _check_finite(stats)
        out["loss"].backward()
        dist.average_grads(list(model.parameters()))
        opts["g"].step()
        return stats

    def val_loss(self, model, b, cfg, gen):
        # The training loss itself: the edit's L1 saturates once the boxes are right (what is
        # left is interpolation), so it cannot tell a 99 % model from a 99.9 % one.
        return model.loss(b)["loss"]


RECIPES: dict[str, Recipe] = {"paper": PaperRecipe(), "tim": TIMRecipe(), "supervised": SupervisedRecipe()}
