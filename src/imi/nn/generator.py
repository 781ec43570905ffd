"""``X_fake = CNN_Gen(z, φfc [, φimm])``: the DCGAN generator (SPEC §3)."""

from __future__ import annotations

import torch
from torch import nn

OUTPUTS = {"linear": nn.Identity, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


class Generator(nn.Module):
    """Linear to ``(ch·2^(n−1), 4, 4)``, then stride-2 transposed convs up to ``S×S``.

    Args:
        z_dim: noise size (0 for a deterministic decoder such as SIM's mask generator).
        d_cond: size of the condition vector.
        spatial_channels: channels of an optional ``(B, K, 4, 4)`` condition
            (SIM's φimm) concatenated to the first feature map, so the masked
            source keeps its layout instead of being flattened into the vector.
    """

    def __init__(
        self, z_dim: int, d_cond: int, channels: int, ch: int, image_size: int, output: str, spatial_channels: int = 0
    ):
        super().__init__()
        stages = (image_size // 4).bit_length() - 1  # 64 → 4 stages
        width = ch * 2 ** (stages - 1)
        self.start = (width, 4, 4)
        self.fc = nn.Sequential(
            nn.Linear(z_dim + d_cond, width * 16, bias=False), nn.BatchNorm1d(width * 16), nn.ReLU(True)
        )
        layers: list[nn.Module] = []
        width_in = width + spatial_channels
        for _ in range(stages - 1):
            layers += [
                nn.ConvTranspose2d(width_in, width // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width // 2),
                nn.ReLU(True),
            ]
            width //= 2
            width_in = width
        layers += [nn.ConvTranspose2d(width_in, channels, 4, 2, 1), OUTPUTS[output]()]
        self.deconvs = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, cond: torch.Tensor, spatial: torch.Tensor | None = None) -> torch.Tensor:
        """``z`` ``(B, z_dim)``, ``cond`` ``(B, d_cond)`` [, ``spatial`` ``(B, K, 4, 4)``] → ``(B, C, S, S)``."""
        h = self.fc(torch.cat([z, cond], dim=1)).view(-1, *self.start)
        if spatial is not None:
            h = torch.cat([h, spatial], dim=1)
        return self.deconvs(h)


def init_dcgan(module: nn.Module) -> None:
    """DCGAN initialisation: N(0, 0.02) convs, N(1, 0.02) batch-norm scales."""
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
