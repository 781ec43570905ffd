"""The training batch of a drag editor: pairs of latents and the flow between their pictures."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class PairBatch:
    """``w1``, ``w2`` float ``(B, w_dim)``: two styles; the pair is ``ws1`` = w1 at every layer and ``ws2`` =
    ws1 with its first ``coarse`` layers moved ``alpha`` ``(B,)`` of the way to w2. ``points`` float
    ``(B, K, 2)``: candidate points on the first picture, ``flow`` float ``(B, K, 2)`` their displacement to the
    second (optical flow), ``logexp`` float ``(B, K)`` the flow's log-expansion there, ``ok`` bool ``(B, K)``:
    reliable (forward and backward flow agree, the expansion is moderate)."""

    w1: torch.Tensor
    w2: torch.Tensor
    alpha: torch.Tensor
    points: torch.Tensor
    flow: torch.Tensor
    logexp: torch.Tensor
    ok: torch.Tensor

    def select(self, idx) -> PairBatch:
        return PairBatch(*(v[idx] for v in (self.w1, self.w2, self.alpha, self.points, self.flow, self.logexp,
                                            self.ok)))  # fmt: skip

    def to(self, device) -> PairBatch:
        return PairBatch(*(v.to(device) for v in (self.w1, self.w2, self.alpha, self.points, self.flow,
                                                  self.logexp, self.ok)))  # fmt: skip
