"""What the trainer does for the drag task: the pair cache, dev scores (latent error and judge-read drags)
and figures."""

from __future__ import annotations

import numpy as np
import torch

from imi.core.config import ConfigError
from imi.nn.stylegan import load_prior, prior_styles
from imi.pipelines.drag import DragEditor
from imi.registry import DOMAINS
from imi.systems.drag.pairs import PairSplit, pair_cache
from imi.tasks.drag.figure import drag_strip
from imi.tasks.drag.metrics import score_drags, summary
from imi.training.edit import once_per_step

DEV_DRAGS = 64  # judge-read drags at each checkpoint (prior samples of seed 1)
FIGURE = 8


class DragTraining:
    """Latent pairs → the drag editor (see :mod:`imi.tasks.drag`); the benchmark's pictures are not read, its
    judge scores drags at each checkpoint."""

    def inputs(self, trainer, bench):
        c = trainer.config.model
        domain = DOMAINS[trainer.config.domain]
        if domain.drag_tasks is None:
            raise ConfigError(f"the {trainer.config.domain} domain has no drag judge")
        generator = c.build_generator().requires_grad_(False)
        folder = load_prior(generator, c, c.prior)
        cache = pair_cache(generator, prior_styles(c.prior, generator), c, folder)
        if not cache.complete:
            if not trainer.dist.is_main:
                raise ConfigError(f"the drag pairs {cache.path} are not built: run one process first")
            cache.build()
        return domain.tokenizer(), PairSplit(cache, "train"), PairSplit(cache, "dev")

    def pipeline(self, trainer) -> DragEditor:
        return DragEditor(trainer.model, trainer.config)

    def to_batch(self, trainer, batch):
        return batch.to(trainer.dist.device)

    def prepared(self, trainer) -> None:
        """The pair cache's flow statistics, logged once at step 0."""
        trainer.stats.report(0, {f"pairs_{k}": v for k, v in trainer.train_set.stats().items()})

    def _drags(self, trainer):
        editor = trainer.pipeline
        ws = editor.sample_ws(DEV_DRAGS, 1)
        before = editor.pictures(ws)
        drag, _ = DOMAINS[trainer.config.domain].drag_tasks(before, 1)
        return ws, before, drag

    @once_per_step
    @torch.no_grad()
    def dev_scores(self, trainer, items: int) -> dict[str, float]:
        """``val_objective`` (the training loss on the first ``items`` dev pairs, tokens and warps of a fixed
        draw), ``val_latent`` and ``val_still`` (the flow pairs' error on the coarse styles, and that of no move),
        and the judge's reading of 64 drags of prior samples: ``val_md_ratio``, ``val_drift``, ``val_identity``."""
        model = trainer.model
        model.eval()
        b = trainer.dev_set.batch(np.arange(min(items, len(trainer.dev_set)))).to(trainer.dist.device)
        objective = trainer.recipe.losses(model, b, trainer.config.train, torch.Generator().manual_seed(0))["loss"]
        out = trainer.recipe.pair_losses(model, b, torch.Generator().manual_seed(0))
        ws, before, drag = self._drags(trainer)
        after = trainer.pipeline.pictures(trainer.pipeline.drag_tensors(ws, drag))
        domain = DOMAINS[trainer.config.domain]
        s = summary(score_drags(before, after, drag, domain.motion, domain.identity))
        model.train()
        return {"val_objective": float(objective), "val_latent": float(out["loss"]), "val_still": float(out["still"]),
                "val_md_ratio": s["md_ratio"], "val_drift": s["drift"], "val_identity": s["identity"]}  # fmt: skip

    def validation_score(self, trainer, items: int) -> float:
        """The training objective on the dev pairs (label-free): the lowest is exported."""
        return self.dev_scores(trainer, items)["val_objective"]

    def save_samples(self, trainer, batch) -> None:
        """Eight judge-read drags of prior samples: each picture with its drag, and the result."""
        trainer.model.eval()
        ws, before, drag = self._drags(trainer)
        sub = drag.select(slice(0, FIGURE))
        after = trainer.pipeline.pictures(trainer.pipeline.drag_tensors(ws[:FIGURE], sub))
        (trainer.run_dir / "samples").mkdir(parents=True, exist_ok=True)
        drag_strip(before[:FIGURE], after, sub).save(trainer.run_dir / "samples" / f"step-{trainer.step:07d}.png")
        trainer.model.train()
