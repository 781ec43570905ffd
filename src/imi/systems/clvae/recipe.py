"""How the class- and layer-wise VAE-GAN learns (SPEC-semantic §1).

Per step: encode the real picture over its map into codes, draw them by the reparameterisation
trick, regenerate the picture; update the discriminators on the hinge loss (real vs regenerated,
both with the map), then the encoder and generator on the hinge generator loss, feature matching,
the L1 reconstruction and the KL of every code to N(0, I). The no-latent baseline skips the
encoder and the KL (pix2pix: the L1 term pulls it to the mean look).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from imi.nn.optim import descend
from imi.tasks.synthesize.batch import MapStepBatch
from imi.tasks.synthesize.recipe import MapRecipe


def kl_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, e^logvar) ‖ N(0, I)) summed over a picture's codes, averaged over the batch."""
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).flatten(1).sum(1).mean()


class CLVAERecipe(MapRecipe):
    progress = ("loss_d", "loss_g", "rec")

    def optimizers(self, model, cfg):
        betas = (cfg.beta1, cfg.beta2)
        return {
            "d": torch.optim.Adam(model.d_parameters(), lr=cfg.lr, betas=betas),
            "g": torch.optim.Adam(model.g_parameters(), lr=cfg.lr, betas=betas),
        }

    def forward(self, model, b: MapStepBatch, rng: torch.Generator):
        """``(regenerated picture, {"kl": …, "local": …} or {})``."""
        if model.encoder is None:
            return model.generate(b.onehot, None), {}
        mu, logvar = model.encode(b.image, b.onehot)
        eps = torch.randn(mu.shape, generator=rng).to(mu.device)
        codes = mu + eps * (0.5 * logvar).exp()
        fake = model.generate(b.onehot, codes)
        extra = {"kl": kl_normal(mu, logvar)}
        if model.config.lambda_local and model.config.latent == "class-layer":
            extra["local"] = self.local_loss(model, b, codes, fake, rng)
        return fake, extra

    def local_loss(self, model, b: MapStepBatch, codes, fake, rng: torch.Generator) -> torch.Tensor:
        """Redraw one present class's codes in half the batch; mean |change| outside its region."""
        h = max(1, len(codes) // 2)
        present = b.onehot[:h].flatten(2).sum(-1) > 0  # (h, K)
        pick = torch.multinomial(present.float().cpu(), 1, generator=rng)[:, 0].to(codes.device)  # (h,)
        moved = codes[:h].clone()
        fresh = torch.randn(moved[:, :, 0].shape, generator=rng).to(codes.device)  # (h, L, d)
        moved[torch.arange(h), :, pick] = fresh
        again = model.generate(b.onehot[:h], moved)
        outside = 1 - b.onehot[:h].gather(1, pick[:, None, None, None].expand(-1, 1, *b.onehot.shape[2:]))
        return ((again - fake[:h].detach()).abs() * outside).sum() / (3 * outside.sum()).clamp(min=1)

    def d_loss(self, model, b: MapStepBatch, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        """Hinge: mean over scales of E[max(0, 1 − D(x))] + E[max(0, 1 + D(G))]."""
        real = model.discriminate(b.image, b.onehot)
        fake = model.discriminate(fake, b.onehot)
        loss = sum(F.relu(1 - r[1]).mean() + F.relu(1 + f[1]).mean() for r, f in zip(real, fake, strict=True))
        return {"loss_d": loss / len(real)}

    def g_loss(self, model, b: MapStepBatch, fake: torch.Tensor, extra: dict) -> dict[str, torch.Tensor]:
        cfg = model.config
        with torch.no_grad():
            real = model.discriminate(b.image, b.onehot)
        fake_out = model.discriminate(fake, b.onehot)
        adv = sum(-f[1].mean() for f in fake_out) / len(fake_out)
        fm = sum(
            F.l1_loss(ff, rf)
            for (fs, _), (rs, _) in zip(fake_out, real, strict=True)
            for ff, rf in zip(fs, rs, strict=True)
        ) / len(fake_out)
        rec = F.l1_loss(fake, b.image)
        out = {"adv": adv, "fm": fm, "rec": rec, **extra}
        total = adv + cfg.lambda_fm * fm + cfg.lambda_rec * rec + cfg.lambda_kl * extra.get("kl", 0.0)
        total = total + cfg.lambda_local * extra.get("local", 0.0)
        return {"loss_g": total, **out}

    def losses(self, model, b, cfg, rng):
        fake, extra = self.forward(model, b, rng)
        return {**self.d_loss(model, b, fake.detach()), **self.g_loss(model, b, fake, extra)}

    def step(self, model, b, cfg, opts, rng, dist):
        fake, extra = self.forward(model, b, rng)
        stats: dict[str, float] = {}
        descend(self.d_loss(model, b, fake.detach()), "loss_d", opts["d"], model.d_parameters(), dist, stats)
        # D's gradients from the G step are cleared by its next zero_grad; only G's optimiser steps here.
        descend(self.g_loss(model, b, fake, extra), "loss_g", opts["g"], model.g_parameters(), dist, stats)
        return stats
