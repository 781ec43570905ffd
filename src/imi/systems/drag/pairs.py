"""The drag editor's training pairs: two latents, their pictures and the optical flow between them.

Pair ``i`` of a split is a pure function of ``(prior, settings, split, i)``: two styles w1, w2 of the prior
(drawn at the pairs' truncation) and a share ``alpha``; the first latent is w1 at every layer, the second
the same with its first ``coarse`` layers moved ``alpha`` of the way to w2 (so the layout changes and the
look stays). Both are drawn; OpenCV's optical flow (DIS or Farnebäck, on the grey pictures) gives the
forward and backward flow; ``candidates`` foreground points of the first picture keep their flow, the
flow's log-expansion (half the log-determinant of ``I + ∇flow``: a local change of scale, ±log 2 for
doubling or halving) and whether they are reliable (the backward flow returns them within
``fb_tolerance``, and the expansion is within ``max_logexp``: no tearing or occlusion). No label is read.
The styles and points are cached with :class:`imi.core.cache.ChunkedCache` (a few MB), built once with
a progress bar; the pictures and features are recomputed from the styles when training.
"""

from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path

import numpy as np
import torch

from imi.core.cache import ChunkedCache, cache_root, config_key
from imi.core.flow import grey, log_expansion, optical_flow
from imi.core.images import denormalize
from imi.nn.stylegan import style_factor
from imi.systems.drag.config import DragConfig
from imi.tasks.drag.batch import PairBatch

SPLITS = ("train", "dev")
FOREGROUND = 40  # grey levels from the background's: a candidate point shows something
VERSION = 1


def foreground(g: np.ndarray) -> np.ndarray:
    """bool ``(S, S)``: pixels that differ from the background (the border's median grey)."""
    border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
    return np.abs(g.astype(np.int16) - int(np.median(border))) >= FOREGROUND


def flow_points(a: np.ndarray, b: np.ndarray, k: int, c: DragConfig, rng: np.random.Generator):
    """``k`` candidate points of picture ``a`` and their flow to ``b`` (uint8 ``(3, S, S)`` each):
    ``(points (k, 2), flow (k, 2), logexp (k,), ok (k,))``."""
    ga, gb = grey(a), grey(b)
    fwd, bwd = optical_flow(ga, gb, c.flow), optical_flow(gb, ga, c.flow)
    logexp = log_expansion(fwd)
    fg = foreground(ga)
    ys, xs = np.nonzero(fg) if fg.any() else np.nonzero(np.ones_like(fg))
    pick = rng.choice(len(xs), size=k, replace=len(xs) < k)
    x, y = xs[pick], ys[pick]
    f = fwd[y, x]
    s = ga.shape[0]
    x2 = np.clip(np.rint(x + f[:, 0]), 0, s - 1).astype(int)
    y2 = np.clip(np.rint(y + f[:, 1]), 0, s - 1).astype(int)
    back = np.linalg.norm(f + bwd[y2, x2], axis=1)
    le = logexp[y, x]
    ok = (back <= c.fb_tolerance) & (np.abs(le) <= c.max_logexp) & fg[y, x]
    return np.stack([x, y], 1).astype(np.float32), f.astype(np.float32), le.astype(np.float32), ok


def pair_styles(styles, c: DragConfig, split: str, start: int, stop: int, seed: int):
    """Styles and shares of pairs ``start … stop − 1``: ``(w1, w2 (n, w_dim), alpha (n,))``, each pair from its
    own seeded stream; ``styles`` = (mean, covariance) of the prior's style Gaussian, drawn at the pairs'
    truncation."""
    z, alpha = [], []
    for i in range(start, stop):
        rng = torch.Generator().manual_seed(hash_seed(seed, SPLITS.index(split), i))
        z.append(torch.randn(2, c.w_dim, generator=rng))
        alpha.append(c.alpha_min + (c.alpha_max - c.alpha_min) * torch.rand((), generator=rng).item())
    mean, cov = styles
    w = mean + c.truncation * torch.stack(z) @ style_factor(cov).t()
    return w[:, 0], w[:, 1], torch.tensor(alpha)


def hash_seed(*parts: int) -> int:
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:8], "little") % (2**63)


