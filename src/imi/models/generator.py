"""``X_fake = CNN_Gen(z, φfc [, φimm])``: the DCGAN generator (SPEC §3)."""

from __future__ import annotations

import torch
from torch import nn

OUTPUTS = {"linear": nn.Identity, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


class Generator(nn.Module):
    """Linear to ``(ch·2^(n−1), 4, 4)``, then stride-2 transposed convs up to ``S×S``.

    Args:
        d_cond: size of the condition (``d_fc``, plus the flattened φimm with SIM).
    """

    def __init__(self, z_dim: int, d_cond: int, channels: int, ch: int, image_size: int, output: str):
        super().__init__()
        stages = (image_size // 4).bit_length() - 1  # 64 → 4 stages
        width = ch * 2 ** (stages - 1)
        self.start = (width, 4, 4)
        self.fc = nn.Sequential(
            nn.Linear(z_dim + d_cond, width * 16, bias=False), nn.BatchNorm1d(width * 16), nn.ReLU(True)
        )
        layers: list[nn.Module] = []
        for _ in range(stages - 1):
            layers += [
                nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width // 2),
                nn.ReLU(True),
            ]
            width //= 2
        layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1), OUTPUTS[output]()]
        self.deconvs = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """``z`` ``(B, z_dim)``, ``cond`` ``(B, d_cond)`` → image ``(B, C, S, S)``."""
        h = self.fc(torch.cat([z, cond], dim=1))
        return self.deconvs(h.view(-1, *self.start))
