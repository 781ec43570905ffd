"""The paper's model (SPEC §3), its SIM extension (SPEC §5) and the text-only contrast.

The modules hold networks only; losses and the update rule live in
:mod:`imi.training`. A paper-family model exposes :meth:`IMIModel.draw`, the
``(c_r, c_w, x)`` choices of eq. (20), so that one GAN step trains all three.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from imi.core.config import ModelConfig
from imi.core.images import normalize
from imi.domains.digits.scenes import LABEL_SIZES  # the auxiliary heads read the digit scene labels (SPEC §3)
from imi.nn.discriminator import Discriminator
from imi.nn.encoders import Fusion, ImageEncoder, conv_stack, instruction_encoder
from imi.nn.generator import Generator, init_dcgan
from imi.tasks.edit.model import EditModel


@dataclass
class Draw:
    """One ``(c_r, c_w, x)`` of eq. (20) and what the generator needs for it.

    Attributes:
        c_r, c_w: matching / mismatching conditions for D, ``(B, d_fc)``.
        x: the real image that matches ``c_r``; ``labels``: its labels or None.
        g_cond: the generator's condition vector; ``g_spatial``: SIM's φimm or None.
        aux: extra losses trained by their own optimiser (SIM's mask loss).
    """

    c_r: torch.Tensor
    c_w: torch.Tensor
    x: torch.Tensor
    labels: torch.Tensor | None
    g_cond: torch.Tensor
    g_spatial: torch.Tensor | None = None
    aux: dict[str, torch.Tensor] = field(default_factory=dict)


class IMIModel(EditModel):
    """``X̂t = CNN_Gen(z, FC(ImEnc(Xs), IEnc(I)))`` with a matching-aware D."""

    inference_prefixes = ("im_enc.", "i_enc.", "fc.", "gen.")
    num_draws = 3

    def __init__(self, config: ModelConfig):
        super().__init__(config)
        c = config
        self.im_enc = ImageEncoder(c.channels, c.ch, c.image_size, c.d_im)
        self.i_enc = instruction_encoder(c)
        self.fc = Fusion(c.d_im, c.d_i, c.d_fc)
        self.gen = Generator(c.z_dim, c.d_fc, c.channels, c.ch, c.image_size, c.output, self.spatial_channels())
        self.dis = Discriminator(c.channels, c.ch, c.image_size, c.d_fc, c.d_dis, LABEL_SIZES if c.aux_labels else None)
        self.apply(init_dcgan)
        if c.cond_init == "unit":
            self.init_condition()

    def init_condition(self) -> None:
        """Start the condition-carrying layers at O(1) gain (``ModelConfig.cond_init = "unit"``).

        Their inputs are unit vectors, so N(0, 1) weights give pre-activations of unit
        variance where DCGAN's N(0, 0.02) gives 4e-4: the sigmoid then sits at 0.5 for every
        input and the codes of different images are nearly parallel. In G's first layer the
        condition's columns get N(0, 0.02·√z_dim), as much input as the noise's.
        """
        for layer in (self.fc.w_im, self.fc.w_i, self.dis.w_fc):
            nn.init.normal_(layer.weight, 0.0, 1.0)
        first = self.gen.fc[0].weight  # (out, z_dim + d_fc): noise columns, then the condition's
        z_dim = self.config.z_dim
        with torch.no_grad():
            first[:, z_dim:].normal_(0.0, 0.02 * z_dim**0.5)

    def spatial_channels(self) -> int:
        return 0

    def encoder_parameters(self) -> list[nn.Parameter]:
        """θEnc = {θImEnc, θIEnc, θFC}."""
        return [*self.im_enc.parameters(), *self.i_enc.parameters(), *self.fc.parameters()]

    def generator_parameters(self) -> list[nn.Parameter]:
        """θG (SIM adds its masked-source encoder)."""
        return list(self.gen.parameters())

    def aux_parameters(self) -> list[nn.Parameter]:
        """Parameters trained only by :attr:`Draw.aux` losses (none for the paper)."""
        return []

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
        return self.gen(z, self.condition(x, tokens, lengths))

    def draw(self, b, k: int) -> Draw:
        """Choice ``k`` of eq. (20) for a :class:`~imi.systems.imi.step.StepBatch`, computing only what it needs.

        An unsupervised batch (§3.5.2) always takes choice 0: reconstruct X
        from its own code, with the shuffled batch as the wrong condition.
        """
        k = k if b.supervised else 0
        phi_s = self.im_enc(b.source)
        c_s = self.fc(phi_s, None)
        if k == 0:
            return Draw(c_s, self.fc(self.im_enc(b.target), None), b.source, b.source_labels, c_s)
        if k == 1:
            c_t = self.fc(self.im_enc(b.target), None)
            return Draw(c_t, c_s, b.target, b.target_labels, c_t)
        c_hat = self.fc(phi_s, self.i_enc(b.tokens, b.lengths))
        return Draw(c_hat, c_s, b.target, b.target_labels, c_hat)


class SIMModel(IMIModel):
    """The paper plus Source Image Masking (SPEC §5).

    ``m = CNN_MGen(φim, φi_T)`` picks the source pixels to keep;
    ``φimm = CNN_ImEncM(Xs ⊙ m)`` (a ``(B, K, 4, 4)`` map) joins the
    generator's first feature map. The mask learns from the teacher mask
    (1 where source and target agree) with its own optimiser: its inputs and
    its use in φimm are detached, so the GAN's update rule (23) is unchanged.
    """

    inference_prefixes = (*IMIModel.inference_prefixes, "mgen.", "im_enc_m.")

    def __init__(self, config: ModelConfig):
        super().__init__(config)
        c = config
        self.mgen = Generator(0, c.d_im + c.d_i, 1, c.ch, c.image_size, "sigmoid")
        self.im_enc_m, _ = conv_stack(c.channels, c.ch, c.image_size)
        self.mgen.apply(init_dcgan)
        self.im_enc_m.apply(init_dcgan)
        self.register_buffer("black", normalize(torch.zeros(()), c.output), persistent=False)

    def spatial_channels(self) -> int:
        return self.config.ch * 2 ** ((self.config.image_size // 4).bit_length() - 2)

    def generator_parameters(self) -> list[nn.Parameter]:
        return [*self.gen.parameters(), *self.im_enc_m.parameters()]

    def aux_parameters(self) -> list[nn.Parameter]:
        return list(self.mgen.parameters())

    def mask(self, phi_im: torch.Tensor, phi_i: torch.Tensor | None) -> torch.Tensor:
        """``(B, d_im)``, ``(B, d_i)`` or None → mask ``(B, 1, S, S)`` in [0, 1]."""
        if phi_i is None:
            phi_i = phi_im.new_zeros(phi_im.shape[0], self.config.d_i)
        empty = phi_im.new_zeros(phi_im.shape[0], 0)
        return self.mgen(empty, torch.cat([phi_im, phi_i], dim=1))

    def masked_code(self, x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        """φimm of ``Xs ⊙ m``; masking happens in pixel space (masked pixels turn black)."""
        return self.im_enc_m((x - self.black) * m + self.black)

    def _sim(self, x: torch.Tensor, phi_im: torch.Tensor, phi_i: torch.Tensor | None):
        m = self.mask(phi_im.detach(), None if phi_i is None else phi_i.detach())
        return m, self.masked_code(x, m.detach())

    def generate(self, x, tokens, lengths, z):
        phi_im, phi_i = self.im_enc(x), self.i_enc(tokens, lengths)
        _, spatial = self._sim(x, phi_im, phi_i)
        return self.gen(z, self.fc(phi_im, phi_i), spatial)

    def change_map(self, x, tokens, lengths):
        """1 − SIM's keep mask."""
        return 1 - self.mask(self.im_enc(x), self.i_enc(tokens, lengths))

    def draw(self, b, k: int) -> Draw:
        k = k if b.supervised else 0
        phi_s = self.im_enc(b.source)
        phi_t = self.im_enc(b.target) if k < 2 else None
        c_s = self.fc(phi_s, None)
        if k == 0:
            image, phi_im, phi_i, teacher = b.source, phi_s, None, torch.ones_like(b.source[:, :1])
            c_r, c_w, x, labels = c_s, self.fc(phi_t, None), b.source, b.source_labels
        elif k == 1:
            image, phi_im, phi_i, teacher = b.target, phi_t, None, torch.ones_like(b.source[:, :1])
            c_r, c_w, x, labels = self.fc(phi_t, None), c_s, b.target, b.target_labels
        else:
            phi_i = self.i_enc(b.tokens, b.lengths)
            image, phi_im = b.source, phi_s
            teacher = (~b.change.any(1, keepdim=True)).to(b.source.dtype)
            c_r, c_w, x, labels = self.fc(phi_s, phi_i), c_s, b.target, b.target_labels
        m, spatial = self._sim(image, phi_im, phi_i)
        # The mask generator learns from supervised samples only (SPEC §4).
        aux = {"mask": F.mse_loss(m.float(), teacher.float())} if b.supervised else {}
        return Draw(c_r, c_w, x, labels, c_r, spatial, aux)


class TextFusion(nn.Module):
    """``φfc = sigmoid(W_i φi_T + b)``, L2-normalised: eq. (3) without the image."""

    def __init__(self, d_i: int, d_fc: int):
        super().__init__()
        self.w_i = nn.Linear(d_i, d_fc)

    def forward(self, phi_i: torch.Tensor) -> torch.Tensor:
        return F.normalize(torch.sigmoid(self.w_i(phi_i)), dim=1)


class Cap2ImageModel(IMIModel):
    """Text-only conditional GAN (the paper's Fig. 2/3 contrast): ``X̂t = G(z, FC(IEnc(I)))``.

    It never sees the source, so it can draw *a* scene that fits the words but
    not *the user's* scene: the baseline that shows why the image encoder matters.
    """

    inference_prefixes = ("i_enc.", "fc.", "gen.")
    num_draws = 1

    def __init__(self, config: ModelConfig):
        super().__init__(config)
        self.im_enc = None
        self.fc = TextFusion(config.d_i, config.d_fc)
        self.fc.apply(init_dcgan)
        if config.cond_init == "unit":
            nn.init.normal_(self.fc.w_i.weight, 0.0, 1.0)

    def encoder_parameters(self) -> list[nn.Parameter]:
        return [*self.i_enc.parameters(), *self.fc.parameters()]

    def condition(self, x, tokens, lengths):
        return self.fc(self.i_enc(tokens, lengths))

    def draw(self, b, k: int) -> Draw:
        # Matching-aware D as in GAN-INT-CLS: the wrong condition is another item's instruction.
        c = self.condition(None, b.tokens, b.lengths)
        return Draw(c, c.roll(1, 0), b.target, b.target_labels, c)
