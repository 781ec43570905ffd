"""(render, label map) pairs of random avatars: cached once, split, batched.

Labelling an avatar renders it ten times (~80 ms at 64×64, one part hidden at a time), so the
40,000 training pairs are rendered once (``imi data avatar-maps --build``, or the first training
run) into ``$IMI_CACHE/avatar-maps-<key>/`` with a progress bar, resumably (:mod:`imi.core.cache`).
Each split stores the renders ``(N, S, S, 3)``, the label maps ``(N, S, S)`` (indices into
:data:`CLASSES`) and the avatars' records ``(N, 13)`` (what the avatar judge should read back).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import python_avatars
import resvg_py
import torch

from imi.core.cache import ChunkedCache, cache_root, config_key
from imi.core.errors import DataError
from imi.domains.avatarmaps.config import MapDataConfig
from imi.domains.avatars.attributes import NAMES, Record
from imi.domains.avatars.edits import records_array, sample_record
from imi.domains.avatars.render import PARTS, render_with_labels

#: The classes of a label map, in the renderer's drawing order (index = label value).
CLASSES: tuple[str, ...] = PARTS
SPLITS = ("train", "dev", "test")
_STREAM = {"train": 10, "dev": 11, "test": 12}  # the edit benchmark uses streams 0-3
CACHE_VERSION = 1


def record_at(config: MapDataConfig, split: str, index: int) -> Record:
    """The avatar of item ``index`` of ``split``."""
    return sample_record(np.random.default_rng([config.seed, _STREAM[split], index]))


def item_at(config: MapDataConfig, split: str, index: int) -> tuple[np.ndarray, np.ndarray, Record]:
    """Item ``index`` drawn on the spot: uint8 render ``(S, S, 3)``, uint8 label map ``(S, S)``, record."""
    record = record_at(config, split, index)
    image, labels = render_with_labels(record, config.size)
    return image, labels, record


def _items(config: MapDataConfig, split: str, start: int, stop: int) -> tuple[np.ndarray, ...]:
    images, labels, records = [], [], []
    for i in range(start, stop):
        image, label, record = item_at(config, split, i)
        images.append(image)
        labels.append(label)
        records.append(record)
    return np.stack(images), np.stack(labels), records_array(records)


def map_cache(config: MapDataConfig) -> ChunkedCache:
    """The cache of ``config``'s three splits (keyed by the config and the renderer's versions)."""
    fields = {k: v for k, v in config.to_dict().items() if k != "cache_dir"}
    fields |= {"version": CACHE_VERSION, "python_avatars": python_avatars.__version__, "resvg": resvg_py.__version__}
    s = config.size
    return ChunkedCache(
        path=cache_root(config.cache_dir) / f"avatar-maps-{config_key(fields)}",
        sizes={"train": config.train, "dev": config.dev, "test": config.test},
        arrays={"image": ((s, s, 3), np.uint8), "labels": ((s, s), np.uint8), "record": ((len(NAMES),), np.uint8)},
        job=partial(_items, config),
        chunk=100,
        about={**fields, "classes": list(CLASSES)},
        desc="render avatar maps",
        build_hint="imi data avatar-maps --build",
    )


@dataclass
class MapBatch:
    """Avatars with their label maps.

    Attributes:
        image: uint8 ``(B, 3, S, S)``.
        labels: long ``(B, S, S)``, indices into :data:`CLASSES`.
        record: long ``(B, 13)``: the avatars' attribute values (the judge's targets).
        index: long ``(B,)``: positions in the split.
    """

    image: torch.Tensor
    labels: torch.Tensor
    record: torch.Tensor
    index: torch.Tensor

    def __len__(self) -> int:
        return len(self.index)


class MapSplit:
    """One split, held in memory: ``len()`` items fetched by :meth:`batch`."""

    def __init__(self, name: str, images: np.ndarray, labels: np.ndarray, records: np.ndarray):
        self.name, self.images, self.labels, self.records = name, images, labels, records

    @classmethod
    def cached(cls, cache: ChunkedCache, name: str) -> MapSplit:
        load = lambda array: np.asarray(cache.load(name, array))  # noqa: E731
        return cls(name, load("image"), load("labels"), load("record"))

    def __len__(self) -> int:
        return len(self.labels)

    def batch(self, indices) -> MapBatch:
        idx = np.asarray(indices, dtype=np.int64)
        if len(idx) and (idx.min() < 0 or idx.max() >= len(self)):
            raise DataError(f"index out of range: the {self.name} split has {len(self)} avatars")
        return MapBatch(
            image=torch.from_numpy(np.ascontiguousarray(self.images[idx])).permute(0, 3, 1, 2).contiguous(),
            labels=torch.from_numpy(self.labels[idx].astype(np.int64)),
            record=torch.from_numpy(self.records[idx].astype(np.int64)),
            index=torch.from_numpy(idx),
        )


class AvatarMaps:
    """The benchmark: three splits over one cache (``build``: render what is missing of ``splits``)."""

    def __init__(
        self, config: MapDataConfig | None = None, build: bool = False, workers: int = 1, splits=SPLITS
    ) -> None:
        self.config = config or MapDataConfig()
        self.cache = map_cache(self.config)
        if build and not all(self.cache.has(s) for s in splits):
            self.cache.build(workers=workers, splits=splits)
        self._splits: dict[str, MapSplit] = {}

    def split(self, name: str) -> MapSplit:
        if name not in SPLITS:
            raise DataError(f"unknown split {name!r}; choose one of {', '.join(SPLITS)}")
        if name not in self._splits:
            self._splits[name] = MapSplit.cached(self.cache, name)
        return self._splits[name]

    def head(self, name: str, n: int) -> MapSplit:
        """The first ``n`` items of split ``name``: from the cache when it holds the split, else drawn on
        the spot (a quick evaluation needs no 25-minute build)."""
        if name not in SPLITS:
            raise DataError(f"unknown split {name!r}; choose one of {', '.join(SPLITS)}")
        if self.cache.has(name):
            split = self.split(name)
            return MapSplit(name, *(a[:n] for a in (split.images, split.labels, split.records)))
        size = {"train": self.config.train, "dev": self.config.dev, "test": self.config.test}[name]
        return MapSplit(name, *_items(self.config, name, 0, min(n, size)))
