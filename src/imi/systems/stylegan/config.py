"""The style-based prior's settings (SPEC-semantic §2): StyleGAN2's design, widths for 64×64 on a CPU."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from imi.core.config import at_least, check, finite
from imi.nn.stylegan import GeneratorSettings


@dataclass(frozen=True)
class StyleGANConfig(GeneratorSettings):
    """An unconditional style-based generator (:class:`imi.nn.stylegan.GeneratorSettings`: size, z_dim,
    w_dim, mapping_layers, mapping_lr, g_base, g_most) and its residual discriminator.

    Attributes:
        vocab_size: the domain's tokenizer (the trainer checks it; a prior reads no words).
        d_base, d_most: the discriminator's widths, ``min(d_most, d_base / resolution)``.
        r1_gamma, r1_every: the R1 penalty ``γ/2 · E‖∇D(x)‖²`` on real pictures, applied lazily every
            ``r1_every`` steps (scaled by it, as StyleGAN2 does).
        mixing: the share of generator steps that draw two latents and switch at a random layer (style
            mixing: keeps the layers' styles separable, which the few-shot and drag systems use).
        ema_images: the half-life, in pictures seen, of the generator's running average (the weights
            a checkpoint ships).
        w_avg_beta: the running mean of w's decay per step (truncation's centre, inversion's start).
    """

    vocab_size: int = 14
    d_base: int = 1024
    d_most: int = 128
    r1_gamma: float = 0.05
    r1_every: int = 4
    mixing: float = 0.9
    ema_images: int = 10_000
    w_avg_beta: float = 0.995

    def __post_init__(self) -> None:
        finite(self)
        self.check_generator()
        at_least(self, 1, "vocab_size", "d_base", "d_most", "r1_every", "ema_images")
        at_least(self, 0, "r1_gamma")
        check(0 <= self.mixing <= 1, "mixing", f"must be in [0, 1], got {self.mixing}")
        check(0 <= self.w_avg_beta < 1, "w_avg_beta", f"must be in [0, 1), got {self.w_avg_beta}")

    def to_dict(self) -> dict:
        return asdict(self)
