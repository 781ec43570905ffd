"""Encoders of SPEC §3: CNN_ImEnc, LSTM_IEnc and the fusion layer FC.

All three outputs are L2-normalised before use, so that differences between
codes are angles (the paper, after Kiros et al.).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def conv_stack(in_channels: int, ch: int, image_size: int) -> tuple[nn.Sequential, list[int]]:
    """The DCGAN discriminator conv stack: stride-2 4×4 convs down to 4×4.

    Widths are ``ch, 2ch, 4ch, …``; the first layer has no batch norm (DCGAN).

    Returns:
        the stack, mapping ``(B, C, S, S)`` → ``(B, ch·2^(n−1), 4, 4)``, and the
        output width of each layer (for feature matching).
    """
    layers: list[nn.Module] = []
    widths = []
    width_in, width = in_channels, ch
    size = image_size
    while size > 4:
        layers.append(nn.Conv2d(width_in, width, 4, 2, 1, bias=False))
        if widths:
            layers.append(nn.BatchNorm2d(width))
        layers.append(nn.LeakyReLU(0.2, inplace=True))
        widths.append(width)
        width_in, width, size = width, width * 2, size // 2
    return nn.Sequential(*layers), widths


class ImageEncoder(nn.Module):
    """``φim = CNN_ImEnc(X)``: conv stack, flatten, linear to ``d_im``."""

    def __init__(self, channels: int, ch: int, image_size: int, d_im: int):
        super().__init__()
        self.convs, widths = conv_stack(channels, ch, image_size)
        self.fc = nn.Linear(widths[-1] * 16, d_im)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, S, S)`` normalised image → unit-norm ``(B, d_im)``."""
        return F.normalize(self.fc(self.convs(x).flatten(1)), dim=1)


class InstructionEncoder(nn.Module):
    """``φi_T = LSTM_IEnc(w_1..w_T)``: embedding + one-layer LSTM, last hidden state."""

    def __init__(self, vocab_size: int, d_emb: int, d_i: int):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, d_emb, padding_idx=0)
        self.lstm = nn.LSTM(d_emb, d_i, batch_first=True)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Token ids ``(B, T)`` and lengths ``(B,)`` → unit-norm ``(B, d_i)``.

        A length of 0 ("no instruction") gives the zero vector.
        """
        packed = nn.utils.rnn.pack_padded_sequence(
            self.embed(tokens), lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False
        )
        _, (h, _) = self.lstm(packed)
        h = h[-1] * (lengths > 0).unsqueeze(1).to(h.dtype)
        return F.normalize(h, dim=1)  # normalize leaves zero vectors at zero


class SentenceVectorEncoder(nn.Module):
    """``φi`` from a frozen sentence encoder's vector: a trained two-layer projection (beyond the paper).

    The sentence encoder itself (:mod:`imi.core.sentences`) runs outside the model, once per
    distinct sentence; the model holds only this projection, so checkpoints stay small.
    """

    def __init__(self, d_text: int, d_i: int, noise: float = 0.0):
        super().__init__()
        self.noise = noise
        self.proj = nn.Sequential(nn.Linear(d_text, 2 * d_i), nn.ReLU(inplace=True), nn.Linear(2 * d_i, d_i))

    def forward(self, vectors: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Sentence vectors ``(B, d_text)`` and lengths ``(B,)`` (0 = no instruction) → unit-norm ``(B, d_i)``."""
        if vectors.dim() != 2 or not vectors.is_floating_point():
            raise TypeError(f"expected sentence vectors (B, D) of floats, got {tuple(vectors.shape)} {vectors.dtype}")
        if self.training and self.noise:  # jitter, then back onto the unit sphere (model.text_noise)
            vectors = F.normalize(vectors + self.noise * torch.randn_like(vectors), dim=1)
        h = self.proj(vectors) * (lengths > 0).unsqueeze(1).to(vectors.dtype)
        return F.normalize(h, dim=1)


def instruction_encoder(config) -> nn.Module:
    """The model's instruction encoder for ``config.text_encoder``: the paper's LSTM or sentence vectors."""
    if config.text_encoder == "minilm":
        from imi.core.sentences import DIM

        return SentenceVectorEncoder(DIM, config.d_i, config.text_noise)
    return InstructionEncoder(config.vocab_size, config.d_emb, config.d_i)


class Fusion(nn.Module):
    """``φfc = sigmoid(W_im φim + W_i φi_T)``, then L2-normalised (eq. 3)."""

    def __init__(self, d_im: int, d_i: int, d_fc: int):
        super().__init__()
        self.w_im = nn.Linear(d_im, d_fc)
        self.w_i = nn.Linear(d_i, d_fc, bias=False)

    def forward(self, phi_im: torch.Tensor, phi_i: torch.Tensor | None) -> torch.Tensor:
        """``(B, d_im)``, ``(B, d_i)`` or None (= no instruction) → ``(B, d_fc)``."""
        a = self.w_im(phi_im)
        if phi_i is not None:
            a = a + self.w_i(phi_i)
        return F.normalize(torch.sigmoid(a), dim=1)
