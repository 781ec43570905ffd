"""Avatar evaluation (SPEC §7, issue 6): SSIM, edit accuracy, consistency, preservation.

Every model edits every test triplet twice, once with the seen-phrasing
sentence and once with the held-out one; everything is reported for both and
split by the edited attribute. The recogniser reads each generated picture:

* ``edit_acc``: every attribute that the edit changes (the attribute, plus a
  colour that appears or disappears with it) reads as the target value;
* ``consistency``: every other attribute reads as in the target (= source);
* ``preservation``: SSIM to the source over the 7×7 windows that lie wholly
  outside the true change mask (exact, from the renders); edits that change
  every window (a new background) are left out of its mean.

Two reference rows come for free: ``copy-source`` (no edit at all) and
``target`` (the ground truth, read by the same judge: its ceiling).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from imi.core.ssim import WIN, ssim, ssim_map
from imi.domains.avatars.attributes import NAMES
from imi.domains.avatars.dataset import AvatarBatch, AvatarBenchmark, unknown_words
from imi.domains.avatars.grammar import PHRASINGS
from imi.domains.avatars.judge import AvatarRecognizer
from imi.tasks.edit.metrics import by_group, image_summary

EditFn = Callable[[AvatarBatch, int], torch.Tensor]
REFERENCES = ("copy-source", "target")


def mask_preservation(generated: torch.Tensor, source: torch.Tensor, change: torch.Tensor) -> torch.Tensor:
    """SSIM to the source over windows untouched by the change: float64 ``(B,)``, NaN where none is left.

    Args:
        generated, source: uint8 ``(B, C, S, S)``.
        change: bool ``(B, 1, S, S)``, True where source and target differ.
    """
    touched = F.max_pool2d(change.float(), WIN, stride=1)[:, 0] > 0  # (B, S-6, S-6)
    keep = ~touched
    n = keep.sum((1, 2))
    value = ssim_map(generated, source).mean(1)
    return torch.where(n > 0, (value * keep).sum((1, 2)) / n.clamp(min=1), torch.nan)


def judge_edit(read: torch.Tensor, source: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(edit_ok, consistent)`` bool ``(B,)`` from readings and true records ``(B, len(NAMES))``."""
    changed = source != target
    hit = read == target
    return (hit | ~changed).all(1), (hit | changed).all(1)


@dataclass
class _Items:
    attribute: list = field(default_factory=list)
    ssim: list = field(default_factory=list)
    edit_ok: list = field(default_factory=list)
    consistent: list = field(default_factory=list)
    preservation: list = field(default_factory=list)

    def add(self, attribute, ssim_, edit_ok, consistent, preservation) -> None:
        for name, v in zip(("attribute", "ssim", "edit_ok", "consistent", "preservation"),
                           (attribute, ssim_, edit_ok, consistent, preservation), strict=True):  # fmt: skip
            getattr(self, name).append(np.asarray(v))

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) if v else np.zeros(0) for k, v in self.__dict__.items()}


def _summary(a: dict[str, np.ndarray]) -> dict:
    out = image_summary(a)
    if out["n"]:
        out["consistency"] = float(a["consistent"].mean())
    return out


def _by_attribute(items: _Items) -> dict:
    return by_group(items.arrays(), "attribute", NAMES, _summary)


@dataclass
class AvatarEvalResult:
    """``models[name][phrasing]`` = summaries by attribute (``"all"`` first); the same for references."""

    models: dict[str, dict]
    references: dict[str, dict]
    unknown: dict[str, tuple[int, int]]
    items: int
    seconds: float
    examples: dict = field(default_factory=dict)


def evaluate_avatars(
    edits: Mapping[str, EditFn],
    bench: AvatarBenchmark,
    recognizer: AvatarRecognizer,
    split: str = "test",
    batch_size: int = 64,
    seed: int = 0,
    examples: int = 8,
) -> AvatarEvalResult:
    """Measure each named edit and the two references on ``split`` in both phrasings.

    The batch starting at item ``p`` is edited with noise seed ``seed + p`` in
    both phrasings, so their difference is the wording alone.
    """
    started = time.perf_counter()
    models = {n: {} for n in edits}
    references = {n: {} for n in REFERENCES}
    unknown = {}
    shown: dict = {"source": [], "target": [], "change": [], "instruction": {}, "generated": {}}
    for phrasing in PHRASINGS:
        data = bench.split(split, phrasing)
        unknown[phrasing] = unknown_words(data.instructions)
        items = {n: _Items() for n in [*edits, *REFERENCES]}
        for start in range(0, len(data), batch_size):
            b = data.batch(np.arange(start, min(start + batch_size, len(data))))
            outputs = {"copy-source": b.source, "target": b.target}
            outputs |= {name: edit(b, seed + start) for name, edit in edits.items()}
            for name, generated in outputs.items():
                edit_ok, consistent = judge_edit(recognizer.read(generated), b.source_attrs, b.target_attrs)
                pres = mask_preservation(generated, b.source, b.change)
                items[name].add(b.attribute, ssim(generated, b.target), edit_ok, consistent, pres)
            if start == 0:
                k = min(examples, len(b))
                if phrasing == PHRASINGS[0]:
                    shown["source"], shown["target"], shown["change"] = b.source[:k], b.target[:k], b.change[:k]
                shown["instruction"][phrasing] = b.texts[:k]
                shown["generated"][phrasing] = {n: outputs[n][:k] for n in edits}
        for name in edits:
            models[name][phrasing] = _by_attribute(items[name])
        for name in REFERENCES:
            references[name][phrasing] = _by_attribute(items[name])
    return AvatarEvalResult(models, references, unknown, len(bench.split(split)), time.perf_counter() - started, shown)
