"""The drag pipeline: move points of a generated picture, pin others, get the new picture in one pass.

    editor = imi.DragEditor.from_pretrained("canvas-drag")
    start = editor.sample_latent(seed=4)                    # W+ (10, 128) of a prior sample
    result = editor.drag(start, handles=[(27, 46)], targets=[(37, 46)], pins=[(24, 58)])
    result.image                                            # uint8 (64, 64, 3)
    result.latent                                           # W+ to drag further

``latent_or_image`` may also be a uint8 picture ``(S, S, 3)`` (inverted into W+ first) or a seed.
``method="optimise"`` runs the DragGAN-style baseline on the same generator instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from imi.core.config import ExperimentConfig
from imi.core.errors import ImiError
from imi.core.images import denormalize, normalize
from imi.nn.stylegan import project
from imi.pipelines.shipped import check_seed, locate
from imi.registry import load_pretrained
from imi.tasks.drag.optimise import Optimised, OptimiseSettings, optimise_drag
from imi.tasks.drag.points import Drag

METHODS = ("transformer", "optimise")


@dataclass(frozen=True)
class DragResult:
    """One drag: ``latent`` W+ ``(num_ws, w_dim)`` and ``image`` uint8 ``(S, S, 3)`` after it; ``before``,
    the picture it started from; ``iterations``: the optimisation's (0 for the transformer's one pass)."""

    latent: torch.Tensor
    image: np.ndarray
    before: np.ndarray
    iterations: int = 0


class DragEditor:
    """Drags points of the prior's pictures (eval mode; the generator's weights never change)."""

    def __init__(self, model, config: ExperimentConfig, tokenizer=None):
        self.model = model
        self.config = config
        self.tokenizer = tokenizer

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, device: str | torch.device = "cpu") -> DragEditor:
        """A shipped drag editor by name (``"canvas-drag"``) or a checkpoint/run folder by path."""
        model, config, _ = load_pretrained(locate(name_or_path, "drag"), device)
        return cls(model, config)

    @property
    def generator(self):
        return self.model.generator

    @property
    def device(self) -> torch.device:
        return self.model.w_std.device

    @property
    def size(self) -> int:
        return self.config.model.size

    @property
    def shape(self) -> tuple[int, int]:
        """W+'s shape ``(num_ws, w_dim)``."""
        return self.generator.num_ws, self.config.model.w_dim

    def sample_ws(self, n: int, seed: int) -> torch.Tensor:
        """W+ ``(n, num_ws, w_dim)`` of prior samples at the pairs' truncation; row i depends on ``seed`` and i."""
        check_seed(seed)
        z = torch.randn(n, self.config.model.w_dim, generator=torch.Generator().manual_seed(int(seed)))
        with torch.no_grad():
            return self.generator.broadcast(self.model.start_styles(z.to(self.device))).cpu()

    def sample_latent(self, seed: int = 0) -> torch.Tensor:
        """One prior sample's W+ ``(num_ws, w_dim)``."""
        return self.sample_ws(1, seed)[0]

    @torch.no_grad()
    def pictures(self, ws: torch.Tensor) -> torch.Tensor:
        """W+ ``(B, num_ws, w_dim)`` → uint8 ``(B, 3, S, S)``."""
        return denormalize(self.generator.synthesis(ws.to(self.device)), "tanh").cpu()

    @torch.no_grad()
    def drag_tensors(self, ws: torch.Tensor, drag: Drag) -> torch.Tensor:
        """The transformer's drag of a batch: W+ ``(B, num_ws, w_dim)`` → W+, one forward pass."""
        return self.model.edit(ws.to(self.device), drag.to(self.device)).cpu()

    def optimise_tensors(self, ws: torch.Tensor, drag: Drag, settings: OptimiseSettings | None = None,
                         snapshots: tuple[int, ...] = ()) -> Optimised:  # fmt: skip
        """The DragGAN-style baseline on the same generator (its ``layers`` default to the transformer's)."""
        settings = settings or OptimiseSettings(layers=self.config.model.coarse)
        return optimise_drag(self.generator, ws.to(self.device), drag.to(self.device), settings, snapshots)

    def latent_of(self, latent_or_image, invert_steps: int = 300) -> torch.Tensor:
        """W+ ``(num_ws, w_dim)`` of a W+ (float ``(num_ws, w_dim)`` or ``(1, …)``), a uint8 picture
        ``(S, S, 3)`` (inverted by optimisation) or a seed (a prior sample)."""
        if isinstance(latent_or_image, int | np.integer) and not isinstance(latent_or_image, bool):
            return self.sample_latent(int(latent_or_image))
        try:
            x = torch.as_tensor(np.asarray(latent_or_image))
        except (TypeError, ValueError, RuntimeError):
            what = type(latent_or_image).__name__
            raise ImiError(f"expected a W+ latent, a uint8 picture or a seed, got {what}") from None
        if x.is_floating_point():
            x = x.float().reshape(-1, *x.shape[-2:]) if x.dim() >= 2 else x
            if x.dim() != 3 or len(x) != 1 or tuple(x.shape[1:]) != self.shape or not torch.isfinite(x).all():
                raise ImiError(f"a latent must be finite float W+ {self.shape}, got {tuple(x.shape)}")
            return x[0]
        if x.dtype == torch.uint8 and tuple(x.shape) == (self.size, self.size, 3):
            target = normalize(x.permute(2, 0, 1)[None], "tanh").to(self.device)
            return project(self.generator, target, invert_steps)[0][0].cpu()
        raise ImiError(
            f"expected a W+ latent {self.shape}, a uint8 picture ({self.size}, {self.size}, 3) or a seed, "
            f"got {x.dtype} {tuple(x.shape)}"
        )

    def drag(self, latent_or_image, handles, targets, pins=(), method: str = "transformer") -> DragResult:
        """Drag ``handles`` ``[(x, y), …]`` to ``targets`` keeping ``pins`` where they are (pixel coordinates:
        x to the right, y down, pixel centres at integers)."""
        if method not in METHODS:
            raise ImiError(f"method must be one of {METHODS}, got {method!r:.40}")
        ws = self.latent_of(latent_or_image)[None]
        drag = Drag.one(handles, targets, pins, self.size)
        iterations = 0
        if method == "transformer":
            new = self.drag_tensors(ws, drag)
        else:
            found = self.optimise_tensors(ws, drag)
            new, iterations = found.ws.cpu(), int(found.iterations[0])
        before, after = self.pictures(torch.cat([ws, new]))
        return DragResult(new[0], after.permute(1, 2, 0).numpy(), before.permute(1, 2, 0).numpy(), iterations)
