"""Per-item measurements of an edit, and their summaries per action.

Every metric is computed per triplet, then summarised. The summaries are what
``metrics.json`` holds and what the tables print:

* ``ssim``: SSIM(generated, target), mean / median / 50-bin histogram (Fig. 13).
* ``edit_acc``: the recogniser reads exactly the target scene (GeNeVA-style).
* ``rs1`` / ``rs5``: the generated image, by recogniser features, ranks its
  target first / in the top 5 among all targets of the same source (TIM-GAN).
* ``preservation``: SSIM(generated, source) over the pixels whose 7×7 window
  lies wholly outside the true changed region (the union of the source and
  target boxes). Edits that change the whole canvas have no such pixel and are
  left out of this mean (``preservation_n`` counts the rest).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from imi.core.ssim import WIN, ssim_map
from imi.domains.digits.scenes import ACTIONS, GRID, NULL_DIGIT
from imi.tasks.edit.metrics import by_group, image_summary

SPILL = 2  # px: the renderer's 84 → 64 anti-aliasing blurs a box edge by up to this much


def box_mask(labels: torch.Tensor, size: int, grow: int = 0) -> torch.Tensor:
    """Bool ``(B, size, size)``: the pixels of each scene's box (none for an empty scene).

    Box edges are at ``size · cell / 3``; a pixel belongs to the box when its
    centre lies inside. ``grow`` widens the box by that many pixels on every
    side (a rectangle dilates axis by axis, so this stays two 1-D operations).
    """
    centre = (torch.arange(size, dtype=torch.float32) + 0.5) * GRID / size  # pixel centres, in cells
    x, y, w, h = (labels[:, i, None].float() for i in range(1, 5))
    cols = (centre >= x) & (centre < x + w)
    rows = (centre >= y) & (centre < y + h)
    if grow:
        cols, rows = (F.max_pool1d(a[:, None].float(), 2 * grow + 1, 1, grow)[:, 0] > 0 for a in (cols, rows))
    inside = rows[:, :, None] & cols[:, None, :]
    return inside & (labels[:, 0] != NULL_DIGIT)[:, None, None]


def changed_region(source_labels: torch.Tensor, target_labels: torch.Tensor, size: int, grow: int = 0) -> torch.Tensor:
    """The true changed region: the union of the source and target boxes, bool ``(B, size, size)``."""
    return box_mask(source_labels, size, grow) | box_mask(target_labels, size, grow)


def preservation(
    generated: torch.Tensor, source: torch.Tensor, source_labels: torch.Tensor, target_labels: torch.Tensor
) -> torch.Tensor:
    """SSIM to the source outside the changed region, per image: float64 ``(B,)``, NaN if none is left.

    Args:
        generated, source: uint8 ``(B, C, S, S)``.
        source_labels, target_labels: long ``(B, 5)``, the true scenes.
    """
    # SSIM map entry (i, j) belongs to pixel (i + r, j + r) and sees its 7×7 window: keep it
    # only if that window avoids the changed region grown by the renderer's spill.
    size, r = source.shape[-1], WIN // 2
    touched = changed_region(source_labels, target_labels, size, grow=SPILL + r)[:, r : size - r, r : size - r]
    keep = ~touched
    n = keep.sum((1, 2))
    if generated is source:  # copy-source: SSIM of an image with itself is 1 wherever it is defined
        return torch.where(n > 0, 1.0, torch.nan).double()
    ssim = ssim_map(generated, source).mean(1)  # (B, S-6, S-6), channels averaged
    total = (ssim * keep).sum((1, 2))
    return torch.where(n > 0, total / n.clamp(min=1), torch.nan)


class ItemMetrics:
    """Per-triplet results, appended batch by batch (numpy arrays once finished)."""

    FIELDS = ("action", "ssim", "edit_ok", "rank", "preservation")

    def __init__(self):
        self._parts: dict[str, list[np.ndarray]] = {name: [] for name in self.FIELDS}

    def add(self, action, ssim, edit_ok, rank, preservation) -> None:
        for name, value in zip(self.FIELDS, (action, ssim, edit_ok, rank, preservation), strict=True):
            self._parts[name].append(np.asarray(value))

    def arrays(self) -> dict[str, np.ndarray]:
        return {n: np.concatenate(parts) if parts else np.zeros(0) for n, parts in self._parts.items()}


def summarise_arrays(a: dict[str, np.ndarray]) -> dict:
    """One summary (see the module docstring) over the given items."""
    out = image_summary(a)
    if out["n"]:
        out |= {"rs1": float((a["rank"] < 1).mean()), "rs5": float((a["rank"] < 5).mean())}
    return out


def summarise(items: ItemMetrics) -> dict:
    """``{"all": summary, "put": summary, …}`` in :data:`ACTIONS` order."""
    return by_group(items.arrays(), "action", ACTIONS, summarise_arrays)
