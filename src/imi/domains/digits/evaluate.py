"""``imi eval`` on the digit benchmark: an editor (and copy-source) on a split, with the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from imi.core import report as core_report
from imi.core.errors import ImiError
from imi.core.permutation import Permutation
from imi.domains.digits import report
from imi.domains.digits.config import DigitDataConfig
from imi.domains.digits.dataset import PHRASINGS, SPLITS, DigitBenchmark, TripletBatch
from imi.domains.digits.harness import EvalResult, evaluate
from imi.domains.digits.judge import load_recognizer

BASELINE = "copy-source"
SAMPLE_SEED = 20261122  # which items --limit picks (fixed, so limited runs are comparable)


def pick_items(n_split: int, limit: int | None) -> np.ndarray:
    """All items, or ``limit`` of them spread over the split by a fixed permutation (sorted)."""
    if limit is None or limit >= n_split:
        return np.arange(n_split)
    if limit < 1:
        raise ImiError(f"--limit must be ≥ 1, got {limit}")
    return np.sort(Permutation(n_split, SAMPLE_SEED)(np.arange(limit)))


def evaluate_editor(
    editor,
    name: str,
    data: DigitDataConfig,
    split: str = "test",
    limit: int | None = None,
    out: Path | None = None,
    batch_size: int = 512,
    seed: int = 0,
    recognizer: str | Path | None = None,
    progress: bool = True,
    phrasing: str | None = None,
) -> tuple[dict, Path]:
    """``imi eval`` on digits: ``editor`` (an :class:`imi.pipelines.edit.Editor`, or None for the
    copy-source row alone) and copy-source on ``split`` of ``data``; returns ``(metrics, out)``.

    ``phrasing`` "heldout" words the same triplets in sentences no template uses (an LSTM model
    reads their unknown words as ``<unk>``); None or "seen" uses the templates.

    The caller passes the checkpoint's own data config, so a model is always tested on the
    glyphs it was held out from.
    """
    if split not in SPLITS:
        raise ImiError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    if batch_size < 1:
        raise ImiError(f"--batch-size must be ≥ 1, got {batch_size}")
    if editor is not None and (editor.channels != 1 or editor.image_size != 64):
        raise ImiError(f"{name}: the digit evaluation needs a 1×64×64 model")
    judge = load_recognizer(recognizer)
    phrasing = phrasing or "seen"
    if phrasing not in PHRASINGS:
        raise ImiError(f"unknown phrasing {phrasing!r}; choose one of {', '.join(PHRASINGS)}")
    bench_split = DigitBenchmark(data).split(split, phrasing)
    items = pick_items(len(bench_split), limit)
    suffix = ("" if phrasing == "seen" else f"-{phrasing}") + ("" if limit is None else f"-n{len(items)}")
    out = Path(out) if out is not None else Path("runs") / "eval" / f"{name.replace('/', '-')}-{split}{suffix}"
    out.mkdir(parents=True, exist_ok=True)

    def edit(batch: TripletBatch, noise_seed: int) -> torch.Tensor:
        return editor.edit_batch(batch, noise_seed)

    result = evaluate({name: edit} if editor else {}, bench_split, judge, items, batch_size, seed, progress)
    doc = {**_document(name, split, seed, result, judge.accuracy, editor), "phrasing": phrasing}
    core_report.write_metrics(out / "metrics.json", doc)
    rows = _rows(doc, name)
    (out / "metrics.md").write_text(report.markdown_table(rows) + "\n")
    report.ssim_histograms(rows, out / "ssim_hist.png")
    if editor is not None:
        report.example_grid(result.examples, out / "examples.png", f"{name} on {split}")
    return doc, out


def _rows(doc: dict, name: str) -> dict[str, dict]:
    rows = {} if not doc["model"] else {name: doc["model"]}
    rows[BASELINE] = doc["copy_source"]
    return rows


def _document(name: str, split: str, seed: int, result: EvalResult, judge_acc: dict, editor) -> dict:
    return {
        "checkpoint": name,
        "split": split,
        "items": result.items,
        "seed": seed,
        "seconds": round(result.seconds, 1),
        **core_report.provenance(),
        "model_config": editor.config.to_dict() if editor else None,
        "recognizer_accuracy": judge_acc,
        "model": result.models.get(name, {}),
        "copy_source": result.copy_source,
    }


def print_report(doc: dict, out: Path, console) -> None:
    name = doc["checkpoint"]
    words = "" if doc.get("phrasing", "seen") == "seen" else f", {doc['phrasing']} phrasing"
    title = f"{name} on the {doc['split']} split ({doc['items']:,} triplets{words}, {doc['seconds']:.0f} s)"
    console.print(report.table(_rows(doc, name), title))
    names = ["metrics.json", "metrics.md", "ssim_hist.png"] + (["examples.png"] if doc["model"] else [])
    console.print(f"wrote {', '.join(names)} in {out}")
