"""Class prototypes of generator features and the pseudo-labeller built on them (SPEC-semantic §2).

A pixel's feature is the generator's activation at every resolution (4×4 … 64×64). Each resolution
votes on its own: its activations are L2-normalised per pixel and compared (cosine) with that
resolution's block of each class prototype, at the resolution's own size; the votes are upsampled
(bilinear) to the picture and averaged. So the wide coarse blocks do not drown the fine ones, and
nothing is upsampled but one similarity per prototype. Each example gives each class it shows up to
``per`` prototypes: its labelled pixels' (upsampled, normalised) features split into ``per`` clusters by
k-means, each cluster's mean normalised block by block — so a class has one prototype per look and per
part of itself (five hair colours stay five, and the forehead, cheeks and chin of the skin are not one
muddy mean that the small face parts out-vote). A pixel takes the class of its most similar prototype.
A class no example shows has no prototype and is never predicted.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _resize(x: torch.Tensor, size: int) -> torch.Tensor:
    return x if x.shape[-1] == size else F.interpolate(x, size=size, mode="bilinear", align_corners=False)


def upsampled_blocks(feats: list[torch.Tensor], size: int) -> torch.Tensor:
    """Each resolution's activation ``(B, c_r, r, r)``, normalised per pixel and upsampled to ``size``,
    stacked: ``(B, sum(c_r), size, size)``. Upsampling is linear, so a prototype's dot product with this
    is each resolution's cosine similarity computed at its own size, then upsampled, and summed."""
    return torch.cat([_resize(F.normalize(f, dim=1), size) for f in feats], 1)


MIN_PIXELS = 40  # a cluster of fewer pixels is too small to trust: a region splits into area / 40 at most


def kmeans(x: torch.Tensor, m: int, gen: torch.Generator, iters: int = 10) -> torch.Tensor:
    """``m`` centroids ``(m, D)`` of the rows of ``x`` (Lloyd's algorithm from ``m`` seeded rows)."""
    centres = x[torch.randperm(len(x), generator=gen)[:m]].clone()
    for _ in range(iters):
        nearest = torch.cdist(x, centres).argmin(1)
        for q in range(m):
            if (nearest == q).any():
                centres[q] = x[nearest == q].mean(0)
    return centres


def build_prototypes(
    blocks: torch.Tensor, labels: torch.Tensor, classes: int, widths: list[int], per: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(prototypes (classes, B·per, D), present (classes, B·per) bool)`` from :func:`upsampled_blocks`
    ``(B, D, S, S)`` of B examples and their long maps ``(B, S, S)``: slots ``j·per …`` hold example j's
    prototypes of each class (unit-length blocks), or zeros (not present) where it shows too little."""
    b, d = blocks.shape[:2]
    protos = torch.zeros(classes, b * per, d, dtype=blocks.dtype)
    present = torch.zeros(classes, b * per, dtype=torch.bool)
    gen = torch.Generator().manual_seed(0)
    for j in range(b):
        pixels = blocks[j].reshape(d, -1).t()
        for k in range(classes):
            x = pixels[labels[j].reshape(-1) == k]
            if not len(x):
                continue
            m = min(per, max(1, len(x) // MIN_PIXELS))
            centres = kmeans(x, m, gen) if m > 1 else x.mean(0, keepdim=True)
            unit = [F.normalize(p, dim=1) for p in centres.split(widths, dim=1)]
            protos[k, j * per : j * per + m] = torch.cat(unit, 1)
            present[k, j * per : j * per + m] = True
    return protos, present


def similarity(
    feats: list[torch.Tensor], prototypes: torch.Tensor, present: torch.Tensor, widths: list[int], size: int
) -> torch.Tensor:
    """Each class's best prototype's similarity (the mean over resolutions of the cosine similarity) to
    each pixel, ``(B, classes, size, size)``, of prototypes ``(classes, J, D)`` with ``present`` ``(classes,
    J)``; −inf for a class with no prototype."""
    k, j, _ = prototypes.shape
    if sum(widths) != prototypes.shape[2] or len(widths) != len(feats):
        raise ValueError(f"features of widths {widths} do not fit prototypes of {prototypes.shape[2]} numbers")
    # Each resolution's cosine similarities at its own size, upsampled to the finest voting resolution and
    # averaged; the best prototype of each class there; only the class scores are upsampled to ``size``
    # (the prototypes outnumber the classes by K · per_class: this is what keeps a training step cheap).
    fine = feats[-1].shape[-1]
    sim = sum(
        _resize(torch.einsum("bdhw,nd->bnhw", F.normalize(f, dim=1), p.reshape(k * j, -1)), fine)
        for f, p in zip(feats, prototypes.split(widths, dim=2), strict=True)
    ) / len(feats)
    absent = ~present[None, :, :, None, None]
    best = sim.unflatten(1, (k, j)).masked_fill(absent, -2.0).max(2).values  # cosine ≥ −1: −2 is "none"
    return _resize(best, size).masked_fill(~present.any(1)[None, :, None, None], float("-inf"))
