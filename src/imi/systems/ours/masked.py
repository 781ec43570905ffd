"""``ours-avatars``: where to change, what to draw, and the source everywhere else.

The digit winner (:mod:`imi.systems.ours.layout`) beat the GANs by never redrawing
what it can copy and by learning from the labels the benchmark already has.
Avatar edits are not box moves, so its warps do not carry over, but the two
ideas do:

* a U-Net reads the source; the instruction (the LSTM's φi) modulates every
  decoder stage (FiLM: ``h ← γ(φi) ⊙ h + β(φi)``);
* the decoder predicts a *where* mask ``m`` and the new content ``c``; the
  edit is ``m ⊙ c + (1 − m) ⊙ Xs``, so untouched regions are the user's own
  pixels (SIM's promise, made exact);
* it learns by supervision, not a discriminator: binary cross-entropy of
  ``m`` against the exact change mask, and L1 of the content inside it and of
  the whole edit.

With ``recolour`` the content is a per-pixel choice (gate ``g``) between a
drawn picture and the source times a gain ``r``: ``c = g ⊙ (x̃ ⊙ eʳ) + (1 − g)
⊙ d`` with ``x̃`` the source in [0, 1]. A new skin tone changes every pixel of
the face, nose shading included; drawing them all again blurs the nose, while
a gain keeps it (a translucent stroke over the skin is the skin scaled).

The gate draws most of a new skin tone all the same (its mean over the face
is ~0.2 in the shipped model): drawing is learned faster than the gain. Two
options try to change that, ``gate_init`` (the gate's starting bias) and
``gain_loss`` (the re-coloured source fitted on its own, so the gain learns
behind a closed gate); neither helped in a 1,000-step probe (docs/RESULTS.md),
and both are off in the shipped model. A third, ``gain_size``, predicts the
gain on a coarse grid (8×8, say) and upsamples it: a per-pixel gain can
reproduce any colour and is as hard to learn as drawing, while one gain per
region is nearly constant over a face and carries its nose along.

With ``per_item`` the content loss is averaged within each item's change and
then over items: pooled over the batch, a background edit outweighs a nose
edit by a hundred to one.

No noise is used: one instruction means one edit.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from imi.core.config import ModelConfig
from imi.nn.encoders import instruction_encoder
from imi.tasks.edit.model import EditModel


def _conv(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2, inplace=True)
    )


def _mix(drawn: torch.Tensor, gained: torch.Tensor | None, gate: torch.Tensor | None) -> torch.Tensor:
    """The content: the drawn picture, or with ``recolour`` the gate's per-pixel mix of it and the gain's."""
    return drawn if gate is None else gate * gained + (1 - gate) * drawn


class MaskedEditor(EditModel):
    """See the module docstring. Widths: ``ch`` at 64×64, doubling to ``8·ch`` at 8×8 and 4×4."""

    inference_prefixes = ("stem.", "down.", "i_enc.", "film.", "up.", "head.", "gain_head.")
    # NHWC: the CPU (oneDNN) convolutions of this net run faster forward + backward
    # (benchmarks/channels_last.py). Checkpoints are saved contiguous all the same.
    memory_format = torch.channels_last

    def __init__(self, config: ModelConfig):
        super().__init__(config)
        c, ch = config.channels, config.ch
        self.widths = [ch, 2 * ch, 4 * ch, 8 * ch, 8 * ch]  # at S, S/2, S/4, S/8, S/16
        self.stem = _conv(c, ch)
        self.down = nn.ModuleList(_conv(a, b, 2) for a, b in zip(self.widths, self.widths[1:], strict=False))
        self.i_enc = instruction_encoder(config)
        # γ and β for the bottleneck and every decoder stage
        self.film = nn.Linear(config.d_i, 2 * sum(self.widths))
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)
        ups = []
        for level in range(len(self.widths) - 1, 0, -1):  # from S/16 up to S
            ups.append(_conv(self.widths[level] + self.widths[level - 1], self.widths[level - 1]))
        self.up = nn.ModuleList(ups)
        # mask, content (+ the per-pixel gain and the gate when recolouring)
        per_pixel_gain = config.recolour and not config.gain_size
        self.head = nn.Conv2d(ch, 1 + c + (c if per_pixel_gain else 0) + (1 if config.recolour else 0), 3, 1, 1)
        if config.recolour:
            # From even odds the gate settles on drawing recoloured faces (drawing a flat colour is
            # learned faster than the gain); a positive start tries to hold it on the gain.
            with torch.no_grad():
                self.head.bias[-1:].fill_(config.gate_init)
        if config.recolour and config.gain_size:
            # A coarse gain, upsampled: one value per region, which a stroke inside it shares.
            self.gain_level = (config.image_size // config.gain_size).bit_length() - 1
            self.gain_head = nn.Conv2d(self.widths[self.gain_level], c, 1)
        self.to(memory_format=self.memory_format)

    def parts(self, x: torch.Tensor, tokens: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised ``(B, C, S, S)`` + instruction → mask logits ``(B, 1, S, S)``, content ``(B, C, S, S)``."""
        logits, drawn, gained, gate = self.paths(x, tokens, lengths)
        return logits, _mix(drawn, gained, gate)

    def paths(self, x: torch.Tensor, tokens: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Mask logits ``(B, 1, S, S)``, drawn ``(B, C, S, S)`` and, with ``recolour`` (else None), the
        re-coloured source ``(B, C, S, S)`` and the gate ``(B, 1, S, S)`` between the two."""
        skips = [self.stem(x.contiguous(memory_format=self.memory_format))]
        for down in self.down:
            skips.append(down(skips[-1]))
        films = self.film(self.i_enc(tokens, lengths)).split([w for w in self.widths for _ in (0, 1)], dim=1)
        gammas, betas = films[0::2], films[1::2]

        def modulate(h: torch.Tensor, level: int) -> torch.Tensor:
            return h * (1 + gammas[level][:, :, None, None]) + betas[level][:, :, None, None]

        level = len(self.widths) - 1
        h = modulate(skips[-1], level)
        stages = {level: h}
        for up in self.up:
            level -= 1
            h = F.interpolate(h, scale_factor=2, mode="nearest")
            h = stages[level] = modulate(up(torch.cat([h, skips[level]], dim=1)), level)
        out = self.head(h)
        c = self.config.channels
        drawn = torch.tanh(out[:, 1 : 1 + c]) if self.config.output == "tanh" else out[:, 1 : 1 + c]
        if not self.config.recolour:
            return out[:, :1], drawn, None, None
        if self.config.gain_size:
            log_gain = F.interpolate(self.gain_head(stages[self.gain_level]), size=x.shape[-2:], mode="bilinear")
        else:
            log_gain = out[:, 1 + c : 1 + 2 * c]
        lo, hi = (0.0, 1.0) if self.config.output == "sigmoid" else (-1.0, 1.0)  # imi.core.images.normalize
        unit = (x - lo) / (hi - lo)  # the source in [0, 1], so a gain scales towards black
        gained = (unit * torch.exp(log_gain)).clamp(0, 1) * (hi - lo) + lo
        return out[:, :1], drawn, gained, torch.sigmoid(out[:, -1:])

    def generate(self, x, tokens, lengths, z):
        logits, content = self.parts(x, tokens, lengths)
        m = torch.sigmoid(logits)
        return m * content + (1 - m) * x

    def change_map(self, x, tokens, lengths):
        return torch.sigmoid(self.parts(x, tokens, lengths)[0])

    def loss(self, b) -> dict[str, torch.Tensor]:
        """Supervised terms for a StepBatch (normalised images, exact change mask).

        An unlabeled batch (zero instruction, ``supervised=False``) is an identity edit: target =
        source, empty change mask; it teaches that no instruction means no change."""
        logits, drawn, gained, gate = self.paths(b.source, b.tokens, b.lengths)
        content = _mix(drawn, gained, gate)
        if b.supervised:
            target, change = b.target, b.change.any(1, keepdim=True).to(content.dtype)
        else:
            target, change = b.source, torch.zeros_like(logits)
        m = torch.sigmoid(logits)
        edit = m * content + (1 - m) * b.source
        mask_bce = F.binary_cross_entropy_with_logits(logits.float(), change.float())
        content_l1 = self._inside_l1(content, target, change)
        edit_l1 = (edit - target).abs().mean()
        terms = {"mask_bce": mask_bce, "content_l1": content_l1, "edit_l1": edit_l1}
        if self.config.recolour and self.config.gain_loss:
            # The gain learns only through the gate, and the gate settles on drawing (faster to learn)
            # before the gain is any good; its own loss lets the gain learn whatever the gate says.
            terms["gain_l1"] = self._inside_l1(gained, target, change)
        return terms | {"loss": sum(terms.values())}

    def _inside_l1(self, pred: torch.Tensor, target: torch.Tensor, change: torch.Tensor) -> torch.Tensor:
        """L1 of ``(B, C, S, S)`` images inside ``change`` ``(B, 1, S, S)``: pooled, or per item then averaged."""
        inside = (pred - target).abs().mean(1, keepdim=True) * change
        if self.config.per_item:
            return (inside.sum((1, 2, 3)) / change.sum((1, 2, 3)).clamp(min=1)).mean()
        return inside.sum() / change.sum().clamp(min=1)
