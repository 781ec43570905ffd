"""The canvas-digit benchmark's data config."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar

from imi.core.config import at_least, check


@dataclass(frozen=True)
class CanvasDataConfig:
    """One MNIST glyph placed anywhere on a black canvas: its box (the 28×28 glyph image, padding included)
    has a continuous centre and side, so where every stroke point goes under a change of placement is known
    exactly.

    Attributes:
        train_per_class, test_per_class: the glyph split, as the digit benchmark's (train and dev pictures
            draw train+dev glyphs, test pictures test glyphs).
        train, dev, test: pictures per split; picture ``i`` is a pure function of ``(seed, split, i)``.
        size: the canvas side.
        min_side, max_side: the range of the glyph box's side in pixels (the ink spans 20/28 of it).
        seed: the data seed.
    """

    domain: ClassVar[str] = "canvas-digits"
    strict_tokens: ClassVar[bool] = False  # no instructions: the pictures are unlabelled
    word_aliases: ClassVar[tuple[tuple[str, str], ...]] = ()
    background: ClassVar[int] = 0

    train_per_class: int = 400
    test_per_class: int = 100
    train: int = 40_000
    dev: int = 1_000
    test: int = 1_000
    size: int = 64
    min_side: float = 26.0
    max_side: float = 44.0
    seed: int = 0

    def __post_init__(self) -> None:
        at_least(self, 1, "train_per_class", "test_per_class", "train", "dev", "test")
        check(self.size == 64, "size", f"must be 64 (the judge reads 64×64), got {self.size}")
        ok = 12 <= self.min_side <= self.max_side <= self.size
        check(ok, "min_side/max_side", f"need 12 ≤ min_side ≤ max_side ≤ size, got {self.min_side}, {self.max_side}")

    def to_dict(self) -> dict:
        return asdict(self)
