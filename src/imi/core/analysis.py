"""Analyses every domain shares: cosine maps of vectors, model selection and training curves from
a run's ``stats.jsonl`` (Fig. 12). Figures come from files, never from a live trainer."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from imi.core.stats import read_stats


def cosine_matrix(v: np.ndarray) -> np.ndarray:
    """``(N, d)`` → ``(N, N)`` cosine similarities."""
    unit = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    return unit @ unit.T


def selection(run_dir: Path) -> dict | None:
    """Model selection (§5.3): the checkpoint step with the lowest validation score."""
    file = run_dir / "stats.jsonl"
    if not file.is_file():
        return None
    key = "val_loss"
    val = read_stats(file, key)
    if not val:  # runs made before the variants were added logged "val_fmatch"
        key = "val_fmatch"
        val = read_stats(file, key)
    if not val:
        return None
    best = min(val, key=lambda r: r[key])
    return {"best_step": best["step"], "best_val": best[key], "scores": [[r["step"], r[key]] for r in val]}


def curves_figure(run_dir: Path | None, out: Path, selected: dict | None) -> Path | None:
    """``curves.png``: what a run's ``stats.jsonl`` shows, one panel a question (Fig. 12 and issue 21).

    Losses; the validation score with the selected step; rule (23)'s share of D updates; the loss
    terms inside L_D and L_G (labels, feature matching, L1); the condition's share of G's first-layer
    variance; the dev SSIM and the judge's dev edit accuracy per checkpoint. A panel whose numbers
    the run did not log is left out. None without a run's ``stats.jsonl``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if run_dir is None or not (run_dir / "stats.jsonl").is_file():
        return None
    records = read_stats(run_dir / "stats.jsonl")
    # Training records (not validation ones); which losses exist depends on the variant's recipe.
    train = [r for r in records if "images_per_s" in r]
    val = [r for r in records if "val_ssim" in r]
    steps = [r["step"] for r in train]

    def lines(ax, rows, keys, title, xs=None):
        xs = xs if xs is not None else [r["step"] for r in rows]
        for key in keys:
            if rows and key in rows[-1]:
                ax.plot(xs, [r.get(key, np.nan) for r in rows], "-" if len(rows) > 30 else "o-", label=key,
                        linewidth=1, markersize=3)  # fmt: skip
        ax.legend(fontsize=7)
        ax.set_title(title, fontsize=9)

    panels = []
    if train:
        panels.append(lambda ax: lines(ax, train, ("loss_d", "loss_g", "loss", "l1"), "losses (window means)"))

    def selection_panel(ax):
        if train and "fmatch" in train[-1]:
            ax.plot(steps, [r["fmatch"] for r in train], label="train fmatch", linewidth=1)
        vs = np.array(selected["scores"])
        ax.plot(vs[:, 0], vs[:, 1], "o-", label="validation score", markersize=3)
        ax.axvline(selected["best_step"], color="k", linestyle=":", label=f"selected: {selected['best_step']}")
        ax.legend(fontsize=7)
        ax.set_title("model selection (Fig. 12)", fontsize=9)

    if selected:
        panels.append(selection_panel)
    if train and "update_d" in train[-1]:  # the paper's recipe
        panels.append(lambda ax: lines(ax, train, ("update_d",), "share of D updates (rule 23)"))
        terms = ("label_real", "label_fake", "fmatch", "rec", "d_real", "d_fake")
        panels.append(lambda ax: lines(ax, train, terms, "terms of L_D and L_G; D's mean outputs"))
    if train and "cond_share" in train[-1]:
        panels.append(lambda ax: lines(ax, train, ("cond_share",), "condition's share of G's first-layer variance"))
    if val:
        panels.append(lambda ax: lines(ax, val, ("val_ssim", "val_edit_acc"), "dev SSIM and dev edit accuracy"))
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
    for ax, draw in zip(axes.flat, panels, strict=False):
        draw(ax)
        ax.set_xlabel("step", fontsize=8)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    fig.tight_layout()
    fig.savefig(out / "curves.png", dpi=110)
    plt.close(fig)
    return out / "curves.png"
