"""How the drag editor learns (SPEC-semantic §3), without labels.

Preparation (once): load the prior's generator and its style Gaussian (the pairs' and the start pictures').
Each step reads a batch of cached pairs (:mod:`imi.systems.drag.pairs`), draws each example's tokens — one
to ``max_tokens`` of its reliable flow points, those whose flow is shorter than ``pin_below`` becoming pins
(zero displacement, flagged) — samples the generator's features of the first picture at them, and trains
the transformer to output the second latent: the squared error on the ``coarse`` layers, in units of the
prior's style spread. Only the transformer's weights move.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from imi.nn.optim import descend
from imi.nn.stylegan import load_prior, prior_styles
from imi.systems.drag.pairs import second
from imi.tasks.drag.batch import PairBatch
from imi.tasks.drag.points import Tokens
from imi.tasks.drag.recipe import DragRecipe


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


def draw_warps(b: PairBatch, size: int, c, rng: torch.Generator) -> tuple[Tokens, torch.Tensor]:
    """Random affine motions of the first pictures and their tokens (see ``DragConfig.warp_share``): half move
    by up to ``warp_shift`` px, half scale about one of the candidate points (which then is a pin token).
    Returns the tokens and ``theta`` ``(B, 2, 3)``, the inverse maps for ``affine_grid`` (output → input)."""
    n, k = b.ok.shape
    dev = b.points.device
    pick = torch.randint(0, k, (n,), generator=rng).to(dev)
    anchor = b.points[torch.arange(n, device=dev), pick]  # (n, 2)
    moves = (torch.rand(n, generator=rng) < 0.5).to(dev)
    angle = 2 * torch.pi * torch.rand(n, generator=rng).to(dev)
    length = c.warp_shift * torch.rand(n, generator=rng).sqrt().to(dev)
    shift = torch.where(moves[:, None], length[:, None] * torch.stack([angle.cos(), angle.sin()], 1), 0.0)
    log_k = c.warp_scale * (2 * torch.rand(n, generator=rng).to(dev) - 1)
    scale = torch.where(moves, torch.ones_like(log_k), log_k.exp())
    # m(p) = anchor + scale (p − anchor) + shift; tokens at the candidates, the anchor first for a scaling.
    count = torch.randint(1, c.max_tokens + 1, (n,), generator=rng).to(dev)
    order = torch.rand(n, k, generator=rng).to(dev).argsort(1)[:, : c.max_tokens]
    pos = b.points.gather(1, order[..., None].expand(-1, -1, 2))
    pos[:, 0] = torch.where(moves[:, None], pos[:, 0], anchor)
    disp = anchor[:, None] + scale[:, None, None] * (pos - anchor[:, None]) + shift[:, None] - pos
    mask = torch.arange(c.max_tokens, device=dev)[None] < count[:, None]
    pin = mask & (disp.norm(dim=-1) < c.pin_below)
    disp = torch.where(pin[..., None], torch.zeros_like(disp), disp)
    # The inverse, in normalised coordinates u = (2p + 1) / size − 1: p = anchor + (q − shift − anchor) / scale.
    a_n = (2 * anchor + 1) / size - 1
    s_n = 2 * shift / size
    theta = torch.zeros(n, 2, 3, device=dev)
    theta[:, 0, 0] = theta[:, 1, 1] = 1 / scale
    theta[:, :, 2] = a_n - (s_n + a_n) / scale[:, None]
    return Tokens(pos, disp, pin, mask), theta


class DragTransformerRecipe(DragRecipe):
    progress = ("loss", "warp")

    def optimizers(self, model, cfg):
        params = model.transformer.parameters()
        return {"drag": torch.optim.AdamW(params, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), weight_decay=0.01)}

    def prepare(self, model, train_set) -> dict[str, float]:
        c, g = model.config, model.generator
        load_prior(g, c, c.prior)
        mean, cov = prior_styles(c.prior, g)
        with torch.no_grad():
            model.start_mean.copy_(mean)
            model.start_cov.copy_(cov)
            model.w_mean.copy_(mean)  # the pairs' styles: the Gaussian at the pairs' truncation
            model.w_std.copy_((c.truncation * cov.diagonal().clamp_min(0).sqrt()).clamp_min(1e-3))
        return {"w_std": float(model.w_std.mean())}

    def losses(self, model, b: PairBatch, cfg, rng) -> dict[str, torch.Tensor]:
        c = model.config
        warps = round(c.warp_share * len(b.w1))
        out = self.pair_losses(model, b.select(slice(warps, None)), rng) if warps < len(b.w1) else {}
        if warps:
            out["warp"] = self.warp_loss(model, b.select(slice(0, warps)), rng)
        loss = out.get("loss", 0.0) + c.lambda_warp * out.get("warp", 0.0)
        return {**out, "loss": loss}

    def warp_loss(self, model, b: PairBatch, rng) -> torch.Tensor:
        """L1 between the picture of the predicted latent and the first picture warped by the tokens' motion."""
        c, g = model.config, model.generator
        ws1 = g.broadcast(b.w1)
        tokens, theta = draw_warps(b, c.size, c, rng)
        picture, feats = model.token_features(ws1, tokens.pos)
        grid = F.affine_grid(theta, list(picture.shape), align_corners=False)
        target = F.grid_sample(picture + 1, grid, align_corners=False) - 1  # black (−1) comes in at the edges
        return (g.synthesis(model.moved(ws1, tokens, feats)) - target).abs().mean()

    def pair_losses(self, model, b: PairBatch, rng) -> dict[str, torch.Tensor]:
        """The flow pairs' squared error on the coarse styles (and that of no move, ``still``)."""
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
        if "still" in out:
            out["still"] = out["still"].detach()
        descend(out, "loss", opts["drag"], list(model.transformer.parameters()), dist, stats)
        return stats
