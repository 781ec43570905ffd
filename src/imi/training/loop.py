"""The training loop: data order, logging, samples, checkpoints and resume.

The data order is a pure function of the step: step ``s`` is batch
``s mod steps_per_epoch`` of epoch ``s // steps_per_epoch``, read through a
seeded permutation of the train split, and each rank takes its own slice of
the global batch. So the only data position to save is the step, and a
resumed run sees exactly the batches an uninterrupted one would.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from imi.core import checkpoint as ckpt
from imi.core.checkpoint import BEST
from imi.core.config import PHASE_SAMPLES, ConfigError, ExperimentConfig
from imi.core.distributed import Dist, setup
from imi.core.errors import TrainingError
from imi.core.images import normalize
from imi.core.stats import StatsWriter
from imi.nn.optim import NonFiniteLoss
from imi.registry import DOMAINS, SYSTEMS, build_model, read_config, system
from imi.tasks.edit.batch import StepBatch
from imi.training.caption import CaptionTraining
from imi.training.drag import DragTraining
from imi.training.edit import EditTraining
from imi.training.generate import GenerateTraining
from imi.training.sample import SampleTraining
from imi.training.synthesize import SynthesizeTraining

SAMPLE_ITEMS = 8
# What differs per task (inputs, batches, dev scores, samples); the loop itself is shared.
TASKS = {"edit": EditTraining(), "caption": CaptionTraining(), "generate": GenerateTraining(),
         "synthesize": SynthesizeTraining(), "sample": SampleTraining(),
         "drag": DragTraining()}


def next_run_dir(root: Path, preset: str) -> Path:
    """``root/00001-<preset>``, numbered after the highest existing run."""
    root.mkdir(parents=True, exist_ok=True)
    numbers = [int(m.group(1)) for p in root.iterdir() if (m := re.match(r"(\d{5})-", p.name))]
    return root / f"{max(numbers, default=0) + 1:05d}-{preset}"


class Trainer:
    """Trains one experiment into one run folder (see :mod:`imi.core.checkpoint`).

    Args:
        config: the resolved experiment; ignored when resuming (the run's own
            ``config.json`` is used, so a resumed run cannot drift).
        run_dir: the run folder (created if needed).
        resume: continue from ``run_dir/train_state.safetensors``.
        dist: process group; set up from the environment when None.
        overwrite: a new run may replace what ``run_dir`` holds (else a non-empty folder is refused:
            two runs in one folder would mix their stats, checkpoints and ``best/``).
    """

    def __init__(
        self,
        config: ExperimentConfig | None,
        run_dir: Path,
        resume: bool = False,
        dist: Dist | None = None,
        overwrite: bool = False,
    ):
        self.run_dir = Path(run_dir)
        if resume:
            config, _, _ = read_config(self.run_dir)
        if config is None:
            raise ConfigError("a new run needs a config")
        self.config = config
        cfg = config.train
        self.dist = dist or setup(cfg.device, cfg.threads)
        if not resume:
            self._claim_run_dir(overwrite)
        torch.manual_seed(cfg.seed)  # weights: identical on every rank, and synced below anyway

        domain = DOMAINS[config.domain]
        self.task = TASKS[system(config.variant).task]
        # Rank 0 builds a missing cache; the others wait for it at the first collective.
        bench = domain.benchmark(config.data, build=self.dist.is_main, workers=max(1, cfg.threads or 1))
        self.dist.barrier()
        self.bench = bench
        self.unlabeled = None  # the benchmark, when it also serves unlabeled images (paper §3.5.2)
        if cfg.unsupervised_samples:
            if not hasattr(bench, "unlabeled"):
                raise ConfigError(f"train.unsupervised_samples: the {config.domain} benchmark has no unlabeled images")
            self.unlabeled = bench
        self.tokenizer, self.train_set, self.dev_set = self.task.inputs(self, bench)
        if config.model.vocab_size != len(self.tokenizer.vocab):
            raise ConfigError(
                f"model.vocab_size: {config.model.vocab_size}, the tokenizer has {len(self.tokenizer.vocab)}"
            )
        global_batch = cfg.batch_size * self.dist.world
        if global_batch > len(self.train_set):
            raise ConfigError(
                f"train.batch_size: {cfg.batch_size} × {self.dist.world} processes "
                f"> {len(self.train_set)} train triplets"
            )
        self.steps_per_epoch = len(self.train_set) // global_batch
        # Avatars alternate `half` unsupervised steps with `half` supervised ones (one phase).
        self.half = round(cfg.unsupervised_samples / global_batch) if self.unlabeled else 0
        if self.unlabeled is not None and (self.half < 1 or global_batch > self.unlabeled.unlabeled_count):
            raise ConfigError(
                f"train.unsupervised_samples: {cfg.unsupervised_samples} samples need ≥ 1 batch of "
                f"{global_batch} and ≥ {global_batch} unlabeled images (the benchmark has "
                f"{self.unlabeled.unlabeled_count})"
            )
        total = cfg.epochs * self.steps_per_epoch * (2 if self.half else 1)
        self.total_steps = min(total, cfg.max_steps) if cfg.max_steps else total

        self.model = build_model(config.variant, config.model).to(self.dist.device)
        self.recipe = SYSTEMS[config.variant].recipe
        prepared = None if resume else self.recipe.prepare(self.model, self.train_set)
        self.dist.sync_module(self.model)
        self.opts = self.recipe.optimizers(self.model, cfg)
        # Noise and the (c_r, c_w, x) draw differ per rank, reproducibly.
        self.rng = torch.Generator().manual_seed(cfg.seed * 1009 + self.dist.rank)
        self.step = 0
        self.saved_step: int | None = None  # the last checkpoint written (or resumed from): the last finite one
        self.elapsed_s = 0.0  # training wall-clock, summed over resumes (train.max_minutes)
        self.best_val = float("inf")  # lowest validation score so far (the recipe's val_loss)
        self.stats = StatsWriter(self.run_dir / "stats.jsonl", enabled=self.dist.is_main)
        self.pipeline = self.task.pipeline(self)  # Editor or Captioner: samples and dev scores go through it
        self._sample_batch = self.dev_set.batch(np.arange(min(SAMPLE_ITEMS, len(self.dev_set))))

        if self.dist.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            if prepared:  # what the recipe's preparation measured (e.g. the caption autoencoder's fit)
                self.stats.report(0, prepared)
            self.task.prepared(self)
        if resume:
            self.step, extra = ckpt.load_training_state(self.run_dir, self.model, self.opts, self.rng)
            self.saved_step = self.step
            self.elapsed_s = float(extra.get("elapsed_s", 0.0))
            self.best_val = float(extra.get("best_val", float("inf")))
            self.stats.truncate_after(self.step)
        elif self.dist.is_main:
            ckpt.write_config(self.run_dir, config, list(self.tokenizer.vocab.itos), 0)

    def _claim_run_dir(self, overwrite: bool) -> None:
        """Refuse to start a new run in a folder that holds something, unless told to replace it.

        Every rank looks before the first barrier, and rank 0 writes only after it, so no rank
        mistakes rank 0's fresh files for an old run."""
        held = self.run_dir.is_dir() and any(self.run_dir.iterdir())
        if held and not overwrite:
            raise ConfigError(
                f"{self.run_dir} already holds a run: continue it with --resume {self.run_dir}, start over "
                "with --overwrite, or give another --run-dir"
            )
        if held and self.dist.is_main:
            shutil.rmtree(self.run_dir)

    def batch_indices(self, step: int, n: int | None = None, stream: int = 0) -> np.ndarray:
        """This rank's indices for the ``step``-th batch of a data set of ``n`` items (default: train)."""
        n = len(self.train_set) if n is None else n
        per_epoch = n // (self.config.train.batch_size * self.dist.world)
        epoch, j = divmod(step, per_epoch)
        order = _epoch_permutation(n, self.config.train.seed + 104_729 * stream, epoch)
        b, world = self.config.train.batch_size, self.dist.world
        start = (j * world + self.dist.rank) * b
        return order(np.arange(start, start + b))

    def phase(self, step: int) -> float:
        """Supervised phases completed after ``step`` steps (paper §3.5.2: 2,200 supervised samples each);
        a run that does not alternate counts its samples in phases' worth."""
        if not self.half:
            return step * self.config.train.batch_size * self.dist.world / PHASE_SAMPLES
        full, rest = divmod(step, 2 * self.half)
        return full + max(0, rest - self.half) / self.half

    def train_batch(self, step: int) -> StepBatch:
        """Batch ``step``: the data order is a pure function of the step, also when alternating."""
        if not self.half:
            return self.to_step_batch(self.train_set.batch(self.batch_indices(step)))
        period, pos = divmod(step, 2 * self.half)
        if pos >= self.half:  # supervised half: the next train-split batch
            return self.to_step_batch(self.train_set.batch(self.batch_indices(period * self.half + pos - self.half)))
        # Unsupervised half (§3.5.2): source = target = X, zero instruction; the batch rolled by
        # one (a shuffle with no fixed point) gives the wrong condition c_w.
        k = self.batch_indices(period * self.half + pos, self.unlabeled.unlabeled_count, stream=1)
        x = normalize(self.unlabeled.unlabeled(k), self.config.model.output).to(self.dist.device)
        tokens, lengths = self.tokenizer.batch([""] * len(k))  # the zero instruction, as the model reads it
        dev = self.dist.device
        return StepBatch(x, x.roll(1, 0), tokens.to(dev), lengths.to(dev), None, None, None, supervised=False)

    def to_step_batch(self, batch):
        """A data set batch as the recipe's step takes it (the task's batch, on the device)."""
        return self.task.to_batch(self, batch)

    def lr_at(self, step: int) -> float:
        """Learning rate of step ``step`` under ``train.lr_schedule``."""
        cfg = self.config.train
        if cfg.lr_schedule == "cosine":
            return cfg.lr * 0.5 * (1 + math.cos(math.pi * step / self.total_steps))
        if cfg.lr_schedule == "linear-tail":
            # Steps left when the decay starts; the last step is taken at lr / tail_steps, not 0.
            tail_steps = max(1, round(cfg.lr_tail * self.total_steps))
            return cfg.lr * min(1.0, (self.total_steps - step) / tail_steps)
        return cfg.lr

    def set_lr(self, step: int) -> None:
        lr = self.lr_at(step)
        for opt in self.opts.values():
            for group in opt.param_groups:
                group["lr"] = lr

    def budget_spent(self) -> bool:
        """True once ``train.max_minutes`` of training time are used (all ranks agree)."""
        limit = self.config.train.max_minutes * 60
        if not limit:
            return False
        # Any rank past the limit stops them all, so every process stops at the same step.
        return bool(self.dist.mean(torch.tensor(float(self.elapsed_s >= limit))) > 0)

    def fit(self) -> Path:
        """Train to ``total_steps`` or to the time budget; returns the run folder.

        The budget counts the steps themselves (data, forward, backward,
        update), not checkpoints, samples or validation.
        """
        cfg = self.config.train
        # A run that only the clock stops has no meaningful step total to show.
        shown_total = None if cfg.max_minutes and not cfg.max_steps else self.total_steps
        bar = tqdm(total=shown_total, initial=self.step, disable=not self.dist.is_main, desc="train", unit="step")
        tick, images, window = time.perf_counter(), 0, []
        spent = self.budget_spent()
        try:
            while self.step < self.total_steps and not spent:
                started = time.perf_counter()
                self.model.train()
                self.set_lr(self.step)
                batch = self.train_batch(self.step)
                try:
                    stats = self.recipe.step(self.model, batch, cfg, self.opts, self.rng, self.dist)
                except NonFiniteLoss as err:
                    self.diverged(f"the loss became non-finite at step {self.step + 1} ({err})")
                self.step += 1
                self.elapsed_s += time.perf_counter() - started
                images += cfg.batch_size * self.dist.world
                spent = self.budget_spent()
                last = self.step == self.total_steps or spent
                window.append(stats)
                if self.step % cfg.log_every == 0 or last:
                    # Means over the steps since the last report: update_d becomes the share of D updates.
                    # A term missing from some steps (SIM's mask on unlabeled ones) averages where present.
                    keys = [k for k in dict.fromkeys(k for w in window for k in w) if k != "draw"]
                    mean = {k: float(np.mean([w[k] for w in window if k in w])) for k in keys}
                    rate = images / (time.perf_counter() - tick)
                    progress = {"epoch": self.step / self.steps_per_epoch}
                    if self.half:
                        progress = {"phase": self.phase(self.step)}
                    progress["lr"] = self.lr_at(self.step - 1)
                    self.stats.report(self.step, {**mean, "images_per_s": rate, **progress})
                    # A lazily applied term (R1 every few steps) may be missing from a short window.
                    shown = {k: f"{mean[k]:.3f}" for k in self.recipe.progress if k in mean}
                    bar.set_postfix(**shown, img_s=f"{rate:.0f}")
                    tick, images, window = time.perf_counter(), 0, []
                if self.step % cfg.sample_every == 0 or last:
                    self.save_samples()
                if self.step % cfg.checkpoint_every == 0 or last:
                    # Nothing non-finite is ever written: the weights, then the validation loss, are
                    # checked first, and every rank stops together if either is not finite.
                    self.check_weights()
                    self.validate()
                    self.save_checkpoint()
                bar.update(1)
        finally:
            bar.close()
        return self.run_dir

    def diverged(self, what: str) -> None:
        """Stop training: ``what`` went wrong; the last finite checkpoint is named and left as it is."""
        if self.saved_step is None:
            kept = "no checkpoint was written yet"
        else:
            kept = f"the last finite checkpoint (step {self.saved_step}) in {self.run_dir} is kept"
        raise TrainingError(f"{what}; training stopped and {kept}. Lower train.lr, or try train.bf16=false")

    def check_weights(self) -> None:
        """Stop (all ranks: their weights are identical) when any weight or buffer is NaN or infinite."""
        bad = [k for k, v in self.model.state_dict().items() if v.is_floating_point() and not torch.isfinite(v).all()]
        if bad:
            self.diverged(f"{len(bad)} weight tensors became non-finite by step {self.step} (e.g. {bad[0]})")

    def validate(self) -> None:
        """Score the dev split; export the weights to ``best/`` when the score is the lowest so far.
        A non-finite score stops every rank (rank 0 scores; the others learn of it here)."""
        items = self.config.train.val_items
        if not items:
            return
        value = self.validation_score(items) if self.dist.is_main else 0.0
        if self.dist.mean(torch.tensor(float(not math.isfinite(value)))) > 0:
            self.diverged(f"the validation loss became non-finite at step {self.step}")
        if not self.dist.is_main:
            return
        record = {"val_loss": value, **self.dev_scores(items), "phase": self.phase(self.step)}
        self.stats.report(self.step, record)
        if value < self.best_val:
            self.best_val = value
            best = self.run_dir / BEST
            best.mkdir(exist_ok=True)
            ckpt.save_pretrained(best, self.model, self.config, list(self.tokenizer.vocab.itos), self.step)
            ckpt.copy_extras(self.run_dir, best)

    def validation_score(self, items: int = 256) -> float:
        """The task's model-selection score on the first ``items`` dev items (lower is better)."""
        return self.task.validation_score(self, items)

    def dev_scores(self, items: int = 256) -> dict[str, float]:
        """What the task logs of the dev split at each checkpoint (edits: ``val_ssim``, ``val_edit_acc``;
        captions: ``val_caption_acc``)."""
        return self.task.dev_scores(self, items)

    def save_checkpoint(self) -> None:
        if self.dist.is_main:
            vocab = list(self.tokenizer.vocab.itos)
            extra = {"elapsed_s": self.elapsed_s, "best_val": self.best_val}
            ckpt.save_training_state(self.run_dir, self.model, self.opts, self.rng, self.step, extra)
            ckpt.save_pretrained(self.run_dir, self.model, self.config, vocab, self.step)
        self.saved_step = self.step

    def save_samples(self) -> None:
        """The task's figure of the fixed dev items at this step (rank 0)."""
        if self.dist.is_main:
            self.task.save_samples(self, self._sample_batch)


def _epoch_permutation(n: int, seed: int, epoch: int):
    from imi.core.permutation import Permutation

    return Permutation(n, seed * 7919 + epoch + 1)


def describe(config: ExperimentConfig) -> str:
    """The resolved config as pretty JSON (``--dry-run``)."""
    return json.dumps(config.to_dict(), indent=2)
