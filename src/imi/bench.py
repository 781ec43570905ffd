"""``imi bench digits``: every variant, the same wall-clock budget, one table.

1. Train each variant from scratch for ``minutes`` of training time (the
   trainer's ``train.max_minutes``: data, forward, backward and update; not
   checkpoints or validation), one after another, so none competes with
   another for the cores. A run folder that already holds a training state is
   resumed, so a killed bench continues where it stopped.
2. Measure each selected checkpoint's edit latency at batch 1.
3. Evaluate every variant and copy-source in one pass over the test split
   (all 369,000 triplets unless ``limit``): every model sees the same batches.
4. Write ``bench.json`` (everything, with budgets, seeds, machine and
   command), ``bench.md`` (the tables), ``examples.png`` (the same test
   examples across variants) and ``ssim_hist.png``.
"""

from __future__ import annotations

import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from imi.config import ConfigError, resolve
from imi.data.digits import DigitBenchmark
from imi.eval import report
from imi.eval.harness import evaluate
from imi.eval.recognizer import load_recognizer
from imi.eval.run import BASELINE, pick_items
from imi.models.registry import VARIANTS
from imi.training import checkpoint as ckpt
from imi.training.loop import BEST, Trainer

DEFAULT_MINUTES = 30.0


@dataclass(frozen=True)
class BenchConfig:
    """What one bench run does.

    Attributes:
        minutes: training budget per variant (wall clock of the steps).
        variants: names from :data:`imi.models.registry.VARIANTS`, in table order.
        out: folder for the runs (``out/<variant>``) and the report.
        seed: training seed of every variant (and the evaluation noise seed).
        limit: test triplets to evaluate (None: the whole split).
        threads: CPU threads (0: all cores).
        batch_size: evaluation batch size.
        latency_reps: timed batch-1 edits per variant (the median is reported).
    """

    minutes: float = DEFAULT_MINUTES
    variants: tuple[str, ...] = tuple(VARIANTS)
    out: Path = Path("runs/bench-digits")
    seed: int = 0
    limit: int | None = None
    threads: int = 0
    batch_size: int = 512
    latency_reps: int = 200
    overrides: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.minutes > 0:
            raise ConfigError(f"minutes: must be > 0, got {self.minutes}")
        if not self.variants:
            raise ConfigError("variants: name at least one")
        unknown = [v for v in self.variants if v not in VARIANTS]
        if unknown:
            raise ConfigError(f"variants: unknown {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
        if len(set(self.variants)) != len(self.variants):
            raise ConfigError("variants: each variant once")
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"limit: must be ≥ 1, got {self.limit}")
        if "variant" in self.overrides:
            raise ConfigError("variant: the bench picks each variant's preset itself; use --variants")
        if self.latency_reps < 1 or self.batch_size < 1 or self.threads < 0:
            raise ConfigError("latency_reps and batch_size must be ≥ 1, threads ≥ 0")


def train_variant(name: str, cfg: BenchConfig) -> dict:
    """Train (or resume) one variant under the budget; returns its training facts."""
    run_dir = cfg.out / name
    if (run_dir / ckpt.STATE).is_file():
        trainer = Trainer(None, run_dir, resume=True)
        budget = trainer.config.train.max_minutes
        if budget != cfg.minutes:
            raise ConfigError(
                f"{run_dir} was trained with a {budget}-minute budget, this bench asks for {cfg.minutes}; "
                "use another --out"
            )
    else:
        settings = {
            "train.max_minutes": str(cfg.minutes),
            "train.max_steps": "0",  # the budget alone decides when a variant stops
            "train.seed": str(cfg.seed),
            "train.threads": str(cfg.threads),
        }
        trainer = Trainer(resolve(VARIANTS[name].preset, {**settings, **cfg.overrides}), run_dir)
    trainer.fit()
    images = trainer.step * trainer.config.train.batch_size * trainer.dist.world
    return {
        "preset": trainer.config.preset,
        "steps": trainer.step,
        "train_seconds": round(trainer.elapsed_s, 1),
        "train_images": images,
        "train_images_per_s": round(images / max(trainer.elapsed_s, 1e-9), 1),
        "epochs": round(trainer.step / trainer.steps_per_epoch, 3),
        "params": sum(p.numel() for p in trainer.model.parameters()),
        "inference_params": sum(v.numel() for v in trainer.model.inference_state().values()),
        "selected": str(run_dir / BEST) if (run_dir / BEST).is_dir() else str(run_dir),
    }


def latency_ms(editor, batch, reps: int, warmup: int = 10) -> float:
    """Median milliseconds of one batch-1 edit (uint8 in, uint8 out) of ``batch``'s first item."""
    source, tokens, lengths = batch.source[:1], batch.tokens[:1], batch.lengths[:1]
    times = []
    for i in range(warmup + reps):
        tick = time.perf_counter()
        editor.edit_tensors(source, tokens, lengths, seed=i)
        times.append(time.perf_counter() - tick)
    return float(np.median(times[warmup:]) * 1000)


def run_bench(cfg: BenchConfig, console=None, command: str | None = None) -> tuple[dict, Path]:
    """Train, time and evaluate every variant; returns the bench document and the report folder.

    ``command`` is recorded as given (the CLI passes its own command line).
    """
    from imi.pipeline import Editor

    say = console.print if console is not None else (lambda *a, **k: None)
    cfg.out.mkdir(parents=True, exist_ok=True)
    facts = {}
    for name in cfg.variants:
        say(f"[bold]{name}[/]: training for {cfg.minutes:g} min ({VARIANTS[name].summary})")
        facts[name] = train_variant(name, cfg)
    editors = {name: Editor.from_pretrained(facts[name]["selected"]) for name in cfg.variants}
    data = {e.config.data for e in editors.values()}
    if len(data) != 1:
        raise ConfigError("the variants' presets use different data settings; the bench needs one test split")
    split = DigitBenchmark(data.pop()).split("test")
    items = pick_items(len(split), cfg.limit)
    probe = split.batch(items[:1])
    for name, editor in editors.items():
        facts[name]["latency_ms"] = round(latency_ms(editor, probe, cfg.latency_reps), 3)
    judge = load_recognizer()

    def edit_fn(editor):
        return lambda b, s: editor.edit_tensors(b.source, b.tokens, b.lengths, seed=s)

    say(f"evaluating {len(editors)} variants and {BASELINE} on {len(items):,} test triplets")
    result = evaluate({n: edit_fn(e) for n, e in editors.items()}, split, judge, items, cfg.batch_size, cfg.seed,
                      progress=console is not None)  # fmt: skip
    for name in cfg.variants:
        facts[name]["eval_edit_seconds"] = round(result.edit_seconds[name], 1)
    doc = {
        "command": command,
        "config": {**asdict(cfg), "out": str(cfg.out)},
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}",
        "items": result.items,
        "eval_seconds": round(result.seconds, 1),
        "recognizer_accuracy": judge.accuracy,
        "variants": facts,
        "metrics": {**result.models, BASELINE: result.copy_source},
    }
    report.write_metrics(cfg.out / "bench.json", doc)
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


def print_summary(doc: dict, out: Path, console) -> None:
    from rich.table import Table

    t = Table(title=f"imi bench digits: {doc['config']['minutes']:g} min per variant, {doc['items']:,} test triplets")
    t.add_column("system", no_wrap=True)
    for header, _, _ in SUMMARY:
        t.add_column(header, justify="right")
    for name, cells in summary_rows(doc):
        t.add_row(name, *cells)
    console.print(t)
    console.print(f"wrote bench.json, bench.md, examples.png, ssim_hist.png in {out}")
