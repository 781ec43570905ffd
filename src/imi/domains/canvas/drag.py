"""Drags on canvas digits whose result the judge reads exactly.

A drag task is built from a picture's ink and placement (:mod:`imi.domains.canvas.judge`) so that a
change of placement alone can carry it out, and the judge's :func:`~imi.domains.canvas.judge.motion` then
says exactly where every handle and pin went:

* *move* (even tasks): one or two handles on the ink, all dragged by the same 8-16 px, no pin;
* *scale* (odd tasks): a pin on the ink and a handle on the ink point farthest from it, dragged 8-16 px
  straight away from or toward the pin (the glyph grows or shrinks about the pin, to a size the canvas
  benchmark has); where no such drag fits, the task is a move.

Every target keeps the whole glyph on the canvas, with a pixel to spare.
"""

from __future__ import annotations

import numpy as np
import torch

from imi.domains.canvas import judge
from imi.tasks.drag.points import Drag

MIN_DRAG, MAX_DRAG = 8.0, 16.0
RADIUS_RANGE = (5.5, 11.5)  # the ink's radius of gyration the benchmark's sizes give (side 26-44 / 4.18), ±0.5
STRONG = 0.5  # ink points: at least half of white


def _fits(points: np.ndarray, size: int) -> bool:
    return bool(points.size) and points.min() >= 1 and points.max() <= size - 2


def _move(ink: np.ndarray, size: int, rng: np.random.Generator):
    for _ in range(50):
        length = rng.uniform(MIN_DRAG, MAX_DRAG)
        angle = rng.uniform(0, 2 * np.pi)
        shift = length * np.array([np.cos(angle), np.sin(angle)])
        if _fits(ink + shift, size):
            handles = ink[rng.choice(len(ink), size=int(rng.integers(1, 3)), replace=False)]
            return handles, handles + shift, np.zeros((0, 2))
    return None


def _scale(ink: np.ndarray, radius: float, size: int, rng: np.random.Generator):
    pin = ink[rng.integers(len(ink))]
    far = ink[np.argmax(np.linalg.norm(ink - pin, axis=1))]
    reach = float(np.linalg.norm(far - pin))
    if reach < MIN_DRAG:
        return None
    for _ in range(20):
        length = rng.uniform(MIN_DRAG, MAX_DRAG)
        k = 1 + length / reach if rng.random() < 0.5 else 1 - length / reach
        if k <= 0.3 or not RADIUS_RANGE[0] <= k * radius <= RADIUS_RANGE[1]:
            continue
        if _fits(pin + k * (ink - pin), size):
            return far[None], (pin + k * (far - pin))[None], pin[None]
    return None


def drag_tasks(pictures: torch.Tensor, seed: int = 0) -> tuple[Drag, list[str]]:
    """One drag per uint8 picture ``(B, 3, S, S)`` (see the module docstring): the padded :class:`Drag` and
    each task's kind ("move", "scale", or "none" for a picture without ink, whose drag has no handle)."""
    size = pictures.shape[-1]
    place = judge.placement(pictures)
    strong = judge.ink(pictures) >= STRONG
    rows, kinds = [], []
    for i in range(len(pictures)):
        rng = np.random.default_rng([seed, i])
        ys, xs = np.nonzero(strong[i].numpy())
        ink = np.stack([xs, ys], 1).astype(np.float32)
        task = None
        if len(ink) >= 8:
            task = _scale(ink, float(place[i, 2]), size, rng) if i % 2 else None
            kind = "scale" if task is not None else "move"
            task = task or _move(ink, size, rng)
        kinds.append(kind if task is not None else "none")
        rows.append(task or (np.zeros((0, 2)), np.zeros((0, 2)), np.zeros((0, 2))))
    n = max(1, max(len(r[0]) for r in rows))
    m = max(1, max(len(r[2]) for r in rows))
    drag = Drag(torch.zeros(len(rows), n, 2), torch.zeros(len(rows), n, 2), torch.zeros(len(rows), m, 2),
                torch.zeros(len(rows), n, dtype=torch.bool), torch.zeros(len(rows), m, dtype=torch.bool))  # fmt: skip
    for i, (h, t, p) in enumerate(rows):
        drag.handles[i, : len(h)] = torch.from_numpy(h).float()
        drag.targets[i, : len(t)] = torch.from_numpy(t).float()
        drag.pins[i, : len(p)] = torch.from_numpy(p).float()
        drag.handle_mask[i, : len(h)] = True
        drag.pin_mask[i, : len(p)] = True
    return drag, kinds


def motion(before: torch.Tensor, after: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Where ``points`` ``(B, N, 2)`` of uint8 pictures ``before`` went in ``after`` ``(B, 3, S, S)``, read
    exactly from the ink's placement (valid while the glyph keeps its shape: see :func:`identity`)."""
    return judge.motion(judge.placement(before), judge.placement(after), points)


def identity(before: torch.Tensor, after: torch.Tensor) -> torch.Tensor:
    """bool ``(B,)``: the digit reader reads the same digit in both pictures."""
    return judge.read(before)[0] == judge.read(after)[0]
