"""A TIM-GAN-style peer ("Text as Neural Operator", Zhang et al. 2021), sized for digits.

The instruction acts on a *spatial* feature map instead of a vector:

    f  = Enc(Xs)                              (B, W, S/4, S/4)
    m  = Where(f, t)      ∈ [0, 1]            (B, 1, S/4, S/4)   where to edit
    f' = How(f, t)                            AdaIN-modulated convolutions: how to edit
    X̂t = Dec(m ⊙ f' + (1 − m) ⊙ f)

trained with a text-conditioned (matching-aware) GAN plus L1 to the target
(recipe ``tim`` in :mod:`imi.tasks.edit.recipe`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from imi.core.config import ModelConfig
from imi.nn.discriminator import Discriminator
from imi.nn.encoders import instruction_encoder
from imi.nn.generator import OUTPUTS, init_dcgan
from imi.tasks.edit.model import EditModel


def _conv(c_in: int, c_out: int, k: int = 3, stride: int = 1, dilation: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, k, stride, padding=dilation * (k // 2) if stride == 1 else 1, dilation=dilation)


class Where(nn.Module):
    """Edit mask from the features and the text (tiled over space)."""

    def __init__(self, width: int, d_i: int):
        super().__init__()
        self.text = nn.Linear(d_i, width)
        self.net = nn.Sequential(_conv(2 * width, width), nn.ReLU(True), nn.Conv2d(width, 1, 1))

    def forward(self, f: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        tiled = self.text(t)[:, :, None, None].expand_as(f)
        return torch.sigmoid(self.net(torch.cat([f, tiled], dim=1)))


class How(nn.Module):
    """Text-modulated operator: AdaIN (γ, β from the text) before each of three dilated convs.

    Dilations 1, 2, 4 give a receptive field of 15 feature cells (60 px at
    64×64): enough to carry a glyph one grid cell away, as "move" needs.
    """

    def __init__(self, width: int, d_i: int):
        super().__init__()
        self.convs = nn.ModuleList(_conv(width, width, dilation=d) for d in (1, 2, 4))
        self.film = nn.Linear(d_i, 2 * width * len(self.convs))

    def forward(self, f: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        params = self.film(t).chunk(2 * len(self.convs), dim=1)
        h = f
        for i, conv in enumerate(self.convs):
            gamma, beta = params[2 * i][:, :, None, None], params[2 * i + 1][:, :, None, None]
            h = conv(F.relu(F.instance_norm(h) * (1 + gamma) + beta))
        return f + h


class TIMModel(EditModel):
    """Encoder, where-mask, how-operator, decoder; a text-conditioned D for training."""

    inference_prefixes = ("enc.", "i_enc.", "where.", "how.", "dec.")

    def __init__(self, config: ModelConfig):
        super().__init__(config)
        c = config
        width = 2 * c.ch
        self.enc = nn.Sequential(
            nn.Conv2d(c.channels, c.ch, 4, 2, 1), nn.ReLU(True),
            nn.Conv2d(c.ch, width, 4, 2, 1), nn.BatchNorm2d(width), nn.ReLU(True),
            _conv(width, width), nn.BatchNorm2d(width), nn.ReLU(True),
        )  # fmt: skip
        self.i_enc = instruction_encoder(c)
        self.where = Where(width, c.d_i)
        self.how = How(width, c.d_i)
        self.dec = nn.Sequential(
            nn.ConvTranspose2d(width, c.ch, 4, 2, 1), nn.BatchNorm2d(c.ch), nn.ReLU(True),
            nn.ConvTranspose2d(c.ch, c.channels, 4, 2, 1), OUTPUTS[c.output](),
        )  # fmt: skip
        self.dis = Discriminator(c.channels, c.ch, c.image_size, c.d_i, c.d_dis, label_sizes=None)
        self.apply(init_dcgan)

    def generator_parameters(self) -> list[nn.Parameter]:
        return [p for name, p in self.named_parameters() if not name.startswith("dis.")]

    def edit(self, x: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised source ``(B, C, S, S)`` and text vector ``(B, d_i)`` → (image, mask ``(B, 1, S/4, S/4)``)."""
        f = self.enc(x)
        m = self.where(f, t)
        return self.dec(m * self.how(f, t) + (1 - m) * f), m

    def generate(self, x, tokens, lengths, z):
        return self.edit(x, self.i_enc(tokens, lengths))[0]

    def change_map(self, x, tokens, lengths):
        """The where-mask, upsampled from feature resolution to pixels."""
        m = self.edit(x, self.i_enc(tokens, lengths))[1]
        return F.interpolate(m, size=x.shape[-2:], mode="nearest")
