"""What a caption model offers the pipeline, the trainer and the evaluation."""

from __future__ import annotations

from typing import Protocol

import torch


class CaptionModel(Protocol):
    """A conditional captioner whose latent code picks among an image's valid captions.

    ``config`` carries ``code_dim`` (the size of the code ``c``) and ``max_len`` (the longest
    caption it decodes, in words).
    """

    config: object

    def generate(self, image: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """Caption vectors ``(B, d)`` for images float ``(B, C, S, S)`` in [-1, 1] and codes ``(B, code_dim)``."""
        ...

    def decode(self, vectors: torch.Tensor) -> torch.Tensor:
        """Greedy word ids long ``(B, max_len)`` of caption vectors, 0 (``<pad>``) after the end."""
        ...

    def inference_state(self) -> dict[str, torch.Tensor]:
        """The weights an inference checkpoint keeps."""
        ...
