"""A small CNN that reads labels off a picture: conv blocks, then average- and max-pooled features
into one linear head per label group. The ClipScenes judge and the context-aware GAN's recognisers
(SPEC-context-gan §2, Algorithm 1) are both made of it.
"""

from __future__ import annotations

import torch
from torch import nn


def _block(c_in: int, c_out: int, stride: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class Recognizer(nn.Module):
    """``(B, C, H, W)`` float in [-1, 1] → ``{head: logits (B, n)}``.

    Args:
        heads: head name → its number of outputs.
        width: channels of the first block (stride 2, as are the third and fifth); they double twice (the
            max-pooled half of the features keeps small things, such as a person's hair, visible).
        in_channels: 3 for RGB.
    """

    def __init__(self, heads: dict[str, int], width: int = 32, in_channels: int = 3):
        super().__init__()
        w = width
        self.features = nn.Sequential(
            *_block(in_channels, w, 2), *_block(w, 2 * w, 1), *_block(2 * w, 2 * w, 2),
            *_block(2 * w, 4 * w, 1), *_block(4 * w, 4 * w, 2),
        )  # fmt: skip
        self.heads = nn.ModuleDict({name: nn.Linear(8 * w, n) for name, n in heads.items()})

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        f = self.features(x)
        pooled = torch.cat([f.mean((2, 3)), f.amax((2, 3))], 1)
        return {name: head(pooled) for name, head in self.heads.items()}
