"""The caption pipeline: load a caption checkpoint, caption images under latent codes.

    captioner = imi.Captioner.from_pretrained("gridmnist")
    captioner.caption(image)                  # the code drawn with seed 0
    captioner.caption(image, c=7)             # the code drawn with seed 7
    captioner.caption(image, c=[0.5, -1, 0])  # this code
    captioner.caption(image, samples=5)       # five codes (seeds 0..): five captions

The code ``c`` is the model's latent (paper 003): its meaning was learned without labels, and a
fixed code makes the model prefer some captions (a sub-group of digits) over others. The CLI, the
web app and the evaluation all caption through :meth:`Captioner.caption_tensors`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from imi.core.config import ExperimentConfig
from imi.core.errors import ImiError
from imi.core.images import load_image, normalize
from imi.core.text import Tokenizer, Vocabulary
from imi.pipelines.shipped import check_seed, locate
from imi.registry import load_pretrained

ImageLike = Image.Image | np.ndarray | str | Path
Code = None | int | Sequence[float] | np.ndarray | torch.Tensor


class CodeError(ImiError, ValueError):
    """A latent code that is not a seed or a vector of the model's code size."""


class Captioner:
    """Captions images with a trained caption model (eval mode, no gradients)."""

    def __init__(self, model, config: ExperimentConfig, tokenizer: Tokenizer):
        self.model = model
        self.config = config
        self.tokenizer = tokenizer

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, device: str | torch.device = "cpu") -> Captioner:
        """A shipped caption checkpoint by name (``"gridmnist"``) or a checkpoint/run folder by path."""
        model, config, vocab = load_pretrained(locate(name_or_path, "caption"), device)
        return cls(model, config, Tokenizer(Vocabulary(tuple(vocab)), strict=True))

    @property
    def code_dim(self) -> int:
        return self.config.model.code_dim

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def codes(self, n: int, seed: int = 0) -> torch.Tensor:
        """``n`` codes drawn from p(c) = N(0, I), row i of a generator seeded with ``seed``: ``(n, code_dim)``."""
        check_seed(seed)
        return torch.randn(n, self.code_dim, generator=torch.Generator().manual_seed(int(seed)))

    def code(self, c: Code, samples: int = 1) -> torch.Tensor:
        """The codes ``(samples, code_dim)`` that ``c`` means: None → seed 0, an int → that seed, a vector → itself."""
        if isinstance(samples, bool) or not isinstance(samples, int) or not 1 <= samples <= 1000:
            raise CodeError(f"samples must be a whole number in [1, 1000], got {samples!r:.40}")
        if c is None or (isinstance(c, int | np.integer) and not isinstance(c, bool)):
            return self.codes(samples, 0 if c is None else int(c))
        try:
            vector = torch.as_tensor(np.asarray(c, dtype=np.float32))
        except (TypeError, ValueError):
            raise CodeError(f"a code is a seed or {self.code_dim} numbers, got {c!r:.60}") from None
        if vector.shape != (self.code_dim,) or not torch.isfinite(vector).all():
            raise CodeError(f"a code is {self.code_dim} finite numbers, got {c!r:.60}")
        if samples != 1:
            raise CodeError("samples draws codes from a seed; a given code vector makes one caption")
        return vector[None]

    def preprocess(self, images: Sequence[ImageLike]) -> torch.Tensor:
        """Images → uint8 ``(B, C, S, S)`` (converted and resized; see :func:`imi.core.images.load_image`)."""
        m = self.config.model
        return torch.stack([load_image(im, m.channels, m.image_size, self.config.data.background) for im in images])

    @torch.no_grad()
    def caption_ids(self, images: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """uint8 ``(B, C, S, S)`` + codes ``(B, code_dim)`` → word ids long ``(B, max_len)`` (0 after the end)."""
        if self.model.training:
            raise RuntimeError("Captioner needs the model in eval mode")
        dev = self.device
        vectors = self.model.generate(normalize(images.to(dev), "tanh"), codes.to(dev).float())
        return self.model.decode(vectors).cpu()

    def caption_tensors(self, images: torch.Tensor, codes: torch.Tensor) -> list[str]:
        """uint8 ``(B, C, S, S)`` + codes ``(B, code_dim)`` → B captions."""
        return [self.tokenizer.decode(row.tolist()) for row in self.caption_ids(images, codes)]

    def caption(self, image: ImageLike, c: Code = None, samples: int = 1) -> str | list[str]:
        """Caption one image under the code ``c`` (see the module text); a list of ``samples`` captions
        when ``samples`` > 1 (codes drawn from the seed ``c``, default 0)."""
        codes = self.code(c, samples)
        x = self.preprocess([image]).expand(len(codes), -1, -1, -1)
        out = self.caption_tensors(x, codes)
        return out[0] if samples == 1 else out

    def caption_batch(self, images: Sequence[ImageLike], c: Code = None) -> list[str]:
        """Caption several images, all under one code ``c`` (None: seed 0's code)."""
        if isinstance(images, str | Path) or not isinstance(images, Sequence) or not images:
            raise ImiError("caption_batch takes a non-empty list of images")
        code = self.code(c)
        x = self.preprocess(images)
        return self.caption_tensors(x, code.expand(len(x), -1))
