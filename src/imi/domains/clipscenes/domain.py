"""ClipScenes as the rest of the package sees it (:class:`imi.core.plugins.Domain`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from imi.core.plugins import Domain
from imi.core.report import provenance, write_metrics
from imi.core.text import Tokenizer, Vocabulary
from imi.domains.clipscenes.analyze import analyze_generator
from imi.domains.clipscenes.config import SceneDataConfig
from imi.domains.clipscenes.data import ClipScenes, render_item
from imi.domains.clipscenes.evaluate import evaluate_generator, print_report, scene_ok
from imi.domains.clipscenes.grammar import all_words, parse
from imi.domains.clipscenes.schema import KINDS, PEOPLE, PLACES


def benchmark(config: SceneDataConfig, build: bool = False, workers: int = 1) -> ClipScenes:
    return ClipScenes(config, build=build, workers=workers)


@lru_cache(maxsize=1)
def tokenizer() -> Tokenizer:
    """The grammar's words (the sentence encoder reads any words; these are what the demo suggests)."""
    return Tokenizer(Vocabulary.build(all_words()), strict=False)


def test_items(config: SceneDataConfig) -> int:
    return config.test_albums * config.album_size


def test_item(config: SceneDataConfig, index: int) -> tuple[np.ndarray, str]:
    """Test scene ``index`` (wrapped around the split): uint8 ``(H, W, 3)`` and its caption, drawn on
    the spot (the demo and ``imi generate --context-item`` need no rendered cache)."""
    return render_item(config, "test", index % test_items(config))


def bench_report(cfg, generators, data, facts, say, command, progress) -> tuple[dict, Path]:
    """``imi bench clipscenes``: each trained variant evaluated on the test split, one table."""
    rows = {}
    for name, generator in generators.items():
        doc, _ = evaluate_generator(
            generator, name, data, out=cfg.out / "eval" / name, seed=cfg.seed, progress=progress
        )
        rows[name] = {**doc["summary"], **facts[name]}
    doc = {"domain": "clipscenes", "minutes": cfg.minutes, "rows": rows, "command": command, **provenance()}
    write_metrics(cfg.out / "bench.json", doc)
    return doc, cfg.out


def print_bench(doc: dict, out: Path, console) -> None:
    from rich.table import Table

    table = Table(title=f"ClipScenes, {doc['minutes']:g} min per variant")
    for col in ("variant", "place (text omits)", "place (text names)", "person kind", "specific", "FID", "steps"):
        table.add_column(col, justify="right")
    for name, r in doc["rows"].items():
        table.add_row(name, f"{r['context_place']:.1%}", f"{r['text_place']:.1%}", f"{r['kind']:.1%}",
                      f"{r['specific']:.1%}", f"{r['fid']:.2f}", str(r["steps"]))  # fmt: skip
    console.print(table)
    console.print(f"wrote {out / 'bench.json'}")


DOMAIN = Domain(
    name="clipscenes",
    data_config=SceneDataConfig,
    benchmark=benchmark,
    tokenizer=tokenizer,
    evaluate=evaluate_generator,
    print_report=print_report,
    analyze=analyze_generator,
    bench_report=bench_report,
    print_bench=print_bench,
    test_items=test_items,
    test_item=test_item,
    tasks=("generate",),
    parse_text=parse,
    label_names={"places": list(PLACES), "kinds": list(KINDS), "people": [p.name for p in PEOPLE]},
    scene_ok=scene_ok,
)
