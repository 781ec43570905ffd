"""The networks: a text autoencoder, and G, D, Q over its sentence vectors, each reading the image.

Shapes: images ``(B, C, S, S)`` in [-1, 1]; sentence vectors ``(B, d_sentence)`` in [-1, 1];
codes ``(B, code_dim)``; word ids ``(B, T)`` with 0 (``<pad>``) as padding and as the end mark.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from imi.systems.latextgan.config import CaptionGANConfig

END = 0  # <pad> ends a caption


class ImageCode(nn.Module):
    """Four stride-2 convolutions and a linear layer: ``(B, C, S, S) → (B, d_image)``."""

    def __init__(self, cfg: CaptionGANConfig):
        super().__init__()
        widths = [cfg.channels, cfg.ch, 2 * cfg.ch, 4 * cfg.ch, 4 * cfg.ch]
        layers: list[nn.Module] = []
        for a, b in itertools.pairwise(widths):
            layers += [nn.Conv2d(a, b, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        self.convs = nn.Sequential(*layers)
        self.out = nn.Sequential(nn.Linear(widths[-1] * (cfg.image_size // 16) ** 2, cfg.d_image), nn.LeakyReLU(0.2))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.out(self.convs(image).flatten(1))


class Residual(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.LeakyReLU(0.2), nn.Linear(width, width), nn.LeakyReLU(0.2), nn.Linear(width, width)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ConditionedMLP(nn.Module):
    """A residual MLP on ``[vector, image code]`` (LaTextGAN's G/D body, given the image, paper §3).

    ``own_image``: it has its own CNN (else it reads features it is given); ``projection`` adds
    ``⟨A·vector, image code⟩`` to its (scalar) output, the projection discriminator's match term,
    so "does this caption fit this image" is one product away instead of learned through the MLP.
    """

    def __init__(self, cfg: CaptionGANConfig, d_in: int, d_out: int, own_image: bool, projection: bool = False):
        super().__init__()
        self.image = ImageCode(cfg) if own_image else None
        self.body = nn.Sequential(
            nn.Linear(d_in + cfg.d_image, cfg.d_hidden),
            *(Residual(cfg.d_hidden) for _ in range(cfg.blocks)),
            nn.LeakyReLU(0.2),
            nn.Linear(cfg.d_hidden, d_out),
        )
        self.project = nn.Linear(d_in, cfg.d_image, bias=False) if projection else None

    def forward(self, vector: torch.Tensor, image: torch.Tensor | None, features: torch.Tensor | None = None):
        """``vector (B, d_in)`` and the image ``(B, C, S, S)`` (or its ``features (B, d_image)``) → ``(B, d_out)``."""
        f = self.image(image) if self.image is not None else features
        out = self.body(torch.cat([vector, f], 1))
        if self.project is not None:
            out = out + (self.project(vector) * f).sum(1, keepdim=True)
        return out


class TextAutoencoder(nn.Module):
    """GRU encoder → tanh sentence vector → GRU decoder (teacher-forced in training, greedy after)."""

    def __init__(self, cfg: CaptionGANConfig):
        super().__init__()
        self.max_len = cfg.max_len
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_word)
        self.encoder = nn.GRU(cfg.d_word, cfg.d_sentence, batch_first=True)
        self.start = nn.Parameter(torch.zeros(cfg.d_word))
        self.init = nn.Linear(cfg.d_sentence, cfg.d_sentence)
        self.decoder = nn.GRU(cfg.d_word, cfg.d_sentence, batch_first=True)
        self.words = nn.Linear(cfg.d_sentence, cfg.vocab_size)

    def encode(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``(B, T), (B,) → (B, d_sentence)``: the GRU state after the last word, through tanh."""
        packed = nn.utils.rnn.pack_padded_sequence(
            self.embed(tokens), lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False
        )
        _, h = self.encoder(packed)
        return torch.tanh(h[0])

    def logits(self, vectors: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: logits ``(B, T + 1, V)`` of each word and then the end, given the words before."""
        start = self.start.expand(len(tokens), 1, -1)
        inputs = torch.cat([start, self.embed(tokens)], 1)
        out, _ = self.decoder(inputs, torch.tanh(self.init(vectors))[None].contiguous())
        return self.words(out)

    @torch.no_grad()
    def decode(self, vectors: torch.Tensor) -> torch.Tensor:
        """Greedy ids ``(B, max_len)``; everything after the first end mark is 0."""
        h = torch.tanh(self.init(vectors))[None].contiguous()
        x = self.start.expand(len(vectors), 1, -1)
        ids, done = [], torch.zeros(len(vectors), dtype=torch.bool, device=vectors.device)
        for _ in range(self.max_len):
            out, h = self.decoder(x, h)
            word = self.words(out[:, 0]).argmax(1)
            done |= word == END
            word = word.masked_fill(done, END)
            ids.append(word)
            if done.all():  # every caption has ended: the rest is padding
                break
            x = self.embed(word)[:, None]
        out = torch.stack(ids, 1)
        return torch.nn.functional.pad(out, (0, self.max_len - out.shape[1]))


class CaptionGAN(nn.Module):
    """LaTextGAN + image condition + InfoGAN code (SPEC-caption-gan §2): ``Dec(G(c, X))`` is the caption.

    ``ae`` is trained first and frozen (:meth:`imi.systems.latextgan.recipe.CaptionGANRecipe.prepare`);
    ``g``, ``d`` and ``q`` then learn eqs. (4)-(6) over its sentence vectors.
    """

    def __init__(self, config: CaptionGANConfig):
        super().__init__()
        self.config = config
        self.ae = TextAutoencoder(config)
        own = not config.shared_image
        # Shared: one CNN, trained by D alone; G and Q read its features without moving it (a G that
        # could change D's view of the image would fool D through it).
        self.image = None if own else ImageCode(config)
        self.g = ConditionedMLP(config, config.code_dim, config.d_sentence, own)
        self.d = ConditionedMLP(config, config.d_sentence, 1, own, projection=config.projection)
        self.q = ConditionedMLP(config, config.d_sentence, config.code_dim, own)
        # The vectors of the training captions (set once the autoencoder is trained; for ``snap``).
        self.register_buffer("captions", torch.zeros(0, config.d_sentence))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # The caption table's size is the data's (10 words, 160 sentences): take it from the file.
        table = state_dict.get(prefix + "captions")
        if table is not None:
            self.captions = torch.empty_like(table)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def snap(self, vectors: torch.Tensor) -> torch.Tensor:
        """What D and Q read of G's vectors ``(B, d)``: themselves, or with ``config.snap`` > 0 their soft
        projection onto :attr:`captions` (see :class:`~imi.systems.latextgan.config.CaptionGANConfig`)."""
        if self.config.snap <= 0 or not len(self.captions):
            return vectors
        return self.choose(vectors, self.config.snap) @ self.captions

    def choose(self, vectors: torch.Tensor, temperature: float, which: torch.Tensor | None = None) -> torch.Tensor:
        """Soft choice among the training captions (``which``: among those only):
        ``softmax(−‖ŝ − e_k‖² / temperature)``, ``(B, N)``."""
        table = self.captions if which is None else self.captions[which]
        return torch.softmax(-torch.cdist(vectors, table) ** 2 / temperature, dim=1)

    def critic_all(
        self, image: torch.Tensor, features: torch.Tensor | None = None, which: torch.Tensor | None = None
    ) -> torch.Tensor:
        """D's verdict on every training caption (``which``: on those only) for every image: ``(B, N)``."""
        f = self.features(image, trained=True) if features is None else features
        table = self.captions if which is None else self.captions[which]
        b, n = len(image), len(table)
        f_rep = None if f is None else f.repeat_interleave(n, 0)
        image_rep = image if f is not None else image.repeat_interleave(n, 0)
        return self.d(table.repeat(b, 1), image_rep, f_rep).view(b, n)

    def features(self, image: torch.Tensor, trained: bool = False) -> torch.Tensor | None:
        """The shared image code ``(B, d_image)`` (None without a shared CNN); ``trained``: keep D's gradient."""
        if self.image is None:
            return None
        f = self.image(image)
        return f if trained else f.detach()

    def generate(self, image: torch.Tensor, code: torch.Tensor, features: torch.Tensor | None = None) -> torch.Tensor:
        """``G(c, X)``: sentence vectors ``(B, d_sentence)`` in [-1, 1]."""
        f = self.features(image) if features is None else features
        return torch.tanh(self.g(code, image, f))

    def critic(self, vectors: torch.Tensor, image: torch.Tensor, features: torch.Tensor | None = None):
        """``D(s, X)``: a logit (log-loss) or a score (WGAN-GP) ``(B, 1)``."""
        return self.d(vectors, image, self.features(image, trained=True) if features is None else features)

    def recover(self, vectors: torch.Tensor, image: torch.Tensor, features: torch.Tensor | None = None):
        """``Q(ŝ, X)``: the code ``(B, code_dim)`` G was given."""
        return self.q(vectors, image, self.features(image) if features is None else features)

    def decode(self, vectors: torch.Tensor) -> torch.Tensor:
        return self.ae.decode(vectors)

    def d_parameters(self) -> list[nn.Parameter]:
        """What D's optimiser moves: D, and the shared CNN."""
        return [*self.d.parameters(), *(self.image.parameters() if self.image is not None else [])]

    def g_parameters(self) -> list[nn.Parameter]:
        """What G's optimiser moves: G and Q (they minimise together, eq. (4))."""
        return [*self.g.parameters(), *self.q.parameters()]

    def inference_state(self) -> dict[str, torch.Tensor]:
        """What captioning needs: the autoencoder, G, and the shared CNN (D and Q are for training only)."""
        return {k: v for k, v in self.state_dict().items() if k.startswith(("ae.", "g.", "image."))}
