"""The prior: the style-based generator (``imi.nn.stylegan``), its running average, and a residual
discriminator with a minibatch standard-deviation feature (StyleGAN2's ``resnet`` D)."""

from __future__ import annotations

import copy
from itertools import pairwise

import torch
from torch import nn

from imi.nn.stylegan import SQRT2, EqualConv, EqualLinear, average_into, channels
from imi.systems.stylegan.config import StyleGANConfig


class DBlock(nn.Module):
    """Two 3×3 convs and a halving, with a 1×1 skip; the sum is divided by √2."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv1 = EqualConv(cin, cin, 3)
        self.conv2 = EqualConv(cin, cout, 3, down=True)
        self.skip = EqualConv(cin, cout, 1, act=False, down=True, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.conv2(self.conv1(x)) + self.skip(x)) / SQRT2


class Discriminator(nn.Module):
    """Picture ``(B, 3, S, S)`` in [-1, 1] → a realness logit ``(B,)``."""

    def __init__(self, size: int, base: int, most: int, group: int = 4):
        super().__init__()
        res = [2**i for i in range(size.bit_length() - 1, 1, -1)]  # size, …, 4
        ch = [channels(r, base, most) for r in res]
        self.rgb = EqualConv(3, ch[0], 1)
        self.blocks = nn.Sequential(*(DBlock(a, b) for a, b in pairwise(ch)))
        self.group = group
        self.conv = EqualConv(ch[-1] + 1, ch[-1], 3)
        self.fc = EqualLinear(ch[-1] * 16, ch[-1], act=True)
        self.out = EqualLinear(ch[-1], 1)

    def minibatch_std(self, x: torch.Tensor) -> torch.Tensor:
        """Append the mean standard deviation over groups of pictures: a batch of look-alikes stands out."""
        b, c, h, w = x.shape
        g = min(self.group, b) if b % min(self.group, b) == 0 else 1
        y = x.reshape(g, -1, c, h, w)
        y = (y.var(0, unbiased=False) + 1e-8).sqrt().mean((1, 2, 3))  # (B / g,)
        y = y.repeat(g)[:, None, None, None].expand(b, 1, h, w)
        return torch.cat([x, y], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.rgb(x))
        x = self.conv(self.minibatch_std(x))
        return self.out(self.fc(x.flatten(1)))[:, 0]


class StyleGAN(nn.Module):
    """The trainable prior: ``generator`` (trained), ``ema`` (its running average, shipped) and
    ``discriminator``. Sampling and features go through the average."""

    def __init__(self, config: StyleGANConfig):
        super().__init__()
        self.config = config
        c = config
        self.generator = c.build_generator()
        self.ema = copy.deepcopy(self.generator).requires_grad_(False)
        self.discriminator = Discriminator(c.size, c.d_base, c.d_most)
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))  # for the lazy R1 schedule

    @property
    def num_ws(self) -> int:
        return self.generator.num_ws

    def g_parameters(self):
        return self.generator.parameters()

    def d_parameters(self):
        return self.discriminator.parameters()

    def update_ema(self, beta: float) -> None:
        """``ema ← beta · ema + (1 − beta) · generator``; buffers (the mean w) are copied."""
        average_into(self.ema, self.generator, beta)

    @property
    def latent_dim(self) -> int:
        """A latent is a z of the mapping network."""
        return self.config.z_dim

    def styles(self, z: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        """Latents ``(B, z_dim)`` → styles ``(B, w_dim)`` through the averaged mapping (truncated)."""
        return self.ema.w(z, truncation)

    def sample(self, z: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        """Pictures ``(B, 3, S, S)`` in about [-1, 1] of latents ``(B, z_dim)`` by the averaged generator."""
        return self.ema(z, truncation)

    def inference_state(self) -> dict[str, torch.Tensor]:
        """The averaged generator only (the discriminator and the raw generator are training state)."""
        return {f"ema.{k}": v for k, v in self.ema.state_dict().items()}
