"""Our editors' recipe: the model's own supervised loss with one Adam."""

from __future__ import annotations

from imi.tasks.edit.recipe import Recipe, adam, check_finite


class SupervisedRecipe(Recipe):
    """Cross-entropy of a model's own ``loss(b)`` (ours: the box and digit heads) with one Adam."""

    def optimizers(self, model, cfg):
        return {"g": adam(model.parameters(), cfg)}

    def losses(self, model, b, cfg, rng):
        return model.loss(b)

    def step(self, model, b, cfg, opts, rng, dist):
        opts["g"].zero_grad(set_to_none=True)
        with dist.autocast(cfg.bf16):
            out = model.loss(b)
        stats = {k: float(v.detach()) for k, v in out.items()}
        check_finite(stats)
        out["loss"].backward()
        dist.average_grads(list(model.parameters()))
        opts["g"].step()
        return stats

    def val_loss(self, model, b, cfg, gen):
        # The training loss itself: the edit's L1 saturates once the boxes are right (what is
        # left is interpolation), so it cannot tell a 99 % model from a 99.9 % one.
        return model.loss(b)["loss"]
