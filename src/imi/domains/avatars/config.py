"""The avatar benchmark's data config."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar

from imi.core.config import at_least, check


@dataclass(frozen=True)
class AvatarDataConfig:
    """The avatar manipulation benchmark (SPEC §6).

    Attributes:
        train_triplets, dev_triplets, test_triplets: supervised (source,
            instruction, target) triplets per split (paper: 4,296 / 230 / 230).
        unlabeled: single avatars for the unsupervised half of training
            (paper: 161,065).
        image_size: side of the rendered pictures.
        seed: every avatar, edit and sentence is a pure function of it.
        cache_dir: where the pre-rendered cache lives; ``None`` means
            ``$IMI_CACHE`` or ``~/.cache/imi``.
    """

    domain: ClassVar[str] = "avatars"
    strict_tokens: ClassVar[bool] = False  # free-form sentences: unknown words read as <unk>
    word_aliases: ClassVar[tuple[tuple[str, str], ...]] = ()
    background: ClassVar[int] = 255  # transparency flattens onto white

    train_triplets: int = 4_296
    dev_triplets: int = 230
    test_triplets: int = 230
    unlabeled: int = 161_065
    image_size: int = 64
    seed: int = 0
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        at_least(self, 1, "train_triplets", "dev_triplets", "test_triplets")
        at_least(self, 0, "unlabeled")
        check(16 <= self.image_size <= 256, "image_size", f"must be in [16, 256], got {self.image_size}")

    def to_dict(self) -> dict:
        return asdict(self)
