"""Sparse scribbles from full label maps: what a user draws when asked for "a few strokes per part"."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from imi.tasks.synthesize.batch import UNKNOWN


def scribble(labels: torch.Tensor, rng: torch.Generator, keep: tuple[float, float] = (0.05, 0.3)) -> torch.Tensor:
    """Long maps ``(B, S, S)`` → the same maps with most pixels set to :data:`UNKNOWN`.

    Kept are blobby strokes: smooth random fields (noise at 1/8 resolution, upsampled) above a per-map
    threshold, so between ``keep[0]`` and ``keep[1]`` of the pixels survive, taken only where a pixel's
    whole 3×3 neighbourhood has its class (strokes stay inside their part, as a careful user's would).
    Every class present keeps at least its interior pixel farthest inside when the strokes miss it.
    """
    b, s, _ = labels.shape
    noise = torch.rand(b, 1, s // 8, s // 8, generator=rng)
    field = F.interpolate(noise, size=(s, s), mode="bicubic", align_corners=False)[:, 0]
    share = keep[0] + (keep[1] - keep[0]) * torch.rand(b, generator=rng)
    ranked = field.reshape(b, -1).sort(1).values
    cut = ranked.gather(1, ((1 - share) * (s * s - 1)).long()[:, None])[:, 0]  # each map's own quantile
    strokes = field >= cut[:, None, None]
    onehot = F.one_hot(labels, int(labels.max()) + 1).permute(0, 3, 1, 2).float()
    interior = (-F.max_pool2d(-onehot, 3, 1, 1)).bool()  # eroded regions
    inside = interior.gather(1, labels[:, None])[:, 0]
    out = torch.where(strokes & inside, labels, torch.full_like(labels, UNKNOWN))
    # A class the strokes missed keeps one interior pixel (else its border pixel): no part vanishes.
    for k in range(onehot.shape[1]):
        has = (labels == k).flatten(1).any(1) & ~(out == k).flatten(1).any(1)
        for i in has.nonzero()[:, 0].tolist():
            where = (interior[i, k] if interior[i, k].any() else labels[i] == k).nonzero()
            y, x = where[torch.randint(len(where), (1,), generator=rng)][0].tolist()
            out[i, y, x] = k
    return out
