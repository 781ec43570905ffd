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
    """``curves.png``: training losses, the validation score with the selected step, and rule (23)'s
    share of D updates (Fig. 12); None without a run's ``stats.jsonl``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if run_dir is not None and (run_dir / "stats.jsonl").is_file():
        # Training records (not validation ones); which losses exist depends on the variant's recipe.
        train = [r for r in read_stats(run_dir / "stats.jsonl") if "images_per_s" in r]
        fig, axes = plt.subplots(1, 3, figsize=(12, 3))
        steps = [r["step"] for r in train]
        for key in ("loss_d", "loss_g", "loss", "l1"):
            if train and key in train[0]:
                axes[0].plot(steps, [r[key] for r in train], label=key, linewidth=1)
        axes[0].legend(fontsize=7)
        axes[0].set_title("losses (window means)", fontsize=9)
        if train and "fmatch" in train[0]:
            axes[1].plot(steps, [r["fmatch"] for r in train], label="train fmatch", linewidth=1)
        if selected:
            vs = np.array(selected["scores"])
            axes[1].plot(vs[:, 0], vs[:, 1], "o-", label="validation score", markersize=3)
            axes[1].axvline(selected["best_step"], color="k", linestyle=":", label=f"selected: {selected['best_step']}")
        axes[1].legend(fontsize=7)
        axes[1].set_title("model selection (Fig. 12)", fontsize=9)
        if train and "update_d" in train[0]:  # rule (23) only
            axes[2].plot(steps, [r["update_d"] for r in train], linewidth=1)
            axes[2].set_title("share of steps that updated D", fontsize=9)
        else:
            axes[2].set_visible(False)
        for ax in axes:
            ax.set_xlabel("step", fontsize=8)
        fig.tight_layout()
        fig.savefig(out / "curves.png", dpi=110)
        plt.close(fig)
        return out / "curves.png"
    return None
