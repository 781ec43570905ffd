"""The canvas judge: where a glyph is (read in closed form from the ink) and which digit it is.

*Placement* is read from the ink's moments: the centre of mass, and the radius of gyration, which scales
exactly with the glyph's box (for one glyph shape). So between two pictures of the same glyph, the exact
motion of every stroke point is ``p' = c' + (r'/r)(p − c)`` — the motion the drag evaluation measures
against (:func:`motion`). The box side, for cropping, is the radius times :data:`SIDE_PER_RADIUS` (the
median ratio over the train glyphs).

*Identity* is read by the digit benchmark's shipped reader from the glyph's box cut out and resized to
24×24, so the digit judge, gated at 99.5 % on its own renders, is reused rather than retrained.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from imi.domains.digits.judge import READ_SIZE, load_recognizer

SIDE_PER_RADIUS = 4.18  # box side / ink radius of gyration: the median over 2,000 train renders
INK = 0.25  # intensities below this share of white are read as background (the generator's haze)


def ink(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``(B, C, S, S)`` → float ink mass ``(B, S, S)`` in [0, 1], the haze below :data:`INK` removed."""
    grey = images.float().mean(1) / 255.0
    return torch.where(grey >= INK, grey, torch.zeros_like(grey))


def placement(images: torch.Tensor) -> torch.Tensor:
    """float ``(B, 3)`` = (centre x, centre y, radius of gyration) of uint8 pictures ``(B, C, S, S)``, in pixel
    coordinates; an empty picture reads as the canvas centre with radius 0."""
    m = ink(images)
    s = m.shape[-1]
    coords = torch.arange(s, dtype=torch.float32)
    mass = m.sum((1, 2)).clamp_min(1e-6)
    cx = (m.sum(1) * coords).sum(1) / mass
    cy = (m.sum(2) * coords).sum(1) / mass
    dx2 = (coords[None, None, :] - cx[:, None, None]).square()
    dy2 = (coords[None, :, None] - cy[:, None, None]).square()
    radius = ((m * (dx2 + dy2)).sum((1, 2)) / mass).sqrt()
    empty = m.sum((1, 2)) < 1.0
    centre = torch.full_like(cx, (s - 1) / 2)
    return torch.stack([torch.where(empty, centre, cx), torch.where(empty, centre, cy),
                        torch.where(empty, torch.zeros_like(radius), radius)], 1)  # fmt: skip


def motion(before: torch.Tensor, after: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Where ``points`` ``(B, N, 2)`` of the pictures read as ``before`` go in those read as ``after``
    (placements ``(B, 3)``): ``c' + (r'/r)(p − c)``, the exact motion when only the placement changed."""
    ratio = (after[:, 2] / before[:, 2].clamp_min(1e-6))[:, None, None]
    return after[:, None, :2] + ratio * (points - before[:, None, :2])


def crops(images: torch.Tensor, place: torch.Tensor, size: int = READ_SIZE) -> torch.Tensor:
    """The glyph box of each picture (centre, side = radius × :data:`SIDE_PER_RADIUS`) resized to
    ``size × size``: float ``(B, 1, size, size)`` in [0, 1], what the digit reader reads."""
    s = images.shape[-1]
    cx, cy, radius = place.unbind(1)
    side = (radius * SIDE_PER_RADIUS).clamp_min(4.0)
    theta = torch.zeros(len(place), 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = side / s
    theta[:, 0, 2], theta[:, 1, 2] = (2 * cx + 1 - s) / s, (2 * cy + 1 - s) / s
    grid = F.affine_grid(theta, [len(place), 1, 2 * size, 2 * size], align_corners=False)
    grey = images.float().mean(1, keepdim=True) / 255.0
    return F.avg_pool2d(F.grid_sample(grey, grid, align_corners=False), 2)


@lru_cache(maxsize=1)
def _reader():
    return load_recognizer().reader.eval()


@torch.no_grad()
def read(images: torch.Tensor, batch_size: int = 1024) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(digit long (B,), placement float (B, 3), reader feature float (B, F) unit norm)`` of uint8
    pictures ``(B, C, 64, 64)``."""
    digits, places, feats = [], [], []
    for chunk in images.split(batch_size):
        place = placement(chunk)
        logits, f = _reader()(crops(chunk, place))
        digits.append(logits.argmax(1))
        places.append(place)
        feats.append(F.normalize(f, dim=1))
    return torch.cat(digits), torch.cat(places), torch.cat(feats)


def features(images: torch.Tensor) -> np.ndarray:
    """FID's space: the reader's glyph feature and the placement (centre and radius over the canvas side,
    weighted as one feature block), float ``(B, F + 3)``."""
    _, place, f = read(images)
    return torch.cat([f, place / images.shape[-1]], 1).numpy()
