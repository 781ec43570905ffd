"""The VAE prior: a convolutional encoder to a Gaussian posterior over z, the style-based generator as the
decoder, and the decoder's running average (shipped, as the GAN prior's ``ema``)."""

from __future__ import annotations

import copy

import torch
from torch import nn

from imi.nn.stylegan import average_into, style_factor
from imi.systems.stylevae.config import StyleVAEConfig


class Encoder(nn.Module):
    """A picture ``(B, 3, S, S)`` in [-1, 1] → the posterior's mean and log-variance ``(B, z_dim)`` each."""

    def __init__(self, size: int, width: int, z_dim: int):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3, width, 3, padding=1), nn.LeakyReLU(0.2)]
        c, s = width, size
        while s > 4:
            nxt = min(4 * width, 2 * c)
            layers += [nn.Conv2d(c, nxt, 4, stride=2, padding=1), nn.GroupNorm(8, nxt), nn.LeakyReLU(0.2)]
            c, s = nxt, s // 2
        self.body = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Linear(c * 16, 2 * z_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.head(self.body(x)).chunk(2, 1)
        return mean, logvar.clamp(-12, 6)


class StyleVAE(nn.Module):
    """A prior (:class:`imi.tasks.sample.model.PriorModel`): ``generator`` (the decoder, trained), ``ema`` (its
    running average, shipped) and ``encoder``. Sampling draws styles from the Gaussian fitted to the data's
    codes (:meth:`styles`) and draws them through the average; a latent has ``w_dim`` values."""

    def __init__(self, config: StyleVAEConfig):
        super().__init__()
        self.config = c = config
        self.generator = c.build_generator()
        self.ema = copy.deepcopy(self.generator).requires_grad_(False)
        self.encoder = Encoder(c.size, c.enc_width, c.z_dim)
        self.register_buffer("seen", torch.zeros((), dtype=torch.long))  # pictures trained on (the EMA ramp-up)
        # The data's styles: a Gaussian fitted (running moments) to the averaged mapping of the posterior means.
        self.register_buffer("post_mean", torch.zeros(c.w_dim))
        self.register_buffer("post_cov", torch.eye(c.w_dim))

    @property
    def num_ws(self) -> int:
        return self.generator.num_ws

    def update_ema(self, beta: float) -> None:
        """``ema ← beta · ema + (1 − beta) · generator``; buffers (the mean w) are copied."""
        average_into(self.ema, self.generator, beta)

    @property
    def latent_dim(self) -> int:
        """A latent is a whitened style (:meth:`styles`)."""
        return self.config.w_dim

    def styles(self, z: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        """Latents ``(B, w_dim)`` ~ N(0, I) → styles ``(B, w_dim)`` of the Gaussian fitted to the data's codes
        (ex-post density estimation: a VAE's posterior codes and its N(0, I) prior do not meet at this budget),
        pulled toward its mean by ``1 − truncation``."""
        return self.post_mean + truncation * z @ style_factor(self.post_cov).t()

    def sample(self, z: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        """Pictures ``(B, 3, S, S)`` in about [-1, 1] of latents ``(B, w_dim)`` by the averaged decoder."""
        return self.ema.synthesis(self.ema.broadcast(self.styles(z, truncation)))

    def inference_state(self) -> dict[str, torch.Tensor]:
        """The averaged decoder and the fitted style Gaussian (the encoder and raw decoder are training state)."""
        return {**{f"ema.{k}": v for k, v in self.ema.state_dict().items()},
                "post_mean": self.post_mean, "post_cov": self.post_cov}  # fmt: skip
