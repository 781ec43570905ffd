"""The digit half of ``imi bench``: every trained variant and copy-source on the test split, timed,
in one table (``bench.json``, ``bench.md``, ``examples.png``, ``ssim_hist.png``)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from imi.core import report as core_report
from imi.domains.digits import report
from imi.domains.digits.dataset import DigitBenchmark
from imi.domains.digits.evaluate import BASELINE, pick_items
from imi.domains.digits.harness import evaluate
from imi.domains.digits.judge import load_recognizer
from imi.tasks.edit.measure import latency_ms


def bench_report(
    cfg, editors: dict, data, facts: dict, say, command: str | None, progress: bool = False
) -> tuple[dict, Path]:
    """Evaluate the trained digit variants (``editors``) and write the report; returns ``(doc, folder)``."""
    split = DigitBenchmark(data).split("test")
    items = pick_items(len(split), cfg.limit)
    probe = split.batch(items[:1])
    for name, editor in editors.items():
        facts[name]["latency_ms"] = round(latency_ms(editor, probe, cfg.latency_reps), 3)
    judge = load_recognizer()

    def edit_fn(editor):
        return editor.edit_batch

    say(f"evaluating {len(editors)} variants and {BASELINE} on {len(items):,} test triplets")
    result = evaluate({n: edit_fn(e) for n, e in editors.items()}, split, judge, items, cfg.batch_size, cfg.seed,
                      progress=progress)  # fmt: skip
    for name in cfg.variants:
        facts[name]["eval_edit_seconds"] = round(result.edit_seconds[name], 1)
    doc = {
        "command": command,
        "config": {**asdict(cfg), "out": str(cfg.out)},
        **core_report.provenance(),
        "items": result.items,
        "eval_seconds": round(result.seconds, 1),
        "recognizer_accuracy": judge.accuracy,
        "variants": facts,
        "metrics": {**result.models, BASELINE: result.copy_source},
    }
    core_report.write_metrics(cfg.out / "bench.json", doc)
    (cfg.out / "bench.md").write_text(markdown(doc) + "\n")
    report.ssim_histograms(doc["metrics"], cfg.out / "ssim_hist.png")
    report.example_grid(
        result.examples, cfg.out / "examples.png", f"the same test triplets across variants ({cfg.minutes:g} min each)"
    )
    return doc, cfg.out


SUMMARY = (  # (header, function of (metrics "all", facts), format)
    ("SSIM mean", lambda m, f: m.get("ssim_mean"), "{:.4f}"),
    ("SSIM median", lambda m, f: m.get("ssim_median"), "{:.4f}"),
    ("edit acc", lambda m, f: m.get("edit_acc"), "{:.2%}"),
    ("RS@1", lambda m, f: m.get("rs1"), "{:.2%}"),
    ("RS@5", lambda m, f: m.get("rs5"), "{:.2%}"),
    ("preservation", lambda m, f: m.get("preservation"), "{:.4f}"),
    ("params (inference)", lambda m, f: f.get("inference_params"), "{:,}"),
    ("train img/s", lambda m, f: f.get("train_images_per_s"), "{:,.0f}"),
    ("steps", lambda m, f: f.get("steps"), "{:,}"),
    ("edit ms (batch 1)", lambda m, f: f.get("latency_ms"), "{:.2f}"),
)


def summary_rows(doc: dict) -> list[tuple[str, list[str]]]:
    """One row per system (variants, then copy-source) of formatted :data:`SUMMARY` cells."""
    rows = []
    for name, metrics in doc["metrics"].items():
        facts = doc["variants"].get(name, {})
        cells = []
        for _, get, fmt in SUMMARY:
            value = get(metrics["all"], facts)
            cells.append("—" if value is None else fmt.format(value))
        rows.append((name, cells))
    return rows


def markdown(doc: dict) -> str:
    """``bench.md``: the summary table, then every metric per action."""
    cfg = doc["config"]
    head = "| system | " + " | ".join(h for h, _, _ in SUMMARY) + " |"
    lines = [
        f"Budget {cfg['minutes']:g} min of training per variant, seed {cfg['seed']}, {doc['items']:,} test "
        f"triplets, {doc['date']}, {doc['machine']}.",
        "",
        head,
        "|" + "---|" * (len(SUMMARY) + 1),
    ]
    lines += [f"| {name} | " + " | ".join(cells) + " |" for name, cells in summary_rows(doc)]
    lines += ["", "Per action:", "", report.markdown_table(doc["metrics"])]
    return "\n".join(lines)


def print_bench(doc: dict, out: Path, console) -> None:
    from rich.table import Table

    t = Table(title=f"imi bench digits: {doc['config']['minutes']:g} min per variant, {doc['items']:,} test triplets")
    t.add_column("system", no_wrap=True)
    for header, _, _ in SUMMARY:
        t.add_column(header, justify="right")
    for name, cells in summary_rows(doc):
        t.add_row(name, *cells)
    console.print(t)
    console.print(f"wrote bench.json, bench.md, examples.png, ssim_hist.png in {out}")
