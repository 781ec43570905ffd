"""The training batch of a synthesis model."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


def one_hot(labels: torch.Tensor, classes: int) -> torch.Tensor:
    """Long ``(B, S, S)`` class indices → float ``(B, classes, S, S)``; refuses an index out of range."""
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        raise ValueError(f"label values must be in [0, {classes - 1}], got {int(labels.min())}..{int(labels.max())}")
    return F.one_hot(labels.long(), classes).permute(0, 3, 1, 2).float()


@dataclass
class MapStepBatch:
    """Pictures and their label maps.

    Attributes:
        image: float ``(B, 3, S, S)`` in [-1, 1].
        labels: long ``(B, S, S)``; ``onehot``: the same as float ``(B, K, S, S)``.
    """

    image: torch.Tensor
    labels: torch.Tensor
    onehot: torch.Tensor
