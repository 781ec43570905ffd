"""``imi bench digits`` / ``imi bench avatars``: every variant, the same wall-clock budget, one table.

1. Train each variant from scratch for ``minutes`` of training time (the
   trainer's ``train.max_minutes``: data, forward, backward and update; not
   checkpoints or validation), one after another, so none competes with
   another for the cores. A run folder that already holds a training state is
   resumed, so a killed bench continues where it stopped.
2. Hand the selected checkpoints to the domain's ``bench_report``
   (:class:`imi.core.plugins.Domain`), which times each edit at batch 1,
   evaluates every variant and the reference rows in one pass over the test
   split (every model sees the same batches) and writes ``bench.json`` (with
   budgets, seeds, machine and command), ``bench.md`` and its figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from imi.core import checkpoint as ckpt
from imi.core.checkpoint import BEST
from imi.core.config import ConfigError
from imi.pipelines.load import load_pipeline
from imi.presets import resolve
from imi.registry import DOMAINS, SYSTEMS
from imi.training.loop import Trainer

DEFAULT_MINUTES = 30.0


def bench_presets(domain: str) -> dict[str, str]:
    """System name → the preset ``imi bench <domain>`` trains for it, in registry order."""
    return {name: s.presets[domain] for name, s in SYSTEMS.items() if domain in s.presets}


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
        domain_settings = DOMAINS[cfg.domain].bench_settings
        if domain_settings is not None:
            settings |= domain_settings(resolve(preset, cfg.overrides))
        # The variant's folder is the bench's own: what a killed bench left there before its first
        # checkpoint is replaced.
        trainer = Trainer(resolve(preset, {**settings, **cfg.overrides}), run_dir, overwrite=True)
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


def run_bench(cfg: BenchConfig, console=None, command: str | None = None) -> tuple[dict, Path]:
    """Train, time and evaluate every variant; returns the bench document and the report folder.

    ``command`` is recorded as given (the CLI passes its own command line).
    """
    say = console.print if console is not None else (lambda *a, **k: None)
    cfg.out.mkdir(parents=True, exist_ok=True)
    facts = {}
    for name in cfg.variants:
        say(f"[bold]{name}[/]: training for {cfg.minutes:g} min ({SYSTEMS[name].summary})")
        facts[name] = train_variant(name, cfg)
    editors = {name: load_pipeline(facts[name]["selected"]) for name in cfg.variants}
    data = {e.config.data for e in editors.values()}
    if len(data) != 1:
        raise ConfigError("the variants' presets use different data settings; the bench needs one test split")
    domain = DOMAINS[cfg.domain]
    return domain.bench_report(cfg, editors, data.pop(), facts, say, command, progress=console is not None)
