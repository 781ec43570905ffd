"""Canvas digits: a glyph placed at a continuous centre and side, drawn on the fly.

A picture is a pure function of ``(seed, split, index)``: its glyph and placement are rows of seeded draws
made once per split, and the pixels are drawn when a batch is asked for (bilinear resampling at twice the
resolution, averaged down), so nothing is cached on disk.

Coordinates are pixel-index coordinates throughout (the project's drag points): ``(x, y)`` with pixel
``(row i, column j)`` centred at ``(j, i)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from imi.core.errors import DataError
from imi.core.glyphs import GlyphSet, load_mnist_5k, split_glyphs
from imi.domains.canvas.config import CanvasDataConfig

SPLITS = ("train", "dev", "test")
SUPERSAMPLE = 2


@dataclass
class CanvasBatch:
    """``image`` uint8 ``(B, 3, S, S)`` (grey: the same plane three times), ``digit`` long ``(B,)``,
    ``place`` float ``(B, 3)`` = (centre x, centre y, box side) in pixels, ``index`` long ``(B,)``."""

    image: torch.Tensor
    digit: torch.Tensor
    place: torch.Tensor
    index: torch.Tensor


def draw(glyphs: torch.Tensor, place: torch.Tensor, size: int = 64) -> torch.Tensor:
    """Glyphs uint8 ``(B, 28, 28)`` placed by ``place`` ``(B, 3)`` → uint8 ``(B, 3, size, size)``.

    The glyph's 28×28 image fills a box of side ``place[:, 2]`` centred at ``place[:, :2]``.
    """
    cx, cy, side = place.float().unbind(1)
    # affine_grid maps output [-1, 1] to glyph [-1, 1]: glyph = (canvas − centre) / (side / 2), in continuous
    # coordinates (index + 0.5), at the output's own normalisation.
    theta = torch.zeros(len(place), 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = size / side
    theta[:, 0, 2], theta[:, 1, 2] = (size - 1 - 2 * cx) / side, (size - 1 - 2 * cy) / side
    n = SUPERSAMPLE * size
    grid = F.affine_grid(theta, [len(place), 1, n, n], align_corners=False)
    big = F.grid_sample(glyphs.float()[:, None], grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    plane = F.avg_pool2d(big, SUPERSAMPLE).round().clamp(0, 255).to(torch.uint8)
    return plane.expand(-1, 3, -1, -1).contiguous()


class CanvasSplit:
    """``len()`` pictures of one split, fetched by :meth:`batch`."""

    def __init__(self, name: str, count: int, pool: GlyphSet, config: CanvasDataConfig):
        self.name, self.count, self.size = name, count, config.size
        self._glyphs = torch.from_numpy(pool.images)
        self._labels = torch.from_numpy(pool.labels).long()
        rng = np.random.default_rng([config.seed, SPLITS.index(name)])
        self.glyph = torch.from_numpy(rng.integers(len(pool), size=count))
        side = rng.uniform(config.min_side, config.max_side, size=count)
        # The ink spans the middle 20/28 of the box: keep it whole on the canvas, with a pixel to spare.
        margin = side * 10 / 28 + 1
        lo, hi = margin, config.size - 1 - margin
        cx, cy = lo + (hi - lo) * rng.random(count), lo + (hi - lo) * rng.random(count)
        self.place = torch.from_numpy(np.stack([cx, cy, side], 1)).float()

    def __len__(self) -> int:
        return self.count

    def batch(self, indices) -> CanvasBatch:
        idx = torch.as_tensor(np.asarray(indices, dtype=np.int64))
        if len(idx) and (idx.min() < 0 or idx.max() >= self.count):
            raise DataError(f"picture index out of range: the {self.name} split has {self.count} pictures")
        glyph = self.glyph[idx]
        image = draw(self._glyphs[glyph], self.place[idx], self.size)
        return CanvasBatch(image, self._labels[glyph], self.place[idx], idx)


class CanvasDigits:
    """The benchmark: three splits over the project's glyph split."""

    def __init__(self, config: CanvasDataConfig):
        self.config = config
        self.train_pool, self.test_pool = split_glyphs(
            load_mnist_5k(), config.train_per_class, config.test_per_class, config.seed
        )
        self._sizes = {"train": config.train, "dev": config.dev, "test": config.test}
        self._splits: dict[str, CanvasSplit] = {}

    def split(self, name: str) -> CanvasSplit:
        if name not in SPLITS:
            raise DataError(f"unknown split {name!r}; choose one of {', '.join(SPLITS)}")
        if name not in self._splits:
            pool = self.test_pool if name == "test" else self.train_pool
            self._splits[name] = CanvasSplit(name, self._sizes[name], pool, self.config)
        return self._splits[name]
