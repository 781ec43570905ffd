"""TIM-GAN's recipe: text-conditioned GAN + L1, D and G stepped every iteration."""

from __future__ import annotations

from imi.nn import gan_losses as losses
from imi.tasks.edit.recipe import Recipe, adam, check_finite


class TIMRecipe(Recipe):
    """``L_D = λrr CE(D(Xt,t),1) + λrw CE(D(Xt,t'),0) + λfr CE(D(G,t),0)``, ``L_G = λgfr CE(D(G,t),1) + λl1 |G − Xt|``.

    ``t'`` is another item's instruction (matching-aware D). D steps first on
    the detached edit, then G against the updated D, as in pix2pix.
    """

    progress = ("loss_d", "loss_g")

    def optimizers(self, model, cfg):
        return {"d": adam(model.dis.parameters(), cfg), "g": adam(model.generator_parameters(), cfg)}

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
        check_finite(stats)
        return stats

    def stepped(self, stats):
        return "l1"  # the D step does not touch it, so one G step must lower it
