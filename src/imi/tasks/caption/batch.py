"""The training batch of a caption model."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch


@dataclass
class CaptionStepBatch:
    """Images with every valid caption of each (a recipe draws the one it trains on).

    Attributes:
        image: float ``(B, C, S, S)`` in [-1, 1].
        tokens: long ``(B, K, T)``: the K captions of each image as word ids, 0-padded.
        lengths: long ``(B, K)``: their lengths.
        labels: long ``(B, K)``: what each caption names (GridMNIST: the digit of each cell).
        positional: caption k is about slot k of its image (GridMNIST sentences: cell k), so another
            image's caption k is wrong for this one when their labels at k differ; else (words) a caption
            is wrong for an image only when its label is nowhere in it.
    """

    image: torch.Tensor
    tokens: torch.Tensor
    lengths: torch.Tensor
    labels: torch.Tensor
    positional: bool = False

    def draw(self, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One caption per image, uniformly among its K (paper: one of the 4 digits):
        ``(tokens (B, T), lengths (B,), slot (B,))``."""
        b, k, _ = self.tokens.shape
        pick = torch.randint(k, (b,), generator=gen).to(self.tokens.device)
        rows = torch.arange(b, device=self.tokens.device)
        return self.tokens[rows, pick], self.lengths[rows, pick], pick

    def roll(self) -> CaptionStepBatch:
        """The batch with its captions moved on by one image (each image paired with the previous one's)."""
        return replace(self, tokens=self.tokens.roll(1, 0), lengths=self.lengths.roll(1, 0),
                       labels=self.labels.roll(1, 0))  # fmt: skip

    def wrong_for(self, labels: torch.Tensor, slot: torch.Tensor) -> torch.Tensor:
        """bool ``(B,)``: a caption naming ``labels (B,)`` (drawn from ``slot (B,)`` of another image) is
        surely wrong for each image of this batch (see ``positional``)."""
        if self.positional:
            return self.labels[torch.arange(len(slot), device=slot.device), slot] != labels
        return (self.labels != labels[:, None]).all(1)
