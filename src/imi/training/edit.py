"""What the trainer does for the edit task: its inputs, batches, dev scores and sample grids."""

from __future__ import annotations

import functools

import numpy as np
import torch

from imi.core.checkpoint import FIXED
from imi.core.config import ConfigError
from imi.core.images import normalize, to_pil
from imi.core.sentences import instruction_tokenizer
from imi.pipelines.edit import Editor
from imi.registry import DOMAINS
from imi.tasks.edit.batch import StepBatch, model_inputs
from imi.tasks.edit.understand import READER_CONFIG, train_reader


def once_per_step(score):
    """A dev measurement ``(adapter, trainer, items) → value`` computed once per checkpoint: the trainer
    asks for the selection score and then for the logged scores of the same weights, and a generative
    task's are one pass over the dev items (kept on the trainer, keyed by its step and ``items``)."""
    @functools.wraps(score)
    def run(self, trainer, items: int):
        key = (score.__name__, trainer.step, items)
        memo = trainer.__dict__.setdefault("_dev_memo", {})
        if key not in memo:
            memo.clear()  # only the current checkpoint's values are ever asked for again
            memo[key] = score(self, trainer, items)
        return memo[key]

    return run


def check_image_shape(config, shape: tuple[int, ...]) -> None:
    """The data's images ``(C, S, S)`` must be the model's (``model.channels``, ``model.image_size``)."""
    wanted = (config.model.channels, config.model.image_size, config.model.image_size)
    if shape != wanted:
        raise ConfigError(
            f"model.channels/model.image_size: the model takes {wanted[0]}×{wanted[1]}×{wanted[2]} images, "
            f"the {config.domain} data gives {'×'.join(map(str, shape))}; set both sizes alike"
        )


class EditTraining:
    """Image + instruction → image: triplet splits read by the model's instruction encoder."""

    def inputs(self, trainer, bench):
        """``(tokenizer, train split, dev split)`` as the model reads them."""
        config = trainer.config
        tokenizer = instruction_tokenizer(DOMAINS[config.domain].tokenizer(), config.model.text_encoder)
        train_set = model_inputs(bench.split("train"), tokenizer)
        dev_set = model_inputs(bench.split("dev"), tokenizer)
        if tokenizer.reads_text:  # every distinct sentence once, cached on disk: steps only look up
            tokenizer.warm([*train_set.texts, *dev_set.texts], progress=trainer.dist.is_main)
        check_image_shape(config, tuple(dev_set.batch([0]).source.shape[1:]))
        return tokenizer, train_set, dev_set

    def pipeline(self, trainer) -> Editor:
        return Editor(trainer.model, trainer.config, trainer.tokenizer)

    def to_batch(self, trainer, batch) -> StepBatch:
        dev, out = trainer.dist.device, trainer.config.model.output
        labels = getattr(batch, "source_labels", None)
        return StepBatch(
            source=normalize(batch.source, out).to(dev),
            target=normalize(batch.target, out).to(dev),
            tokens=batch.tokens.to(dev),
            lengths=batch.lengths.to(dev),
            source_labels=None if labels is None else labels.to(dev),
            target_labels=None if labels is None else batch.target_labels.to(dev),
            change=batch.change.to(dev),
        )

    def prepared(self, trainer) -> None:
        """A sentence-encoder model gets its instruction reader (what an edit was understood as, and
        "did not understand"): seconds on the cached vectors, written once into the run folder."""
        meaning = DOMAINS[trainer.config.domain].meaning
        if not trainer.tokenizer.reads_text or meaning is None or (trainer.run_dir / READER_CONFIG).is_file():
            return
        reader, facts = train_reader(meaning, trainer.bench, trainer.tokenizer, seed=trainer.config.train.seed)
        reader.save(trainer.run_dir, facts)
        trainer.stats.report(0, {"reader_" + k: v for k, v in facts.items() if isinstance(v, float)})

    def validation_score(self, trainer, items: int) -> float:
        """The recipe's model-selection score on the first ``items`` dev triplets (lower is better):
        feature matching for the paper's GANs (§5.3), L1 to the target for tim, cross-entropy for ours."""
        n = min(items, len(trainer.dev_set))
        batches = (self.to_batch(trainer, trainer.dev_set.batch(np.arange(s, min(s + 64, n)))) for s in range(0, n, 64))
        return trainer.recipe.validate(trainer.model, batches, trainer.config.train)

    @torch.no_grad()
    def dev_scores(self, trainer, items: int) -> dict[str, float]:
        """Mean SSIM to the target and the judge's edit accuracy (when the domain has a judge) on the
        first ``items`` dev triplets (noise seed 0). The avatar bench reads the SSIM to find the phase
        at which a variant first reaches a fixed quality (Fig. 11)."""
        from imi.core.ssim import ssim

        trainer.model.eval()
        judge = DOMAINS[trainer.config.domain].edit_ok
        n, scores, hits = min(items, len(trainer.dev_set)), [], []
        for s in range(0, n, 64):
            b = trainer.dev_set.batch(np.arange(s, min(s + 64, n)))
            generated = trainer.pipeline.edit_batch(b, seed=0)
            scores.append(ssim(generated, b.target))
            if judge is not None:
                hits.append(judge(generated, b))
        trainer.model.train()
        record = {"val_ssim": float(torch.cat(scores).mean())}
        if hits:
            record["val_edit_acc"] = float(torch.cat(hits).float().mean())
        return record

    def save_samples(self, trainer, batch) -> None:
        """The fixed dev grid: source | instruction | target | generated."""
        from imi.core.viz import triplet_figure

        trainer.model.eval()
        generated = trainer.pipeline.edit_batch(batch, seed=0)
        (trainer.run_dir / "samples" / FIXED).mkdir(parents=True, exist_ok=True)
        triplet_figure(batch, trainer.run_dir / "samples" / f"step-{trainer.step:07d}.png", generated=generated)
        # The first dev edit alone, at full resolution: the same example across training (Fig. 11).
        to_pil(generated[0]).save(trainer.run_dir / "samples" / FIXED / f"step-{trainer.step:07d}.png")
        trainer.model.train()
