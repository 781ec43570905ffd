"""The avatar label-map benchmark's data config."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar

from imi.core.config import at_least, check


@dataclass(frozen=True)
class MapDataConfig:
    """Avatars with their exact per-part label maps (SPEC-semantic §1).

    Attributes:
        train, dev, test: avatars per split; item ``i`` of a split is a pure function of
            ``(seed, split, i)`` (its own random stream per split, apart from the edit benchmark's).
        size: the side of the square render and label map.
        seed: the data seed.
        cache_dir: where the rendered cache lives; ``None`` means ``$IMI_CACHE`` or ``~/.cache/imi``.
    """

    domain: ClassVar[str] = "avatar-maps"
    strict_tokens: ClassVar[bool] = False  # no instructions: the input is a label map
    word_aliases: ClassVar[tuple[tuple[str, str], ...]] = ()
    background: ClassVar[int] = 255

    train: int = 40_000
    dev: int = 1_000
    test: int = 1_000
    size: int = 64
    seed: int = 0
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        at_least(self, 1, "train", "dev", "test")
        check(self.size in (32, 64, 128, 256), "size", f"must be 32, 64, 128 or 256, got {self.size}")

    def to_dict(self) -> dict:
        return asdict(self)
