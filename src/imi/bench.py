"""``imi bench digits`` / ``imi bench avatars``: every variant, the same wall-clock budget, one table.

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

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from imi.config import ConfigError, resolve
from imi.data.digits import DigitBenchmark
from imi.eval import report
from imi.eval.harness import evaluate
from imi.eval.recognizer import load_recognizer
from imi.eval.run import BASELINE, pick_items
from imi.models.registry import VARIANTS
from imi.training import checkpoint as ckpt
from imi.training.loop import BEST, PHASE_SAMPLES, Trainer

DEFAULT_MINUTES = 30.0
DOMAINS = ("digits", "avatars")
# The avatar bench trains the paper's pair at one size (SPEC §6: w/o vs w/ SIM) and ours.
AVATAR_PRESETS = {"imi-paper": "avatars-small", "imi-sim": "avatars-sim", "ours-avatars": "avatars-ours"}


def bench_presets(domain: str) -> dict[str, str]:
    """Variant name → the preset its bench trains, in table order."""
    if domain == "avatars":
        return dict(AVATAR_PRESETS)
    return {n: v.preset for n, v in VARIANTS.items() if resolve(v.preset).domain == "digits"}


@dataclass(frozen=True)
class BenchConfig:
    """What one bench run does.

    Attributes:
        minutes: training budget per variant (wall clock of the steps).
        variants: names from :func:`bench_presets` of the domain, in table order (None: all).
        out: folder for the runs (``out/<variant>``) and the report (None: ``runs/bench-<domain>``).
        seed: training seed of every variant (and the evaluation noise seed).
        limit: test triplets to evaluate (None: the whole split).
        threads: CPU threads (0: all cores).
        batch_size: evaluation batch size.
        latency_reps: timed batch-1 edits per variant (the median is reported).
        overrides: dotted settings applied to every variant's preset.
        domain: ``digits`` or ``avatars``.
        ssim_target: avatars: the dev SSIM whose first crossing (in phases) is reported.
    """

    minutes: float = DEFAULT_MINUTES
    variants: tuple[str, ...] | None = None
    out: Path | None = None
    seed: int = 0
    limit: int | None = None
    threads: int = 0
    batch_size: int = 512
    latency_reps: int = 200
    overrides: dict[str, str] = field(default_factory=dict)
    domain: str = "digits"
    ssim_target: float = 0.8

    def __post_init__(self) -> None:
        if self.domain not in DOMAINS:
            raise ConfigError(f"domain: {self.domain!r}; choose from {', '.join(DOMAINS)}")
        presets = bench_presets(self.domain)
        if self.variants is None:
            object.__setattr__(self, "variants", tuple(presets))
        if self.out is None:
            object.__setattr__(self, "out", Path(f"runs/bench-{self.domain}"))
        if not self.minutes > 0:
            raise ConfigError(f"minutes: must be > 0, got {self.minutes}")
        if not self.variants:
            raise ConfigError("variants: name at least one")
        unknown = [v for v in self.variants if v not in presets]
        if unknown:
            raise ConfigError(f"variants: unknown {', '.join(unknown)}; choose from {', '.join(presets)}")
        if len(set(self.variants)) != len(self.variants):
            raise ConfigError("variants: each variant once")
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"limit: must be ≥ 1, got {self.limit}")
        if "variant" in self.overrides:
            raise ConfigError("variant: the bench picks each variant's preset itself; use --variants")
        if self.latency_reps < 1 or self.batch_size < 1 or self.threads < 0:
            raise ConfigError("latency_reps and batch_size must be ≥ 1, threads ≥ 0")
        if not 0 < self.ssim_target < 1:
            raise ConfigError(f"ssim_target: must lie in (0, 1), got {self.ssim_target}")


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
        preset = bench_presets(cfg.domain)[name]
        if cfg.domain == "avatars":  # validate and sample once per phase's worth of supervised samples
            batch = resolve(preset, cfg.overrides).train.batch_size
            every = str(max(1, round(PHASE_SAMPLES / batch)))
            # The SPEC's 4,296 triplets last few epochs: lift the epoch limit so the budget decides.
            settings |= {"train.checkpoint_every": every, "train.sample_every": every, "train.epochs": "100000"}
        trainer = Trainer(resolve(preset, {**settings, **cfg.overrides}), run_dir)
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
    if cfg.domain == "avatars":
        from imi import bench_avatars

        return bench_avatars.finish(cfg, editors, data.pop(), facts, say, command)
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
        **report.provenance(),
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
