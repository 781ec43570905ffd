"""Figures made from rendered batches (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from imi.data.digits import TripletBatch


def triplet_figure(batch: TripletBatch, path: str | Path, columns: int = 2) -> Path:
    """Save source | instruction | target panels, like the paper's Fig. 5/6.

    Args:
        batch: a rendered batch (uint8 images ``(B, 1, S, S)``).
        path: output file; the format follows the suffix (PNG, PDF, SVG …).
        columns: how many triplets side by side.
    """
    n = len(batch)
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, 3 * columns, figsize=(2.2 * 3 * columns, 1.6 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, text in enumerate(batch.instructions()):
        r, c = divmod(i, columns)
        src, txt, tgt = axes[r, 3 * c : 3 * c + 3]
        src.imshow(batch.source[i, 0].numpy(), cmap="gray", vmin=0, vmax=255)
        tgt.imshow(batch.target[i, 0].numpy(), cmap="gray", vmin=0, vmax=255)
        txt.text(
            0.5,
            0.5,
            text.replace(" to the ", "\nto the ").replace(" on the ", "\non the "),
            ha="center",
            va="center",
            fontsize=9,
            wrap=True,
        )
        if r == 0:
            src.set_title("source", fontsize=9)
            txt.set_title("instruction", fontsize=9)
            tgt.set_title("target", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
