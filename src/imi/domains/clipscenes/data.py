"""The rendered ClipScenes data set: a cache on disk, splits and batches.

Rendering 21,000 scenes takes about half a minute a core; it happens once (``imi data clipscenes
--build``, or the first training run), with a progress bar, into
``$IMI_CACHE/clipscenes-<hash of the config>/``, and can be interrupted and resumed. Each split
stores pictures ``(N, H, W, 3)``, person masks ``(N, H, W)`` (0 background, 1 + slot), person
boxes ``(N, 2, 4)`` and labels ``(N, 7)`` (see :data:`LABELS`), with the captions in JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from imi.core.errors import DataError
from imi.domains.clipscenes.config import SceneDataConfig
from imi.domains.clipscenes.render import draw_scene
from imi.domains.clipscenes.scenes import SPLITS, album_at
from imi.domains.clipscenes.schema import presence

CACHE_VERSION = 1
_CHUNK = 50  # albums per rendering job
# Columns of the label table; −1 where there is none.
LABELS = ("place", "person", "second", "text_place", "text_kind", "text_person", "album")


def cache_root(config: SceneDataConfig) -> Path:
    return Path(config.cache_dir or os.environ.get("IMI_CACHE") or Path.home() / ".cache" / "imi")


def cache_key(config: SceneDataConfig) -> str:
    """Hash of everything that changes the cached bytes (not where they live)."""
    fields = {k: v for k, v in config.to_dict().items() if k != "cache_dir"} | {"version": CACHE_VERSION}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:12]


def _render_albums(args: tuple[SceneDataConfig, str, int, int]):
    config, split, start, stop = args
    images, masks, boxes, labels, texts = [], [], [], [], []
    for album in range(start, stop):
        for scene in album_at(config.seed, split, album, config.album_size, config.second_person):
            image, mask = draw_scene(scene, config.height, config.width, config.scale)
            images.append(image)
            masks.append(mask)
            box = np.full((2, 4), -1, np.int16)
            for slot in range(len(scene.people)):
                ys, xs = np.nonzero(mask == slot + 1)
                if len(ys):
                    box[slot] = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
            boxes.append(box)
            people = [p for p, _, _ in scene.people] + [-1]
            c = scene.caption
            labels.append((scene.place, people[0], people[1], c.place, c.kind, c.person, album))
            texts.append(c.text)
    return np.stack(images), np.stack(masks), np.stack(boxes), np.array(labels, np.int32), texts


class SceneCache:
    """The rendered splits on disk; :meth:`build` makes or completes them."""

    def __init__(self, config: SceneDataConfig):
        self.config = config
        self.path = cache_root(config) / f"clipscenes-{cache_key(config)}"

    def albums(self) -> dict[str, int]:
        c = self.config
        return {"train": c.train_albums, "dev": c.dev_albums, "test": c.test_albums}

    def progress(self) -> dict[str, int]:
        path = self.path / "progress.json"
        return json.loads(path.read_text())["done"] if path.exists() else dict.fromkeys(SPLITS, 0)

    @property
    def complete(self) -> bool:
        return all(self.has(split) for split in SPLITS)

    def has(self, split: str) -> bool:
        """Whether ``split`` is rendered in full."""
        return self.progress()[split] >= self.albums()[split]

    def _array(self, name: str, shape: tuple[int, ...], dtype) -> np.memmap:
        path = self.path / f"{name}.npy"
        if path.exists():
            return np.load(path, mmap_mode="r+")
        return np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)

    def build(self, workers: int = 1, progress: bool = True, splits: tuple[str, ...] = SPLITS) -> SceneCache:
        """Render whatever is missing of ``splits``; safe to interrupt and call again."""
        from concurrent.futures import ProcessPoolExecutor

        c = self.config
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "config.json").write_text(json.dumps(c.to_dict(), indent=2))
        done, k = self.progress(), c.album_size
        albums = {split: n for split, n in self.albums().items() if split in splits}
        total = sum(albums.values()) * k
        initial = sum(min(done[split], n) for split, n in albums.items()) * k
        bar = tqdm(total=total, initial=initial, desc="render clipscenes", unit="img", disable=not progress)
        pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
        try:
            for split, n in albums.items():
                if done[split] >= n:
                    continue
                arrays = [
                    self._array(f"{split}_image", (n * k, c.height, c.width, 3), np.uint8),
                    self._array(f"{split}_mask", (n * k, c.height, c.width), np.uint8),
                    self._array(f"{split}_box", (n * k, 2, 4), np.int16),
                    self._array(f"{split}_labels", (n * k, len(LABELS)), np.int32),
                ]
                text_path = self.path / f"{split}_texts.json"
                texts = json.loads(text_path.read_text())[: done[split] * k] if text_path.exists() else []
                jobs = [(c, split, s, min(s + _CHUNK, n)) for s in range(done[split], n, _CHUNK)]
                for (_, _, start, stop), result in zip(
                    jobs, (pool.map if pool else map)(_render_albums, jobs), strict=True
                ):
                    for array, values in zip(arrays, result[:4], strict=True):
                        array[start * k : stop * k] = values
                        array.flush()
                    texts += result[4]
                    _write_json(text_path, texts)
                    done[split] = stop
                    _write_json(self.path / "progress.json", {"done": done})
                    bar.update((stop - start) * k)
        finally:
            bar.close()
            if pool:
                pool.shutdown()
        return self

    def load(self, name: str) -> np.ndarray:
        """``<split>_<array>``, memory-mapped read-only."""
        if not self.has(name.split("_")[0]):
            raise DataError(f"the ClipScenes cache {self.path} is incomplete: run `imi data clipscenes --build` first")
        return np.load(self.path / f"{name}.npy", mmap_mode="r", allow_pickle=False)

    def texts(self, split: str) -> list[str]:
        return json.loads((self.path / f"{split}_texts.json").read_text())


def _write_json(path: Path, obj) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj))
    os.replace(tmp, path)  # a kill never leaves half a file


@dataclass
class SceneBatch:
    """Scenes with their captions and a context scene of the same album.

    Attributes:
        image, context: uint8 ``(B, 3, H, W)``: the scene its caption describes, and the next scene
            of its album (same place and main person, another layout).
        texts: the captions.
        place, person, second: long ``(B,)``: the scene's labels (second: −1 when alone); ``people``:
            the same as bool ``(B, 20)`` presence.
        text_place, text_kind, text_person: long ``(B,)``: what the caption names (−1: not named).
        context_place, context_person, context_second: long ``(B,)``: the context scene's labels.
        index: long ``(B,)``: positions in the split.
    """

    image: torch.Tensor
    context: torch.Tensor
    texts: list[str]
    place: torch.Tensor
    person: torch.Tensor
    second: torch.Tensor
    text_place: torch.Tensor
    text_kind: torch.Tensor
    text_person: torch.Tensor
    context_place: torch.Tensor
    context_person: torch.Tensor
    context_second: torch.Tensor
    index: torch.Tensor

    def __len__(self) -> int:
        return len(self.index)

    @property
    def people(self) -> torch.Tensor:
        """bool ``(B, 20)``: which person types each scene shows."""
        return presence(self.person, self.second)


def _chw(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous()


class SceneSplit:
    """One split: ``len()`` scenes fetched by :meth:`batch` (the whole split is held in memory)."""

    def __init__(self, cache: SceneCache, name: str):
        self.name, self.album_size = name, cache.config.album_size
        self.images = np.asarray(cache.load(f"{name}_image"))
        self.masks = cache.load(f"{name}_mask")
        self.boxes = cache.load(f"{name}_box")
        self.labels = torch.from_numpy(np.asarray(cache.load(f"{name}_labels"), dtype=np.int64))
        self._texts = cache.texts(name)

    def __len__(self) -> int:
        return len(self.labels)

    def context_of(self, index: np.ndarray) -> np.ndarray:
        """The context scene of each scene: the next one of its album, cyclically."""
        k = self.album_size
        return index // k * k + (index % k + 1) % k

    @cached_property
    def texts(self) -> list[str]:
        return list(self._texts)

    def batch(self, indices, context=None) -> SceneBatch:
        """Scenes ``indices`` with their album's next scene as context, or the scenes ``context``."""
        idx = np.asarray(indices, dtype=np.int64)
        if len(idx) and (idx.min() < 0 or idx.max() >= len(self)):
            raise DataError(f"scene index out of range: the {self.name} split has {len(self)} scenes")
        ctx = self.context_of(idx) if context is None else np.asarray(context, dtype=np.int64)
        lab, clab = self.labels[idx], self.labels[ctx]
        return SceneBatch(
            image=_chw(self.images[idx]),
            context=_chw(self.images[ctx]),
            texts=[self._texts[i] for i in idx],
            place=lab[:, 0], person=lab[:, 1], second=lab[:, 2],
            text_place=lab[:, 3], text_kind=lab[:, 4], text_person=lab[:, 5],
            context_place=clab[:, 0], context_person=clab[:, 1], context_second=clab[:, 2],
            index=torch.from_numpy(idx),
        )  # fmt: skip


