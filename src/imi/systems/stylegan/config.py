"""The style-based prior's settings (SPEC-semantic §2): StyleGAN2's design, widths for 64×64 on a CPU."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from imi.core.config import at_least, check, finite


@dataclass(frozen=True)
class StyleGANConfig:
    """An unconditional style-based generator and its residual discriminator.

    Attributes:
        size: the pictures' side (a power of two ≥ 8); W+ has ``2·log2(size) − 2`` layers (10 at 64).
        vocab_size: the domain's tokenizer (the trainer checks it; a prior reads no words).
        z_dim, w_dim: latent and style sizes.
        mapping_layers, mapping_lr: the mapping MLP's depth and learning-rate multiplier (StyleGAN: 8,
            0.01; 4 suffice for avatars).
        g_base, g_most: generator widths, ``min(g_most, g_base / resolution)`` (64×64: 128, 128, 64, 32, 16
            channels from 4×4 up).
        d_base, d_most: the discriminator's, the same way.
        r1_gamma, r1_every: the R1 penalty ``γ/2 · E‖∇D(x)‖²`` on real pictures, applied lazily every
            ``r1_every`` steps (scaled by it, as StyleGAN2 does).
        mixing: the share of generator steps that draw two latents and switch at a random layer (style
            mixing: keeps the layers' styles separable, which the few-shot and drag systems use).
        ema_images: the half-life, in pictures seen, of the generator's running average (the weights
            a checkpoint ships).
        w_avg_beta: the running mean of w's decay per step (truncation's centre, inversion's start).
    """

    size: int = 64
    vocab_size: int = 14
    z_dim: int = 128
    w_dim: int = 128
    mapping_layers: int = 4
    mapping_lr: float = 0.01
    g_base: int = 1024
    g_most: int = 128
    d_base: int = 1024
    d_most: int = 128
    r1_gamma: float = 0.05
    r1_every: int = 4
    mixing: float = 0.9
    ema_images: int = 10_000
    w_avg_beta: float = 0.995

    def __post_init__(self) -> None:
        finite(self)
        power = self.size >= 8 and self.size & (self.size - 1) == 0
        check(power, "size", f"must be a power of two ≥ 8, got {self.size}")
        at_least(self, 1, "vocab_size", "z_dim", "w_dim", "mapping_layers", "g_base", "g_most", "d_base", "d_most",
                 "r1_every", "ema_images")  # fmt: skip
        at_least(self, 0, "r1_gamma")
        check(0 < self.mapping_lr <= 1, "mapping_lr", f"must be in (0, 1], got {self.mapping_lr}")
        check(0 <= self.mixing <= 1, "mixing", f"must be in [0, 1], got {self.mixing}")
        check(0 <= self.w_avg_beta < 1, "w_avg_beta", f"must be in [0, 1), got {self.w_avg_beta}")

    def to_dict(self) -> dict:
        return asdict(self)
