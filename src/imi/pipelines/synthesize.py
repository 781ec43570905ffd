"""The synthesis pipeline: a per-pixel label map → a picture, with a look per class and layer.

    synth = imi.Synthesizer.from_pretrained("avatar-maps")
    out = synth.synthesize(label_map, seed=0)     # label_map: (64, 64) ints, synth.classes names them
    out.image                                     # uint8 (64, 64, 3)
    hair = synth.resample(out, "hair", seed=1)    # a new look for the hair only (every layer)
    coarse = synth.resample(out, "hair", layer=0, seed=1)  # only the coarsest layer's code
    copied = synth.transfer(out, "clothing", reference_image)  # the clothes' look of another picture

A result keeps its codes ``(L, K, d)``: one per layer and class, N(0, I) a priori. Resampling class k
draws fresh codes for k (at one layer or all) and keeps every other code; transferring encodes the
reference picture over its label map (read by the domain's segmenter when none is given) and copies
class k's codes. The CLI, the web app, the trainer's samples and the evaluation all synthesise through
:meth:`Synthesizer.synthesize_tensors`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from imi.core.config import ExperimentConfig
from imi.core.errors import ImiError
from imi.core.images import denormalize, normalize
from imi.pipelines.shipped import check_seed, locate
from imi.registry import DOMAINS, load_pretrained
from imi.tasks.synthesize.batch import UNKNOWN, one_hot


@dataclass(frozen=True)
class Synthesis:
    """One synthesised picture and what made it.

    Attributes:
        image: uint8 ``(S, S, 3)``.
        labels: uint8 ``(S, S)``: the label map it follows.
        codes: float ``(*code_shape)`` (``(L, K, d)`` for class- and layer-wise latents), or None for a
            model without a latent.
    """

    image: np.ndarray
    labels: np.ndarray
    codes: torch.Tensor | None


class Synthesizer:
    """Synthesises pictures with a trained synthesis model (eval mode, no gradients)."""

    def __init__(self, model, config: ExperimentConfig, tokenizer=None):
        self.model = model
        self.config = config
        self.tokenizer = tokenizer
        self.domain = DOMAINS[config.domain]

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, device: str | torch.device = "cpu") -> Synthesizer:
        """A shipped synthesis checkpoint by name (``"avatar-maps"``) or a checkpoint/run folder by path."""
        model, config, _ = load_pretrained(locate(name_or_path, "synthesize"), device)
        return cls(model, config)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def size(self) -> int:
        return self.config.model.size

    @property
    def classes(self) -> list[str]:
        """The class names, by label value."""
        return list(self.domain.label_names["classes"])

    @property
    def code_shape(self) -> tuple[int, int, int]:
        """``(L, K, d)``; ``(1, 1, d)`` for one global latent; ``(0, 0, 0)`` for none."""
        return tuple(self.model.code_shape)

    @property
    def has_latent(self) -> bool:
        return self.code_shape[0] > 0

    @property
    def can_encode(self) -> bool:
        """Whether a picture's look can be encoded into codes (``transfer``); the few-shot model's look
        is its seed only."""
        return self.has_latent and getattr(self.model, "encodes_looks", True)

    @property
    def accepts_scribbles(self) -> bool:
        """Whether a map may leave pixels unlabelled (:data:`UNKNOWN`, 255): a sparse scribble."""
        return bool(getattr(self.model, "accepts_scribbles", False))

    # -- inputs -------------------------------------------------------------------------------

    def labels_tensor(self, label_map) -> torch.Tensor:
        """A label map (array-like ``(S, S)`` or ``(B, S, S)`` of class indices, or a palette/grey PIL
        image) → long ``(B, S, S)``; refuses another size, a non-integer map and unknown classes."""
        if isinstance(label_map, Image.Image):
            if label_map.mode not in ("P", "L"):
                raise ImiError(
                    "a label map image must be paletted or greyscale (a class index per pixel), "
                    f"got mode {label_map.mode}"
                )
            label_map = np.array(label_map)  # a writable copy
        t = label_map if isinstance(label_map, torch.Tensor) else torch.from_numpy(np.array(label_map))
        if t.is_floating_point() or t.dtype == torch.bool or t.is_complex():
            raise ImiError(f"a label map holds class indices (integers), got {t.dtype}")
        if t.dim() == 2:
            t = t[None]
        s, k = self.size, len(self.classes)
        if t.dim() != 3 or tuple(t.shape[1:]) != (s, s):
            raise ImiError(f"a label map must be ({s}, {s}) (or (B, {s}, {s})), got {tuple(t.shape)}")
        known = t[t != UNKNOWN] if self.accepts_scribbles else t
        if known.numel() and (int(known.min()) < 0 or int(known.max()) >= k):
            blank = f", or {UNKNOWN} for an unlabelled pixel" if self.accepts_scribbles else ""
            raise ImiError(
                f"label values must be in [0, {k - 1}] ({', '.join(self.classes)}){blank}, "
                f"got {int(t.min())}..{int(t.max())}"
            )
        if self.accepts_scribbles and not known.numel():
            raise ImiError("the scribble labels no pixel: draw at least one stroke")
        return t.long()

    def class_index(self, name: str | int) -> int:
        if isinstance(name, int | np.integer) and not isinstance(name, bool) and 0 <= name < len(self.classes):
            return int(name)
        if name in self.classes:
            return self.classes.index(name)
        raise ImiError(f"unknown class {name!r}; choose one of {', '.join(self.classes)}")

    def _need_latent(self, what: str) -> None:
        if not self.has_latent:
            raise ImiError(f"this model has no latent (variant {self.config.variant}): it cannot {what}")

    # -- few-shot models: their K examples and their pseudo-labeller ---------------------------

    @property
    def examples(self) -> tuple[np.ndarray, np.ndarray]:
        """The K labelled examples a few-shot model was given: ``(maps uint8 (K, S, S), their inversions
        into the prior, uint8 (K, S, S, 3))``; refused for a model trained on a whole split."""
        if not hasattr(self.model, "example_ws"):
            raise ImiError(f"this model (variant {self.config.variant}) was trained on a whole split, not K examples")
        with torch.no_grad():
            pictures = denormalize(self.model.generator.synthesis(self.model.example_ws), "tanh").cpu()
        return self.model.example_labels.cpu().numpy(), pictures.permute(0, 2, 3, 1).numpy()

    def pseudo_label(self, images: torch.Tensor, steps: int = 300) -> tuple[torch.Tensor, torch.Tensor]:
        """A few-shot model's own reading of uint8 pictures ``(B, 3, S, S)``: inverted into its prior's W+
        and labelled by its prototypes. ``(long maps (B, S, S), inversion error (B,) in 0-255)``."""
        if not hasattr(self.model, "label_pictures"):
            raise ImiError(f"this model (variant {self.config.variant}) has no pseudo-labeller")
        x = normalize(torch.as_tensor(images), "tanh").to(self.device)
        labels, err = self.model.label_pictures(x, steps)
        return labels.cpu(), err.cpu()

    def refine_tensors(self, labels: torch.Tensor, codes: torch.Tensor | None, steps: int = 20) -> torch.Tensor:
        """A few-shot model's pictures of long maps ``(B, S, S)`` (scribbles allowed) refined by inversion:
        its W+ layout layers optimised ``steps`` Adam steps toward its pseudo-labeller's agreement with the
        map. uint8 ``(B, 3, S, S)``; slower than :meth:`synthesize_tensors` by about ``steps`` backward passes."""
        if not hasattr(self.model, "refine"):
            raise ImiError(f"this model (variant {self.config.variant}) has no refinement by inversion")
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 1000:
            raise ImiError(f"steps must be an integer in [1, 1000], got {steps!r:.40}")
        onehot = one_hot(labels, len(self.classes), unknown=self.accepts_scribbles).to(self.device)
        out = self.model.refine(onehot, None if codes is None else codes.to(self.device), steps)
        return denormalize(out, "tanh").cpu()

    # -- codes --------------------------------------------------------------------------------

    def sample_codes(self, n: int, seed: int) -> torch.Tensor | None:
        """``(n, *code_shape)`` draws from N(0, I) (row i depends only on ``seed`` and i), or None."""
        check_seed(seed)
        if not self.has_latent:
            return None
        gen = torch.Generator().manual_seed(int(seed))
        return torch.randn(n, *self.code_shape, generator=gen)

    @torch.no_grad()
    def encode(self, images, labels: torch.Tensor) -> torch.Tensor:
        """The codes (posterior means) of uint8 pictures ``(B, 3, S, S)`` over long maps ``(B, S, S)``."""
        self._need_latent("encode a picture's look")
        if not self.can_encode:
            raise ImiError(f"this model (variant {self.config.variant}) has no encoder of looks: its look is its seed")
        x = normalize(torch.as_tensor(images), "tanh").to(self.device)
        mu, _ = self.model.encode(x, one_hot(labels, len(self.classes)).to(self.device))
        return mu.cpu()

    # -- synthesis ----------------------------------------------------------------------------

    @torch.no_grad()
    def synthesize_tensors(self, labels: torch.Tensor, codes: torch.Tensor | None) -> torch.Tensor:
        """Long maps ``(B, S, S)`` and codes ``(B, *code_shape)`` (None without a latent) → uint8 ``(B, 3, S, S)``."""
        onehot = one_hot(labels, len(self.classes), unknown=self.accepts_scribbles).to(self.device)
        out = self.model.generate(onehot, None if codes is None else codes.to(self.device))
        return denormalize(out, "tanh").cpu()

    def synthesize(self, label_map, codes: torch.Tensor | None = None, seed: int = 0) -> Synthesis:
        """A picture of ``label_map`` with ``codes`` ``(*code_shape)``, or codes drawn from ``seed``."""
        labels = self.labels_tensor(label_map)
        if len(labels) != 1:
            raise ImiError("synthesize takes one label map; use synthesize_tensors for a batch")
        if codes is None or not self.has_latent:  # a model without a latent takes no codes
            codes = self.sample_codes(1, seed)
        else:
            codes = torch.as_tensor(codes, dtype=torch.float32)
            if codes.numel() != int(np.prod(self.code_shape)):
                shape = "×".join(map(str, self.code_shape))
                raise ImiError(f"codes must hold {shape} numbers, got {tuple(codes.shape)}")
            codes = codes.reshape(1, *self.code_shape)
            if not torch.isfinite(codes).all():
                raise ImiError("codes must be finite numbers")
        image = self.synthesize_tensors(labels, codes)[0].permute(1, 2, 0).numpy()
        return Synthesis(image, labels[0].numpy().astype(np.uint8), None if codes is None else codes[0])

    def _redraw(self, result: Synthesis, codes: torch.Tensor) -> Synthesis:
        image = self.synthesize_tensors(torch.from_numpy(result.labels.astype(np.int64))[None], codes[None])
        return replace(result, image=image[0].permute(1, 2, 0).numpy(), codes=codes)

    def _layers(self, layer: int | None) -> slice:
        n = self.code_shape[0]
        if layer is None:
            return slice(None)
        if isinstance(layer, bool) or not isinstance(layer, int | np.integer) or not 0 <= layer < n:
            raise ImiError(
                f"layer must be an integer in [0, {n - 1}] (0 is the coarsest) or None for all, got {layer!r}"
            )
        return slice(int(layer), int(layer) + 1)

    def resample(self, result: Synthesis, class_: str | int, layer: int | None = None, seed: int = 0) -> Synthesis:
        """``result`` with class ``class_``'s code redrawn from ``seed`` at ``layer`` (None: every layer).
        With one global latent there is only one code to redraw: everything changes."""
        self._need_latent("resample a look")
        k, codes = self.class_index(class_), result.codes.clone()
        fresh = self.sample_codes(1, seed)[0]
        rows, cols = self._layers(layer), slice(k, k + 1) if codes.shape[1] > 1 else slice(None)
        codes[rows, cols] = fresh[rows, cols]
        return self._redraw(result, codes)

    def transfer(
        self, result: Synthesis, class_: str | int, reference, reference_labels=None, layer: int | None = None
    ) -> Synthesis:
        """``result`` with class ``class_``'s codes (at ``layer``, or every layer) taken from a reference
        picture (uint8 ``(S, S, 3)``), encoded over ``reference_labels`` or the domain segmenter's
        reading of it. The reference must show the class."""
        self._need_latent("copy a look")
        k = self.class_index(class_)
        image = torch.as_tensor(np.asarray(reference))
        if image.dtype != torch.uint8 or tuple(image.shape) != (self.size, self.size, 3):
            raise ImiError(
                f"a reference picture must be uint8 ({self.size}, {self.size}, 3), "
                f"got {image.dtype} {tuple(image.shape)}"
            )
        image = image.permute(2, 0, 1)[None]
        if reference_labels is None:
            if self.domain.segment is None:
                raise ImiError(f"the {self.config.domain} domain has no segmenter: give reference_labels")
            labels = self.domain.segment(image)
        else:
            labels = self.labels_tensor(reference_labels)
        if not (labels == k).any():
            raise ImiError(f"the reference shows no {self.classes[k]}: there is no look to copy")
        theirs = self.encode(image, labels)[0]
        codes, rows = result.codes.clone(), self._layers(layer)
        cols = slice(k, k + 1) if codes.shape[1] > 1 else slice(None)
        codes[rows, cols] = theirs[rows, cols]
        return self._redraw(result, codes)
