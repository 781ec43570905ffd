"""Loss functions of the paper, as plain functions (SPEC §4).

The discriminator returns logits; ``CE(ŷ, t)`` with ``ŷ = sigmoid(logit)`` is
computed from the logit for numerical stability (same value).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def ce(logit: torch.Tensor, target: float) -> torch.Tensor:
    """``CE(y, t) = −(1/M) Σ [t log y + (1 − t) log(1 − y)]``, ``y = sigmoid(logit)``."""
    return F.binary_cross_entropy_with_logits(logit.float(), torch.full_like(logit.float(), target))


def d_real_right(logit: torch.Tensor) -> torch.Tensor:
    """Eq. (10): ``L_Drr = CE(D(x, c_r), 1)``: real image, matching condition."""
    return ce(logit, 1.0)


def d_real_wrong(logit: torch.Tensor) -> torch.Tensor:
    """Eq. (11): ``L_Drw = CE(D(x, c_w), 0)``: real image, mismatching condition."""
    return ce(logit, 0.0)


def d_fake_right(logit: torch.Tensor) -> torch.Tensor:
    """Eq. (12): ``L_Dfr = CE(D(G(z, c_r), c_r), 0)``."""
    return ce(logit, 0.0)


def g_fake_right(logit: torch.Tensor) -> torch.Tensor:
    """Eq. (13): ``L_Gfr = CE(D(G(z, c_r), c_r), 1)``."""
    return ce(logit, 1.0)


def feature_matching(real: list[torch.Tensor], fake: list[torch.Tensor]) -> torch.Tensor:
    """Eq. (16): ``(1/M) Σ_l Σ_m (h_l(x_m) − h_l(G(z_m, c_r,m)))²``.

    The square of a layer's difference is read as the mean over its units, so
    that a wide early layer does not outweigh the others by its size alone.

    Args:
        real, fake: per-layer activations ``(M, …)`` for the real images and
            for the images generated from their conditions, pairwise.
    """
    total = real[0].new_zeros((), dtype=torch.float32)
    for h_real, h_fake in zip(real, fake, strict=True):
        total = total + (h_real.float() - h_fake.float()).pow(2).flatten(1).mean(1).mean(0)
    return total


def label_loss(logits: dict[str, torch.Tensor], labels: torch.Tensor) -> torch.Tensor:
    """Eqs. (28)–(33): sum of softmax cross-entropies for (digit, x, y, w, h).

    Args:
        logits: head name → ``(M, classes)``.
        labels: long ``(M, len(logits))``, column ``i`` for the ``i``-th head of ``logits``.
    """
    return sum(F.cross_entropy(logits[k].float(), labels[:, i]) for i, k in enumerate(logits))


def discriminator_loss(
    rr: torch.Tensor, rw: torch.Tensor, fr: torch.Tensor, lambda_rr: float, lambda_rw: float, lambda_fr: float
) -> torch.Tensor:
    """Eq. (21)/(37): ``L_D = λrr L'_Drr + λrw L_Drw + λfr L'_Dfr``.

    ``rr`` and ``fr`` already include the label loss where the task has one
    (eqs. 34–35); plain (10)/(12) otherwise.
    """
    return lambda_rr * rr + lambda_rw * rw + lambda_fr * fr


def generator_loss(gfr: torch.Tensor, fmatch: torch.Tensor, lambda_gfr: float, lambda_f: float) -> torch.Tensor:
    """Eq. (22)/(38): ``L_G = λgfr L'_Gfr + λf L_fmatch``."""
    return lambda_gfr * gfr + lambda_f * fmatch
