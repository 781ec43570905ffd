"""How the prior learns: StyleGAN2's non-saturating logistic loss, lazy R1, style mixing, averaging.

Per step: the discriminator on real pictures against pictures of fresh latents (no gradient into the
generator), with the R1 penalty on the reals every ``r1_every`` steps; then the generator on the
non-saturating loss of fresh latents; then the running mean of w and the averaged generator.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from imi.nn.optim import descend
from imi.tasks.sample.batch import PictureBatch
from imi.tasks.sample.recipe import SampleRecipe


def latents(model, n: int, rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``(W+ (n, num_ws, w_dim), w (n, w_dim))`` of fresh latents; a ``mixing`` share of the rows take a
    second latent's style from a random layer on (style mixing)."""
    c, g = model.config, model.generator
    dev = next(g.parameters()).device
    w = g.w(torch.randn(n, c.z_dim, generator=rng).to(dev))
    ws = g.broadcast(w)
    if c.mixing > 0:
        other = g.broadcast(g.w(torch.randn(n, c.z_dim, generator=rng).to(dev)))
        cut = torch.randint(1, g.num_ws, (n, 1), generator=rng).to(dev)
        mixed = (torch.rand(n, 1, generator=rng).to(dev) < c.mixing) & (torch.arange(g.num_ws, device=dev) >= cut)
        ws = torch.where(mixed[:, :, None], other, ws)
    return ws, w


class StyleGANRecipe(SampleRecipe):
    progress = ("loss_d", "loss_g", "r1")

    def optimizers(self, model, cfg):
        betas = (cfg.beta1, cfg.beta2)
        return {
            "d": torch.optim.Adam(model.d_parameters(), lr=cfg.lr, betas=betas),
            "g": torch.optim.Adam(model.g_parameters(), lr=cfg.lr, betas=betas),
        }

    def d_loss(self, model, real: torch.Tensor, rng: torch.Generator, r1: bool) -> dict[str, torch.Tensor]:
        """``softplus(D(G(z))) + softplus(−D(x))``, plus ``γ/2 · r1_every · ‖∇ₓD(x)‖²`` when ``r1``."""
        with torch.no_grad():
            fake = model.generator.synthesis(latents(model, len(real), rng)[0])
        if r1:
            real = real.detach().requires_grad_(True)
        real_logit, fake_logit = model.discriminator(real), model.discriminator(fake)
        loss = F.softplus(fake_logit).mean() + F.softplus(-real_logit).mean()
        out = {"loss_d": loss, "d_real": real_logit.mean(), "d_fake": fake_logit.mean()}
        total = loss
        if r1:
            (grad,) = torch.autograd.grad(real_logit.sum(), real, create_graph=True)
            out["r1"] = grad.square().sum((1, 2, 3)).mean()
            total = total + model.config.r1_gamma / 2 * model.config.r1_every * out["r1"]
        return {"d_total": total, **out}

    def g_loss(self, model, n: int, rng: torch.Generator) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """The non-saturating ``softplus(−D(G(z)))``, and the batch's w (for the running mean)."""
        ws, w = latents(model, n, rng)
        return {"loss_g": F.softplus(-model.discriminator(model.generator.synthesis(ws))).mean()}, w

    def losses(self, model, b: PictureBatch, cfg, rng):
        return {**self.d_loss(model, b.image, rng, r1=True), **self.g_loss(model, len(b.image), rng)[0]}

    def step(self, model, b: PictureBatch, cfg, opts, rng, dist):
        c = model.config
        stats: dict[str, float] = {}
        r1 = c.r1_gamma > 0 and int(model.steps) % c.r1_every == 0
        descend(self.d_loss(model, b.image, rng, r1), "d_total", opts["d"], model.d_parameters(), dist, stats)
        out, w = self.g_loss(model, len(b.image), rng)
        descend(out, "loss_g", opts["g"], model.g_parameters(), dist, stats)
        with torch.no_grad():
            model.generator.w_avg.lerp_(dist.mean(w.mean(0)), 1 - c.w_avg_beta)
        model.update_ema(0.5 ** (len(b.image) * dist.world / c.ema_images))
        model.steps += 1
        return stats
