"""What the trainer does for the synthesis task: its inputs, batches, dev scores and figures."""

from __future__ import annotations

import numpy as np
import torch

from imi.core.config import ConfigError
from imi.core.images import normalize
from imi.core.viz import colour_labels, columns_figure
from imi.pipelines.synthesize import Synthesizer
from imi.registry import DOMAINS
from imi.tasks.synthesize.batch import UNKNOWN, MapStepBatch, one_hot
from imi.tasks.synthesize.metrics import confusion, mean_iou
from imi.training.edit import once_per_step


def map_pictures(labels: torch.Tensor) -> torch.Tensor:
    """Long maps ``(B, S, S)`` → uint8 ``(B, 3, S, S)`` in the label palette, unlabelled pixels white (figures)."""
    return torch.from_numpy(colour_labels(labels.numpy(), blank=UNKNOWN)).permute(0, 3, 1, 2).contiguous()


class SynthesizeTraining:
    """Label map → picture (see :mod:`imi.tasks.synthesize`); the tokenizer is the domain's class names."""

    def inputs(self, trainer, bench):
        config = trainer.config
        train_set, dev_set = bench.split("train"), bench.split("dev")
        shape = tuple(dev_set.batch([0]).image.shape[1:])
        if shape != (3, config.model.size, config.model.size):
            raise ConfigError(f"model.size: {config.model.size}, the data's pictures are {shape[1]}×{shape[2]}")
        classes = len(DOMAINS[config.domain].label_names["classes"])
        if config.model.classes != classes:
            raise ConfigError(f"model.classes: {config.model.classes}, the {config.domain} maps have {classes}")
        return DOMAINS[config.domain].tokenizer(), train_set, dev_set

    def pipeline(self, trainer) -> Synthesizer:
        return Synthesizer(trainer.model, trainer.config)

    def to_batch(self, trainer, batch) -> MapStepBatch:
        dev = trainer.dist.device
        return MapStepBatch(
            image=normalize(batch.image, "tanh").to(dev),
            labels=batch.labels.to(dev),
            onehot=one_hot(batch.labels, trainer.config.model.classes).to(dev),
        )

    def prepared(self, trainer) -> None:
        """Nothing to prepare."""

    @once_per_step
    @torch.no_grad()
    def dev_scores(self, trainer, items: int) -> dict[str, float]:
        """On the first ``items`` dev maps: ``val_miou``, the domain segmenter's mIoU of pictures drawn
        from the map alone (codes of seed 0) against the maps; ``val_rec``, the mean absolute error
        (0-255) of pictures regenerated from their own codes (latent models)."""
        trainer.model.eval()
        segment = DOMAINS[trainer.config.domain].segment
        pipe, n = trainer.pipeline, min(items, len(trainer.dev_set))
        codes = pipe.sample_codes(n, 0)
        k = trainer.config.model.classes
        conf, err = np.zeros((k, k), np.int64), []
        for s in range(0, n, 128):
            b = trainer.dev_set.batch(np.arange(s, min(s + 128, n)))
            images = pipe.synthesize_tensors(b.labels, None if codes is None else codes[s : s + len(b)])
            conf += confusion(segment(images), b.labels, k)
            if pipe.can_encode:
                again = pipe.synthesize_tensors(b.labels, pipe.encode(b.image, b.labels))
                err.append((again.float() - b.image.float()).abs().mean((1, 2, 3)))
        trainer.model.train()
        out = {"val_miou": mean_iou(conf)}
        return out | ({"val_rec": float(torch.cat(err).mean())} if err else {})

    def validation_score(self, trainer, items: int) -> float:
        """1 − the dev mIoU: the checkpoint whose pictures follow their maps best is exported. A recipe
        that may not choose by labelled dev maps (``selects_by_dev = False``: the few-shot model knows K
        labelled pairs only) scores −step: the last checkpoint is exported, the dev mIoU only logged."""
        if not getattr(trainer.recipe, "selects_by_dev", True):
            return -float(trainer.step)
        return 1.0 - self.dev_scores(trainer, items)["val_miou"]

    def save_samples(self, trainer, batch) -> None:
        """Eight dev maps: the map, the real picture, its regeneration from its own codes, three draws."""
        trainer.model.eval()
        pipe, n = trainer.pipeline, len(batch)
        cols = [("map", map_pictures(batch.labels)), ("real", batch.image)]
        if pipe.can_encode:
            cols.append(("own codes", pipe.synthesize_tensors(batch.labels, pipe.encode(batch.image, batch.labels))))
        for seed in range(3 if pipe.has_latent else 1):
            cols.append((f"seed {seed}", pipe.synthesize_tensors(batch.labels, pipe.sample_codes(n, seed))))
        (trainer.run_dir / "samples").mkdir(parents=True, exist_ok=True)
        columns_figure(cols, trainer.run_dir / "samples" / f"step-{trainer.step:07d}.png", f"step {trainer.step}")
        trainer.model.train()
