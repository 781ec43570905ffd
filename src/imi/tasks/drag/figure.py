"""Drags drawn on pictures: handles (red) with arrows to their targets (blue), pins (green)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from imi.tasks.drag.points import Drag

HANDLE, TARGET, PIN = (230, 40, 40), (40, 110, 255), (40, 200, 70)


def draw_points(picture: np.ndarray, handles=(), targets=(), pins=(), scale: int = 4) -> Image.Image:
    """uint8 ``(S, S, 3)`` enlarged ``scale`` times (nearest), with the drag's points and arrows on it.
    ``targets`` may be shorter than ``handles`` (a handle still waiting for its target)."""
    img = Image.fromarray(np.asarray(picture, dtype=np.uint8)).resize(
        (picture.shape[1] * scale, picture.shape[0] * scale), Image.NEAREST
    )
    pen = ImageDraw.Draw(img)
    at = lambda p: ((float(p[0]) + 0.5) * scale, (float(p[1]) + 0.5) * scale)  # noqa: E731 (pixel centre)
    r = max(2, scale)
    for h, t in zip(handles, targets, strict=False):
        pen.line([at(h), at(t)], fill=(255, 255, 255), width=max(1, scale // 2))
    for p in pins:
        x, y = at(p)
        pen.rectangle([x - r, y - r, x + r, y + r], fill=PIN)
    for t in targets:
        x, y = at(t)
        pen.ellipse([x - r, y - r, x + r, y + r], fill=TARGET)
    for h in handles:
        x, y = at(h)
        pen.ellipse([x - r, y - r, x + r, y + r], fill=HANDLE)
    return img


def drag_strip(before: np.ndarray, after: np.ndarray, drag: Drag, scale: int = 3) -> Image.Image:
    """A figure of a batch of drags: each column the picture with its drag drawn (top) and the result with
    the targets (bottom). ``before``, ``after``: uint8 ``(B, 3, S, S)``."""
    tiles = []
    for i in range(len(before)):
        h = drag.handles[i][drag.handle_mask[i]].numpy()
        t = drag.targets[i][drag.handle_mask[i]].numpy()
        p = drag.pins[i][drag.pin_mask[i]].numpy()
        top = draw_points(before[i].permute(1, 2, 0).numpy(), h, t, p, scale)
        bottom = draw_points(after[i].permute(1, 2, 0).numpy(), (), t, p, scale)
        tiles.append((top, bottom))
    w, hgt = tiles[0][0].size
    sheet = Image.new("RGB", (len(tiles) * (w + 2), 2 * hgt + 2), (255, 255, 255))
    for i, (top, bottom) in enumerate(tiles):
        sheet.paste(top, (i * (w + 2), 0))
        sheet.paste(bottom, (i * (w + 2), hgt + 2))
    return sheet