class ClipScenes:
    """The benchmark: three splits over one rendered cache (``build``: render the missing ones of ``splits``)."""

    def __init__(
        self, config: SceneDataConfig | None = None, build: bool = False, workers: int = 1, splits=SPLITS
    ) -> None:
        self.config = config or SceneDataConfig()
        self.cache = SceneCache(self.config)
        if build and not all(self.cache.has(s) for s in splits):
            self.cache.build(workers=workers, splits=tuple(splits))
        self._splits: dict[str, SceneSplit] = {}

    def split(self, name: str) -> SceneSplit:
        if name not in SPLITS:
            raise DataError(f"unknown split {name!r}; choose one of {', '.join(SPLITS)}")
        if name not in self._splits:
            self._splits[name] = SceneSplit(self.cache, name)
        return self._splits[name]


def render_item(config: SceneDataConfig, split: str, index: int) -> tuple[np.ndarray, str]:
    """Scene ``index`` of ``split`` drawn directly (no cache): uint8 ``(H, W, 3)`` and its caption,
    the same pixels the cache holds."""
    album, slot = divmod(index, config.album_size)
    scene = album_at(config.seed, split, album, config.album_size, config.second_person)[slot]
    return draw_scene(scene, config.height, config.width, config.scale)[0], scene.caption.text
