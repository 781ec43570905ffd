"""The digit manipulation data set: triplets rendered on the fly, in batches.

A triplet is a pure function of ``(glyph index, triplet index)``: the glyph
gives the pixels and the class, the triplet index picks one of the 369 rules
of :mod:`imi.domains.digits.scenes`. A split is a length plus an index map, so memory
does not grow with the number of triplets (3.69M at paper scale).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property, lru_cache

import numpy as np
import torch

from imi.core.glyphs import GlyphSet, load_idx, load_mnist_5k, split_glyphs
from imi.core.permutation import Permutation
from imi.core.text import Tokenizer, Vocabulary
from imi.domains.digits.config import DigitDataConfig
from imi.domains.digits.render import render_batch
from imi.domains.digits.scenes import (
    ACTIONS,
    NULL_DIGIT,
    RULES,
    TRIPLETS_PER_GLYPH,
    TripletRule,
    all_instructions,
)

SPLITS = ("train", "dev", "test")
# seen: the five templates (SPEC); varied: those and more ways to say them (VARIED_TEMPLATES, for
# training a sentence-encoder model); heldout: words no training phrasing uses (evaluation only).
PHRASINGS = ("seen", "varied", "heldout")
_VARIANTS = {"seen": 1, "varied": 10, "heldout": 1}  # sentences per (digit, rule)


@lru_cache(maxsize=1)
def digit_tokenizer() -> Tokenizer:
    """Strict tokenizer over the words of every digit template (numerals read as digit words)."""
    config = DigitDataConfig
    return Tokenizer(Vocabulary.build(all_instructions()), config.strict_tokens, config.word_aliases)


def _box_table(boxes: list) -> np.ndarray:
    """``(369, 5)`` labels with digit 0 placeholder, NULL_DIGIT for empty scenes."""
    return np.array([[NULL_DIGIT, 0, 0, 0, 0] if b is None else [0, *b] for b in boxes], dtype=np.int64)


_SOURCE = _box_table([r.source for r in RULES])
_TARGET = _box_table([r.target for r in RULES])
_ACTION = np.array([ACTIONS.index(r.action) for r in RULES], dtype=np.int64)


def _with_digit(table: np.ndarray, digits: np.ndarray) -> np.ndarray:
    out = table.copy()
    out[:, 0] = np.where(out[:, 0] == NULL_DIGIT, NULL_DIGIT, digits)
    return out


@dataclass
class TripletBatch:
    """A rendered batch; images are uint8, normalisation is the model's job.

    Attributes:
        source, target: uint8 ``(B, 1, S, S)``.
        change: bool ``(B, 1, S, S)``, True where source and target differ.
        tokens: long ``(B, T)`` padded instruction ids; ``lengths`` long ``(B,)``.
        source_labels, target_labels: long ``(B, 5)`` = (digit ∈ 0..10, x, y, w, h).
        action: long ``(B,)`` index into :data:`imi.domains.digits.scenes.ACTIONS`.
        glyph: long ``(B,)`` glyph index within the split's pool.
        triplet: long ``(B,)`` rule index in 0..368.
        texts: the instructions as typed (the split's phrasing), for a sentence-encoder model.
    """

    source: torch.Tensor
    target: torch.Tensor
    change: torch.Tensor
    tokens: torch.Tensor
    lengths: torch.Tensor
    source_labels: torch.Tensor
    target_labels: torch.Tensor
    action: torch.Tensor
    glyph: torch.Tensor
    triplet: torch.Tensor
    texts: list[str]

    def __len__(self) -> int:
        return len(self.glyph)

    def instructions(self) -> list[str]:
        return list(self.texts)


class DigitTriplets:
    """One split: ``len()`` triplets over a glyph pool, fetched by :meth:`batch`.

    Item ``k`` of the split is the pool triplet ``index_map(k)``; pool triplet
    ``i`` is glyph ``i // 369`` with rule ``i % 369``.
    """

    def __init__(
        self,
        pool: GlyphSet,
        name: str,
        offset: int,
        length: int,
        perm: Permutation | None,
        image_size: int,
        phrasing: str = "seen",
    ):
        if phrasing not in PHRASINGS:
            raise ValueError(f"unknown phrasing {phrasing!r}; choose one of {', '.join(PHRASINGS)}")
        self.pool = pool
        self.name, self.phrasing = name, phrasing
        self._offset = offset
        self._length = length
        self._perm = perm
        self.image_size = image_size
        self._glyphs = torch.from_numpy(pool.images)
        self._labels = pool.labels
        self._tokens, self._lengths = self._token_table()

    def _token_table(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Ids of every instruction of the phrasing: ``(V, 10, 369, T)`` and ``(V, 10, 369)``.

        :attr:`texts` lists them flat, sentence ``v·3690 + digit·369 + rule``. Phrasings other than
        the templates are read leniently (unknown words → ``<unk>``, as an LSTM model meets them); a
        sentence-encoder model reads the texts themselves."""
        variants = _VARIANTS[self.phrasing]
        rules = list(enumerate(RULES))
        self.texts = [self._sentence(r, d, v, i) for v in range(variants) for d in range(10) for i, r in rules]
        tok = digit_tokenizer() if self.phrasing == "seen" else replace(digit_tokenizer(), strict=False)
        ids, lengths = tok.batch(self.texts)
        return ids.view(variants, 10, TRIPLETS_PER_GLYPH, -1), lengths.view(variants, 10, TRIPLETS_PER_GLYPH)

    def _sentence(self, rule: TripletRule, digit: int, variant: int, index: int) -> str:
        if self.phrasing == "seen":
            return rule.instruction(digit)
        if self.phrasing == "varied":
            return rule.varied_instruction(digit, variant + 5 * (index + digit))  # templates and numerals mix
        return rule.heldout_instruction(digit, index + 3 * digit)

    def __len__(self) -> int:
        return self._length

    def pool_index(self, k: np.ndarray) -> np.ndarray:
        """Map split item indices to pool triplet indices ``glyph * 369 + rule``."""
        k = np.asarray(k, dtype=np.int64)
        if k.size and (k.min() < 0 or k.max() >= self._length):
            raise IndexError(f"index out of range for the {self.name} split of {self._length} triplets")
        k = k + self._offset
        return k if self._perm is None else self._perm(k)

    @cached_property
    def action_counts(self) -> dict[str, int]:
        """Triplets per action in this split (counted in chunks, never stored)."""
        counts = np.zeros(len(ACTIONS), dtype=np.int64)
        for start in range(0, self._length, 1 << 20):
            idx = self.pool_index(np.arange(start, min(start + (1 << 20), self._length)))
            counts += np.bincount(_ACTION[idx % TRIPLETS_PER_GLYPH], minlength=len(ACTIONS))
        return dict(zip(ACTIONS, counts.tolist(), strict=True))

    def batch(self, k: np.ndarray | list[int]) -> TripletBatch:
        """Render the split items ``k`` (any 1-D integer array)."""
        pool = self.pool_index(np.asarray(k, dtype=np.int64).reshape(-1))
        glyph, rule = pool // TRIPLETS_PER_GLYPH, pool % TRIPLETS_PER_GLYPH
        digits = self._labels[glyph]
        src = torch.from_numpy(_with_digit(_SOURCE[rule], digits))
        tgt = torch.from_numpy(_with_digit(_TARGET[rule], digits))
        glyphs = self._glyphs[torch.from_numpy(glyph)]
        # One render call for sources and targets together halves the overhead.
        both = render_batch(torch.cat([glyphs, glyphs]), torch.cat([src, tgt]), self.image_size)
        source, target = both.unsqueeze(1).chunk(2)
        d, r = torch.from_numpy(digits), torch.from_numpy(rule)
        v = torch.from_numpy((glyph * 7 + rule) % len(self._tokens))  # which wording: a function of the item
        return TripletBatch(
            source=source,
            target=target,
            change=source != target,
            tokens=self._tokens[v, d, r],
            lengths=self._lengths[v, d, r],
            source_labels=src,
            target_labels=tgt,
            action=torch.from_numpy(_ACTION[rule]),
            glyph=torch.from_numpy(glyph),
            triplet=r,
            texts=[self.texts[i] for i in ((v * 10 + d) * TRIPLETS_PER_GLYPH + r).tolist()],
        )

    def describe(self, glyph: int) -> list[dict]:
        """The 369 triplets of pool glyph ``glyph`` as JSON-ready records."""
        if not 0 <= glyph < len(self.pool):
            raise IndexError(
                f"glyph {glyph} out of range: the {self.name} pool has {len(self.pool)} glyphs "
                f"(0..{len(self.pool) - 1})"
            )
        digit = int(self._labels[glyph])
        records = []
        for rule in RULES:
            src, tgt = rule.scenes(digit)
            records.append(
                {
                    "glyph": int(self.pool.file_index[glyph]),
                    "label": digit,
                    "instruction": rule.instruction(digit),
                    "source": src.to_json(),
                    "target": tgt.to_json(),
                }
            )
        return records


class DigitBenchmark:
    """Glyphs, their split, and the three triplet splits of SPEC §2."""

    def __init__(self, config: DigitDataConfig | None = None):
        self.config = config = config or DigitDataConfig()
        glyphs = load_mnist_5k() if config.idx_images is None else load_idx(config.idx_images, config.idx_labels)
        self.train_pool, self.test_pool = split_glyphs(
            glyphs, config.train_per_class, config.test_per_class, config.seed
        )
        n = len(self.train_pool) * TRIPLETS_PER_GLYPH
        self._n_dev = round(n * config.dev_fraction)
        self._perm = Permutation(n, config.seed)

    def pool(self, split: str) -> GlyphSet:
        return self.test_pool if split == "test" else self.train_pool

    def split(self, name: str, phrasing: str | None = None) -> DigitTriplets:
        """``"train"`` and ``"dev"`` share the train+dev pool (90% / 10% of its triplets).

        ``phrasing`` (see :data:`PHRASINGS`) words the same triplets otherwise; None is
        ``data.train_phrasing`` for train and dev, and the templates for test."""
        if phrasing is None:
            phrasing = self.config.train_phrasing if name in ("train", "dev") else "seen"
        size, p = self.config.image_size, phrasing
        n = len(self.train_pool) * TRIPLETS_PER_GLYPH
        if name == "train":
            return DigitTriplets(self.train_pool, name, 0, n - self._n_dev, self._perm, size, p)
        if name == "dev":
            return DigitTriplets(self.train_pool, name, n - self._n_dev, self._n_dev, self._perm, size, p)
        if name == "test":
            return DigitTriplets(self.test_pool, name, 0, len(self.test_pool) * TRIPLETS_PER_GLYPH, None, size, p)
        raise ValueError(f"unknown split {name!r}; choose one of {', '.join(SPLITS)}")
