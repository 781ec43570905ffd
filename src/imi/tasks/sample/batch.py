"""The training batch of an unconditional generator."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class PictureBatch:
    """Real pictures, float ``(B, 3, S, S)`` in [-1, 1]; nothing else (the prior sees no labels)."""

    image: torch.Tensor
