"""The matching-aware discriminator: ``CNN_Dis`` + ``FC_Dis`` (+ auxiliary heads)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from imi.nn.encoders import conv_stack


@dataclass
class DisOutput:
    """``logit`` ``(B,)`` (ŷ = sigmoid(logit)); ``hidden``: each conv layer's
    activations, for feature matching; ``aux``: label logits by name or None."""

    logit: torch.Tensor
    hidden: list[torch.Tensor]
    aux: dict[str, torch.Tensor] | None


class Discriminator(nn.Module):
    """``φd = CNN_Dis(X)``; ``ŷ = sigmoid(W_y leakyrelu(W_d φd + W_fc φfc))`` (eq. 5–6).

    The image features ``φd`` do not depend on the condition, so one pass
    through :meth:`features` serves both the matching and the mismatching
    condition (:meth:`score`).
    """

    def __init__(
        self, channels: int, ch: int, image_size: int, d_fc: int, d_dis: int, label_sizes: dict[str, int] | None
    ):
        super().__init__()
        self.convs, widths = conv_stack(channels, ch, image_size)
        d_phi = widths[-1] * 16
        self.w_d = nn.Linear(d_phi, d_dis)
        self.w_fc = nn.Linear(d_fc, d_dis, bias=False)
        self.w_y = nn.Linear(d_dis, 1)
        # Auxiliary label heads (name → classes), in the order of the labels' columns; None: no heads.
        self.aux = nn.ModuleDict({k: nn.Linear(d_phi, n) for k, n in label_sizes.items()}) if label_sizes else None

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """``(B, C, S, S)`` → ``φd`` ``(B, d_phi)`` and the hidden activations."""
        hidden = []
        h = x
        for layer in self.convs:
            h = layer(h)
            if isinstance(layer, nn.LeakyReLU):
                hidden.append(h)
        return h.flatten(1), hidden

    def score(self, phi_d: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """Matching logit ``(B,)`` of image features and a condition ``(B, d_fc)``."""
        return self.w_y(F.leaky_relu(self.w_d(phi_d) + self.w_fc(cond), 0.2)).squeeze(1)

    def labels(self, phi_d: torch.Tensor) -> dict[str, torch.Tensor] | None:
        """Auxiliary logits (digit 11, x 3, y 3, w 4, h 4), or None without heads."""
        return None if self.aux is None else {k: head(phi_d) for k, head in self.aux.items()}

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> DisOutput:
        phi_d, hidden = self.features(x)
        return DisOutput(self.score(phi_d, cond), hidden, self.labels(phi_d))
