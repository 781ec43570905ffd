"""The context-aware GAN's networks (SPEC-context-gan §2, paper §3).

- Context network: two recognisers (place; which people), frozen after Algorithm 1, and the merge
  rule that turns what they read and what the text names into the one-hot context vector ``C``.
- ``G_1``: Reed et al.'s text-conditional DCGAN (z, T, C → 15×26); ``G_2``, ``G_3``: StackGAN
  stage-II blocks (picture → features at half size, T and C tiled on, residual blocks, upsampled to
  30×52 and 60×105).
- ``D_k``: one matching-aware discriminator per scale (picture, T, C → a logit).

Upsampling goes to each stage's exact size (nearest, then a 3×3 conv) because the paper's sizes
(15×26 → 30×52 → 60×105) are not powers of two.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from imi.nn.recognizer import Recognizer
from imi.systems.contextgan.config import ContextGANConfig


def _up(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class _Res(nn.Module):
    """conv-BN-ReLU-conv-BN with an identity skip (StackGAN's residual block)."""

    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
            nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.body(x))


def _text(cfg: ContextGANConfig) -> nn.Sequential:
    """Sentence vector → ``t_dim`` (Reed: a fully connected layer and a leaky ReLU)."""
    return nn.Sequential(nn.Linear(cfg.text_dim, cfg.t_dim), nn.LeakyReLU(0.2, inplace=True))


