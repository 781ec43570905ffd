"""Class- and layer-wise VAE-GAN (SPEC-semantic §1): encoder, generator, discriminators.

The generator is a SPADE-like stack of residual blocks, one per scale (8×8 … S×S). Its
normalisation layers are class-adaptive (CLADE): after a parameter-free batch norm, every pixel is
scaled and shifted by the γ, β of its class, and here of its class's *code at that layer*, so
resampling class k's code at layer l can only change what layer l draws at class k's pixels. The
label map also enters every block's first convolution, which draws the shapes (CLADE alone gives one
γ, β per region). The encoder pools its features at each scale over each class's region (masked
average pooling) into a mean and log-variance per class per layer.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm

from imi.systems.clvae.config import CLVAEConfig


def region_masks(onehot: torch.Tensor, size: int) -> torch.Tensor:
    """``(B, K, S, S)`` one-hot → ``(B, K, size, size)`` class shares per cell (area average), so a small
    part still owns a fraction of the coarse cells it falls into."""
    return onehot if onehot.shape[-1] == size else F.interpolate(onehot, size=(size, size), mode="area")


class ClassNorm(nn.Module):
    """Batch norm without affine, then ``x · (1 + γ) + β`` with γ, β those of each pixel's class and code.

    ``γ_k, β_k = MLP(e_k + W z_k)``: a learnt class embedding plus the class's code.
    """

    def __init__(self, ch: int, classes: int, code_dim: int, hidden: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(ch, affine=False)
        self.embed = nn.Parameter(torch.randn(classes, hidden) * 0.1)
        self.code = nn.Linear(code_dim, hidden, bias=False) if code_dim else None
        self.out = nn.Linear(hidden, 2 * ch)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor, masks: torch.Tensor, codes: torch.Tensor | None) -> torch.Tensor:
        """``x`` ``(B, C, h, w)``, ``masks`` ``(B, K, h, w)``, ``codes`` ``(B, K, d)`` or None."""
        h = self.embed.expand(len(x), -1, -1)
        if self.code is not None and codes is not None:
            h = h + self.code(codes)
        gamma, beta = self.out(F.relu(h)).chunk(2, dim=-1)  # (B, K, C) each
        return self.norm(x) * (1 + torch.einsum("bkc,bkhw->bchw", gamma, masks)) + torch.einsum(
            "bkc,bkhw->bchw", beta, masks
        )


class ClassBlock(nn.Module):
    """SPADE's residual block with :class:`ClassNorm`; the map is concatenated into the first conv."""

    def __init__(self, cin: int, cout: int, classes: int, code_dim: int, hidden: int):
        super().__init__()
        self.norm1 = ClassNorm(cin, classes, code_dim, hidden)
        self.conv1 = nn.Conv2d(cin + classes, cout, 3, padding=1)
        self.norm2 = ClassNorm(cout, classes, code_dim, hidden)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1, bias=False) if cin != cout else nn.Identity()

    def forward(self, x, masks, codes):
        h = self.conv1(torch.cat([F.leaky_relu(self.norm1(x, masks, codes), 0.2), masks], 1))
        h = self.conv2(F.leaky_relu(self.norm2(h, masks, codes), 0.2))
        return self.skip(x) + h


def _widths(base: int, layers: int) -> list[int]:
    """Coarse to fine: base·4 at 8×8, base·2 ⋯, base at full size (for ≤ 4 layers: 4, 3, 2, 1 ×)."""
    return [base * max(1, min(4, layers - i)) for i in range(layers)]


class Generator(nn.Module):
    """One-hot map ``(B, K, S, S)`` + codes ``(B, L, K, d)`` (or a global ``(B, 1, 1, d)``, or None) →
    ``(B, 3, S, S)`` in [-1, 1]."""

    def __init__(self, cfg: CLVAEConfig, code_dim: int):
        super().__init__()
        widths = _widths(cfg.ngf, cfg.layers)
        self.sizes = [8 * 2**i for i in range(cfg.layers)]
        self.head = nn.Conv2d(cfg.classes, widths[0], 3, padding=1)
        self.blocks = nn.ModuleList(
            ClassBlock(widths[max(0, i - 1)], widths[i], cfg.classes, code_dim, cfg.norm_hidden)
            for i in range(cfg.layers)
        )
        self.to_rgb = nn.Conv2d(widths[-1], 3, 3, padding=1)

    def forward(self, onehot: torch.Tensor, codes: torch.Tensor | None) -> torch.Tensor:
        x = self.head(region_masks(onehot, self.sizes[0]))
        for i, (size, block) in enumerate(zip(self.sizes, self.blocks, strict=True)):
            if i:
                x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            layer = None if codes is None else codes[:, min(i, codes.shape[1] - 1)]
            if layer is not None:
                layer = layer.expand(-1, onehot.shape[1], -1)  # a global code serves every class
            x = block(x, region_masks(onehot, size), layer)
        return torch.tanh(self.to_rgb(F.leaky_relu(x, 0.2)))


