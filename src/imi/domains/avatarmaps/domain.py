"""Avatar label maps as the rest of the package sees it (:class:`imi.core.plugins.Domain`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from imi.core.plugins import Domain
from imi.core.report import provenance, write_metrics
from imi.core.text import Tokenizer, Vocabulary
from imi.domains.avatarmaps.analyze import analyze_synthesizer
from imi.domains.avatarmaps.config import MapDataConfig
from imi.domains.avatarmaps.data import CLASSES, AvatarMaps, item_at
from imi.domains.avatarmaps.evaluate import evaluate_synthesizer, print_report, realism_features
from imi.domains.avatarmaps.segmenter import shipped_segmenter


def benchmark(config: MapDataConfig, build: bool = False, workers: int = 1) -> AvatarMaps:
    return AvatarMaps(config, build=build, workers=workers)


@lru_cache(maxsize=1)
def tokenizer() -> Tokenizer:
    """The class names (a map has no words; checkpoints keep the classes as their vocabulary)."""
    return Tokenizer(Vocabulary.build(CLASSES), strict=False)


def test_items(config: MapDataConfig) -> int:
    return config.test


def test_item(config: MapDataConfig, index: int) -> tuple[np.ndarray, str]:
    """Test avatar ``index`` (wrapped around the split), drawn on the spot: its render and no text."""
    return item_at(config, "test", index % config.test)[0], ""


def test_map(config: MapDataConfig, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Test item ``index`` as the demo starts from it: uint8 label map ``(S, S)`` and render ``(S, S, 3)``."""
    image, labels, _ = item_at(config, "test", index % config.test)
    return labels, image


def segment(images: torch.Tensor) -> torch.Tensor:
    """The shipped segmenter's label maps of uint8 ``(B, 3, 64, 64)`` pictures."""
    return shipped_segmenter().read(images)


def bench_report(cfg, synths, data, facts, say, command, progress) -> tuple[dict, Path]:
    """``imi bench avatar-maps``: every variant evaluated on the test split, one table."""
    rows = {}
    for name, synth in synths.items():
        doc, _ = evaluate_synthesizer(synth, name, data, out=cfg.out / "eval" / name, seed=cfg.seed, progress=progress)
        rows[name] = {**doc["summary"], "classes": doc["classes"], **facts[name]}
    doc = {"domain": "avatar-maps", "minutes": cfg.minutes, "rows": rows, "command": command, **provenance()}
    write_metrics(cfg.out / "bench.json", doc)
    return doc, cfg.out


def print_bench(doc: dict, out: Path, console) -> None:
    from rich.table import Table

    table = Table(title=f"Avatar label maps, {doc['minutes']:g} min per variant")
    for col in ("variant", "mIoU", "shape attrs", "inside", "visible", "diversity", "FID", "steps"):
        table.add_column(col, justify="right")
    pct = lambda v: "–" if v is None else f"{v:.1%}"  # noqa: E731
    for name, r in doc["rows"].items():
        table.add_row(name, f"{r['miou']:.3f}", pct(r["shape_attributes"]), pct(r["inside_share"]),
                      pct(r["visible"]), f"{r['diversity']:.1f}", f"{r['fid']:.1f}", str(r["steps"]))  # fmt: skip
    console.print(table)
    console.print(f"wrote {out / 'bench.json'}")


DOMAIN = Domain(
    name="avatar-maps",
    data_config=MapDataConfig,
    benchmark=benchmark,
    tokenizer=tokenizer,
    evaluate=evaluate_synthesizer,
    print_report=print_report,
    analyze=analyze_synthesizer,
    bench_report=bench_report,
    print_bench=print_bench,
    test_items=test_items,
    test_item=test_item,
    tasks=("synthesize", "sample"),
    label_names={"classes": list(CLASSES)},
    segment=segment,
    features=realism_features,
    demo={"test_map": test_map},
)
