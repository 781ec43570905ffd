"""The digit tables and figures of ``imi eval`` and ``imi bench digits``: per-action rows, SSIM histograms, examples."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from imi.domains.digits.scenes import ACTIONS
from imi.tasks.edit.metrics import HIST_BINS

COLUMNS = (  # (key, header, format)
    ("ssim_mean", "SSIM mean", "{:.4f}"),
    ("ssim_median", "SSIM median", "{:.4f}"),
    ("edit_acc", "edit acc", "{:.2%}"),
    ("rs1", "RS@1", "{:.2%}"),
    ("rs5", "RS@5", "{:.2%}"),
    ("preservation", "preservation", "{:.4f}"),
    ("n", "triplets", "{:,}"),
)


def _cell(summary: dict, key: str, fmt: str) -> str:
    value = summary.get(key)
    return "—" if value is None else fmt.format(value)


def table(rows: dict[str, dict], title: str):
    """A rich table: one row per (system, action); ``rows`` maps a system name to its summaries."""
    from rich.table import Table

    t = Table(title=title)
    t.add_column("system", no_wrap=True, min_width=max(len(n) for n in rows))  # names never truncate
    t.add_column("action", no_wrap=True, min_width=8)
    for _, header, _ in COLUMNS:
        t.add_column(header, justify="right")
    for name, summaries in rows.items():
        for action in ("all", *ACTIONS):
            if action in summaries:
                style = "bold" if action == "all" else None
                cells = [_cell(summaries[action], k, f) for k, _, f in COLUMNS]
                t.add_row(name if action == "all" else "", action, *cells, style=style)
        t.add_section()
    return t


def markdown_table(rows: dict[str, dict], actions: tuple[str, ...] = ("all", *ACTIONS)) -> str:
    """The same numbers as :func:`table`, as a Markdown table (for docs/RESULTS.md)."""
    head = "| system | action | " + " | ".join(h for _, h, _ in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 2)]
    for name, summaries in rows.items():
        for action in actions:
            if action in summaries:
                cells = " | ".join(_cell(summaries[action], k, f) for k, _, f in COLUMNS)
                lines.append(f"| {name} | {action} | {cells} |")
    return "\n".join(lines)


def ssim_histograms(rows: dict[str, dict], path: Path) -> None:
    """Fig. 13 style: SSIM distributions, one panel per action, every system overlaid."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = ("all", *ACTIONS)
    fig, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 2.4), sharey=False)
    edges = np.linspace(0, 1, HIST_BINS + 1)
    for ax, action in zip(axes, panels, strict=True):
        for name, summaries in rows.items():
            s = summaries.get(action, {})
            if s.get("n"):
                share = np.asarray(s["ssim_hist"]) / s["n"]
                ax.stairs(share, edges, label=f"{name} ({s['ssim_mean']:.3f})", fill=False, linewidth=1.4)
        ax.set_title(action, fontsize=9)
        ax.set_xlabel("SSIM", fontsize=8)
        ax.tick_params(labelsize=7)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=6, loc="upper left")
        else:  # a small --limit can leave an action without triplets
            ax.text(0.5, 0.5, "no triplets", ha="center", va="center", fontsize=8, transform=ax.transAxes)
    axes[0].set_ylabel("share of triplets", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def example_grid(examples: dict, path: Path, title: str = "") -> None:
    """Fig. 6 style: one row per example: source | target | each model's edit (with its SSIM).

    ``examples`` is :attr:`imi.domains.digits.harness.EvalResult.examples`; with several
    models this is the side-by-side figure of ``imi bench``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n, models = len(examples.get("source", [])), list(examples.get("generated", {}))
    if n == 0 or not models:
        return
    cols = 2 + len(models)
    fig, axes = plt.subplots(n, cols, figsize=(1.3 * cols + 1.6, 1.35 * n + 0.4), squeeze=False)
    for i in range(n):
        images = [examples["source"][i], examples["target"][i], *(examples["generated"][m][i] for m in models)]
        for j, image in enumerate(images):
            image = np.asarray(image)
            ax = axes[i, j]
            ax.imshow(image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0), cmap="gray", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title((["source", "target", *models])[j], fontsize=7)
            if j >= 2:
                ax.set_xlabel(f"{examples['ssim'][models[j - 2]][i]:.3f}", fontsize=6, labelpad=1)
        axes[i, 0].set_ylabel(examples["instruction"][i], fontsize=6, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
