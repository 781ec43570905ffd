"""Class prototypes of generator features and the pseudo-labeller built on them (SPEC-semantic §2).

A pixel's feature is the generator's activation at every resolution (4×4 … 64×64). Each resolution
votes on its own: its activations are L2-normalised per pixel and compared (cosine) with that
resolution's block of each class prototype, at the resolution's own size; the votes are upsampled
(bilinear) to the picture and averaged. So the wide coarse blocks do not drown the fine ones, and
nothing is upsampled but one similarity per class. A class's prototype block is the normalised mean of
its labelled pixels' (upsampled, normalised) features over the K examples; a pixel is labelled with the
class of the highest mean similarity. A class no example shows has no prototype and is never predicted.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _resize(x: torch.Tensor, size: int) -> torch.Tensor:
    return x if x.shape[-1] == size else F.interpolate(x, size=size, mode="bilinear", align_corners=False)


def upsampled_blocks(feats: list[torch.Tensor], size: int) -> torch.Tensor:
    """Each resolution's activation ``(B, c_r, r, r)``, normalised per pixel and upsampled to ``size``,
    stacked: ``(B, sum(c_r), size, size)`` (what the prototypes average; only the K examples need it)."""
    return torch.cat([F.normalize(_resize(f, size), dim=1) for f in feats], 1)


def build_prototypes(
    blocks: torch.Tensor, labels: torch.Tensor, classes: int, widths: list[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(prototypes (classes, D), present (classes,) bool)`` from :func:`upsampled_blocks` ``(B, D, S, S)``
    and long maps ``(B, S, S)``; each resolution's block of a prototype has unit length; an absent
    class's row is zero."""
    d = blocks.shape[1]
    flat = blocks.permute(0, 2, 3, 1).reshape(-1, d)
    lab = labels.reshape(-1).long()
    sums = torch.zeros(classes, d, dtype=flat.dtype).index_add_(0, lab, flat)
    present = torch.bincount(lab, minlength=classes) > 0
    protos = torch.cat([F.normalize(b, dim=1) for b in sums.split(widths, dim=1)], 1)
    return torch.where(present[:, None], protos, torch.zeros_like(protos)), present


def similarity(
    feats: list[torch.Tensor], prototypes: torch.Tensor, present: torch.Tensor, widths: list[int], size: int
) -> torch.Tensor:
    """Mean over resolutions of the cosine similarity of each pixel to each prototype, ``(B, classes, size,
    size)``; −inf for absent classes."""
    votes = []
    for f, p in zip(feats, prototypes.split(widths, dim=1), strict=True):
        sim = torch.einsum("bdhw,kd->bkhw", F.normalize(f, dim=1), p)
        votes.append(_resize(sim, size))
    mean = torch.stack(votes).mean(0)
    return mean.masked_fill(~present[None, :, None, None], float("-inf"))