class Stage1(nn.Module):
    """Reed's generator: ``[z, T, C]`` → linear → ``(4·ngf, h/4, w/4)`` → two upsamplings → RGB."""

    def __init__(self, cfg: ContextGANConfig, size: tuple[int, int]):
        super().__init__()
        self.size, g = size, cfg.ngf
        self.base = ((size[0] + 3) // 4, (size[1] + 3) // 4)
        self.fc = nn.Sequential(
            nn.Linear(cfg.z_dim + cfg.t_dim + cfg.c_dim, 4 * g * self.base[0] * self.base[1], bias=False),
            nn.BatchNorm1d(4 * g * self.base[0] * self.base[1]), nn.ReLU(inplace=True),
        )  # fmt: skip
        self.up1, self.up2 = _up(4 * g, 2 * g), _up(2 * g, g)
        self.out = nn.Conv2d(g, 3, 3, 1, 1)

    def forward(self, cond: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        h, w = self.size
        x = self.fc(torch.cat([z, cond], 1)).view(len(z), -1, *self.base)
        x = self.up1(F.interpolate(x, size=((h + 1) // 2, (w + 1) // 2), mode="nearest"))
        x = self.up2(F.interpolate(x, size=(h, w), mode="nearest"))
        return torch.tanh(self.out(x))


class StageN(nn.Module):
    """StackGAN stage II: picture ``(B, 3, h, w)`` → ``2·ch`` features at half size, ``[T, C]`` tiled on,
    a joint conv, residual blocks, upsampled back to ``(h, w)`` and on to the stage's size."""

    def __init__(self, cfg: ContextGANConfig, ch: int, size: tuple[int, int]):
        super().__init__()
        self.size = size
        self.encode = nn.Sequential(
            nn.Conv2d(3, ch, 3, 1, 1), nn.ReLU(inplace=True),
            nn.Conv2d(ch, 2 * ch, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * ch), nn.ReLU(inplace=True),
        )  # fmt: skip
        # [T, C] → cond_ch numbers before tiling (StackGAN tiles a compact code, not the raw inputs).
        self.cond = nn.Sequential(nn.Linear(cfg.t_dim + cfg.c_dim, cfg.cond_ch), nn.LeakyReLU(0.2, inplace=True))
        self.joint = _up(2 * ch + cfg.cond_ch, 2 * ch)
        self.res = nn.Sequential(*[_Res(2 * ch) for _ in range(cfg.res_blocks)])
        self.up1, self.up2 = _up(2 * ch, ch), _up(ch, ch // 2)
        self.out = nn.Conv2d(ch // 2, 3, 3, 1, 1)

    def forward(self, cond: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        f = self.encode(prev)
        tiled = self.cond(cond)[:, :, None, None].expand(-1, -1, *f.shape[-2:])
        f = self.res(self.joint(torch.cat([f, tiled], 1)))
        f = self.up1(F.interpolate(f, size=prev.shape[-2:], mode="nearest"))
        f = self.up2(F.interpolate(f, size=self.size, mode="nearest"))
        return torch.tanh(self.out(f))


class StageD(nn.Module):
    """Reed's matching-aware D at one scale: stride-2 convs down to ≤ 4 rows, ``[T, C]`` tiled on,
    a 1×1 conv, and the mean of a 1×1 logit map."""

    def __init__(self, cfg: ContextGANConfig, size: tuple[int, int]):
        super().__init__()
        layers, c, h = [], 3, size[0]
        width = cfg.ndf
        while h > 4:
            layers += [nn.Conv2d(c, width, 4, 2, 1, bias=c != 3)]
            layers += [nn.BatchNorm2d(width)] if c != 3 else []
            layers += [nn.LeakyReLU(0.2, inplace=True)]
            c, h, width = width, (h + 1) // 2, min(width * 2, 8 * cfg.ndf)
        self.down = nn.Sequential(*layers)
        self.text = _text(cfg)
        self.joint = nn.Sequential(nn.Conv2d(c + cfg.t_dim + cfg.c_dim, c, 1), nn.LeakyReLU(0.2, inplace=True))
        self.logit = nn.Conv2d(c, 1, 1)

    def forward(self, image: torch.Tensor, text: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        return self.judge(self.down(image), text, context)

    def judge(self, features: torch.Tensor, text: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """The logit of pictures already through ``down`` (a real picture is judged with its own and
        with another scene's condition from one pass)."""
        cond = torch.cat([self.text(text), context], 1)[:, :, None, None].expand(-1, -1, *features.shape[-2:])
        return self.logit(self.joint(torch.cat([features, cond], 1))).mean((1, 2, 3))


class ContextGAN(nn.Module):
    """The whole system; see the module docstring. Only the recognisers, the text projection and the
    generators are kept for inference."""

    def __init__(self, config: ContextGANConfig):
        super().__init__()
        self.config = cfg = config
        sizes = cfg.stage_sizes()
        self.place_net = Recognizer({"place": cfg.places}, cfg.recog_width)
        self.people_net = Recognizer({"people": cfg.people}, cfg.recog_width)
        self.text = _text(cfg)
        self.g = nn.ModuleList(
            [Stage1(cfg, sizes[0]), StageN(cfg, cfg.g2_ch, sizes[1]), StageN(cfg, cfg.g3_ch, sizes[2])]
        )
        self.d = nn.ModuleList([StageD(cfg, s) for s in sizes])

    def train(self, mode: bool = True) -> ContextGAN:
        """The recognisers stay in eval mode: frozen after Algorithm 1, their batch statistics too."""
        super().train(mode)
        self.place_net.eval()
        self.people_net.eval()
        return self

    # -- the context network (Algorithm 1 trains the recognisers; recipe.train_recognizers) --------

    def read_context(self, context: torch.Tensor) -> dict[str, torch.Tensor]:
        """``place`` ``(B, places)`` softmax and ``people`` ``(B, people)`` sigmoid of context pictures."""
        return {
            "place": self.place_net(context)["place"].softmax(1),
            "people": torch.sigmoid(self.people_net(context)["people"]),
        }

    def context_vector(self, read, place, kind, person) -> torch.Tensor:
        """The merge rule (SPEC §2): ``(B, places + people)`` one-hots.

        Place: the text's if it names one, else the context's (argmax). Person: the text's when it
        names a specific one; when it names only a kind, the context's most likely person of that kind
        ("a woman" → the woman of the context); when it names none, the context's most likely person.
        """
        cfg = self.config
        b = len(place)
        if not cfg.use_context:
            return read["place"].new_zeros(b, 0)
        bg = torch.where(place >= 0, place, read["place"].argmax(1))
        looks = cfg.people // cfg.kinds  # types per kind (ClipScenes: 4 kinds × 5 looks)
        probs = read["people"]
        of_kind = torch.arange(cfg.people, device=probs.device)[None] // looks == kind[:, None]
        within = torch.where(of_kind, probs, torch.full_like(probs, -1.0)).argmax(1)
        fg = torch.where(person >= 0, person, torch.where(kind >= 0, within, probs.argmax(1)))
        return torch.cat([F.one_hot(bg, cfg.places), F.one_hot(fg, cfg.people)], 1).float()

    # -- generation -------------------------------------------------------------------------------

    def condition(self, text: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.text(text), context], 1)

    def generate(self, text: torch.Tensor, context: torch.Tensor, z: torch.Tensor) -> list[torch.Tensor]:
        """``[I(G_1), I(G_2), I(G_3)]``: float ``(B, 3, h_k, w_k)`` in [-1, 1]."""
        cond = self.condition(text, context)
        out = [self.g[0](cond, z)]
        for stage in self.g[1:]:
            out.append(stage(cond, out[-1]))
        return out

    def discriminate(self, k: int, image: torch.Tensor, text: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        return self.d[k](image, text, context)

    def g_parameters(self):
        return [*self.text.parameters(), *self.g.parameters()]

    def d_parameters(self):
        return list(self.d.parameters())

    def inference_state(self) -> dict[str, torch.Tensor]:
        return {k: v for k, v in self.state_dict().items() if not k.startswith("d.")}
