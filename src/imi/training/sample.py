"""What the trainer does for the sampling task (the unconditional prior): batches, dev FID and grids."""

from __future__ import annotations

import numpy as np
import torch

from imi.core.config import ConfigError
from imi.core.distance import frechet
from imi.core.images import normalize
from imi.core.viz import picture_grid
from imi.pipelines.prior import StylePrior
from imi.registry import DOMAINS
from imi.tasks.sample.batch import PictureBatch
from imi.training.edit import once_per_step

GRID = 32  # pictures in each sample grid (fixed latents: seed 0)


class SampleTraining:
    """Noise → picture (see :mod:`imi.tasks.sample`); the split's pictures are read, nothing else."""

    def inputs(self, trainer, bench):
        config = trainer.config
        train_set, dev_set = bench.split("train"), bench.split("dev")
        shape = tuple(dev_set.batch([0]).image.shape[1:])
        if shape != (3, config.model.size, config.model.size):
            raise ConfigError(f"model.size: {config.model.size}, the data's pictures are {shape[1]}×{shape[2]}")
        if DOMAINS[config.domain].features is None:
            raise ConfigError(f"the {config.domain} domain has no judge features: the prior's dev FID needs them")
        return DOMAINS[config.domain].tokenizer(), train_set, dev_set

    def pipeline(self, trainer) -> StylePrior:
        return StylePrior(trainer.model, trainer.config)

    def to_batch(self, trainer, batch) -> PictureBatch:
        return PictureBatch(image=normalize(batch.image, "tanh").to(trainer.dist.device))

    def prepared(self, trainer) -> None:
        """Nothing to prepare."""

    @once_per_step
    @torch.no_grad()
    def dev_scores(self, trainer, items: int) -> dict[str, float]:
        """``val_fid``: FID in the domain judge's feature space between ``items`` pictures of the averaged
        generator (latents of seed 0, no truncation) and the first ``items`` dev pictures."""
        trainer.model.eval()
        features = DOMAINS[trainer.config.domain].features
        n = min(items, len(trainer.dev_set))
        real = features(trainer.dev_set.batch(np.arange(n)).image)
        fake = features(trainer.pipeline.sample_tensors(trainer.pipeline.latents(n, 0)))
        trainer.model.train()
        return {"val_fid": frechet(fake, real)}

    def validation_score(self, trainer, items: int) -> float:
        """The dev FID: the most realistic checkpoint is exported."""
        return self.dev_scores(trainer, items)["val_fid"]

    def save_samples(self, trainer, batch) -> None:
        """32 pictures of fixed latents, untruncated above and at truncation 0.7 below."""
        trainer.model.eval()
        pipe = trainer.pipeline
        z = pipe.latents(GRID, 0)
        both = torch.cat([pipe.sample_tensors(z), pipe.sample_tensors(z, 0.7)])
        (trainer.run_dir / "samples").mkdir(parents=True, exist_ok=True)
        picture_grid(both, columns=16).save(trainer.run_dir / "samples" / f"step-{trainer.step:07d}.png")
        trainer.model.train()
