"""How the context-aware GAN learns (paper Algorithms 1 and 2, SPEC §2).

Algorithm 1: the two context recognisers learn their labels by cross-entropy on the train split, then
freeze. Algorithm 2, per iteration: draw z, scenes, captions and context scenes; build C with the
frozen recognisers and the merge rule; update the three discriminators on the summed stage losses,
then the three generators.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from imi.core.images import normalize
from imi.nn.optim import adam, descend
from imi.tasks.generate.batch import SceneStepBatch
from imi.tasks.generate.recipe import GenerateRecipe

_HOLD_OUT = 1_000  # the last train scenes: the recognisers' accuracy is measured on them, not learned


def train_recognizers(model, train_set, gen: torch.Generator) -> dict[str, float]:
    """Algorithm 1: fit ``place_net`` (softmax cross-entropy) and ``people_net`` (a sigmoid per person
    type: a scene may show two) on the train split, freeze them, and return their accuracy on the
    held-out last scenes (place, and the exact set of people)."""
    cfg = model.config
    nets = [model.place_net, model.people_net]
    params = [p for net in nets for p in net.parameters()]
    opt = torch.optim.AdamW(params, lr=cfg.recog_lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.recog_lr, total_steps=max(1, cfg.recog_steps))
    n = max(1, len(train_set) - _HOLD_OUT) if len(train_set) > 2 * _HOLD_OUT else len(train_set)
    for net in nets:
        net.train()
    for _ in range(cfg.recog_steps):
        b = train_set.batch(torch.randint(n, (64,), generator=gen).numpy())
        x = normalize(b.image, "tanh")
        flip = torch.rand(len(x), generator=gen) < 0.5  # a mirrored scene is the same scene
        x[flip] = x[flip].flip(-1)
        loss = F.cross_entropy(model.place_net(x)["place"], b.place) + cfg.people * F.binary_cross_entropy_with_logits(
            model.people_net(x)["people"], b.people.float()
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    for net in nets:
        net.eval().requires_grad_(False)
    held = np.arange(n, len(train_set)) if n < len(train_set) else np.arange(min(len(train_set), _HOLD_OUT))
    b = train_set.batch(held)
    with torch.no_grad():
        read = model.read_context(normalize(b.image, "tanh"))
    people = (read["people"] > 0.5) == b.people
    return {
        "recog_place_acc": float((read["place"].argmax(1) == b.place).float().mean()),
        "recog_people_acc": float(people.all(1).float().mean()),
    }


class ContextGANRecipe(GenerateRecipe):
    progress = ("loss_d", "loss_g")

    def optimizers(self, model, cfg):
        return {"d": adam(model.d_parameters(), cfg), "g": adam(model.g_parameters(), cfg)}

    def prepare(self, model, train_set) -> dict[str, float] | None:
        if not model.config.use_context:  # the text-only baseline reads no context
            return None
        return train_recognizers(model, train_set, torch.Generator().manual_seed(0))

    def _context(self, model, b: SceneStepBatch) -> torch.Tensor:
        with torch.no_grad():
            read = model.read_context(b.context)
            return model.context_vector(read, b.text_place, b.text_kind, b.text_person)

    def _z(self, model, b: SceneStepBatch, rng: torch.Generator) -> torch.Tensor:
        return (torch.rand(len(b.image), model.config.z_dim, generator=rng) * 2 - 1).to(b.image.device)

    def d_loss(self, model, b, c, fakes) -> dict[str, torch.Tensor]:
        """Σ_k w_k [−log D_k(X_k) − m/2 · log(1 − D_k(X_k, wrong T, C)) − (1 − m/2) · log(1 − D_k(I(G_k)))]."""
        cfg = model.config
        m, out, total = cfg.mismatch, {}, 0.0
        t_wrong, c_wrong = b.text.roll(1, 0), c.roll(1, 0)  # another scene's caption and context
        for k, fake in enumerate(fakes):
            d = model.d[k]
            real = d.down(F.adaptive_avg_pool2d(b.image, fake.shape[-2:]))  # X_k, through D once
            loss = F.softplus(-d.judge(real, b.text, c)).mean()
            loss = loss + (1 - m / 2) * F.softplus(model.discriminate(k, fake, b.text, c)).mean()
            if m:
                loss = loss + m / 2 * F.softplus(d.judge(real, t_wrong, c_wrong)).mean()
            out[f"d{k + 1}"] = loss
            total = total + cfg.stage_weights[k] * loss
        return {"loss_d": total, **out}

    def g_loss(self, model, b, c, fakes) -> dict[str, torch.Tensor]:
        """Σ_k w_k · −log D_k(I(G_k), T, C) (the non-saturating form of maximising L_G), plus, with
        ``lambda_recog``, the frozen recognisers' reading of C in the last stage (:meth:`recog_loss`)."""
        cfg = model.config
        out, total = {}, 0.0
        for k, fake in enumerate(fakes):
            loss = F.softplus(-model.discriminate(k, fake, b.text, c)).mean()
            out[f"g{k + 1}"] = loss
            total = total + cfg.stage_weights[k] * loss
        if cfg.lambda_recog and cfg.use_context:  # the last stage; its gradient reaches every stage
            out["recog"] = self.recog_loss(model, fakes[-1], c)
            total = total + cfg.lambda_recog * out["recog"]
        return {"loss_g": total, **out}

    def recog_loss(self, model, fake: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of the place of ``C`` and −log p(the person of ``C`` is there), as the frozen
        recognisers read the picture (upsampled to their size). A second person is not penalised: C
        does not say whether the scene has one."""
        cfg = model.config
        x = F.interpolate(fake, size=(cfg.height, cfg.width), mode="bilinear", align_corners=False)
        place, person = c[:, : cfg.places].argmax(1), c[:, cfg.places :].argmax(1)
        people = model.people_net(x)["people"].gather(1, person[:, None])[:, 0]
        return F.cross_entropy(model.place_net(x)["place"], place) + F.softplus(-people).mean()

    def losses(self, model, b, cfg, rng):
        c = self._context(model, b)
        fakes = model.generate(b.text, c, self._z(model, b, rng))
        return {**self.d_loss(model, b, c, [f.detach() for f in fakes]), **self.g_loss(model, b, c, fakes)}

    def step(self, model, b, cfg, opts, rng, dist):
        c = self._context(model, b)
        fakes = model.generate(b.text, c, self._z(model, b, rng))
        stats: dict[str, float] = {}
        out = self.d_loss(model, b, c, [f.detach() for f in fakes])
        descend(out, "loss_d", opts["d"], model.d_parameters(), dist, stats)
        descend(self.g_loss(model, b, c, fakes), "loss_g", opts["g"], model.g_parameters(), dist, stats)
        return stats
