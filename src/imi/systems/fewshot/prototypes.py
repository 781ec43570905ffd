"""Class prototypes of generator features and the pseudo-labeller built on them (SPEC-semantic §2).

A pixel's feature is the generator's activation at every resolution (4×4 … 64×64). Each resolution
votes on its own: its activations are L2-normalised per pixel and compared (cosine) with that
resolution's block of each class prototype, at the resolution's own size; the votes are upsampled
(bilinear) to the picture and averaged. So the wide coarse blocks do not drown the fine ones, and
nothing is upsampled but one similarity per prototype. Each example gives each class it shows one
prototype: the normalised mean of its labelled pixels' (upsampled, normalised) features, block by block
— so a class has up to K prototypes, one per look (five hair colours stay five, not one muddy mean). A
pixel takes the class of its most similar prototype. A class no example shows has no prototype and is
never predicted.
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
    """``(prototypes (classes, B, D), present (classes, B) bool)`` from :func:`upsampled_blocks`
    ``(B, D, S, S)`` of B examples and their long maps ``(B, S, S)``: example j's prototype of class k has
    unit-length blocks, or is zero (and not present) when the example does not show the class."""
    b, d = blocks.shape[:2]
    flat = blocks.permute(0, 2, 3, 1).reshape(-1, d)
    slot = labels.reshape(b, -1).long() * b + torch.arange(b)[:, None]  # (class, example) of each pixel
    sums = torch.zeros(classes * b, d, dtype=flat.dtype).index_add_(0, slot.reshape(-1), flat)
    present = torch.bincount(slot.reshape(-1), minlength=classes * b) > 0
    protos = torch.cat([F.normalize(part, dim=1) for part in sums.split(widths, dim=1)], 1)
    protos = torch.where(present[:, None], protos, torch.zeros_like(protos))
    return protos.reshape(classes, b, d), present.reshape(classes, b)


def similarity(
    feats: list[torch.Tensor], prototypes: torch.Tensor, present: torch.Tensor, widths: list[int], size: int
) -> torch.Tensor:
    """Each class's best prototype's similarity (the mean over resolutions of the cosine similarity) to
    each pixel, ``(B, classes, size, size)``, of prototypes ``(classes, J, D)`` with ``present`` ``(classes,
    J)``; −inf for a class with no prototype."""
    k, j, _ = prototypes.shape
    votes = []
    for f, p in zip(feats, prototypes.split(widths, dim=2), strict=True):
        sim = torch.einsum("bdhw,nd->bnhw", F.normalize(f, dim=1), p.reshape(k * j, -1))
        votes.append(_resize(sim, size))
    mean = torch.stack(votes).mean(0).unflatten(1, (k, j))  # (B, classes, J, size, size)
    mean = mean.masked_fill(~present[None, :, :, None, None], float("-inf"))
    return mean.max(2).values
