"""The ``bars`` domain: a vertical bar in one of four columns of a 16×16 canvas; the instruction
names the column it moves to ("move the bar to column two"). The target is exact, so an edit is
judged by exact pixels, no learned judge."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from imi.core.config import at_least
from imi.core.plugins import Domain
from imi.core.text import Tokenizer, Vocabulary

SIZE, COLUMNS = 16, 4
WORDS = ("one", "two", "three", "four")
SENTENCE = "move the bar to column {}"
_STREAM = {"train": 0, "dev": 1, "test": 2}


@dataclass(frozen=True)
class BarsDataConfig:
    domain: ClassVar[str] = "bars"
    strict_tokens: ClassVar[bool] = True
    background: ClassVar[int] = 0
    word_aliases: ClassVar[tuple] = ()

    train_items: int = 512
    dev_items: int = 64
    test_items: int = 64
    seed: int = 0

    def __post_init__(self) -> None:
        at_least(self, 1, "train_items", "dev_items", "test_items")


def tokenizer() -> Tokenizer:
    return Tokenizer(Vocabulary.build([SENTENCE.format(w) for w in WORDS]))


def canvas(column: int) -> np.ndarray:
    """uint8 ``(1, 16, 16)``: white bar 4 px wide in ``column`` (0–3) on black."""
    image = np.zeros((1, SIZE, SIZE), np.uint8)
    image[:, 2:14, 4 * column : 4 * column + 4] = 255
    return image


@dataclass
class BarsBatch:
    source: torch.Tensor
    target: torch.Tensor
    tokens: torch.Tensor
    lengths: torch.Tensor
    change: torch.Tensor
    texts: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    def instructions(self) -> list[str]:
        return self.texts


class BarsSplit:
    def __init__(self, config: BarsDataConfig, name: str):
        self.config, self.name = config, name
        self.n = getattr(config, f"{name}_items")
        rng = np.random.default_rng([config.seed, _STREAM[name]])
        self.columns = rng.integers(0, COLUMNS, size=(self.n, 2))  # (from, to)
        self.tokenizer = tokenizer()

    def __len__(self) -> int:
        return self.n

    def batch(self, k) -> BarsBatch:
        k = np.asarray(k, dtype=np.int64).reshape(-1)
        src = torch.from_numpy(np.stack([canvas(c) for c in self.columns[k, 0]]))
        tgt = torch.from_numpy(np.stack([canvas(c) for c in self.columns[k, 1]]))
        texts = [SENTENCE.format(WORDS[c]) for c in self.columns[k, 1]]
        tokens, lengths = self.tokenizer.batch(texts)
        return BarsBatch(src, tgt, tokens, lengths, src != tgt, texts)


class BarsBenchmark:
    def __init__(self, config: BarsDataConfig):
        self.config = config

    def split(self, name: str) -> BarsSplit:
        return BarsSplit(self.config, name)


def _exact(editor, split: BarsSplit, seed: int) -> dict[str, float]:
    """Share of edits equal to the target pixel for pixel (and of copies of the source, the reference)."""
    b = split.batch(np.arange(len(split)))
    out = editor.edit_tensors(b.source, b.tokens, b.lengths, seed=seed) if editor is not None else None
    close = lambda x: ((x.float() - b.target.float()).abs() < 64).flatten(1).all(1).float().mean().item()  # noqa: E731
    return {"copy-source": close(b.source), **({} if out is None else {"model": close(out)})}


def evaluate(editor, name, data, split="test", limit=None, out=None, batch_size=64, seed=0, judge=None, progress=True):
    out = Path(out) if out is not None else Path("runs") / "eval" / f"{name}-{split}"
    out.mkdir(parents=True, exist_ok=True)
    doc = {"checkpoint": name, "split": split, "exact": _exact(editor, BarsBenchmark(data).split(split), seed)}
    (out / "metrics.json").write_text(json.dumps(doc))
    return doc, out


def print_report(doc, out, console) -> None:
    console.print(f"{doc['checkpoint']}: exact {doc['exact']}")


def analyze(editor, checkpoint, run_dir, out):
    doc = {"checkpoint": checkpoint, "findings": {"words": float(len(editor.tokenizer.vocab))}, "selection": None}
    (out / "analysis.json").write_text(json.dumps(doc))
    return doc, out, []


def bench_report(cfg, editors, data, facts, say, command, progress=False):
    split = BarsBenchmark(data).split("test")
    doc = {"command": command, "variants": facts, "exact": {n: _exact(e, split, cfg.seed) for n, e in editors.items()}}
    (cfg.out / "bench.json").write_text(json.dumps(doc, default=str))
    return doc, cfg.out


def print_bench(doc, out, console) -> None:
    console.print(doc["exact"])


def test_item(config: BarsDataConfig, index: int):
    b = BarsBenchmark(config).split("test").batch([index % config.test_items])
    return b.source[0, 0].numpy(), b.texts[0]


DOMAIN = Domain(
    name="bars",
    data_config=BarsDataConfig,
    benchmark=lambda config, build=False, workers=1: BarsBenchmark(config),
    tokenizer=tokenizer,
    evaluate=evaluate,
    print_report=print_report,
    analyze=analyze,
    bench_report=bench_report,
    print_bench=print_bench,
    test_items=lambda config: config.test_items,
    test_item=test_item,
)
