"""The style-based VAE prior's settings: the same generator as the GAN prior, learnt as a VAE's decoder."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from imi.core.config import at_least, check, finite
from imi.nn.stylegan import GeneratorSettings


@dataclass(frozen=True)
class StyleVAEConfig(GeneratorSettings):
    """A style-based generator (:class:`imi.nn.stylegan.GeneratorSettings`) trained as the decoder of a
    variational autoencoder: z from the encoder's posterior, then mapping, W+ and synthesis as in the GAN
    prior, so every system built on a prior (few-shot, drag) takes it as it is.

    Attributes:
        vocab_size: the domain's tokenizer (the trainer checks it; a prior reads no words).
        enc_width: the encoder's first width (doubling per halving, up to 4×).
        sigma: the decoder's pixel noise in [-1, 1] units: the reconstruction term is ``‖x − x̂‖² / 2σ²``.
        beta: the KL term's weight (1: the evidence lower bound).
        ema_images: the half-life, in pictures seen, of the decoder's running average (the weights a
            checkpoint ships); early on it is at most ``ema_rampup`` of the pictures seen so far (StyleGAN2's
            ramp-up: otherwise the average still holds the random initial decoder for thousands of steps).
        post_beta: the decay per step of the running moments of the data's styles (the Gaussian sampled).
        w_avg_beta: the running mean of the prior's w's decay per step (truncation's centre).
    """

    vocab_size: int = 14
    enc_width: int = 32
    sigma: float = 0.35
    beta: float = 1.0
    ema_images: int = 10_000
    ema_rampup: float = 0.05
    post_beta: float = 0.99
    w_avg_beta: float = 0.995

    def __post_init__(self) -> None:
        finite(self)
        self.check_generator()
        at_least(self, 1, "vocab_size", "enc_width", "ema_images")
        check(self.sigma > 0, "sigma", f"must be > 0, got {self.sigma}")
        at_least(self, 0, "beta")
        check(0 < self.ema_rampup <= 1, "ema_rampup", f"must be in (0, 1], got {self.ema_rampup}")
        check(0 <= self.post_beta < 1, "post_beta", f"must be in [0, 1), got {self.post_beta}")
        check(0 <= self.w_avg_beta < 1, "w_avg_beta", f"must be in [0, 1), got {self.w_avg_beta}")

    def to_dict(self) -> dict:
        return asdict(self)
