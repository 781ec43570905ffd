"""The training batch of a synthesis model."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

UNKNOWN = 255  # the label of an unlabelled pixel in a scribble (a sparse map)


def one_hot(labels: torch.Tensor, classes: int, unknown: bool = False) -> torch.Tensor:
    """Long ``(B, S, S)`` class indices → float ``(B, classes, S, S)``; refuses an index out of range.
    With ``unknown``, pixels labelled :data:`UNKNOWN` are allowed and get an all-zero column."""
    labels = labels.long()
    known = labels != UNKNOWN if unknown else torch.ones_like(labels, dtype=torch.bool)
    values = labels[known]
    if values.numel() and (int(values.min()) < 0 or int(values.max()) >= classes):
        raise ValueError(f"label values must be in [0, {classes - 1}], got {int(values.min())}..{int(values.max())}")
    out = F.one_hot(torch.where(known, labels, 0), classes).permute(0, 3, 1, 2).float()
    return out * known[:, None] if unknown else out


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
