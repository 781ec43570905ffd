"""What the trainer does for the generation task: its inputs, batches, per-stage dev scores and figures."""

from __future__ import annotations

import numpy as np
import torch

from imi.core.config import ConfigError
from imi.core.images import normalize
from imi.core.sentences import SentenceTokenizer
from imi.pipelines.generate import SceneGenerator
from imi.registry import DOMAINS
from imi.tasks.generate.batch import SceneStepBatch
from imi.training.edit import once_per_step


class GenerateTraining:
    """Text + context picture → picture (see :mod:`imi.tasks.generate`). Captions are read by the frozen
    sentence encoder, encoded once per distinct sentence before the first step."""

    def inputs(self, trainer, bench):
        config = trainer.config
        tokenizer = SentenceTokenizer(DOMAINS[config.domain].tokenizer())
        train_set, dev_set = bench.split("train"), bench.split("dev")
        shape = tuple(dev_set.batch([0]).image.shape[1:])
        if shape != (3, config.model.height, config.model.width):
            raise ConfigError(
                f"model.height/width: {config.model.height}×{config.model.width}, the data's pictures are "
                f"{shape[1]}×{shape[2]}"
            )
        if trainer.dist.is_main:
            tokenizer.warm(train_set.texts + dev_set.texts)
        return tokenizer, train_set, dev_set

    def pipeline(self, trainer) -> SceneGenerator:
        return SceneGenerator(trainer.model, trainer.config, trainer.tokenizer)

    def to_batch(self, trainer, batch) -> SceneStepBatch:
        dev = trainer.dist.device
        vectors, _ = trainer.tokenizer.batch(batch.texts)
        return SceneStepBatch(
            image=normalize(batch.image, "tanh").to(dev),
            context=normalize(batch.context, "tanh").to(dev),
            text=vectors.to(dev),
            text_place=batch.text_place.to(dev),
            text_kind=batch.text_kind.to(dev),
            text_person=batch.text_person.to(dev),
        )

    def prepared(self, trainer) -> None:
        """Nothing beyond the recipe's ``prepare`` (the context recognisers)."""

    @once_per_step
    @torch.no_grad()
    def dev_scores(self, trainer, items: int) -> dict[str, float]:
        """The domain judge's place and person accuracy at every stage on the first ``items`` dev scenes
        (noise row i of seed 0): ``val_place_k``, ``val_person_k``."""
        trainer.model.eval()
        judge = DOMAINS[trainer.config.domain].scene_ok
        n = min(items, len(trainer.dev_set))
        z = trainer.pipeline.noise(n, 0)
        hits: dict[str, list[torch.Tensor]] = {}
        for s in range(0, n, 128):
            b = trainer.dev_set.batch(np.arange(s, min(s + 128, n)))
            parsed = (b.text_place, b.text_kind, b.text_person)
            for k, images in enumerate(
                trainer.pipeline.generate_tensors(b.texts, b.context, z[s : s + len(b)], parsed)
            ):
                for key, v in judge(images, b).items():
                    hits.setdefault(f"val_{key}_{k + 1}", []).append(v)
        trainer.model.train()
        return {key: float(torch.cat(v).float().mean()) for key, v in hits.items()}

    def validation_score(self, trainer, items: int) -> float:
        """1 − the mean of the last stage's place and person accuracy: that checkpoint is exported."""
        scores = self.dev_scores(trainer, items)
        return 1.0 - (scores["val_place_3"] + scores["val_person_3"]) / 2

    def save_samples(self, trainer, batch) -> None:
        """Eight dev scenes: context, the three stages and the real scene (noise rows of seed 0)."""
        from imi.core.viz import stage_figure

        trainer.model.eval()
        parsed = (batch.text_place, batch.text_kind, batch.text_person)
        stages = trainer.pipeline.generate_tensors(
            batch.texts, batch.context, trainer.pipeline.noise(len(batch), 0), parsed
        )
        (trainer.run_dir / "samples").mkdir(parents=True, exist_ok=True)
        stage_figure(
            batch.texts,
            batch.context,
            stages,
            batch.image,
            trainer.run_dir / "samples" / f"step-{trainer.step:07d}.png",
        )
        trainer.model.train()