def second(ws1: torch.Tensor, w2: torch.Tensor, alpha: torch.Tensor, coarse: int) -> torch.Tensor:
    """The pair's second W+: ``ws1`` with its first ``coarse`` layers moved ``alpha`` of the way to ``w2``."""
    ws2 = ws1.clone()
    ws2[:, :coarse] = ws1[:, :coarse] + alpha[:, None, None] * (w2[:, None] - ws1[:, :coarse])
    return ws2


def pair_job(generator, styles, c: DragConfig, seed: int, split: str, start: int, stop: int):
    """The cached arrays of pairs ``start … stop − 1`` (see the module docstring)."""
    w1, w2, alpha = pair_styles(styles, c, split, start, stop, seed)
    ws1 = generator.broadcast(w1)
    with torch.no_grad():
        a = denormalize(generator.synthesis(ws1), "tanh").numpy()
        b = denormalize(generator.synthesis(second(ws1, w2, alpha, c.coarse)), "tanh").numpy()
    rows = [flow_points(a[j], b[j], c.candidates, c, np.random.default_rng(hash_seed(seed, 7, start + j)))
            for j in range(stop - start)]  # fmt: skip
    points, flow, logexp, ok = (np.stack(v) for v in zip(*rows, strict=True))
    return w1.numpy(), w2.numpy(), alpha.numpy().astype(np.float32), points, flow, logexp, ok


def pair_cache(
    generator, styles, c: DragConfig, prior: Path, seed: int = 0, cache_dir: str | None = None
) -> ChunkedCache:
    """The pair cache of ``generator`` and its style Gaussian ``styles`` (the prior in folder ``prior``; its
    weights' hash names the cache)."""
    weights = hashlib.sha256((prior / "model.safetensors").read_bytes()).hexdigest()[:16]
    fields = ("coarse", "pairs", "dev_pairs", "truncation", "alpha_min", "alpha_max", "candidates", "flow",
              "fb_tolerance", "max_logexp")  # fmt: skip
    about = {"what": "drag pairs", "version": VERSION, "prior": weights, "seed": seed,
             **{f: getattr(c, f) for f in fields}}  # fmt: skip
    k, d = c.candidates, c.w_dim
    arrays = {"w1": ((d,), np.float32), "w2": ((d,), np.float32), "alpha": ((), np.float32),
              "points": ((k, 2), np.float32), "flow": ((k, 2), np.float32), "logexp": ((k,), np.float32),
              "ok": ((k,), np.bool_)}  # fmt: skip
    return ChunkedCache(
        cache_root(cache_dir) / f"drag-pairs-{config_key(about)}", {"train": c.pairs, "dev": c.dev_pairs}, arrays,
        partial(pair_job, generator, styles, c, seed), chunk=250, about=about, desc="drag pairs",
        build_hint="imi train --preset <a drag preset> (the pairs are built when training starts)",
    )  # fmt: skip


class PairSplit:
    """``len()`` pairs of one split, fetched by :meth:`batch` (memory-mapped from the cache)."""

    def __init__(self, cache: ChunkedCache, split: str):
        self.split = split
        self._arrays = {name: cache.load(split, name) for name in cache.arrays}

    def __len__(self) -> int:
        return len(self._arrays["alpha"])

    def batch(self, indices) -> PairBatch:
        idx = np.asarray(indices, dtype=np.int64)
        a = {name: torch.from_numpy(np.ascontiguousarray(v[idx])) for name, v in self._arrays.items()}
        return PairBatch(a["w1"], a["w2"], a["alpha"], a["points"], a["flow"], a["logexp"], a["ok"])

    def stats(self) -> dict[str, float]:
        """The cached flow at a glance: reliable points' share, flow length percentiles, pins' share."""
        flow, ok = np.asarray(self._arrays["flow"]), np.asarray(self._arrays["ok"])
        length = np.linalg.norm(flow, axis=-1)[ok]
        return {"pairs": float(len(self)), "reliable": float(ok.mean()),
                **{f"flow_p{q}": float(np.percentile(length, q)) for q in (10, 50, 90, 99)}}  # fmt: skip
