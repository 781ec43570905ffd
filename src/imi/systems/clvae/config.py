"""The class- and layer-wise VAE-GAN's settings (SPEC-semantic §1). The paper fixes the idea (one
latent per class and per generator layer, masked pooling, label-modulated normalisation, hinge +
feature matching + reconstruction + KL); the widths are ours, sized for 64×64 on a laptop CPU."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from imi.core.config import at_least, check, finite

LATENTS = ("class-layer", "global", "none")


@dataclass(frozen=True)
class CLVAEConfig:
    """Encoder + label-modulated generator + multi-scale patch discriminator.

    Attributes:
        size: the pictures' side (a power of two ≥ 16); the generator starts at 8×8 and has one
            residual block per scale, so ``log2(size / 8) + 1`` code layers (4 at 64×64).
        classes: label-map classes (K).
        vocab_size: the domain's tokenizer (the class names; the trainer checks it).
        latent: "class-layer" (the paper: a code per class per layer), "global" (the baseline: one
            VAE latent for the whole picture) or "none" (the pix2pix/SPADE-style baseline: no latent).
        code_dim: numbers per class per layer; ``global_dim``: the global latent's size.
        ngf: the generator's narrowest width (at full size); coarser blocks are wider: 4, 3, 2, 1 × ngf
            from 8×8 to 64×64.
        nef: the encoder's, the same way.
        ndf, d_scales: each patch discriminator's first width and how many there are (at full size,
            half, …; pix2pixHD).
        norm_hidden: the width of the MLP that turns (class, code) into each norm's γ, β.
        lambda_fm, lambda_rec, lambda_kl: feature matching (L1 on every discriminator layer but the
            last), reconstruction (L1 between the picture and its regeneration from its own codes),
            and KL(q(z | x) ‖ N(0, I)) summed over a picture's codes.
        lambda_local: beyond the paper: half the batch is drawn again with one present class's codes (every
            layer) replaced by fresh N(0, I) draws, and any change *outside* that class's region is
            penalised (L1, gradient through the redrawn picture only). Part-wise control is what the codes
            are for; the paper's losses never ask for it, so leaks through the coarse layers go unpunished.
            0 is the paper; only class- and layer-wise codes use it.
    """

    size: int = 64
    classes: int = 10
    vocab_size: int = 14
    latent: str = "class-layer"
    code_dim: int = 8
    global_dim: int = 64
    ngf: int = 32
    nef: int = 32
    ndf: int = 32
    d_scales: int = 2
    norm_hidden: int = 64
    lambda_fm: float = 10.0
    lambda_rec: float = 10.0
    lambda_kl: float = 0.05
    lambda_local: float = 0.0

    def __post_init__(self) -> None:
        finite(self)
        check(
            self.size >= 16 and self.size & (self.size - 1) == 0,
            "size",
            f"must be a power of two ≥ 16, got {self.size}",
        )
        check(self.latent in LATENTS, "latent", f"must be one of {', '.join(LATENTS)}, got {self.latent!r}")
        at_least(self, 2, "classes")
        at_least(self, 1, "vocab_size", "code_dim", "global_dim", "ngf", "nef", "ndf", "d_scales", "norm_hidden")
        at_least(self, 0, "lambda_fm", "lambda_rec", "lambda_kl", "lambda_local")

    @property
    def layers(self) -> int:
        """Generator blocks = code layers: 8×8, 16×16, …, size×size."""
        return self.size.bit_length() - 4 + 1

    def to_dict(self) -> dict:
        return asdict(self)
