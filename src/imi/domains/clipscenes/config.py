"""ClipScenes' data config."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar

from imi.core.config import at_least, check


@dataclass(frozen=True)
class SceneDataConfig:
    """The ClipScenes benchmark (SPEC-context-gan §3), a stand-in for VQA's abstract scenes.

    Attributes:
        train_albums, dev_albums, test_albums: albums per split; an album is ``album_size`` scenes
            that share the place, the colour scheme and the main person (paper size: 5,000 × 4 =
            20,000 training scenes). Test albums come from their own seeds.
        album_size: scenes per album; a scene's context image is the next scene of its album.
        height, width: the stored picture (paper: 60×105); ``scale``: drawn that many times larger,
            then box-downscaled.
        second_person: the share of scenes with a second person (of another kind than the main one).
        seed: every scene is a pure function of (seed, split, album, slot).
        cache_dir: where the rendered cache lives; ``None`` means ``$IMI_CACHE`` or ``~/.cache/imi``.
    """

    domain: ClassVar[str] = "clipscenes"
    strict_tokens: ClassVar[bool] = False  # free-form sentences, read by the sentence encoder
    word_aliases: ClassVar[tuple[tuple[str, str], ...]] = ()
    background: ClassVar[int] = 255

    train_albums: int = 5_000
    dev_albums: int = 250
    test_albums: int = 250
    album_size: int = 4
    height: int = 60
    width: int = 105
    scale: int = 4
    second_person: float = 0.5
    seed: int = 0
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        at_least(self, 1, "train_albums", "dev_albums", "test_albums", "scale")
        at_least(self, 2, "album_size")
        check(24 <= self.height <= 256 and 24 <= self.width <= 256, "height/width", "must be in [24, 256]")
        check(0.0 <= self.second_person <= 1.0, "second_person", f"must be in [0, 1], got {self.second_person}")

    def to_dict(self) -> dict:
        return asdict(self)
