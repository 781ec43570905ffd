"""One training iteration of the paper (SPEC §4), written out once.

(1) encode:   φfc,s = FC(ImEnc(Xs), 0), φfc,t = FC(ImEnc(Xt), 0),
              φfc,t̂ = FC(ImEnc(Xs), IEnc(I))                         (17–19)
(2) draw one  (c_r, c_w, x) of {(s, t, Xs), (t, s, Xt), (t̂, s, Xt)}   (20)
(3) losses    L_D = λrr L'_Drr + λrw L_Drw + λfr L'_Dfr              (21, 37)
              L_G = λgfr L'_Gfr + λf L_fmatch                        (22, 38)
(4) update    θD + θEnc with L_D if L_D > L_G, else θG + θEnc with L_G (23)

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
    out["d_fr"] = losses.d_fake_right(fr_logit)
    out["g_fr"] = losses.g_fake_right(fr_logit)
    out["fmatch"] = losses.feature_matching(h_real, h_fake)
    rr, d_fr, g_fr = out["d_rr"], out["d_fr"], out["g_fr"]
    if model.dis.aux is not None and d.labels is not None:
        # (34) on the real x; (35)/(36) on G(z, c_r), whose target labels are those of x.
        out["label_real"] = losses.label_loss(model.dis.labels(phi_real), d.labels)
        out["label_fake"] = losses.label_loss(model.dis.labels(phi_fake), d.labels)
        rr, d_fr, g_fr = rr + out["label_real"], d_fr + out["label_fake"], g_fr + out["label_fake"]
    out["loss_d"] = losses.discriminator_loss(rr, out["d_rw"], d_fr, cfg.lambda_rr, cfg.lambda_rw, cfg.lambda_fr)
    out["loss_g"] = losses.generator_loss(g_fr, out["fmatch"], cfg.lambda_gfr, cfg.lambda_f)
    out.update(d.aux)
    out["d_real"] = torch.sigmoid(rr_logit.detach().float()).mean()
    out["d_fake"] = torch.sigmoid(fr_logit.detach().float()).mean()
    return out


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
    update_d = bool(both[0] > both[1])
    chosen = [opts["d"] if update_d else opts["g"]]
    loss = out["loss_d"] if update_d else out["loss_g"]
    if "mask" in out:  # disjoint parameters: one backward serves both
        chosen.append(opts["m"])
        loss = loss + cfg.lambda_mask * out["mask"]
    for opt in opts.values():
        opt.zero_grad(set_to_none=True)
    loss.backward()
    for opt in chosen:
        dist.average_grads([p for group in opt.param_groups for p in group["params"]])
        opt.step()
    dist.sync_buffers(model)
    stats = {name: float(v.detach()) for name, v in out.items()}
    stats.update(loss_d=float(both[0]), loss_g=float(both[1]), update_d=float(update_d), draw=float(k))
    return stats
