"""One training iteration of the paper (SPEC §4), written out once.

(1) encode:   φfc,s = FC(ImEnc(Xs), 0), φfc,t = FC(ImEnc(Xt), 0),
              φfc,t̂ = FC(ImEnc(Xs), IEnc(I))                         (17–19)
(2) draw one  (c_r, c_w, x) of {(s, t, Xs), (t, s, Xt), (t̂, s, Xt)}   (20)
(3) losses    L_D = λrr L'_Drr + λrw L_Drw + λfr L'_Dfr              (21, 37)
              L_G = λgfr L'_Gfr + λf L_fmatch [+ λrec |G(z, c_r) − x|₁] (22, 38)
(4) update    θD + θEnc with L_D if L_D > L_G, else θG + θEnc with L_G (23)

Step (4) follows ``TrainConfig.update_rule``: "full" compares the whole of
L_D and L_G as written; "adversarial" (the default) compares their
adversarial parts only (A_D = λrr L_Drr + λrw L_Drw + λfr L_Dfr against
A_G = λgfr L_Gfr), because the label and feature-matching terms can each be
lowered by one side only and, left in, decide the comparison for good (D was
stepped on 0 of 200 iterations); "both" steps D and G every iteration.

Readings of the paper, stated once: the label loss of (35)/(36) is taken on
G(z, c_r) with the labels of x (the AC-GAN reading); feature matching (16)
averages each layer's squared difference over its units instead of summing
(about 10⁴× weaker, so no single wide layer dominates); real and fake
batches pass D's batch norm separately; the encoder receives gradients from
whichever loss is stepped (θEnc is in both updates of (23)).

The draws come from the model (:meth:`imi.systems.imi.networks.IMIModel.draw`), so
SIM and the text-only contrast train through the same function. SIM's mask
loss has its own optimiser and is stepped every iteration, outside rule (23).
"""

from __future__ import annotations

import torch

from imi.core.config import TrainConfig
from imi.core.distributed import Dist
from imi.nn import gan_losses as losses
from imi.systems.imi.networks import IMIModel
from imi.tasks.edit.batch import StepBatch
from imi.tasks.edit.recipe import NonFiniteLoss


def compute_losses(model: IMIModel, b: StepBatch, cfg: TrainConfig, k: int, z: torch.Tensor) -> dict[str, torch.Tensor]:
    """Forward pass for draw ``k`` and noise ``z`` ``(B, z_dim)``: every loss term."""
    d = model.draw(b, k)
    fake = model.gen(z, d.g_cond, d.g_spatial)
    phi_real, h_real = model.dis.features(d.x)
    phi_fake, h_fake = model.dis.features(fake)
    rr_logit = model.dis.score(phi_real, d.c_r)
    out = {
        "d_rr": losses.d_real_right(rr_logit),
        "d_rw": losses.d_real_wrong(model.dis.score(phi_real, d.c_w)),
    }
    fr_logit = model.dis.score(phi_fake, d.c_r)
    # Under "both", D's loss sees the fake as a constant (pix2pix): its step then needs no backward
    # through G, which would otherwise cost as much as G's own step. Under rule (23) the stepped
    # side's gradient flows wherever the paper's loss reaches.
    phi_fake_d = model.dis.features(fake.detach())[0] if cfg.update_rule == "both" else phi_fake
    fr_logit_d = fr_logit if phi_fake_d is phi_fake else model.dis.score(phi_fake_d, d.c_r)
    out["d_fr"] = losses.d_fake_right(fr_logit_d)
    out["g_fr"] = losses.g_fake_right(fr_logit)
    out["fmatch"] = losses.feature_matching(h_real, h_fake)
    rr, d_fr, g_fr = out["d_rr"], out["d_fr"], out["g_fr"]
    if model.dis.aux is not None and d.labels is not None:
        # (34) on the real x; (35)/(36) on G(z, c_r), whose target labels are those of x.
        out["label_real"] = losses.label_loss(model.dis.labels(phi_real), d.labels)
        out["label_fake"] = losses.label_loss(model.dis.labels(phi_fake), d.labels)
        label_fake_d = out["label_fake"]
        if phi_fake_d is not phi_fake:
            label_fake_d = losses.label_loss(model.dis.labels(phi_fake_d), d.labels)
        rr, d_fr, g_fr = rr + out["label_real"], d_fr + label_fake_d, g_fr + out["label_fake"]
    out["loss_d"] = losses.discriminator_loss(rr, out["d_rw"], d_fr, cfg.lambda_rr, cfg.lambda_rw, cfg.lambda_fr)
    out["loss_g"] = losses.generator_loss(g_fr, out["fmatch"], cfg.lambda_gfr, cfg.lambda_f)
    out["adv_d"] = losses.discriminator_loss(
        out["d_rr"], out["d_rw"], out["d_fr"], cfg.lambda_rr, cfg.lambda_rw, cfg.lambda_fr
    ).detach()
    out["adv_g"] = (cfg.lambda_gfr * out["g_fr"]).detach()
    out["rec"] = (fake.float() - d.x.float()).abs().mean()
    if cfg.lambda_rec:
        out["loss_g"] = out["loss_g"] + cfg.lambda_rec * out["rec"]
    out["cond_share"] = condition_share(model, z, d.g_cond)
    out.update(d.aux)
    out["d_real"] = torch.sigmoid(rr_logit.detach().float()).mean()
    out["d_fake"] = torch.sigmoid(fr_logit.detach().float()).mean()
    return out