class Encoder(nn.Module):
    """Picture ``(B, 3, S, S)`` + one-hot map → ``(mu, logvar)``, ``(B, L, K, d)`` (class- and
    layer-wise: masked average pooling of the features at each generator scale over each class's
    region) or ``(B, 1, 1, d)`` (global: average pooling of the coarsest features)."""

    def __init__(self, cfg: CLVAEConfig):
        super().__init__()
        self.latent, self.classes = cfg.latent, cfg.classes
        widths = _widths(cfg.nef, cfg.layers)[::-1]  # fine to coarse
        self.stem = nn.Conv2d(3, widths[0], 3, padding=1)
        self.downs = nn.ModuleList(
            nn.Conv2d(widths[i - 1], widths[i], 4, stride=2, padding=1) for i in range(1, cfg.layers)
        )
        if cfg.latent == "class-layer":
            # one head per layer, coarse first like the generator; the class's one-hot joins its pooled features
            self.heads = nn.ModuleList(nn.Linear(w + cfg.classes, 2 * cfg.code_dim) for w in widths[::-1])
        else:
            self.heads = nn.ModuleList([nn.Linear(widths[-1], 2 * cfg.global_dim)])

    def forward(self, image: torch.Tensor, onehot: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = [F.leaky_relu(self.stem(image), 0.2)]
        for down in self.downs:
            feats.append(F.leaky_relu(down(feats[-1]), 0.2))
        if self.latent == "global":
            mu, logvar = self.heads[0](feats[-1].mean((2, 3))).chunk(2, -1)
            return mu[:, None, None], logvar.clamp(-10, 10)[:, None, None]
        outs = []
        ids = torch.eye(self.classes, device=image.device).expand(len(image), -1, -1)
        for head, f in zip(self.heads, feats[::-1], strict=True):  # coarse first
            m = region_masks(onehot, f.shape[-1])
            pooled = torch.einsum("bchw,bkhw->bkc", f, m) / (m.sum((2, 3))[..., None] + 1e-6)
            outs.append(head(torch.cat([pooled, ids], -1)))
        mu, logvar = torch.stack(outs, 1).chunk(2, -1)
        return mu, logvar.clamp(-10, 10)


class PatchD(nn.Module):
    """A conditional patch discriminator (pix2pix): [picture, one-hot map] → per-patch scores, with its
    intermediate features (for feature matching)."""

    def __init__(self, cin: int, ndf: int):
        super().__init__()
        chans = [cin, ndf, ndf * 2, ndf * 4]
        self.layers = nn.ModuleList(
            spectral_norm(nn.Conv2d(chans[i], chans[i + 1], 4, stride=2 if i < 2 else 1, padding=1)) for i in range(3)
        )
        self.out = spectral_norm(nn.Conv2d(chans[-1], 1, 3, padding=1))

    def forward(self, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        feats = []
        for layer in self.layers:
            x = F.leaky_relu(layer(x), 0.2)
            feats.append(x)
        return feats, self.out(x)


class CLVAE(nn.Module):
    """The whole model (:class:`imi.tasks.synthesize.model.MapModel`); ``config.latent`` picks the paper's
    class- and layer-wise codes or a baseline."""

    def __init__(self, config: CLVAEConfig):
        super().__init__()
        self.config = config
        d = {"class-layer": config.code_dim, "global": config.global_dim, "none": 0}[config.latent]
        self.encoder = Encoder(config) if config.latent != "none" else None
        self.generator = Generator(config, d)
        self.d = nn.ModuleList(PatchD(3 + config.classes, config.ndf) for _ in range(config.d_scales))

    @property
    def code_shape(self) -> tuple[int, int, int]:
        c = self.config
        return {
            "class-layer": (c.layers, c.classes, c.code_dim),
            "global": (1, 1, c.global_dim),
            "none": (0, 0, 0),
        }[c.latent]

    def encode(self, image: torch.Tensor, onehot: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.encoder is None:
            raise ValueError("this model has no latent (latent = 'none'): there is nothing to encode")
        return self.encoder(image, onehot)

    def generate(self, onehot: torch.Tensor, codes: torch.Tensor | None) -> torch.Tensor:
        if self.encoder is None:
            codes = None
        elif codes is None or tuple(codes.shape[1:]) != self.code_shape:
            raise ValueError(f"codes must be (B, {', '.join(map(str, self.code_shape))}), got "
                             f"{None if codes is None else tuple(codes.shape)}")  # fmt: skip
        return self.generator(onehot, codes)

    def discriminate(self, image: torch.Tensor, onehot: torch.Tensor) -> list[tuple[list[torch.Tensor], torch.Tensor]]:
        """Every scale's (features, patch scores) of [picture, map] (halved per scale)."""
        x, out = torch.cat([image, onehot], 1), []
        for i, d in enumerate(self.d):
            if i:
                x = F.avg_pool2d(x, 2)
            out.append(d(x))
        return out

    def g_parameters(self):
        return [*self.generator.parameters(), *(self.encoder.parameters() if self.encoder is not None else [])]

    def d_parameters(self):
        return list(self.d.parameters())

    def inference_state(self) -> dict[str, torch.Tensor]:
        return {k: v for k, v in self.state_dict().items() if not k.startswith("d.")}
