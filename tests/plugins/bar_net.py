"""The ``bar-net`` system: a per-pixel head over the image and the instruction's bag of words,
trained by per-pixel cross-entropy to the target. Small enough to learn ``bars`` in seconds."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from imi.core.config import ModelConfig
from imi.core.plugins import System
from imi.tasks.edit.model import EditModel
from imi.tasks.edit.recipe import Recipe, adam, check_finite


class BarNet(EditModel):
    inference_prefixes = ("embed.", "body.")

    def __init__(self, config: ModelConfig):
        super().__init__(config)
        self.embed = nn.EmbeddingBag(config.vocab_size, config.d_emb, mode="sum")
        size = config.image_size
        self.body = nn.Sequential(nn.Linear(size * size + config.d_emb, 128), nn.ReLU(), nn.Linear(128, size * size))

    def logits(self, x, tokens):
        words = self.embed(tokens, per_sample_weights=(tokens > 0).float())
        return self.body(torch.cat([x.flatten(1), words], 1)).view_as(x)

    def generate(self, x, tokens, lengths, z):
        return torch.sigmoid(self.logits(x, tokens))  # the "sigmoid" output range: [0, 1]


class L1Recipe(Recipe):
    def optimizers(self, model, cfg):
        return {"g": adam(model.parameters(), cfg)}

    def losses(self, model, b, cfg, rng):
        # Cross-entropy per pixel: L1 would settle on the median picture, an empty canvas.
        return {"loss": F.binary_cross_entropy_with_logits(model.logits(b.source, b.tokens), b.target)}

    def step(self, model, b, cfg, opts, rng, dist):
        opts["g"].zero_grad(set_to_none=True)
        loss = self.losses(model, b, cfg, rng)["loss"]
        stats = {"loss": float(loss.detach())}
        check_finite(stats)
        loss.backward()
        dist.average_grads(list(model.parameters()))
        opts["g"].step()
        return stats


SYSTEMS = {"bar-net": System(BarNet, L1Recipe(), "edit", {"bars": "bars-bar-net"}, "a per-pixel MLP (test only)")}