def condition_share(model: IMIModel, z: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
    """The condition's share of the variance (over the batch) of G's first layer, before its batch norm.

    ``W [z; c] = W_z z + W_c c``: ``var(W_c c) / (var(W_z z) + var(W_c c))``, averaged over units.
    Near 0, G ignores the source and the instruction; the curve shows when it starts to use them.
    """
    with torch.no_grad():
        w = model.gen.fc[0].weight.float()
        z_dim = z.shape[1]
        from_z = (z.float() @ w[:, :z_dim].T).var(0).mean()
        from_c = (cond.detach().float() @ w[:, z_dim:].T).var(0).mean()
        return from_c / (from_z + from_c).clamp(min=1e-12)


def draw_noise(model: IMIModel, b: StepBatch, rng: torch.Generator) -> tuple[int, torch.Tensor]:
    """The random choices of one iteration: the draw ``k`` of eq. (20) and the noise ``z``."""
    k = int(torch.randint(model.num_draws, (1,), generator=rng))
    z = torch.randn(b.source.shape[0], model.config.z_dim, generator=rng).to(b.source.device)
    return k, z


def train_step(
    model: IMIModel,
    b: StepBatch,
    cfg: TrainConfig,
    opts: dict[str, torch.optim.Optimizer],
    rng: torch.Generator,
    dist: Dist,
) -> dict[str, float]:
    """Run (1)–(4) once and return the logged scalars.

    Args:
        opts: ``"d"``: Adam over θD + θEnc; ``"g"``: over θG + θEnc; ``"m"``
            (SIM only): over the mask generator.
        rng: CPU generator for the draw and the noise (saved for exact resume).
        dist: the process group; the update decision uses the losses averaged
            over ranks, so every rank steps the same networks.
    """
    k, z = draw_noise(model, b, rng)
    with dist.autocast(cfg.bf16):
        out = compute_losses(model, b, cfg, k, z)
    both = dist.mean(torch.stack([out["loss_d"].detach(), out["loss_g"].detach()]))
    if not torch.isfinite(both).all():
        raise NonFiniteLoss(f"L_D = {both[0].item()}, L_G = {both[1].item()}")
    if cfg.update_rule == "both":
        update_d, steps = 0.5, [("d", out["loss_d"]), ("g", out["loss_g"])]
    else:
        compared = both if cfg.update_rule == "full" else dist.mean(torch.stack([out["adv_d"], out["adv_g"]]))
        side = "d" if bool(compared[0] > compared[1]) else "g"
        update_d, steps = float(side == "d"), [(side, out[f"loss_{side}"])]
    if "mask" in out:  # disjoint parameters, its own optimiser
        steps.append(("m", cfg.lambda_mask * out["mask"]))
    # Every gradient comes from this one forward pass, taken before any parameter moves
    # (θEnc is in both optimisers under "both": each step uses its own loss's gradient).
    params = {name: [p for group in opts[name].param_groups for p in group["params"]] for name, _ in steps}
    grads = [
        torch.autograd.grad(loss, params[name], retain_graph=i < len(steps) - 1, allow_unused=True)
        for i, (name, loss) in enumerate(steps)
    ]
    for opt in opts.values():
        opt.zero_grad(set_to_none=True)
    for (name, _), gs in zip(steps, grads, strict=True):
        for p, g in zip(params[name], gs, strict=True):
            p.grad = g
        dist.average_grads(params[name])
        opts[name].step()
        for p in params[name]:
            p.grad = None
    dist.sync_buffers(model)
    stats = {name: float(v.detach()) for name, v in out.items()}
    stats.update(loss_d=float(both[0]), loss_g=float(both[1]), update_d=update_d, draw=float(k))
    return stats
