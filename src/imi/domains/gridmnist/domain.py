"""GridMNIST as the rest of the package sees it (:class:`imi.core.plugins.Domain`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from imi.core.plugins import Domain
from imi.core.report import provenance, write_metrics
from imi.domains.gridmnist.analyze import analyze_captioner
from imi.domains.gridmnist.captions import CELLS
from imi.domains.gridmnist.config import GridDataConfig
from imi.domains.gridmnist.data import GridMNIST, caption_tokenizer
from imi.domains.gridmnist.evaluate import evaluate_captioner, print_report
from imi.domains.gridmnist.judge import caption_ok, named


def benchmark(config: GridDataConfig, build: bool = False, workers: int = 1) -> GridMNIST:
    """The grids are assembled on the fly: nothing to build."""
    return GridMNIST(config)


@lru_cache(maxsize=4)
def _test_split(config: GridDataConfig):
    return GridMNIST(config).split("test")


def test_items(config: GridDataConfig) -> int:
    return len(_test_split(config))


def test_item(config: GridDataConfig, index: int) -> tuple[np.ndarray, str]:
    """Test grid ``index`` (wrapped around the split): uint8 ``(S, S)`` and its first cell's caption."""
    split = _test_split(config)
    batch = split.batch([index % len(split)])
    return batch.image[0, 0].numpy(), batch.texts()[0][0]


def bench_report(cfg, captioners, data, facts, say, command, progress) -> tuple[dict, Path]:
    """``imi bench gridmnist``: each trained variant evaluated on the test split, one table."""
    rows = {}
    for name, captioner in captioners.items():
        doc, _ = evaluate_captioner(captioner, name, data, out=cfg.out / "eval" / name, seed=cfg.seed)
        rows[name] = {**doc["summary"], **facts[name]}
    doc = {"domain": "gridmnist", "minutes": cfg.minutes, "rows": rows, "command": command, **provenance()}
    write_metrics(cfg.out / "bench.json", doc)
    return doc, cfg.out


def print_bench(doc: dict, out: Path, console) -> None:
    from rich.table import Table

    table = Table(title=f"GridMNIST, {doc['minutes']:g} min per variant")
    for col in ("variant", "accuracy mean", "min", "codes ≥ 98 %", "KL mean", "different max/min", "steps"):
        table.add_column(col, justify="right")
    for name, r in doc["rows"].items():
        table.add_row(name, f"{r['accuracy_mean']:.1%}", f"{r['accuracy_min']:.1%}", str(r["codes_at_98"]),
                      f"{r['kl_mean']:.3f}", f"{r['different_spread']:.2f}", str(r["steps"]))  # fmt: skip
    console.print(table)
    console.print(f"wrote {out / 'bench.json'}")


DOMAIN = Domain(
    name="gridmnist",
    data_config=GridDataConfig,
    benchmark=benchmark,
    tokenizer=caption_tokenizer,
    evaluate=evaluate_captioner,
    print_report=print_report,
    analyze=analyze_captioner,
    bench_report=bench_report,
    print_bench=print_bench,
    test_items=test_items,
    test_item=test_item,
    caption_ok=caption_ok,
    tasks=("caption",),
    # The caption tab: the cells a drawn digit can go to, and the digit each caption names (−1: invalid).
    demo={"cells": CELLS, "named": lambda texts, split: named(texts, split.level)[0]},
)
