"""How the few-shot synthesiser learns (SPEC-semantic §2).

Preparation (once, before the first step): load the prior's generator, invert the K labelled
pictures into W+ by optimisation, and build one prototype per class from the generator's features at
their labelled pixels. Each step then draws its own batch — the trainer's batch of real pairs is not
read, the K examples enter through the buffers — : ``pseudo_batch`` fresh latents of the prior, their
pictures and pseudo-label maps (nearest prototype per pixel), a ``scribble`` share of the maps thinned
to strokes, plus the K examples (exact maps, inverted W+); the encoder maps each map to W+ and learns
from the squared error on W+, the L1 between pictures, and the pseudo-labeller's cross-entropy of its
picture against the full map. Only the encoder's weights move.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from imi.core.config import ConfigError
from imi.core.images import normalize
from imi.nn.optim import descend
from imi.nn.stylegan import load_prior, project
from imi.systems.fewshot.prototypes import build_prototypes, upsampled_blocks
from imi.systems.fewshot.scribble import scribble
from imi.tasks.synthesize.batch import one_hot
from imi.tasks.synthesize.metrics import confusion, mean_iou
from imi.tasks.synthesize.recipe import MapRecipe


class FewShotRecipe(MapRecipe):
    progress = ("loss", "seg", "img")
    #: Model selection may not read the labelled dev maps: the few-shot model knows K labelled pairs
    #: only. The trainer still logs the dev mIoU, but exports the last checkpoint.
    selects_by_dev = False

    def optimizers(self, model, cfg):
        return {"enc": torch.optim.Adam(model.encoder.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))}

    def prepare(self, model, train_set) -> dict[str, float]:
        c = model.config
        load_prior(model.generator, c, c.prior)
        if len(train_set) < c.shots:
            raise ConfigError(f"model.shots: {c.shots} labelled pairs wanted, the train split has {len(train_set)}")
        b = train_set.batch(np.arange(c.shots))
        dev = model.prototypes.device
        target = normalize(b.image, "tanh").to(dev)
        ws, err = project(model.generator, target, c.invert_steps)
        with torch.no_grad():
            _, feats = model.generator.synthesis(ws, features=True)
            blocks = upsampled_blocks(feats[model.votes], c.size)
            protos, present = build_prototypes(blocks.cpu(), b.labels, c.classes, model.vote_widths, c.per_class)
            model.prototypes.copy_(protos)
            model.present.copy_(present)
            model.example_ws.copy_(ws)
            model.example_labels.copy_(b.labels.to(torch.uint8))
            fit = model.pseudo_labels(ws)[1].cpu()
        return {
            "inversion_error": float(err.mean()),  # mean absolute error, 0-255
            "shots_pseudo_miou": mean_iou(confusion(fit, b.labels, c.classes)),  # the prototypes on their own examples
            "classes_seen": float(present.any(1).sum()),
        }

    def draw(self, model, rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """One batch: ``(input maps (scribbles: UNKNOWN where unlabelled), full maps, target W+, pictures)``."""
        c, g = model.config, model.generator
        dev = model.prototypes.device
        with torch.no_grad():
            ws = g.broadcast(g.w(torch.randn(c.pseudo_batch, c.z_dim, generator=rng).to(dev)))
            image, labels = model.pseudo_labels(ws)
            ws = torch.cat([ws, model.example_ws])
            image = torch.cat([image, g.synthesis(model.example_ws)])
            labels = torch.cat([labels, model.example_labels.long()])
            maps = labels.cpu().clone()
            thin = (torch.rand(len(maps), generator=rng) < c.scribble).nonzero()[:, 0]
            if len(thin):
                maps[thin] = scribble(maps[thin], rng)
        return maps.to(dev), labels, ws, image

    def losses(self, model, b, cfg, rng) -> dict[str, torch.Tensor]:
        c = model.config
        maps, labels, target_ws, target = self.draw(model, rng)
        ws = model.encoder(one_hot(maps, c.classes, unknown=True), model.generator.w_avg)
        image, sim = model.pseudo_logits(ws)
        out = {
            "w": F.mse_loss(ws, target_ws),
            "img": F.l1_loss(image, target),
            "seg": F.cross_entropy(sim / c.temperature, labels),
        }
        loss = c.lambda_w * out["w"] + c.lambda_img * out["img"] + c.lambda_seg * out["seg"]
        return {"loss": loss, **out}

    def step(self, model, b, cfg, opts, rng, dist):
        stats: dict[str, float] = {}
        descend(self.losses(model, b, cfg, rng), "loss", opts["enc"], list(model.encoder.parameters()), dist, stats)
        return stats
