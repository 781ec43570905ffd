"""A style-based generator (StyleGAN2-like, sized for 64×64 on a CPU) and its inversion into W+.

Shared by the unconditional prior (``systems/stylegan``), the few-shot synthesiser that pseudo-labels
its features (``systems/fewshot``) and the drag editor. The pieces follow StyleGAN2: a mapping
network z → w, a learnt 4×4 constant, modulated 3×3 convolutions with weight demodulation, one style
per layer (W+ is ``(B, num_ws, w_dim)``), skip connections through RGB, equalised learning rates.
Two simplifications, both deliberate: no per-pixel noise inputs (a picture is a pure function of its
W+, which inversion, prototypes and the map encoder rely on), and bilinear upsampling before each
up-convolution instead of a transposed convolution with a blur filter.

Layer ``i`` of W+ (64×64: 10 layers): 0 = the 4×4 conv, then two convs per resolution 8…64 (1-2,
3-4, 5-6, 7-8), and the RGB outputs take the style after their resolution's last conv (1, 3, 5, 7, 9).
So ``ws[:, :5]`` set the layout (4-16 px), ``ws[:, 5:]`` the colours and details (32-64 px).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from itertools import pairwise
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from imi.core.checkpoint import SHIPPED, read_document, read_weights
from imi.core.config import ConfigError, at_least, check

SQRT2 = math.sqrt(2.0)


def lrelu(x: torch.Tensor) -> torch.Tensor:
    """Leaky ReLU scaled to keep unit variance (StyleGAN's gain)."""
    return F.leaky_relu(x, 0.2) * SQRT2


class EqualLinear(nn.Module):
    """A linear layer whose weights are stored N(0, 1) and scaled at run time (equalised lr);
    ``lr_mul`` slows its effective learning rate (the mapping network's 0.01)."""

    def __init__(self, fan_in: int, fan_out: int, bias_init: float = 0.0, lr_mul: float = 1.0, act: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(fan_out, fan_in) / lr_mul)
        self.bias = nn.Parameter(torch.full((fan_out,), float(bias_init) / lr_mul))
        self.scale, self.lr_mul, self.act = lr_mul / math.sqrt(fan_in), lr_mul, act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)
        return lrelu(x) if self.act else x


