"""How the caption GAN learns (SPEC-caption-gan §2, eqs. (4)-(6)).

1. ``prepare``: the text autoencoder learns to rebuild every training caption, then is frozen.
2. Each step: one caption per image is drawn (paper: one of its 4 digits), encoded to the real
   vector ``s``; ``c ~ N(0, I)`` gives ``ŝ = G(c, X)``. D learns ``s`` from ``ŝ`` given ``X``; G and Q
   together minimise the adversarial term and ``λ_I‖c − Q(ŝ, X)‖²``.

The paper's log-loss (eq. (5)) uses the non-saturating generator loss, as is usual; "wgan-gp"
(LaTextGAN's) takes ``critic_steps`` critic updates with a gradient penalty per generator update.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from imi.nn.optim import adam, descend
from imi.tasks.caption.batch import CaptionStepBatch
from imi.tasks.caption.recipe import CaptionRecipe


def train_autoencoder(model, tokens: torch.Tensor, lengths: torch.Tensor, gen: torch.Generator) -> dict[str, float]:
    """Fit ``model.ae`` to rebuild the distinct captions ``tokens (N, T)`` (noise on the vector, see
    :class:`~imi.systems.latextgan.config.CaptionGANConfig`), then freeze it. Returns its final loss
    and the share of captions it rebuilds exactly from the clean vector."""
    cfg, ae = model.config, model.ae
    opt = torch.optim.Adam(ae.parameters(), lr=cfg.ae_lr)
    target = F.pad(tokens, (0, 1))  # each caption, then the end mark
    loss = torch.tensor(0.0)
    for _ in range(cfg.ae_steps):
        pick = torch.randint(len(tokens), (64,), generator=gen)
        s = ae.encode(tokens[pick], lengths[pick])
        s = s + cfg.ae_noise * torch.randn(s.shape, generator=gen)
        logits = ae.logits(s, tokens[pick])
        # Positions past each caption's end mark are padding: not scored.
        keep = torch.arange(target.shape[1])[None] <= lengths[pick][:, None]
        loss = F.cross_entropy(logits[keep], target[pick][keep])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    ae.requires_grad_(False)
    with torch.no_grad():
        out = ae.decode(ae.encode(tokens, lengths))
    width = min(out.shape[1], target.shape[1])
    exact = (out[:, :width] == target[:, :width]).all(1) & (target[:, width:] == 0).all(1)
    return {"ae_loss": float(loss.detach()), "ae_exact": float(exact.float().mean())}


class CaptionGANRecipe(CaptionRecipe):
    progress = ("loss_d", "loss_g", "info")

    def optimizers(self, model, cfg):
        # G and Q minimise together (min over G, Q of eq. (4)); the autoencoder is frozen.
        return {"d": adam(model.d_parameters(), cfg), "g": adam(model.g_parameters(), cfg)}

    def prepare(self, model, train_set) -> dict[str, float]:
        tokens, lengths = train_set.caption_table()
        facts = train_autoencoder(model, tokens, lengths, torch.Generator().manual_seed(0))
        with torch.no_grad():
            model.captions = model.ae.encode(tokens, lengths)  # e_k, for ``snap``
        return facts

    def _real(self, model, b: CaptionStepBatch, rng: torch.Generator) -> torch.Tensor:
        tokens, lengths, _ = b.draw(rng)
        with torch.no_grad():
            s = model.ae.encode(tokens, lengths)
        noise = model.config.real_noise
        return s + noise * torch.randn(s.shape, generator=rng).to(s.device) if noise else s

    def _code(self, model, b: CaptionStepBatch, rng: torch.Generator) -> torch.Tensor:
        return torch.randn(len(b.image), model.config.code_dim, generator=rng).to(b.image.device)

    def _mismatched(self, model, b: CaptionStepBatch, rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """A real caption of the next image in the batch for each image, and whether it is surely wrong
        for this one (only those count): ``(vectors (B, d), bool (B,))``."""
        other = b.roll()  # image i meets a caption of image i - 1
        tokens, lengths, slot = other.draw(rng)
        with torch.no_grad():
            s = model.ae.encode(tokens, lengths)
        return s, b.wrong_for(other.labels[torch.arange(len(slot), device=slot.device), slot], slot)

    def d_loss(self, model, b, real, fake, mismatched=None, rng=None) -> dict[str, torch.Tensor]:
        """D's loss (eq. (5) or the critic's), with the matching-aware term when ``mismatch`` > 0."""
        cfg = model.config
        f = model.features(b.image, trained=True)  # once per step: D's CNN, with its gradient
        d_real, d_fake = model.critic(real, b.image, f), model.critic(fake, b.image, f)
        out: dict[str, torch.Tensor] = {}
        extra = torch.zeros((), device=real.device)
        if mismatched is not None and cfg.mismatch > 0:
            s, wrong = mismatched
            d_wrong = model.critic(s, b.image, f)[:, 0]
            # log-loss: −log(1 − D(s_wrong)); WGAN: as far below this image's real caption as a fake.
            per = F.softplus(d_wrong) if cfg.objective == "logloss" else d_wrong - d_real.detach()[:, 0]
            extra = cfg.mismatch * (per * wrong).sum() / wrong.sum().clamp(min=1)
            out["mismatch"] = extra
        if cfg.objective == "logloss":
            loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()  # −log D(s) − log(1 − D(ŝ))
            return {"loss_d": loss + extra, **out}
        mix = torch.rand(len(real), 1, generator=rng).to(real.device)  # from the run's generator: resumes exactly
        between = (mix * real + (1 - mix) * fake).requires_grad_(True)
        (grad,) = torch.autograd.grad(model.critic(between, b.image, f).sum(), between, create_graph=True)
        gp = ((grad.norm(dim=1) - 1) ** 2).mean()
        return {"loss_d": d_fake.mean() - d_real.mean() + cfg.lambda_gp * gp + extra, "gp": gp, **out}

    def g_loss(self, model, b, code, fake, f=None, rng=None) -> dict[str, torch.Tensor]:
        cfg = model.config
        if cfg.choice > 0 and len(model.captions):
            # The expected verdict of D over G's soft choice among the captions (config: ``choice``).
            n, k = len(model.captions), cfg.choice_captions
            which = None if not k or k >= n else torch.randperm(n, generator=rng)[:k].to(fake.device)
            weights = model.choose(fake, cfg.choice, which)
            verdict = model.critic_all(b.image, f, which)
            per = F.softplus(-verdict) if cfg.objective == "logloss" else -verdict
            adv = (weights * per).sum(1).mean()
        else:
            d_fake = model.critic(model.snap(fake), b.image, f)
            adv = F.softplus(-d_fake).mean() if cfg.objective == "logloss" else -d_fake.mean()
        snapped = model.snap(fake)
        info = ((code - model.recover(snapped, b.image, f)) ** 2).sum(1).mean()  # L_I of eq. (6)
        out = {"loss_g": adv + cfg.lambda_info * info, "adv": adv, "info": info}
        if cfg.commit > 0:
            out["commit"] = ((fake - snapped.detach()) ** 2).sum(1).mean()
            out["loss_g"] = out["loss_g"] + cfg.commit * out["commit"]
        return out

    def losses(self, model, b, cfg, rng):
        real, code = self._real(model, b, rng), self._code(model, b, rng)
        fake = model.generate(b.image, code)
        d = self.d_loss(model, b, real, model.snap(fake).detach(), self._mismatched(model, b, rng), rng)
        return {**d, **self.g_loss(model, b, code, fake, rng=rng)}

    def step(self, model, b, cfg, opts, rng, dist):
        stats: dict[str, float] = {}
        for _ in range(model.config.critic_steps):
            real, code = self._real(model, b, rng), self._code(model, b, rng)
            with torch.no_grad():
                fake = model.snap(model.generate(b.image, code))
            out = self.d_loss(model, b, real, fake, self._mismatched(model, b, rng), rng)
            descend(out, "loss_d", opts["d"], model.d_parameters(), dist, stats)
        code = self._code(model, b, rng)
        f = model.features(b.image)  # the shared CNN after D's update, read without its gradient
        out = self.g_loss(model, b, code, model.generate(b.image, code, f), f, rng)
        descend(out, "loss_g", opts["g"], model.g_parameters(), dist, stats)
        return stats

    def stepped(self, stats):
        return "info"
