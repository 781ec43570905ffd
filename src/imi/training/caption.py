"""What the trainer does for the caption task: its inputs, batches, dev accuracy and sample figures."""

from __future__ import annotations

import numpy as np
import torch

from imi.core.images import normalize
from imi.pipelines.caption import Captioner
from imi.registry import DOMAINS
from imi.tasks.caption.batch import CaptionStepBatch
from imi.training.edit import check_image_shape, once_per_step

SAMPLE_CODES = 3  # columns of the sample figure: codes drawn with seeds 0, 1, 2


class CaptionTraining:
    """Image + code → caption: splits of images with all their valid captions (see :mod:`imi.tasks.caption`)."""

    def inputs(self, trainer, bench):
        config = trainer.config
        tokenizer = DOMAINS[config.domain].tokenizer()
        train_set, dev_set = bench.split("train"), bench.split("dev")
        check_image_shape(config, tuple(dev_set.batch([0]).image.shape[1:]))
        return tokenizer, train_set, dev_set

    def pipeline(self, trainer) -> Captioner:
        return Captioner(trainer.model, trainer.config, trainer.tokenizer)

    def to_batch(self, trainer, batch) -> CaptionStepBatch:
        dev = trainer.dist.device
        return CaptionStepBatch(
            image=normalize(batch.image, "tanh").to(dev),
            tokens=batch.tokens.to(dev),
            lengths=batch.lengths.to(dev),
            labels=batch.labels.to(dev),
            positional=bool(getattr(batch, "positional", False)),
        )

    def prepared(self, trainer) -> None:
        """Nothing beyond the recipe's ``prepare`` (the autoencoder)."""

    @once_per_step
    @torch.no_grad()
    def dev_accuracy(self, trainer, items: int) -> float:
        """The domain judge's accuracy on the first ``items`` dev images, each under its own code
        (row i of a generator seeded with 0)."""
        trainer.model.eval()
        judge = DOMAINS[trainer.config.domain].caption_ok
        n = min(items, len(trainer.dev_set))
        codes = trainer.pipeline.codes(n, seed=0)
        hits = []
        for s in range(0, n, 256):
            b = trainer.dev_set.batch(np.arange(s, min(s + 256, n)))
            hits.append(judge(trainer.pipeline.caption_tensors(b.image, codes[s : s + len(b)]), b))
        trainer.model.train()
        return float(torch.cat(hits).float().mean())

    def validation_score(self, trainer, items: int) -> float:
        """1 − the dev accuracy: the checkpoint whose captions are most often right is exported."""
        return 1.0 - self.dev_accuracy(trainer, items)

    def dev_scores(self, trainer, items: int) -> dict[str, float]:
        return {"val_caption_acc": self.dev_accuracy(trainer, items)}

    def save_samples(self, trainer, batch) -> None:
        """Eight dev images, each captioned under the codes of seeds 0, 1, 2 (one code per column)."""
        from imi.core.viz import caption_figure

        trainer.model.eval()
        p = trainer.pipeline
        rows = [p.caption_tensors(batch.image, p.codes(1, seed).expand(len(batch), -1)) for seed in range(SAMPLE_CODES)]
        (trainer.run_dir / "samples").mkdir(parents=True, exist_ok=True)
        captions = [list(row) for row in zip(*rows, strict=True)]
        heads = [f"code of seed {s}" for s in range(SAMPLE_CODES)]
        caption_figure(batch.image, captions, trainer.run_dir / "samples" / f"step-{trainer.step:07d}.png", heads)
        trainer.model.train()
