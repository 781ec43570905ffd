"""A rendered data set on disk: fixed-shape arrays per split, built in chunks, resumable.

Procedural benchmarks render their pictures once into ``<cache root>/<name>-<key>/``: one
uint8/int ``.npy`` file per array and split (memory-mapped, never pickled), a ``config.json`` of
what was rendered and a ``progress.json`` written atomically after every chunk, so a killed build
resumes where it stopped. Item ``i`` of a split must be a pure function of ``(config, split, i)``:
the result then does not depend on the chunking or the number of worker processes.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from imi.core.errors import DataError


def cache_root(cache_dir: str | None) -> Path:
    """``cache_dir``, else ``$IMI_CACHE``, else ``~/.cache/imi``."""
    return Path(cache_dir or os.environ.get("IMI_CACHE") or Path.home() / ".cache" / "imi")


def config_key(fields: dict) -> str:
    """A short hash of everything that changes the cached bytes."""
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:12]


def write_json(path: Path, obj) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj))
    os.replace(tmp, path)  # a kill never leaves half a file


class ChunkedCache:
    """Arrays ``<split>_<name>.npy`` of ``sizes[split]`` items each, filled by ``job`` in chunks.

    Args:
        path: the cache folder.
        sizes: items per split.
        arrays: array name → (shape of one item, dtype).
        job: ``(split, start, stop) →`` a tuple of arrays in the order of ``arrays``, each
            ``(stop − start, *shape)``; module-level (or a ``functools.partial`` of one) so worker
            processes can run it.
        chunk: items per job.
        about: written to ``config.json`` (what the cache holds, for people reading the folder).
        desc: the progress bar's label.
        build_hint: the command that builds the cache (said when a split is missing).
    """

    def __init__(
        self,
        path: Path,
        sizes: dict[str, int],
        arrays: dict[str, tuple[tuple[int, ...], type]],
        job: Callable[[str, int, int], Sequence[np.ndarray]],
        chunk: int,
        about: dict,
        desc: str,
        build_hint: str,
    ) -> None:
        self.path, self.sizes, self.arrays, self.job = Path(path), sizes, arrays, job
        self.chunk, self.about, self.desc, self.build_hint = chunk, about, desc, build_hint

    def progress(self) -> dict[str, int]:
        """Items done per split."""
        file = self.path / "progress.json"
        done = json.loads(file.read_text())["done"] if file.exists() else {}
        return {split: done.get(split, 0) for split in self.sizes}

    def has(self, split: str) -> bool:
        """Whether ``split`` is rendered in full."""
        return self.progress()[split] >= self.sizes[split]

    @property
    def complete(self) -> bool:
        return all(self.has(split) for split in self.sizes)

    def _memmap(self, split: str, name: str) -> np.memmap:
        file = self.path / f"{split}_{name}.npy"
        if file.exists():
            return np.load(file, mmap_mode="r+")
        shape, dtype = self.arrays[name]
        return np.lib.format.open_memmap(file, mode="w+", dtype=dtype, shape=(self.sizes[split], *shape))

    def build(self, workers: int = 1, progress: bool = True, splits: Sequence[str] | None = None) -> ChunkedCache:
        """Render whatever is missing of ``splits`` (all by default); safe to interrupt and call again."""
        splits = tuple(self.sizes) if splits is None else tuple(splits)
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "config.json").write_text(json.dumps(self.about, indent=2))
        done = self.progress()
        total = sum(self.sizes[s] for s in splits)
        initial = sum(min(done[s], self.sizes[s]) for s in splits)
        bar = tqdm(total=total, initial=initial, desc=self.desc, unit="img", disable=not progress)
        pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
        try:
            for split in splits:
                n = self.sizes[split]
                if done[split] >= n:
                    continue
                maps = [self._memmap(split, name) for name in self.arrays]
                starts = range(done[split], n, self.chunk)
                jobs = [(split, s, min(s + self.chunk, n)) for s in starts]
                results = (pool.map if pool else map)(self._run, jobs)
                for (_, start, stop), result in zip(jobs, results, strict=True):
                    for array, values in zip(maps, result, strict=True):
                        array[start:stop] = values
                        array.flush()
                    done[split] = stop
                    write_json(self.path / "progress.json", {"done": done})
                    bar.update(stop - start)
        finally:
            bar.close()
            if pool:
                pool.shutdown(cancel_futures=True)
        return self

    def _run(self, args: tuple[str, int, int]) -> Sequence[np.ndarray]:
        return self.job(*args)

    def load(self, split: str, name: str) -> np.ndarray:
        """Array ``name`` of ``split``, memory-mapped read-only; refuses an incomplete split."""
        if not self.has(split):
            raise DataError(f"the cache {self.path} is missing its {split} split: run `{self.build_hint}` first")
        return np.load(self.path / f"{split}_{name}.npy", mmap_mode="r", allow_pickle=False)
