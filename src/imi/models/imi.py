"""The IMI model of the paper (SPEC §3): encoders, generator, discriminator.

The module holds networks only; losses and the update rule live in
:mod:`imi.training`. Inference needs the encoders and the generator
(:data:`INFERENCE_PREFIXES`); the discriminator is a training-time network.
"""

from __future__ import annotations

import torch
from torch import nn

from imi.config import ModelConfig
from imi.models.discriminator import Discriminator
from imi.models.encoders import Fusion, ImageEncoder, InstructionEncoder
from imi.models.generator import Generator

INFERENCE_PREFIXES = ("im_enc.", "i_enc.", "fc.", "gen.")


def init_dcgan(module: nn.Module) -> None:
    """DCGAN initialisation: N(0, 0.02) convs, N(1, 0.02) batch-norm scales."""
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class IMIModel(nn.Module):
    """``X̂t = CNN_Gen(z, FC(ImEnc(Xs), IEnc(I)))`` with a matching-aware D."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        c = self.config = config
        self.im_enc = ImageEncoder(c.channels, c.ch, c.image_size, c.d_im)
        self.i_enc = InstructionEncoder(c.vocab_size, c.d_emb, c.d_i)
        self.fc = Fusion(c.d_im, c.d_i, c.d_fc)
        self.gen = Generator(c.z_dim, c.d_fc, c.channels, c.ch, c.image_size, c.output)
        self.dis = Discriminator(c.channels, c.ch, c.image_size, c.d_fc, c.d_dis, c.aux_labels)
        self.apply(init_dcgan)

    def encoder_parameters(self) -> list[nn.Parameter]:
        """θEnc = {θImEnc, θIEnc, θFC}."""
        return [*self.im_enc.parameters(), *self.i_enc.parameters(), *self.fc.parameters()]

    def condition(self, x: torch.Tensor, tokens: torch.Tensor | None, lengths: torch.Tensor | None) -> torch.Tensor:
        """``φfc = FC(ImEnc(x), IEnc(I))``; no tokens means the zero instruction (eq. 17–19).

        Args:
            x: normalised images ``(B, C, S, S)``.
            tokens, lengths: ``(B, T)`` and ``(B,)``, or both None.

        Returns:
            unit-norm ``(B, d_fc)``.
        """
        phi_i = None if tokens is None else self.i_enc(tokens, lengths)
        return self.fc(self.im_enc(x), phi_i)

    def generate(self, x: torch.Tensor, tokens: torch.Tensor, lengths: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """The edit: source ``(B, C, S, S)`` + instruction + noise ``(B, z_dim)`` → ``(B, C, S, S)``."""
        return self.gen(z, self.condition(x, tokens, lengths))


VARIANTS: dict[str, type[IMIModel]] = {"imi-paper": IMIModel}


def build_model(variant: str, config: ModelConfig) -> IMIModel:
    from imi.config import ConfigError

    if variant not in VARIANTS:
        raise ConfigError(f"variant: unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    return VARIANTS[variant](config)
