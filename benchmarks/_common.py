"""Shared helpers of the benchmark scripts (timing, machine line)."""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch

from imi.presets import resolve
from imi.training.loop import Trainer


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads"


def median_ms(fn, repeats: int) -> float:
    """Median milliseconds of ``fn(i)`` over ``repeats`` calls, after ten warm-up calls."""
    for i in range(10):
        fn(i)
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def pipelines(task: str, names: list[str], pipeline, make):
    """``(name, pipeline)`` of each shipped checkpoint or folder in ``names`` (``pipeline.from_pretrained``),
    or, when none is given, of every preset of ``task`` with random weights (``make(model, config)``):
    speed does not depend on training."""
    from imi.presets import PRESETS
    from imi.registry import SYSTEMS, build_model

    if names:
        for name in names:
            yield name, pipeline.from_pretrained(name)
        return
    for preset, config in PRESETS.items():
        if SYSTEMS[config.variant].task == task:
            torch.manual_seed(0)
            yield preset, make(build_model(config.variant, config.model).eval(), config)


def make_trainer(preset: str, **overrides: str) -> Trainer:
    quiet = {"train.log_every": "100000", "train.sample_every": "100000", "train.checkpoint_every": "100000"}
    run = Path(tempfile.mkdtemp(prefix=f"imi-bench-{preset}-"))
    return Trainer(resolve(preset, {**quiet, **overrides}), run)


def train_images_per_s(trainer: Trainer, steps: int, warmup: int = 3) -> float:
    """Images per second over ``steps`` full training steps (data rendering included)."""

    def one(i: int) -> None:
        batch = trainer.to_step_batch(trainer.train_set.batch(trainer.batch_indices(i)))
        trainer.recipe.step(trainer.model, batch, trainer.config.train, trainer.opts, trainer.rng, trainer.dist)

    for i in range(warmup):
        one(i)
    start = time.perf_counter()
    for i in range(warmup, warmup + steps):
        one(i)
    return steps * trainer.config.train.batch_size * trainer.dist.world / (time.perf_counter() - start)
