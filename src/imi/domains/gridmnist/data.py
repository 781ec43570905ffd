"""GridMNIST grids: four glyphs on a 2×2 grid, built on the fly in batches.

A grid is a pure function of ``(seed, split, index)``: its glyphs and the wording of each cell's
sentence are rows of seeded draws made once per split (a row never depends on the split's size),
and the pixels are assembled when a batch is asked for (10,000 grids are 40 MB, built in well
under a second, so nothing is cached on disk).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from imi.core.errors import DataError
from imi.core.glyphs import GlyphSet, load_idx, load_mnist_5k, split_glyphs
from imi.core.text import Tokenizer, Vocabulary
from imi.domains.gridmnist.captions import CAPTIONS, CELLS, TEMPLATES, caption_id
from imi.domains.gridmnist.config import GridDataConfig

SPLITS = ("train", "dev", "test")
_SPLIT_CODE = {name: i for i, name in enumerate(SPLITS)}


@lru_cache(maxsize=1)
def caption_tokenizer() -> Tokenizer:
    """Strict tokenizer over the words of every caption, both levels."""
    return Tokenizer(Vocabulary.build(c.text for c in CAPTIONS), strict=True)


@lru_cache(maxsize=1)
def caption_tokens() -> tuple[torch.Tensor, torch.Tensor]:
    """Every caption of :data:`CAPTIONS` as ``(ids long (N, T), lengths long (N,))``."""
    return caption_tokenizer().batch([c.text for c in CAPTIONS])


@dataclass
class GridBatch:
    """A batch of grids with the captions of all four cells.

    Attributes:
        image: uint8 ``(B, 1, S, S)``, white digits on black.
        labels: long ``(B, 4)``: the digit in each cell (cell k: row k // 2, column k % 2).
        captions: long ``(B, 4)``: ids into :data:`CAPTIONS` of each cell's caption at the split's level.
        tokens: long ``(B, 4, T)`` and ``lengths`` long ``(B, 4)``: those captions as token ids.
        index: long ``(B,)``: the grids' indices in their split.
        level: the captions' level ("word" or "sentence").
    """

    image: torch.Tensor
    labels: torch.Tensor
    captions: torch.Tensor
    tokens: torch.Tensor
    lengths: torch.Tensor
    index: torch.Tensor
    level: str

    def __len__(self) -> int:
        return len(self.index)

    @property
    def positional(self) -> bool:
        """Sentence captions are about their cell (cell k's caption names cell k); words are not."""
        return self.level == "sentence"

    def texts(self) -> list[list[str]]:
        return [[CAPTIONS[int(i)].text for i in row] for row in self.captions]


class GridSplit:
    """``len()`` grids of one split, fetched by :meth:`batch`."""

    def __init__(self, name: str, size: int, pool: GlyphSet, config: GridDataConfig):
        self.name, self.size, self.level = name, size, config.level
        cell = config.image_size // 2
        glyphs = torch.from_numpy(pool.images).float()[:, None]
        # The paper resizes each 28×28 glyph to the 32×32 cell.
        self._glyphs = F.interpolate(glyphs, size=(cell, cell), mode="bilinear", antialias=True).round().clamp(0, 255)
        self._glyphs = self._glyphs.to(torch.uint8)[:, 0]
        self._labels = torch.from_numpy(pool.labels)
        code = _SPLIT_CODE[name]
        self.glyph = torch.from_numpy(np.random.default_rng([config.seed, code, 0]).integers(len(pool), size=(size, 4)))
        self.template = np.random.default_rng([config.seed, code, 1]).integers(len(TEMPLATES), size=(size, 4))

    def __len__(self) -> int:
        return self.size

    @cached_property
    def labels(self) -> torch.Tensor:
        """long ``(N, 4)``: every grid's digits, without drawing a pixel."""
        return self._labels[self.glyph]

    def batch(self, indices) -> GridBatch:
        idx = torch.as_tensor(np.asarray(indices, dtype=np.int64))
        if len(idx) and (idx.min() < 0 or idx.max() >= self.size):
            raise DataError(f"grid index out of range: the {self.name} split has {self.size} grids")
        glyph = self.glyph[idx]  # (B, 4)
        cells = self._glyphs[glyph]  # (B, 4, s, s)
        b, _, s, _ = cells.shape
        # (B, row, col, s, s) → (B, row, s, col, s) → (B, 2s, 2s)
        image = cells.view(b, 2, 2, s, s).permute(0, 1, 3, 2, 4).reshape(b, 1, 2 * s, 2 * s)
        labels = self._labels[glyph]
        captions = torch.as_tensor(
            caption_id(self.level, labels.numpy(), np.arange(len(CELLS)), self.template[idx.numpy()]), dtype=torch.long
        )
        ids, lengths = caption_tokens()
        return GridBatch(image.contiguous(), labels, captions, ids[captions], lengths[captions], idx, self.level)

    def caption_table(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Every caption of the split's level as ``(ids (N, T), lengths (N,))`` (the autoencoder's data)."""
        ids, lengths = caption_tokens()
        keep = torch.tensor([(c.cell is None) == (self.level == "word") for c in CAPTIONS])
        ids, lengths = ids[keep], lengths[keep]
        return ids[:, : int(lengths.max())], lengths


class GridMNIST:
    """The benchmark: three splits over the project's glyph split."""

    def __init__(self, config: GridDataConfig):
        self.config = config
        glyphs = load_mnist_5k() if config.idx_images is None else load_idx(config.idx_images, config.idx_labels)
        self.train_pool, self.test_pool = split_glyphs(
            glyphs, config.train_per_class, config.test_per_class, config.seed
        )
        self._sizes = {"train": config.train_images, "dev": config.dev_images, "test": config.test_images}
        self._splits: dict[str, GridSplit] = {}

    def split(self, name: str) -> GridSplit:
        if name not in SPLITS:
            raise DataError(f"unknown split {name!r}; choose one of {', '.join(SPLITS)}")
        if name not in self._splits:
            pool = self.test_pool if name == "test" else self.train_pool
            self._splits[name] = GridSplit(name, self._sizes[name], pool, self.config)
        return self._splits[name]
