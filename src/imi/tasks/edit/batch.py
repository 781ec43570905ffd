"""What an edit system trains on: the model-ready batch every recipe step takes."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class StepBatch:
    """Model-ready tensors on the training device.

    ``source``/``target`` normalised ``(B, C, S, S)``; ``tokens`` ``(B, T)``;
    ``lengths`` ``(B,)``; ``source_labels``/``target_labels`` ``(B, 5)`` or None;
    ``change`` bool ``(B, C, S, S)`` (source ≠ target) or None; ``supervised``
    False for the unlabeled half of avatar training (§3.5.2: ``target`` is then
    the shuffled batch that gives the wrong condition, and no mask is learnt).
    """

    source: torch.Tensor
    target: torch.Tensor
    tokens: torch.Tensor
    lengths: torch.Tensor
    source_labels: torch.Tensor | None
    target_labels: torch.Tensor | None
    change: torch.Tensor | None = None
    supervised: bool = True
