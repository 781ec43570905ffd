"""The training batch of a generation model."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class SceneStepBatch:
    """Scenes, their captions as sentence vectors, and a context scene of the same album.

    Attributes:
        image, context: float ``(B, 3, H, W)`` in [-1, 1].
        text: float ``(B, D)``: the captions' sentence vectors.
        text_place, text_kind, text_person: long ``(B,)``: what each caption names (−1: not named).
    """

    image: torch.Tensor
    context: torch.Tensor
    text: torch.Tensor
    text_place: torch.Tensor
    text_kind: torch.Tensor
    text_person: torch.Tensor
