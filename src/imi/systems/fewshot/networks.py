"""The few-shot synthesiser: the prior's generator (frozen), class prototypes of its features, and an
encoder from a label map or scribble to W+."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from imi.nn.stylegan import project
from imi.systems.fewshot.config import FewShotConfig
from imi.systems.fewshot.prototypes import similarity


class MapEncoder(nn.Module):
    """A one-hot map with a "labelled" channel ``(B, K + 1, S, S)`` → W+ ``(B, num_ws, w_dim)``.

    Four stride-2 conv stages take the map to 4×4 (pSp's idea, one level: every layer's style is read
    from the whole layout, which stays in the flattened 4×4 grid rather than being pooled away); an MLP
    gives the styles as offsets from the prior's mean w, so an untrained encoder draws the mean picture.
    """

    def __init__(self, classes: int, size: int, width: int, num_ws: int, w_dim: int):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(classes + 1, width, 3, padding=1), nn.LeakyReLU(0.2)]
        c, s = width, size
        while s > 4:
            nxt = min(4 * width, 2 * c)
            layers += [nn.Conv2d(c, nxt, 4, stride=2, padding=1), nn.GroupNorm(8, nxt), nn.LeakyReLU(0.2),
                       nn.Conv2d(nxt, nxt, 3, padding=1), nn.LeakyReLU(0.2)]  # fmt: skip
            c, s = nxt, s // 2
        layers += [nn.Conv2d(c, 64, 1), nn.LeakyReLU(0.2)]
        self.body = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Linear(64 * 16, 512), nn.LeakyReLU(0.2), nn.Linear(512, num_ws * w_dim))
        nn.init.zeros_(self.head[-1].weight)
        nn.init.zeros_(self.head[-1].bias)
        self.num_ws, self.w_dim = num_ws, w_dim

    def forward(self, onehot: torch.Tensor, w_avg: torch.Tensor) -> torch.Tensor:
        known = onehot.sum(1, keepdim=True)  # 1 where a pixel is labelled, 0 in a scribble's blanks
        x = self.body(torch.cat([onehot, known], 1)).flatten(1)
        return w_avg + self.head(x).view(-1, self.num_ws, self.w_dim)


class FewShot(nn.Module):
    """A synthesis model (:class:`imi.tasks.synthesize.model.MapModel`) of one global code: the seed.

    ``code_shape`` is ``(1, 1, z_dim)``: a code is a latent z of the prior, whose (truncated) style
    replaces layers ``mix_from`` on of the encoder's W+ — the colours and details — while the encoder's
    earlier layers keep the layout. Buffers ``prototypes`` ``(classes, shots · per_class, D)`` and ``present``
    (up to ``per_class`` prototypes per class from each example showing it) are set
    by the recipe's preparation (from the K examples) and shipped with the weights, with the examples'
    maps and W+ (``example_labels``, ``example_ws``).
    """

    encodes_looks = False  # a picture's look is its seed; there is no encoder of looks to copy one
    accepts_scribbles = True  # maps may leave pixels unlabelled (label UNKNOWN)

    def __init__(self, config: FewShotConfig):
        super().__init__()
        self.config = c = config
        self.generator = c.build_generator()
        self.generator.requires_grad_(False)
        self.encoder = MapEncoder(c.classes, c.size, c.enc_width, self.generator.num_ws, c.w_dim)
        self.votes = slice(c.first_vote, c.last_vote + 1)  # the resolutions whose features vote
        self.vote_widths = self.generator.synthesis.widths[self.votes]
        slots = c.shots * c.per_class  # per class: up to per_class prototypes from each example
        self.register_buffer("prototypes", torch.zeros(c.classes, slots, sum(self.vote_widths)))
        self.register_buffer("present", torch.zeros(c.classes, slots, dtype=torch.bool))
        # The K examples as the model was given them: exact maps and their inversions into W+.
        self.register_buffer("example_labels", torch.zeros(c.shots, c.size, c.size, dtype=torch.uint8))
        self.register_buffer("example_ws", torch.zeros(c.shots, self.generator.num_ws, c.w_dim))

    @property
    def code_shape(self) -> tuple[int, int, int]:
        return (1, 1, self.config.z_dim)

    def train(self, mode: bool = True):
        super().train(mode)
        self.generator.eval()  # frozen: always in inference mode
        return self

    def ws(self, onehot: torch.Tensor, codes: torch.Tensor | None) -> torch.Tensor:
        """W+ of one-hot maps ``(B, K, S, S)`` (all-zero columns: unlabelled) and codes ``(B, 1, 1, z_dim)``."""
        ws = self.encoder(onehot, self.generator.w_avg)
        if codes is None:
            return ws
        w = self.generator.w(codes.reshape(len(codes), -1), self.config.truncation)
        m = self.config.mix_from
        return torch.cat([ws[:, :m], w[:, None].expand(-1, ws.shape[1] - m, -1)], 1)

    def generate(self, onehot: torch.Tensor, codes: torch.Tensor | None) -> torch.Tensor:
        """Float ``(B, 3, S, S)`` in about [-1, 1]."""
        return self.generator.synthesis(self.ws(onehot, codes))

    def pseudo_logits(self, ws: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(picture, cosine similarity to each prototype (B, K, S, S))`` of W+ ``ws``."""
        image, feats = self.generator.synthesis(ws, features=True)
        return image, similarity(feats[self.votes], self.prototypes, self.present, self.vote_widths, image.shape[-1])

    def pseudo_labels(self, ws: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(picture (B, 3, S, S), its pseudo-label map (B, S, S))``: the nearest prototype per pixel."""
        image, sim = self.pseudo_logits(ws)
        return image, sim.argmax(1)

    def refine(self, onehot: torch.Tensor, codes: torch.Tensor | None, steps: int, lr: float = 0.02) -> torch.Tensor:
        """The optional refinement by inversion: start from the encoder's W+ for maps ``(B, K, S, S)`` and
        ``codes``, and take ``steps`` Adam steps on its layout layers (before ``mix_from``) to lower the
        pseudo-labeller's cross-entropy against the map's labelled pixels, with a squared pull back to the
        start. Returns the picture ``(B, 3, S, S)``; the weights do not move."""
        with torch.no_grad():
            start = self.ws(onehot, codes)
        m = self.config.mix_from
        layout = start[:, :m].clone().requires_grad_(True)
        opt = torch.optim.Adam([layout], lr=lr)
        known = onehot.sum(1) > 0
        target = onehot.argmax(1)
        with torch.enable_grad():
            for _ in range(steps):
                _, sim = self.pseudo_logits(torch.cat([layout, start[:, m:]], 1))
                ce = F.cross_entropy(sim / self.config.temperature, target, reduction="none")
                loss = (ce * known).sum() / known.sum().clamp(min=1) + (layout - start[:, :m]).square().mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
        with torch.no_grad():
            return self.generator.synthesis(torch.cat([layout.detach(), start[:, m:]], 1))

    def label_pictures(self, images: torch.Tensor, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Real pictures float ``(B, 3, S, S)`` in [-1, 1] → ``(pseudo-label maps (B, S, S), inversion error
        (B,) in 0-255)``: each is inverted into W+ (``steps`` Adam steps) and labelled by the prototypes."""
        ws, err = project(self.generator, images, steps)
        with torch.no_grad():
            return self.pseudo_labels(ws)[1], err

    def inference_state(self) -> dict[str, torch.Tensor]:
        return {k: v for k, v in self.state_dict().items()}

