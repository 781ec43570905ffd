"""The subjective preference study of the paper (§5.3, Fig. 14), for any two checkpoints.

    imi study create study.db --models avatars avatars-6k --items 100
    imi study serve study.db          # raters: source + instruction + the two results, 5-point scale
    imi study report study.db --out fig14.png

Items are test-split edits; each is shown to ``raters_per_item`` raters with
the two results in both left/right orders across them; a rater sees at most
``items_per_rater`` items. Everything lives in one SQLite file
(:mod:`imi.study.store`).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from imi.pipelines.edit import Editor
from imi.registry import DOMAINS
from imi.study.store import SCALE, StudyError, StudyStore, png

MODEL_SCALE = ("A much better", "A better", "comparable", "B better", "B much better")

__all__ = ["MODEL_SCALE", "SCALE", "StudyError", "StudyStore", "create_study", "fig14", "shares"]


def create_study(
    path: str | Path,
    model_a: str,
    model_b: str,
    items: int = 100,
    items_per_rater: int = 10,
    raters_per_item: int = 3,
    seed: int = 0,
    batch_size: int = 64,
) -> StudyStore:
    """Pick ``items`` test edits (seeded), run both models on them once, and write the study file."""
    if items < 1 or items_per_rater < 1 or raters_per_item < 1:
        raise StudyError("items, items per rater and raters per item must all be ≥ 1")
    a, b = Editor.from_pretrained(model_a), Editor.from_pretrained(model_b)
    if a.config.domain != b.config.domain:
        raise StudyError(f"{model_a} edits {a.config.domain} but {model_b} edits {b.config.domain}")
    domain, data = DOMAINS[a.config.domain], a.config.data
    n = domain.test_items(data)
    if items > n:
        raise StudyError(f"the test split has {n} items; asked for {items}")
    picks = np.sort(np.random.default_rng(seed).choice(n, items, replace=False))
    sources, texts = zip(*(domain.test_item(data, int(i)) for i in picks), strict=True)
    rows = []
    for start in range(0, items, batch_size):
        s, t = list(sources[start : start + batch_size]), list(texts[start : start + batch_size])
        ra, rb = a.edit(s, t, seed=seed), b.edit(s, t, seed=seed)
        rows += [(int(picks[start + j]), t[j], png(s[j]), png(ra[j]), png(rb[j])) for j in range(len(s))]
    store = StudyStore(path, create=True)
    meta = {"model_a": str(model_a), "model_b": str(model_b), "domain": a.config.domain, "seed": str(seed),
            "items_per_rater": str(items_per_rater), "raters_per_item": str(raters_per_item),
            "created": time.strftime("%Y-%m-%d %H:%M:%S")}  # fmt: skip
    store.write(meta, rows)
    return store


def shares(store: StudyStore) -> tuple[np.ndarray, int]:
    """Share of answers in each of the five model-scale classes (A much better … B much better), and n."""
    prefs = store.preferences()
    counts = np.bincount(prefs, minlength=6)[1:]
    return (counts / max(len(prefs), 1)), len(prefs)


def fig14(store: StudyStore, path: str | Path) -> Path:
    """The paper's Fig. 14: the five preference shares as bars, A's side on the left."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    share, n = shares(store)
    meta = store.meta
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    bars = ax.bar(range(5), 100 * share, color=["#4c72b0", "#8faadc", "#bbbbbb", "#f4b183", "#dd8452"])
    for bar, s in zip(bars, share, strict=True):
        ax.text(bar.get_x() + bar.get_width() / 2, 100 * s + 1, f"{100 * s:.0f}%", ha="center", fontsize=9)
    ax.set_xticks(range(5), [x.replace(" ", "\n", 1) for x in MODEL_SCALE], fontsize=8)
    ax.set_ylabel("share of answers (%)")
    ax.set_ylim(0, max(100 * share.max() + 10, 10))
    ax.set_title(f"A = {meta['model_a']}, B = {meta['model_b']} ({n} answers)", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
