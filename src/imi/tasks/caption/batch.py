"""The training batch of a caption model."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class CaptionStepBatch:
    """Images with every valid caption of each (a recipe draws the one it trains on).

    Attributes:
        image: float ``(B, C, S, S)`` in [-1, 1].
        tokens: long ``(B, K, T)``: the K captions of each image as word ids, 0-padded.
        lengths: long ``(B, K)``: their lengths.
        labels: long ``(B, K)``: what each caption names (GridMNIST: the digit of each cell).
    """

    image: torch.Tensor
    tokens: torch.Tensor
    lengths: torch.Tensor
    labels: torch.Tensor

    def draw(self, gen: torch.Generator, with_labels: bool = False):
        """One caption per image, uniformly among its K (paper: one of the 4 digits):
        ``(tokens (B, T), lengths (B,))``, and with ``with_labels`` also what each names ``(B,)``."""
        b, k, _ = self.tokens.shape
        pick = torch.randint(k, (b,), generator=gen).to(self.tokens.device)
        rows = torch.arange(b, device=self.tokens.device)
        drawn = self.tokens[rows, pick], self.lengths[rows, pick]
        return (*drawn, self.labels[rows, pick]) if with_labels else drawn

    def roll(self) -> CaptionStepBatch:
        """The batch with its captions moved on by one image (each image paired with the next one's)."""
        return CaptionStepBatch(self.image, self.tokens.roll(1, 0), self.lengths.roll(1, 0), self.labels.roll(1, 0))
