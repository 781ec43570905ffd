"""The prior pipeline: an unconditional style-based generator — sample it, invert a picture into W+.

    prior = imi.StylePrior.from_pretrained("avatar-prior")
    pictures = prior.sample(4, seed=0, truncation=0.7)   # uint8 (4, 64, 64, 3)
    found = prior.invert(picture)                        # W+ (10, 128), its picture and its error
    found.error                                          # mean absolute error, 0-255

The few-shot synthesiser and the drag editor build on the same generator (``imi.nn.stylegan``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from imi.core.config import ExperimentConfig
from imi.core.errors import ImiError
from imi.core.images import denormalize, normalize
from imi.nn.stylegan import project
from imi.pipelines.shipped import check_seed, locate
from imi.registry import load_pretrained


@dataclass(frozen=True)
class Inversion:
    """A picture found in W+.

    Attributes:
        ws: float ``(B, num_ws, w_dim)``; image: uint8 ``(B, 3, S, S)``, their pictures;
        error: float ``(B,)``, mean absolute error against the targets (0-255).
    """

    ws: torch.Tensor
    image: torch.Tensor
    error: torch.Tensor


class StylePrior:
    """Samples and inverts a trained prior (eval mode; inversion optimises W+, never the weights)."""

    def __init__(self, model, config: ExperimentConfig, tokenizer=None):
        self.model = model
        self.config = config
        self.tokenizer = tokenizer

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, device: str | torch.device = "cpu") -> StylePrior:
        """A shipped prior by name (``"avatar-prior"``) or a checkpoint/run folder by path."""
        model, config, _ = load_pretrained(locate(name_or_path, "sample"), device)
        return cls(model, config)

    @property
    def generator(self):
        """The averaged :class:`imi.nn.stylegan.StyleGenerator`."""
        return self.model.ema

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def latent_dim(self) -> int:
        """What :meth:`latents` draws per picture: z (a GAN prior) or a whitened style (a VAE prior)."""
        return self.model.latent_dim

    @property
    def size(self) -> int:
        return self.config.model.size

    def latents(self, n: int, seed: int) -> torch.Tensor:
        """``(n, z_dim)`` draws from N(0, I); row i depends only on ``seed`` and i."""
        check_seed(seed)
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ImiError(f"n must be a positive integer, got {n!r:.40}")
        return torch.randn(int(n), self.latent_dim, generator=torch.Generator().manual_seed(int(seed)))

    @staticmethod
    def _truncation(value: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ImiError(f"truncation must be a number in [0, 1] (1: none), got {value!r:.40}")
        return float(value)

    @torch.no_grad()
    def ws(self, z: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        """Latents ``(B, z_dim)`` → W+ ``(B, num_ws, w_dim)`` (one style at every layer)."""
        return self.generator.broadcast(self.model.styles(z.to(self.device), self._truncation(truncation))).cpu()

    @torch.no_grad()
    def synthesize_ws(self, ws: torch.Tensor) -> torch.Tensor:
        """W+ ``(B, num_ws, w_dim)`` → uint8 ``(B, 3, S, S)``."""
        return denormalize(self.generator.synthesis(ws.to(self.device)), "tanh").cpu()

    def sample_tensors(self, z: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        """Latents ``(B, z_dim)`` → uint8 ``(B, 3, S, S)``."""
        return self.synthesize_ws(self.ws(z, truncation))

    def sample(self, n: int = 1, seed: int = 0, truncation: float = 0.7) -> np.ndarray:
        """``n`` pictures, uint8 ``(n, S, S, 3)``, of latents drawn from ``seed``."""
        return self.sample_tensors(self.latents(n, seed), truncation).permute(0, 2, 3, 1).numpy()

    def invert(self, pictures, steps: int = 300) -> Inversion:
        """W+ of uint8 pictures ``(S, S, 3)`` or ``(B, S, S, 3)`` by optimisation (``steps`` Adam steps)."""
        x = torch.as_tensor(np.asarray(pictures))
        if x.dim() == 3:
            x = x[None]
        if x.dtype != torch.uint8 or x.dim() != 4 or tuple(x.shape[1:]) != (self.size, self.size, 3):
            raise ImiError(
                f"pictures must be uint8 ({self.size}, {self.size}, 3) or (B, …), got {x.dtype} {tuple(x.shape)}"
            )
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 10_000:
            raise ImiError(f"steps must be an integer in [1, 10000], got {steps!r:.40}")
        target = normalize(x.permute(0, 3, 1, 2), "tanh").to(self.device)
        ws, err = project(self.generator, target, steps)
        return Inversion(ws.cpu(), self.synthesize_ws(ws), err.cpu())