class EqualConv(nn.Module):
    """A convolution with equalised learning rate (the discriminator's); ``down``: average-pool by 2 after."""

    def __init__(self, cin: int, cout: int, k: int, act: bool = True, down: bool = False, bias: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin, k, k))
        self.bias = nn.Parameter(torch.zeros(cout)) if bias else None
        self.scale, self.act, self.down = 1 / math.sqrt(cin * k * k), act, down

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.conv2d(x, self.weight * self.scale, self.bias, padding=self.weight.shape[-1] // 2)
        if self.down:
            x = F.avg_pool2d(x, 2)
        return lrelu(x) if self.act else x


class ModulatedConv(nn.Module):
    """A k×k convolution whose input channels are scaled by a style from w, then demodulated.

    Written as scale → shared convolution → rescale (StyleGAN2's "non-fused" form): the same
    arithmetic as per-sample weights, but one batched convolution, which is what a CPU is fast at.
    """

    def __init__(self, cin: int, cout: int, k: int, w_dim: int, demod: bool = True, up: bool = False):
        super().__init__()
        self.affine = EqualLinear(w_dim, cin, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(cout, cin, k, k))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.scale, self.demod, self.up = 1 / math.sqrt(cin * k * k), demod, up

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """``x`` ``(B, cin, h, h)``, ``w`` ``(B, w_dim)`` → ``(B, cout, h', h')`` (h' = 2h when ``up``)."""
        style = self.affine(w)  # (B, cin)
        weight = self.weight * self.scale
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = F.conv2d(x * style[:, :, None, None], weight, padding=weight.shape[-1] // 2)
        if self.demod:  # the output's expected std, were x unit-variance: divide it out per sample
            d = torch.rsqrt(style.square() @ weight.square().sum((2, 3)).t() + 1e-8)  # (B, cout)
            x = x * d[:, :, None, None]
        return x + self.bias[None, :, None, None]


class MappingNetwork(nn.Module):
    """z ``(B, z_dim)`` → w ``(B, w_dim)``: pixel-normalised z through ``layers`` equalised-lr MLP layers."""

    def __init__(self, z_dim: int, w_dim: int, layers: int, lr_mul: float):
        super().__init__()
        dims = [z_dim] + [w_dim] * layers
        self.net = nn.Sequential(*(EqualLinear(a, b, lr_mul=lr_mul, act=True) for a, b in pairwise(dims)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z * torch.rsqrt(z.square().mean(1, keepdim=True) + 1e-8))


def channels(res: int, base: int, most: int) -> int:
    """The width at resolution ``res``: ``base / res``, capped at ``most``."""
    return min(most, max(1, base // res))


class SynthesisNetwork(nn.Module):
    """W+ ``(B, num_ws, w_dim)`` → a picture ``(B, 3, size, size)`` in about [-1, 1]."""

    def __init__(self, size: int, w_dim: int, base: int, most: int):
        super().__init__()
        self.resolutions = [2**i for i in range(2, size.bit_length())]  # 4, 8, …, size
        ch = [channels(r, base, most) for r in self.resolutions]
        self.const = nn.Parameter(torch.randn(1, ch[0], 4, 4))
        self.convs = nn.ModuleList([ModulatedConv(ch[0], ch[0], 3, w_dim)])
        self.rgbs = nn.ModuleList([ModulatedConv(ch[0], 3, 1, w_dim, demod=False)])
        for a, b in pairwise(ch):
            self.convs.extend([ModulatedConv(a, b, 3, w_dim, up=True), ModulatedConv(b, b, 3, w_dim)])
            self.rgbs.append(ModulatedConv(b, 3, 1, w_dim, demod=False))
        self.widths = ch
        self.num_ws = len(self.convs) + 1

    def forward(self, ws: torch.Tensor, features: bool = False):
        """The picture, and with ``features`` also each resolution's last activation ``(B, c_r, r, r)``."""
        x = self.const.expand(len(ws), -1, -1, -1)
        x = lrelu(self.convs[0](x, ws[:, 0]))
        rgb = self.rgbs[0](x, ws[:, 1])
        feats = [x]
        for i in range(1, len(self.resolutions)):
            x = lrelu(self.convs[2 * i - 1](x, ws[:, 2 * i - 1]))
            x = lrelu(self.convs[2 * i](x, ws[:, 2 * i]))
            rgb = F.interpolate(rgb, scale_factor=2, mode="bilinear", align_corners=False)
            rgb = rgb + self.rgbs[i](x, ws[:, 2 * i + 1])
            feats.append(x)
        return (rgb, feats) if features else rgb


class StyleGenerator(nn.Module):
    """Mapping + synthesis, with the running mean of w (for truncation and inversion's start).

    Args:
        size: the pictures' side (a power of two ≥ 8).
        z_dim, w_dim: the latent and style sizes.
        mapping_layers, mapping_lr: the mapping MLP's depth and learning-rate multiplier.
        base, most: synthesis widths: ``min(most, base / resolution)`` channels.
    """

    def __init__(self, size: int, z_dim: int, w_dim: int, mapping_layers: int, mapping_lr: float, base: int, most: int):
        super().__init__()
        self.z_dim, self.w_dim = z_dim, w_dim
        self.mapping = MappingNetwork(z_dim, w_dim, mapping_layers, mapping_lr)
        self.synthesis = SynthesisNetwork(size, w_dim, base, most)
        self.register_buffer("w_avg", torch.zeros(w_dim))

    @property
    def num_ws(self) -> int:
        return self.synthesis.num_ws

    @property
    def feature_dim(self) -> int:
        """Channels of :meth:`features` (every resolution's activation, stacked)."""
        return sum(self.synthesis.widths)

    def w(self, z: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        """z ``(B, z_dim)`` → w ``(B, w_dim)``, pulled toward the mean w by ``1 − truncation``."""
        w = self.mapping(z)
        return self.w_avg + truncation * (w - self.w_avg) if truncation != 1.0 else w

    def broadcast(self, w: torch.Tensor) -> torch.Tensor:
        """w ``(B, w_dim)`` → W+ ``(B, num_ws, w_dim)`` (the same style at every layer)."""
        return w[:, None].expand(-1, self.num_ws, -1)

    def forward(self, z: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        return self.synthesis(self.broadcast(self.w(z, truncation)))

    def features(self, ws: torch.Tensor, size: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The picture of W+ ``ws`` and its generator features: every resolution's activation, upsampled
        (bilinear) to ``size`` (default: the picture's) and stacked, ``(B, feature_dim, size, size)``."""
        rgb, feats = self.synthesis(ws, features=True)
        size = size or rgb.shape[-1]
        up = [f if f.shape[-1] == size else F.interpolate(f, size=size, mode="bilinear", align_corners=False)
              for f in feats]  # fmt: skip
        return rgb, torch.cat(up, 1)


def project(
    generator: StyleGenerator,
    target: torch.Tensor,
    steps: int = 300,
    lr: float = 0.05,
    rng: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Optimisation-based inversion into W+: the styles whose picture is closest to ``target``.

    Starts every layer at the mean w, then Adam on the per-layer styles for ``steps`` steps, minimising
    the mean squared error plus an L1 on a 4× downsampled copy (the layout, which pixel errors alone
    under-weight), with the learning rate ramped down over the last quarter (cosine). ``target`` is float
    ``(B, 3, S, S)`` in [-1, 1]. Returns ``(ws (B, num_ws, w_dim), per-picture mean absolute error in
    0-255)``. The generator's weights are not changed (their gradients are not even computed).
    """
    del rng  # deterministic: the start is the mean w
    was = [p.requires_grad for p in generator.parameters()]
    for p in generator.parameters():
        p.requires_grad_(False)
    try:
        ws = generator.w_avg.detach()[None, None].repeat(len(target), generator.num_ws, 1).clone().requires_grad_(True)
        opt = torch.optim.Adam([ws], lr=lr, betas=(0.9, 0.999))
        small = F.avg_pool2d(target, 4)
        for i in range(steps):
            t = i / max(1, steps)
            for g in opt.param_groups:
                g["lr"] = lr * (0.5 - 0.5 * math.cos(math.pi * min(1.0, (1 - t) / 0.25)))
            img = generator.synthesis(ws)
            loss = F.mse_loss(img, target) + F.l1_loss(F.avg_pool2d(img, 4), small)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        with torch.no_grad():
            err = (generator.synthesis(ws).clamp(-1, 1) - target.clamp(-1, 1)).abs().mean((1, 2, 3)) * 127.5
    finally:
        for p, r in zip(generator.parameters(), was, strict=True):
            p.requires_grad_(r)
    return ws.detach(), err


@dataclass(frozen=True)
class GeneratorSettings:
    """The style-based generator's settings, shared by every config that builds one (the prior's, and
    the few-shot model's, which must equal its prior's).

    Attributes:
        size: the pictures' side (a power of two ≥ 8); W+ has ``2·log2(size) − 2`` layers (10 at 64).
        z_dim, w_dim: latent and style sizes.
        mapping_layers, mapping_lr: the mapping MLP's depth and learning-rate multiplier (StyleGAN: 8,
            0.01; 4 suffice for avatars).
        g_base, g_most: synthesis widths, ``min(g_most, g_base / resolution)`` (64×64: 128, 128, 64, 32, 16
            channels from 4×4 up).
    """

    size: int = 64
    z_dim: int = 128
    w_dim: int = 128
    mapping_layers: int = 4
    mapping_lr: float = 0.01
    g_base: int = 1024
    g_most: int = 128

    def check_generator(self) -> None:
        """Refuse impossible generator settings (a subclass's ``__post_init__`` calls it)."""
        power = self.size >= 8 and self.size & (self.size - 1) == 0
        check(power, "size", f"must be a power of two ≥ 8, got {self.size}")
        at_least(self, 1, "z_dim", "w_dim", "mapping_layers", "g_base", "g_most")
        check(0 < self.mapping_lr <= 1, "mapping_lr", f"must be in (0, 1], got {self.mapping_lr}")

    @property
    def num_ws(self) -> int:
        """W+ layers: ``2·log2(size) − 2``."""
        return 2 * (self.size.bit_length() - 1) - 2

    def generator_settings(self) -> dict:
        """The shared fields and their values (what a few-shot model checks against its prior)."""
        return {f.name: getattr(self, f.name) for f in fields(GeneratorSettings)}

    def build_generator(self) -> StyleGenerator:
        return StyleGenerator(self.size, self.z_dim, self.w_dim, self.mapping_layers, self.mapping_lr, self.g_base,
                              self.g_most)  # fmt: skip


def prior_folder(name: str) -> Path:
    """A prior checkpoint folder: a path, or a shipped checkpoint's name."""
    path = Path(name)
    path = path if path.is_dir() else SHIPPED / name
    if not (path / "config.json").is_file():
        raise ConfigError(f"model.prior: {name!r} is neither a checkpoint folder nor a shipped prior")
    return path


def load_prior(generator: StyleGenerator, settings: GeneratorSettings, name: str) -> Path:
    """Load prior ``name``'s averaged generator (its ``ema.*`` weights, strictly) into ``generator``, built
    from ``settings``, which must equal the prior's own (else a clear error naming the differences).
    Returns the prior's folder."""
    folder = prior_folder(name)
    theirs = read_document(folder)["experiment"]["model"]
    wrong = [f"{k}: {v} here, {theirs.get(k)} in the prior" for k, v in settings.generator_settings().items()
             if theirs.get(k) != v]  # fmt: skip
    if wrong:
        raise ConfigError(f"model: the prior {folder} has another generator ({'; '.join(wrong)})")
    own = {k[len("ema."):]: v for k, v in read_weights(folder).items() if k.startswith("ema.")}
    generator.load_state_dict(own, strict=True)
    return folder


def style_factor(cov: torch.Tensor) -> torch.Tensor:
    """A square root ``L`` of a style covariance ``(D, D)`` (``L Lᵀ = cov``), from its eigen-decomposition with
    the eigenvalues clamped at zero: a running estimate, or one stored in float16, may be only semi-definite."""
    values, vectors = torch.linalg.eigh(0.5 * (cov + cov.t()).double())
    return (vectors * values.clamp_min(0).sqrt()).to(cov.dtype)


def prior_styles(name: str, generator: StyleGenerator, samples: int = 10_000) -> tuple[torch.Tensor, torch.Tensor]:
    """The prior's style distribution as a Gaussian ``(mean (D,), covariance (D, D))``: the one a VAE prior
    ships (fitted to its data's codes), else the moments of ``generator``'s mapping of ``samples`` z ~ N(0, I)
    (seed 0). Systems that draw pictures of a prior (the drag editor) draw their styles from it."""
    weights = read_weights(prior_folder(name))
    if "post_mean" in weights and "post_cov" in weights:
        return weights["post_mean"].float(), weights["post_cov"].float()
    with torch.no_grad():
        z = torch.randn(samples, generator.z_dim, generator=torch.Generator().manual_seed(0))
        w = generator.w(z.to(generator.w_avg.device)).cpu()
    return w.mean(0), torch.cov(w.t())


@torch.no_grad()
def average_into(ema: StyleGenerator, generator: StyleGenerator, beta: float) -> None:
    """``ema ← beta · ema + (1 − beta) · generator`` (the running average a prior ships); buffers (the mean w)
    are copied."""
    for e, p in zip(ema.parameters(), generator.parameters(), strict=True):
        e.lerp_(p, 1 - beta)
    for e, b in zip(ema.buffers(), generator.buffers(), strict=True):
        e.copy_(b)
