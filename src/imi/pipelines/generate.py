"""The generation pipeline: a sentence and a context picture → a picture, in three stages (paper 001).

    generator = imi.SceneGenerator.from_pretrained("clipscenes")
    out = generator.generate("a woman is reading", context_image, seed=0)
    out.stages[-1]          # uint8 (60, 105, 3): the last stage; out.stages[0] is 15×26
    out.read                # what the text named, what the context shows, and what was merged

What the text leaves out comes from the context picture: the place when the sentence names none,
and the specific person when it names only a kind ("a woman" → the woman in the context). The CLI,
the web app, the trainer's samples and the evaluation all generate through
:meth:`SceneGenerator.generate_tensors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from imi.core.config import ExperimentConfig
from imi.core.errors import ImiError
from imi.core.images import denormalize, load_image, normalize
from imi.core.sentences import SentenceTokenizer
from imi.core.text import Tokenizer, Vocabulary
from imi.pipelines.shipped import check_seed, locate
from imi.registry import DOMAINS, load_pretrained

ImageLike = Image.Image | np.ndarray | str | Path


@dataclass
class Generation:
    """One generated picture at every stage, and how the context vector was made.

    Attributes:
        stages: uint8 ``(h_k, w_k, 3)`` arrays, smallest first.
        read: ``text`` (what the sentence names), ``context`` (what the recognisers see in the context
            picture) and ``merged`` (the context vector the generator was given), each in words.
    """

    stages: list[np.ndarray]
    read: dict[str, str]


class SceneGenerator:
    """Generates pictures with a trained generation model (eval mode, no gradients)."""

    def __init__(self, model, config: ExperimentConfig, tokenizer: SentenceTokenizer):
        self.model = model
        self.config = config
        self.tokenizer = tokenizer
        self.domain = DOMAINS[config.domain]

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, device: str | torch.device = "cpu") -> SceneGenerator:
        """A shipped generation checkpoint by name (``"clipscenes"``) or a checkpoint/run folder by path."""
        model, config, vocab = load_pretrained(locate(name_or_path, "generate"), device)
        return cls(model, config, SentenceTokenizer(Tokenizer(Vocabulary(tuple(vocab)), strict=False)))

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def size(self) -> tuple[int, int]:
        """The last stage's ``(height, width)``; context pictures are resized to it."""
        return self.config.model.height, self.config.model.width

    def noise(self, n: int, seed: int = 0) -> torch.Tensor:
        """``n`` noise vectors, uniform in [-1, 1], row i of a generator seeded with ``seed``: ``(n, z_dim)``."""
        check_seed(seed)
        gen = torch.Generator().manual_seed(int(seed))
        return torch.rand(n, self.config.model.z_dim, generator=gen) * 2 - 1

    def preprocess(self, images: list[ImageLike]) -> torch.Tensor:
        """Pictures → uint8 ``(B, 3, H, W)`` at the model's size (see :func:`imi.core.images.load_image`)."""
        return torch.stack([load_image(im, 3, self.size, self.config.data.background) for im in images])

    def parse(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """What each sentence names, by the domain's parser: ``(place, kind, person)`` long ``(B,)``, −1: not named."""
        parsed = [self.domain.parse_text(t) for t in texts]
        return tuple(
            torch.tensor([getattr(p, f) for p in parsed], dtype=torch.long) for f in ("place", "kind", "person")
        )

    @torch.no_grad()
    def condition(self, texts: list[str], context: torch.Tensor, parsed=None):
        """Sentence vectors ``(B, D)``, the merged context vectors ``(B, C)`` and the recognisers' reading
        of uint8 context pictures ``(B, 3, H, W)``; ``parsed`` (place, kind, person) defaults to :meth:`parse`."""
        if self.model.training:
            raise RuntimeError("SceneGenerator needs the model in eval mode")
        dev = self.device
        vectors, _ = self.tokenizer.batch(texts)
        place, kind, person = self.parse(texts) if parsed is None else parsed
        read = self.model.read_context(normalize(context.to(dev), "tanh"))
        c = self.model.context_vector(read, place.to(dev), kind.to(dev), person.to(dev))
        return vectors.to(dev), c, read

    @torch.no_grad()
    def generate_tensors(
        self, texts: list[str], context: torch.Tensor, z: torch.Tensor, parsed=None
    ) -> list[torch.Tensor]:
        """Sentences + uint8 context ``(B, 3, H, W)`` + noise ``(B, z_dim)`` → uint8 ``(B, 3, h_k, w_k)`` per stage."""
        vectors, c, _ = self.condition(texts, context, parsed)
        return [denormalize(x, "tanh").cpu() for x in self.model.generate(vectors, c, z.to(self.device).float())]

    def generate(self, text: str, context: ImageLike, seed: int = 0) -> Generation:
        """One picture for ``text`` in the context of the picture ``context`` (any size, resized)."""
        if not isinstance(text, str):
            raise ImiError(f"the text must be a string, got {type(text).__name__}")
        text = self.tokenizer.check(text)
        if not text:
            raise ImiError("the text is empty: describe the picture to generate")
        x = self.preprocess([context])
        vectors, c, read = self.condition([text], x)
        stages = self.model.generate(vectors, c, self.noise(1, seed).to(self.device))
        arrays = [denormalize(s, "tanh")[0].permute(1, 2, 0).cpu().numpy() for s in stages]
        return Generation(arrays, self.describe(text, read, c))

    def describe(self, text: str, read: dict[str, torch.Tensor], c: torch.Tensor) -> dict[str, str]:
        """What the text named, what the context shows and what was merged, in the domain's words."""
        names = self.domain.label_names
        places, people = names["places"], names["people"]
        seen = [people[i] for i in (read["people"][0] > 0.5).nonzero().flatten().tolist()]
        out = {
            "text": self.domain.parse_text(text).describe(),
            "context": f"place: {places[int(read['place'][0].argmax())]}; people: {', '.join(seen) or 'none'}",
        }
        if c.shape[1] == 0:
            out["merged"] = "text only (this model has no context vector)"
        else:
            n = len(places)
            out["merged"] = f"place: {places[int(c[0, :n].argmax())]}; person: {people[int(c[0, n:].argmax())]}"
        return out
