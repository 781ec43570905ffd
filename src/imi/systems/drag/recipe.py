"""How the drag editor learns (SPEC-semantic §3), without labels.

Preparation (once): load the prior's generator and measure its style statistics at the pairs' truncation.
Each step reads a batch of cached pairs (:mod:`imi.systems.drag.pairs`), draws each example's tokens — one
to ``max_tokens`` of its reliable flow points, those whose flow is shorter than ``pin_below`` becoming pins
(zero displacement, flagged) — samples the generator's features of the first picture at them, and trains
the transformer to output the second latent: the squared error on the ``coarse`` layers, in units of the
prior's style spread. Only the transformer's weights move.
"""

from __future__ import annotations

import torch

from imi.nn.optim import descend
from imi.nn.stylegan import load_prior
from imi.systems.drag.pairs import second
from imi.tasks.drag.batch import PairBatch
from imi.tasks.drag.points import Tokens
from imi.tasks.drag.recipe import DragRecipe

STAT_SAMPLES = 10_000


def draw_tokens(b: PairBatch, max_tokens: int, pin_below: float, rng: torch.Generator) -> tuple[Tokens, torch.Tensor]:
    """Each pair's tokens (see the module docstring) and which pairs have any (bool ``(B,)``; a pair without a
    reliable point is left out of the loss)."""
    n, k = b.ok.shape
    count = torch.randint(1, max_tokens + 1, (n,), generator=rng)
    # Reliable points first, in random order: rank by a random key pushed up for reliable ones.
    key = torch.rand(n, k, generator=rng).to(b.ok.device) + b.ok.float()
    order = key.argsort(1, descending=True)[:, :max_tokens]
    pos = b.points.gather(1, order[..., None].expand(-1, -1, 2))
    flow = b.flow.gather(1, order[..., None].expand(-1, -1, 2))
    ok = b.ok.gather(1, order)
    mask = ok & (torch.arange(max_tokens)[None] < count[:, None]).to(ok.device)
    pin = mask & (flow.norm(dim=-1) < pin_below)
    disp = torch.where(pin[..., None], torch.zeros_like(flow), flow)
    return Tokens(pos, disp, pin, mask), mask.any(1)


class DragTransformerRecipe(DragRecipe):
    progress = ("loss",)

    def optimizers(self, model, cfg):
        params = model.transformer.parameters()
        return {"drag": torch.optim.AdamW(params, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), weight_decay=0.01)}

    def prepare(self, model, train_set) -> dict[str, float]:
        c, g = model.config, model.generator
        load_prior(g, c, c.prior)
        with torch.no_grad():
            z = torch.randn(STAT_SAMPLES, c.z_dim, generator=torch.Generator().manual_seed(0))
            w = g.w(z.to(g.w_avg.device), c.truncation)
            model.w_mean.copy_(w.mean(0))
            model.w_std.copy_(w.std(0).clamp_min(1e-3))
        return {"w_std": float(model.w_std.mean())}

    def losses(self, model, b: PairBatch, cfg, rng) -> dict[str, torch.Tensor]:
        c = model.config
        ws1 = model.generator.broadcast(b.w1)
        target = second(ws1, b.w2, b.alpha, c.coarse)
        tokens, used = draw_tokens(b, c.max_tokens, c.pin_below, rng)
        _, feats = model.token_features(ws1, tokens.pos)
        tokens.mask[~used, 0] = True  # a pair without tokens still runs (one token), outside the loss
        pred = model.moved(ws1, tokens, feats)
        err = ((pred[:, : c.coarse] - target[:, : c.coarse]) / model.w_std).square().mean((1, 2))
        weight = used.float()
        loss = (err * weight).sum() / weight.sum().clamp_min(1)
        # The pair's own spread: what predicting no move would cost (the loss to beat).
        still = ((ws1[:, : c.coarse] - target[:, : c.coarse]) / model.w_std).square().mean((1, 2))
        return {"loss": loss, "still": (still * weight).sum() / weight.sum().clamp_min(1)}

    def step(self, model, b, cfg, opts, rng, dist):
        stats: dict[str, float] = {}
        out = self.losses(model, b, cfg, rng)
        out["still"] = out["still"].detach()
        descend(out, "loss", opts["drag"], list(model.transformer.parameters()), dist, stats)
        return stats
