"""How the VAE prior learns: the evidence lower bound, with the style-based generator as the decoder.

Per step: encode the real pictures to a Gaussian posterior, draw z by the reparameterisation, decode
through mapping and synthesis, and step down ``‖x − x̂‖² / 2σ² + β · KL(q(z|x) ‖ N(0, I))`` (per picture,
divided by its values); then the running mean of the mapping's w of z ~ N(0, I), the averaged decoder,
and the running moments of the data's styles (the averaged mapping of the posterior means), from which
the prior samples. Non-adversarial: it cannot run away, which on a 2-core budget matters more
than sharpness (the GAN prior on canvas digits drew no digit in 24,000 pictures: docs/RESULTS.md).
"""

from __future__ import annotations

import torch

from imi.nn.optim import descend
from imi.tasks.sample.batch import PictureBatch
from imi.tasks.sample.recipe import SampleRecipe


class StyleVAERecipe(SampleRecipe):
    progress = ("loss", "rec", "kl")

    def optimizers(self, model, cfg):
        params = [*model.generator.parameters(), *model.encoder.parameters()]
        return {"vae": torch.optim.Adam(params, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))}

    def losses(self, model, b: PictureBatch, cfg, rng) -> dict[str, torch.Tensor]:
        c, x = model.config, b.image
        mean, logvar = model.encoder(x)
        z = mean + (0.5 * logvar).exp() * torch.randn(mean.shape, generator=rng).to(x.device)
        g = model.generator
        recon = g.synthesis(g.broadcast(g.w(z)))
        values = x[0].numel()
        rec = (recon - x).square().sum((1, 2, 3)).mean() / (2 * c.sigma**2) / values
        kl = 0.5 * (mean.square() + logvar.exp() - 1 - logvar).sum(1).mean() / values
        return {"loss": rec + c.beta * kl, "rec": rec, "kl": kl, "l1": (recon - x).abs().mean()}

    def step(self, model, b: PictureBatch, cfg, opts, rng, dist):
        c = model.config
        stats: dict[str, float] = {}
        params = [*model.generator.parameters(), *model.encoder.parameters()]
        descend(self.losses(model, b, cfg, rng), "loss", opts["vae"], params, dist, stats)
        with torch.no_grad():
            g = model.generator
            w = g.w(torch.randn(len(b.image), c.z_dim, generator=rng).to(b.image.device))
            g.w_avg.lerp_(dist.mean(w.mean(0)), 1 - c.w_avg_beta)
            # The data's styles: running moments of the averaged mapping of the posterior means.
            mean, _ = model.encoder(b.image)
            w = model.ema.w(mean)
            model.post_mean.lerp_(dist.mean(w.mean(0)), 1 - c.post_beta)
            centred = w - model.post_mean
            model.post_cov.lerp_(dist.mean(centred.t() @ centred / len(w)), 1 - c.post_beta)
        n = len(b.image) * dist.world
        model.seen += n
        model.update_ema(0.5 ** (n / min(c.ema_images, c.ema_rampup * float(model.seen))))
        return stats
