"""Batched scene renderer.

Rendering a scene means: resize the 28×28 glyph to ``(28w × 28h)`` (bilinear),
paste it at ``(28x, 28y)`` on a black 84×84 canvas, then resize the canvas to
the model size (bilinear with antialiasing, as PIL does). Every step is linear
and separable per axis, and an axis has only six ``(position, size)`` boxes,
so the whole chain is precomputed as one ``(S, 28)`` matrix per box and axis:

    image = A_y[box_y] @ glyph @ A_x[box_x]^T

A batch is then two batched matmuls: no sampling grid, no per-sample Python.
The matrices are built by pushing identity bases through torch's own
PIL-compatible resamplers, and the result is tested against a PIL render.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from imi.domains.digits.scenes import CANVAS, CELL, GRID, NULL_DIGIT, Scene

MODEL_SIZE = 64

# (position, size) → row of the per-axis matrix table; row 0 is the empty axis.
_AXIS_CODE = torch.zeros(GRID, GRID + 1, dtype=torch.long)
_AXIS_BOXES = [(p, s) for s in range(1, GRID + 1) for p in range(GRID) if p + s <= GRID]
for _code, (_p, _s) in enumerate(_AXIS_BOXES, start=1):
    _AXIS_CODE[_p, _s] = _code


def _upsample(size: int) -> torch.Tensor:
    """``(28·size, 28)`` bilinear (half-pixel centres, edge clamp) upsampling."""
    eye = torch.eye(CELL, dtype=torch.float64).unsqueeze(1)  # (28, 1, 28)
    out = F.interpolate(eye, size=CELL * size, mode="linear", align_corners=False)
    return out[:, 0, :].T


def _downsample(out_size: int) -> torch.Tensor:
    """``(out_size, 84)`` canvas resize; identity at 84, antialiased bilinear below."""
    if out_size == CANVAS:
        return torch.eye(CANVAS, dtype=torch.float64)
    eye = torch.eye(CANVAS, dtype=torch.float64).view(CANVAS, 1, 1, CANVAS)
    out = F.interpolate(eye, size=(1, out_size), mode="bilinear", align_corners=False, antialias=True)
    return out[:, 0, 0, :].T


@lru_cache(maxsize=4)
def axis_matrices(out_size: int = MODEL_SIZE) -> torch.Tensor:
    """``(7, out_size, 28)`` float32: one glyph→image matrix per axis box code."""
    down = _downsample(out_size)
    mats = torch.zeros(len(_AXIS_BOXES) + 1, out_size, CELL, dtype=torch.float64)
    for code, (pos, size) in enumerate(_AXIS_BOXES, start=1):
        paste = torch.zeros(CANVAS, CELL, dtype=torch.float64)
        paste[CELL * pos : CELL * (pos + size)] = _upsample(size)
        mats[code] = down @ paste
    return mats.float()


def render_batch(glyphs: torch.Tensor, labels: torch.Tensor, out_size: int = MODEL_SIZE) -> torch.Tensor:
    """Render scenes of many glyphs at once.

    Args:
        glyphs: uint8 or float ``(B, 28, 28)`` in [0, 255].
        labels: long ``(B, 5)`` scene labels ``(digit ∈ 0..10, x, y, w, h)``;
            digit 10 is the empty canvas.
        out_size: side of the output image (64 for the model, 84 = full canvas).

    Returns:
        uint8 ``(B, out_size, out_size)``.
    """
    mats = axis_matrices(out_size)
    null = labels[:, 0] == NULL_DIGIT
    # Clamp so that the placeholder zeros of a null scene index validly; the
    # null rows are then pointed at the all-zero matrix.
    x, y = labels[:, 1].clamp(0, GRID - 1), labels[:, 2].clamp(0, GRID - 1)
    w, h = labels[:, 3].clamp(0, GRID), labels[:, 4].clamp(0, GRID)
    code_x = torch.where(null, 0, _AXIS_CODE[x, w])
    code_y = torch.where(null, 0, _AXIS_CODE[y, h])
    image = mats[code_y] @ glyphs.float() @ mats[code_x].transpose(1, 2)
    return image.round_().clamp_(0, 255).to(torch.uint8)


def render_scene(glyph: np.ndarray, scene: Scene, out_size: int = MODEL_SIZE) -> np.ndarray:
    """One scene as a uint8 ``(out_size, out_size)`` array (same path as the batch)."""
    if not scene.renderable():
        raise ValueError(f"scene {tuple(scene)} does not fit on the {GRID}×{GRID} grid")
    labels = torch.tensor([scene.labels()])
    return render_batch(torch.from_numpy(np.asarray(glyph, dtype=np.uint8))[None], labels, out_size)[0].numpy()
