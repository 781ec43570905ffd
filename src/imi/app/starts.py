"""Where a session's first image comes from besides the domain's own (test items, random items):
an upload, or a sketched digit.

Everything here returns uint8 arrays (``H×W`` grey or ``H×W×3`` RGB) and is
independent of the web framework, so the CLI, the study and the tests use it
as the app does.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from imi.core.images import ImageInputError, read_picture

MAX_UPLOAD_BYTES = 5 * 1024 * 1024

# The 3×3 grid of the digit benchmark (SPEC §2): where and how large a sketched digit is placed.
CELLS = {
    "top left": (0, 0), "top": (1, 0), "top right": (2, 0),
    "left": (0, 1), "center": (1, 1), "right": (2, 1),
    "bottom left": (0, 2), "bottom": (1, 2), "bottom right": (2, 2),
}  # fmt: skip
SIZES = {"1×1 cell": 1, "2×2 cells": 2, "3×3 cells": 3}


def load_upload(path: str | Path, background: int, max_bytes: int = MAX_UPLOAD_BYTES) -> np.ndarray:
    """An uploaded image file → uint8 RGB ``H×W×3``, or a clear :class:`ImageInputError`.

    Read by :func:`imi.core.images.read_picture`, the reader of the API and the CLI too, so a
    file gives the same picture everywhere (any mode; transparency flattened onto ``background``;
    pictures over ``MAX_SIDE`` a side refused); files over ``max_bytes`` are refused first.
    """
    path = Path(path)
    size = os.path.getsize(path)
    if size > max_bytes:
        raise ImageInputError(f"the file is {size / 2**20:.1f} MB; uploads are capped at {max_bytes / 2**20:.0f} MB")
    pixels = read_picture(path, background)
    return np.repeat(pixels[:, :, None], 3, axis=2) if pixels.ndim == 2 else pixels


def sketch_paper(side: int = 280) -> dict:
    """The sketch pad's starting value: a sheet of white paper as its background.

    Gradio's editor selects its brush whenever a background image is set, so a pad that starts
    with this sheet draws on the first touch; an empty pad starts with no tool at all.
    """
    sheet = np.full((side, side, 4), 255, np.uint8)
    return {"background": sheet, "layers": [], "composite": sheet}


def sketch_glyph(sketch: np.ndarray) -> np.ndarray:
    """A drawing (``H×W×4`` RGBA or ``H×W×3`` / ``H×W``, dark strokes on a light or transparent
    background) → a 28×28 MNIST-style glyph (white on black, fitted to 20×20, centred by mass).

    Raises :class:`ImageInputError` when nothing was drawn.
    """
    arr = np.asarray(sketch, dtype=np.float32)
    if arr.ndim == 2:
        arr = arr[..., None]
    grey = arr[..., :3].mean(axis=2) if arr.shape[2] >= 3 else arr[..., 0]
    alpha = arr[..., 3] / 255.0 if arr.shape[2] == 4 else np.ones(grey.shape, np.float32)
    ink = alpha * (1.0 - grey / 255.0)  # dark strokes → 1, background (light or transparent) → 0
    ys, xs = np.nonzero(ink > 0.1)
    if len(ys) == 0:
        raise ImageInputError("the sketch pad is empty: draw a digit first")
    crop = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    scale = 20.0 / max(crop.shape)
    h, w = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize((w, h), Image.LANCZOS), np.float32)
    # MNIST centres the 20×20 box by its centre of mass in the 28×28 field.
    cy, cx = np.array(np.nonzero(small > 0)).mean(axis=1) if small.any() else (h / 2, w / 2)
    top, left = round(float(14 - cy)), round(float(14 - cx))
    top, left = min(max(top, 0), 28 - h), min(max(left, 0), 28 - w)
    glyph = np.zeros((28, 28), np.uint8)
    glyph[top : top + h, left : left + w] = np.clip(small, 0, 255).astype(np.uint8)
    return glyph


def place_glyph(glyph: np.ndarray, cell: str, size: str, image_size: int = 64) -> np.ndarray:
    """Render a 28×28 glyph as a benchmark scene: its box starts at ``cell`` and spans ``size``,
    moved back onto the 3×3 grid if it would leave it. uint8 ``image_size × image_size``."""
    from imi.domains.digits.render import render_scene
    from imi.domains.digits.scenes import Scene

    if cell not in CELLS or size not in SIZES:
        raise ImageInputError(f"cell must be one of {', '.join(CELLS)}; size one of {', '.join(SIZES)}")
    (x, y), n = CELLS[cell], SIZES[size]
    x, y = min(x, 3 - n), min(y, 3 - n)
    return render_scene(glyph, Scene(0, x, y, n, n), image_size)  # the digit label does not affect pixels
