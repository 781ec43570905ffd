"""Avatar triplets and unlabeled avatars, pre-rendered once into a cache.

Rendering an avatar costs about as much as a quarter of a training step, so
each data set is rendered once into ``<cache>/avatars-<key>/``: uint8 ``.npy``
arrays (memory-mapped, never pickled) plus a JSON list of the edits and their
sentences. The build shows a progress bar, writes in chunks and records its
progress after each one, so a killed build resumes where it stopped; the key
hashes the data config and the library versions, so a changed config or
renderer never reuses a stale cache.

Item ``i`` of a split is a pure function of ``(seed, split, i)``: its source
avatar, its edit, and two sentences (seen and held-out phrasing) come from
generators seeded with those numbers. An edit whose renders are identical
(an invisible change) is redrawn, which the stored ``attempt`` records.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import python_avatars
import resvg_py
import torch
from tqdm import tqdm

from imi.core.errors import DataError
from imi.core.text import Tokenizer, Vocabulary, words
from imi.domains.avatars.attributes import NAMES
from imi.domains.avatars.config import AvatarDataConfig
from imi.domains.avatars.edits import Edit, records_array, sample_edit, sample_record
from imi.domains.avatars.grammar import ALL_TEMPLATES, PHRASES, PREFIXES, SUFFIXES, describe, expansions
from imi.domains.avatars.render import change_mask, render

SPLITS = ("train", "dev", "test")
_STREAM = {"train": 0, "dev": 1, "test": 2, "unlabeled": 3}
CACHE_VERSION = 1
_CHUNK = 256
_MAX_ATTEMPTS = 50


def edit_at(seed: int, split: str, index: int, size: int = 64) -> tuple[Edit, int, np.ndarray, np.ndarray]:
    """Item ``index`` of ``split``: ``(edit, attempt, source image, target image)``.

    Images are uint8 ``(size, size, 3)``; the edit is redrawn until the two
    renders differ.
    """
    for attempt in range(_MAX_ATTEMPTS):
        rng = np.random.default_rng([seed, _STREAM[split], index, attempt])
        edit = sample_edit(rng, sample_record(rng))
        source, target = render(edit.source, size), render(edit.target, size)
        if change_mask(source, target).any():
            return edit, attempt, source, target
    raise DataError(f"{split} item {index}: no visible edit in {_MAX_ATTEMPTS} draws")


def sentence_at(seed: int, split: str, index: int, edit: Edit, phrasing: str) -> tuple[str, str]:
    """The ``phrasing`` sentence of item ``index``: ``(text, template id)``."""
    rng = np.random.default_rng([seed, _STREAM[split], index, 1000 + (phrasing == "heldout")])
    return describe(edit, rng, phrasing)


def unlabeled_record(seed: int, index: int) -> np.ndarray:
    return records_array([sample_record(np.random.default_rng([seed, _STREAM["unlabeled"], index]))])[0]


@lru_cache(maxsize=1)
def avatar_tokenizer() -> Tokenizer:
    """Lenient tokenizer over every word the *seen* phrasings can produce.

    Held-out words are left out on purpose: they reach the model as ``<unk>``.
    """
    texts = [e for t in ALL_TEMPLATES if not t.heldout for e in expansions(t.text)]
    texts += [p for groups in PHRASES.values() for entry in groups.values() for ps in entry.values() for p in ps]
    texts += [*PREFIXES["seen"], *SUFFIXES["seen"], "he him his she her they them their"]
    texts += [" ".join(NAMES).replace("_", " "), "grey gray blonde blond ginger tan tanned dark brown"]
    from imi.domains.avatars.attributes import ATTRIBUTES

    texts += [v for a in ATTRIBUTES for v in a.values]
    return Tokenizer(Vocabulary.build(t.replace("{", " ").replace("}", " ") for t in texts), strict=False)


def cache_root(config: AvatarDataConfig) -> Path:
    base = config.cache_dir or os.environ.get("IMI_CACHE") or Path.home() / ".cache" / "imi"
    return Path(base)


def cache_key(config: AvatarDataConfig) -> str:
    """Hash of everything that changes the cached bytes (not where it lives)."""
    fields = {k: v for k, v in config.to_dict().items() if k != "cache_dir"}
    fields |= {"version": CACHE_VERSION, "python_avatars": python_avatars.__version__, "resvg": resvg_py.__version__}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:12]


def _write_json(path: Path, obj) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj))
    os.replace(tmp, path)  # atomic: a kill never leaves half a progress file


def _triplet_chunk(args: tuple[int, str, int, int, int]) -> tuple[np.ndarray, ...]:
    seed, split, start, stop, size = args
    src, tgt, src_attrs, tgt_attrs, meta = [], [], [], [], []
    for i in range(start, stop):
        edit, attempt, s, t = edit_at(seed, split, i, size)
        src.append(s)
        tgt.append(t)
        src_attrs.append(edit.source.values)
        tgt_attrs.append(edit.target.values)
        seen, seen_id = sentence_at(seed, split, i, edit, "seen")
        held, held_id = sentence_at(seed, split, i, edit, "heldout")
        meta.append(
            {
                "attribute": edit.attribute,
                "kind": edit.kind,
                "attempt": attempt,
                "instruction": seen,
                "template": seen_id,
                "heldout_instruction": held,
                "heldout_template": held_id,
            }
        )
    arrays = (np.stack(src), np.stack(tgt), np.array(src_attrs, np.uint8), np.array(tgt_attrs, np.uint8))
    return (*arrays, meta)


def _unlabeled_chunk(args: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    seed, start, stop, size = args
    records = np.stack([unlabeled_record(seed, i) for i in range(start, stop)])
    from imi.domains.avatars.render import _render_rows

    return _render_rows((records, size)), records


class AvatarCache:
    """The rendered data set on disk; :meth:`build` makes or completes it."""

    def __init__(self, config: AvatarDataConfig):
        self.config = config
        self.path = cache_root(config) / f"avatars-{cache_key(config)}"

    def sizes(self) -> dict[str, int]:
        c = self.config
        return {"train": c.train_triplets, "dev": c.dev_triplets, "test": c.test_triplets, "unlabeled": c.unlabeled}

    def progress(self) -> dict[str, int]:
        path = self.path / "progress.json"
        return json.loads(path.read_text())["done"] if path.exists() else dict.fromkeys(self.sizes(), 0)

    @property
    def complete(self) -> bool:
        done = self.progress()
        return all(done[k] >= n for k, n in self.sizes().items())

    def _array(self, name: str, shape: tuple[int, ...]) -> np.memmap:
        path = self.path / f"{name}.npy"
        if path.exists():
            return np.load(path, mmap_mode="r+")
        return np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=shape)

    def build(self, workers: int = 1, progress: bool = True) -> AvatarCache:
        """Render whatever is missing; safe to interrupt and call again."""
        from concurrent.futures import ProcessPoolExecutor

        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "config.json").write_text(json.dumps(self.config.to_dict(), indent=2))
        done = self.progress()
        size, seed = self.config.image_size, self.config.seed
        total = sum(self.sizes().values())
        bar = tqdm(total=total, initial=sum(done.values()), desc="render avatars", unit="img", disable=not progress)
        pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
        try:
            for part, n in self.sizes().items():
                if done[part] >= n:
                    continue
                image = (size, size, 3)
                if part == "unlabeled":
                    arrays = [self._array("unlabeled", (n, *image)), self._array("unlabeled_attrs", (n, len(NAMES)))]
                    fn, jobs = (
                        _unlabeled_chunk,
                        [(seed, s, min(s + _CHUNK, n), size) for s in range(done[part], n, _CHUNK)],
                    )
                    meta = None
                else:
                    arrays = [
                        self._array(f"{part}_source", (n, *image)),
                        self._array(f"{part}_target", (n, *image)),
                        self._array(f"{part}_source_attrs", (n, len(NAMES))),
                        self._array(f"{part}_target_attrs", (n, len(NAMES))),
                    ]
                    fn = _triplet_chunk
                    jobs = [(seed, part, s, min(s + _CHUNK, n), size) for s in range(done[part], n, _CHUNK)]
                    meta_path = self.path / f"{part}.json"
                    meta = json.loads(meta_path.read_text())[: done[part]] if meta_path.exists() else []
                results = pool.map(fn, jobs) if pool else map(fn, jobs)
                for job, result in zip(jobs, results, strict=True):
                    start, stop = job[-3], job[-2]
                    for array, values in zip(arrays, result, strict=False):
                        array[start:stop] = values
                    for array in arrays:
                        array.flush()
                    if meta is not None:
                        meta += result[-1]
                        _write_json(self.path / f"{part}.json", meta)
                    done[part] = stop
                    _write_json(self.path / "progress.json", {"done": done})
                    bar.update(stop - start)
        finally:
            bar.close()
            if pool:
                pool.shutdown()
        return self

    def load(self, name: str) -> np.ndarray:
        """A cached array, memory-mapped read-only."""
        if not self.complete:
            raise DataError(f"the avatar cache {self.path} is incomplete: run `imi data avatars --build` first")
        return np.load(self.path / f"{name}.npy", mmap_mode="r", allow_pickle=False)

    def meta(self, split: str) -> list[dict]:
        return json.loads((self.path / f"{split}.json").read_text())


@dataclass
class AvatarBatch:
    """Triplets of one split as tensors.

    Attributes:
        source, target: uint8 ``(B, 3, S, S)``.
        change: bool ``(B, 1, S, S)``, True where any channel differs.
        tokens, lengths: the seen-phrasing sentence, padded ids ``(B, T)`` / ``(B,)``.
        source_attrs, target_attrs: long ``(B, len(NAMES))`` value indices.
        attribute: long ``(B,)`` index of the edited attribute in ``NAMES``.
        index: long ``(B,)`` item indices.
        texts: the sentences themselves.
    """

    source: torch.Tensor
    target: torch.Tensor
    change: torch.Tensor
    tokens: torch.Tensor
    lengths: torch.Tensor
    source_attrs: torch.Tensor
    target_attrs: torch.Tensor
    attribute: torch.Tensor
    index: torch.Tensor
    texts: list[str]

    def __len__(self) -> int:
        return len(self.index)

    def instructions(self) -> list[str]:
        return list(self.texts)


def _chw(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous()


class AvatarSplit:
    """One cached split: ``len()`` triplets fetched by :meth:`batch`."""

    def __init__(self, cache: AvatarCache, name: str, phrasing: str = "seen"):
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}; choose one of {', '.join(SPLITS)}")
        self.name, self.phrasing = name, phrasing
        self._source = cache.load(f"{name}_source")
        self._target = cache.load(f"{name}_target")
        self._source_attrs = cache.load(f"{name}_source_attrs")
        self._target_attrs = cache.load(f"{name}_target_attrs")
        self.meta = cache.meta(name)
        key = "heldout_instruction" if phrasing == "heldout" else "instruction"
        self.instructions = [m[key] for m in self.meta]
        self._attribute = torch.tensor([NAMES.index(m["attribute"]) for m in self.meta], dtype=torch.long)

    def __len__(self) -> int:
        return len(self.meta)

    @cached_property
    def _token_table(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Ids of every sentence, on first use (a sentence-encoder model and the reader never need them)."""
        return avatar_tokenizer().batch(self.instructions)

    @property
    def target_attrs(self) -> np.ndarray:
        """``(N, len(NAMES))`` value indices of every item's target (no image is read)."""
        return self._target_attrs

    @property
    def texts(self) -> list[str]:
        """Every item's instruction in this split's phrasing (what a sentence-encoder model reads)."""
        return self.instructions

    def batch(self, k) -> AvatarBatch:
        k = np.asarray(k, dtype=np.int64).reshape(-1)
        if k.size and (k.min() < 0 or k.max() >= len(self)):
            raise IndexError(f"index out of range for the {self.name} split of {len(self)} triplets")
        source, target = _chw(self._source[k]), _chw(self._target[k])
        kt = torch.from_numpy(k)
        return AvatarBatch(
            source=source,
            target=target,
            change=(source != target).any(dim=1, keepdim=True),
            tokens=self._token_table[0][kt],
            lengths=self._token_table[1][kt],
            source_attrs=torch.from_numpy(self._source_attrs[k].astype(np.int64)),
            target_attrs=torch.from_numpy(self._target_attrs[k].astype(np.int64)),
            attribute=self._attribute[kt],
            index=kt,
            texts=[self.instructions[i] for i in k.tolist()],
        )


class AvatarBenchmark:
    """The cached avatar data set: three triplet splits and the unlabeled pool."""

    def __init__(self, config: AvatarDataConfig | None = None, build: bool = False, workers: int = 1):
        self.config = config or AvatarDataConfig()
        self.cache = AvatarCache(self.config)
        if build:
            self.cache.build(workers=workers)

    def split(self, name: str, phrasing: str = "seen") -> AvatarSplit:
        return AvatarSplit(self.cache, name, phrasing)

    def unlabeled(self, k) -> torch.Tensor:
        """Unlabeled avatars ``k`` as uint8 ``(B, 3, S, S)``."""
        images = self.cache.load("unlabeled")
        k = np.asarray(k, dtype=np.int64).reshape(-1)
        return _chw(images[k])

    @property
    def unlabeled_count(self) -> int:
        return self.config.unlabeled


def unknown_words(texts: list[str]) -> tuple[int, int]:
    """``(unknown tokens, all tokens)`` of ``texts`` under :func:`avatar_tokenizer`."""
    vocab = avatar_tokenizer().vocab
    tokens = [w for t in texts for w in words(t)]
    return sum(w not in vocab for w in tokens), len(tokens)
