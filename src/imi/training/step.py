"""One training iteration of the paper (SPEC §4), written out once.

(1) encode:   φfc,s = FC(ImEnc(Xs), 0), φfc,t = FC(ImEnc(Xt), 0),
              φfc,t̂ = FC(ImEnc(Xs), IEnc(I))                         (17–19)
(2) draw one  (c_r, c_w, x) of {(s, t, Xs), (t, s, Xt), (t̂, s, Xt)}   (20)
(3) losses    L_D = λrr L'_Drr + λrw L_Drw + λfr L'_Dfr              (21, 37)
              L_G = λgfr L'_Gfr + λf L_fmatch                        (22, 38)
(4) update    θD + θEnc with L_D if L_D > L_G, else θG + θEnc with L_G (23)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from imi.config import TrainConfig
from imi.models.imi import IMIModel
from imi.training import losses
from imi.training.distributed import Dist


@dataclass
class StepBatch:
    """Model-ready tensors on the training device.

    ``source``/``target`` normalised ``(B, C, S, S)``; ``tokens`` ``(B, T)``;
    ``lengths`` ``(B,)``; ``source_labels``/``target_labels`` ``(B, 5)`` or None.
    """

    source: torch.Tensor
    target: torch.Tensor
    tokens: torch.Tensor
    lengths: torch.Tensor
    source_labels: torch.Tensor | None
    target_labels: torch.Tensor | None


def _draw(model: IMIModel, b: StepBatch, k: int):
    """The (c_r, c_w, x, labels of x) of eq. (20), computing only what choice ``k`` needs."""
    phi_s = model.im_enc(b.source)
    c_s = model.fc(phi_s, None)
    if k == 0:
        return c_s, model.fc(model.im_enc(b.target), None), b.source, b.source_labels
    if k == 1:
        return model.fc(model.im_enc(b.target), None), c_s, b.target, b.target_labels
    return model.fc(phi_s, model.i_enc(b.tokens, b.lengths)), c_s, b.target, b.target_labels


def compute_losses(model: IMIModel, b: StepBatch, cfg: TrainConfig, k: int, z: torch.Tensor) -> dict[str, torch.Tensor]:
    """Forward pass for draw ``k`` and noise ``z`` ``(B, z_dim)``: every loss term."""
    c_r, c_w, x, labels = _draw(model, b, k)
    fake = model.gen(z, c_r)
    phi_real, h_real = model.dis.features(x)
    phi_fake, h_fake = model.dis.features(fake)
    rr_logit = model.dis.score(phi_real, c_r)
    out = {
        "d_rr": losses.d_real_right(rr_logit),
        "d_rw": losses.d_real_wrong(model.dis.score(phi_real, c_w)),
    }
    fr_logit = model.dis.score(phi_fake, c_r)
    out["d_fr"] = losses.d_fake_right(fr_logit)
    out["g_fr"] = losses.g_fake_right(fr_logit)
    out["fmatch"] = losses.feature_matching(h_real, h_fake)
    rr, d_fr, g_fr = out["d_rr"], out["d_fr"], out["g_fr"]
    if model.dis.aux is not None and labels is not None:
        # (34) on the real x; (35)/(36) on G(z, c_r), whose target labels are those of x.
        out["label_real"] = losses.label_loss(model.dis.labels(phi_real), labels)
        out["label_fake"] = losses.label_loss(model.dis.labels(phi_fake), labels)
        rr, d_fr, g_fr = rr + out["label_real"], d_fr + out["label_fake"], g_fr + out["label_fake"]
    out["loss_d"] = losses.discriminator_loss(rr, out["d_rw"], d_fr, cfg.lambda_rr, cfg.lambda_rw, cfg.lambda_fr)
    out["loss_g"] = losses.generator_loss(g_fr, out["fmatch"], cfg.lambda_gfr, cfg.lambda_f)
    out["d_real"] = torch.sigmoid(rr_logit.detach().float()).mean()
    out["d_fake"] = torch.sigmoid(fr_logit.detach().float()).mean()
    return out


class NonFiniteLoss(RuntimeError):
    """A loss became NaN or Inf; the caller stops and keeps the last checkpoint."""


def train_step(
    model: IMIModel,
    b: StepBatch,
    cfg: TrainConfig,
    opt_d: torch.optim.Optimizer,
    opt_g: torch.optim.Optimizer,
    rng: torch.Generator,
    dist: Dist,
) -> dict[str, float]:
    """Run (1)–(4) once and return the logged scalars.

    Args:
        opt_d: Adam over θD + θEnc; ``opt_g``: Adam over θG + θEnc.
        rng: CPU generator for the draw and the noise (saved for exact resume).
        dist: the process group; the update decision uses the losses averaged
            over ranks, so every rank steps the same networks.
    """
    k = int(torch.randint(3, (1,), generator=rng))
    z = torch.randn(b.source.shape[0], model.config.z_dim, generator=rng).to(b.source.device)
    with dist.autocast(cfg.bf16):
        out = compute_losses(model, b, cfg, k, z)
    both = dist.mean(torch.stack([out["loss_d"].detach(), out["loss_g"].detach()]))
    if not torch.isfinite(both).all():
        raise NonFiniteLoss(f"L_D = {both[0].item()}, L_G = {both[1].item()}")
    update_d = bool(both[0] > both[1])
    opt, loss = (opt_d, out["loss_d"]) if update_d else (opt_g, out["loss_g"])
    opt_d.zero_grad(set_to_none=True)
    opt_g.zero_grad(set_to_none=True)
    loss.backward()
    dist.average_grads([p for group in opt.param_groups for p in group["params"]])
    opt.step()
    dist.sync_buffers(model)
    stats = {name: float(v.detach()) for name, v in out.items()}
    stats.update(loss_d=float(both[0]), loss_g=float(both[1]), update_d=float(update_d), draw=float(k))
    return stats
