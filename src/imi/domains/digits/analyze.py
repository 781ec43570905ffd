"""``imi analyze``: the paper's analyses of a trained model (§4.5, §5.3; Fig. 7–9, 12).

* Instruction vectors ``φi_T`` of every template instance, and their cosine
  similarity maps: Fig. 7 left (move / expand / compress, ordered
  action-direction-digit), Fig. 7 right (put vs remove), Fig. 8 (the move block).
* Fig. 9: how much each factor (action, direction, digit) moves the vector:
  for every setting of the other two factors, the variance (summed over
  dimensions) of the vectors as the one factor varies.
* Training curves from the run's ``stats.jsonl`` and model selection by the
  lowest validation feature-matching loss (Fig. 12).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from imi.core.analysis import cosine_matrix, curves_figure, selection
from imi.domains.digits.scenes import DIGIT_WORDS, DIRECTIONS, POSITIONS, TEMPLATES

SPATIAL = ("move", "expand", "compress")


def _texts(action: str, places) -> list[str]:
    return [TEMPLATES[action].format(digit=DIGIT_WORDS[d], where=p) for p in places for d in range(10)]


@torch.no_grad()
def instruction_vectors(editor) -> dict[str, np.ndarray]:
    """``φi_T`` per template instance.

    Returns ``{"spatial": (3, 8, 10, d), "put": (9, 10, d), "remove": (10, d)}``
    indexed (action, direction/position, digit) in :data:`SPATIAL`,
    :data:`DIRECTIONS` / :data:`POSITIONS` and digit order.
    """
    model = editor.model

    def encode(texts: list[str]) -> np.ndarray:
        tokens, lengths = editor.tokenizer.batch(texts)
        return model.i_enc(tokens.to(editor.device), lengths.to(editor.device)).float().cpu().numpy()

    spatial = np.stack([encode(_texts(a, DIRECTIONS)).reshape(len(DIRECTIONS), 10, -1) for a in SPATIAL])
    put = encode(_texts("put", POSITIONS)).reshape(len(POSITIONS), 10, -1)
    remove = encode([TEMPLATES["remove"].format(digit=w, where=None) for w in DIGIT_WORDS])
    return {"spatial": spatial, "put": put, "remove": remove}


def factor_variance(spatial: np.ndarray) -> dict[str, np.ndarray]:
    """Fig. 9: per factor, the variance of ``φi_T`` as that factor alone varies.

    ``spatial`` is ``(action, direction, digit, d)``; each returned array holds
    one value (variance summed over the d dimensions) per setting of the other
    two factors.
    """
    out = {}
    for axis, name in enumerate(("action", "direction", "digit")):
        out[name] = spatial.var(axis=axis).sum(-1).reshape(-1)
    return out


def _mean_cos(a: np.ndarray, b: np.ndarray) -> float:
    """Mean cosine of paired rows (last axis = vector)."""
    num = np.sum(a * b, -1)
    return float(np.mean(num / np.maximum(np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1), 1e-12)))


def findings(vectors: dict[str, np.ndarray]) -> dict[str, float]:
    """The numbers behind the paper's §4.5 statements (expand vs compress; digit matters little)."""
    s = vectors["spatial"]
    off_diagonal = ~np.eye(10, dtype=bool)
    across_digits = [
        cosine_matrix(s[a, w])[off_diagonal].mean() for a in range(len(SPATIAL)) for w in range(s.shape[1])
    ]
    var = factor_variance(s)
    total = sum(float(v.mean()) for v in var.values())
    return {
        "cos_expand_vs_compress": _mean_cos(s[1], s[2]),  # same direction and digit
        "cos_move_vs_expand": _mean_cos(s[0], s[1]),
        "cos_move_vs_compress": _mean_cos(s[0], s[2]),
        "cos_across_digits": float(np.mean(across_digits)),  # same action and direction
        "cos_put_vs_remove": _mean_cos(vectors["put"].mean(0), vectors["remove"]),  # same digit
        **{f"variance_share_{k}": float(v.mean()) / total for k, v in var.items()},
    }


def _heatmap(ax, matrix: np.ndarray, ticks: list[str], block: int, title: str) -> None:
    im = ax.imshow(matrix, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    centres = np.arange(len(ticks)) * block + (block - 1) / 2
    ax.set_xticks(centres, ticks, rotation=90, fontsize=5)
    ax.set_yticks(centres, ticks, fontsize=5)
    for edge in np.arange(1, len(ticks)) * block - 0.5:
        ax.axhline(edge, color="k", linewidth=0.2)
        ax.axvline(edge, color="k", linewidth=0.2)
    ax.set_title(title, fontsize=8)
    return im


def figures(vectors: dict[str, np.ndarray], run_dir: Path | None, out: Path, selected: dict | None) -> list[Path]:
    """Write fig7.png, fig8.png, fig9.png and (with a run) curves.png; returns the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s, d = vectors["spatial"], vectors["spatial"].shape[-1]
    written = []
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5.2))
    ticks = [f"{a} {w}" for a in SPATIAL for w in DIRECTIONS]
    im = _heatmap(left, cosine_matrix(s.reshape(-1, d)), ticks, 10, "move / expand / compress (action-direction-digit)")
    pr = np.concatenate([vectors["put"].reshape(-1, d), vectors["remove"]])
    _heatmap(
        right, cosine_matrix(pr), [f"put {p}" for p in POSITIONS] + ["remove"], 10, "put (position-digit) vs remove"
    )
    fig.colorbar(im, ax=[left, right], shrink=0.6, label="cosine")
    fig.savefig(out / "fig7.png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    written.append(out / "fig7.png")

    fig, ax = plt.subplots(figsize=(5.5, 5.2))
    im = _heatmap(ax, cosine_matrix(s[0].reshape(-1, d)), list(DIRECTIONS), 10, "move: direction-digit")
    fig.colorbar(im, ax=ax, shrink=0.7)
    fig.savefig(out / "fig8.png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    written.append(out / "fig8.png")

    var = factor_variance(s)
    fig, ax = plt.subplots(figsize=(4.5, 3))
    ax.boxplot(list(var.values()), tick_labels=list(var), showfliers=False)
    ax.set_ylabel("variance of φi_T (sum over dims)")
    ax.set_title("variance by factor (Fig. 9)", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "fig9.png", dpi=120)
    plt.close(fig)
    written.append(out / "fig9.png")

    curves = curves_figure(run_dir, out, selected)
    return written + ([curves] if curves else [])


def analyze_editor(editor, checkpoint: str, run_dir: Path | None, out: Path) -> tuple[dict, Path, list[Path]]:
    """Every digit analysis of ``editor``; writes analysis.json, fig7–9.png and (with a run) curves.png."""
    vectors = instruction_vectors(editor)
    selected = selection(run_dir) if run_dir else None
    doc = {
        "checkpoint": checkpoint,
        "run": str(run_dir) if run_dir else None,
        "findings": findings(vectors),
        "selection": selected,
    }
    (out / "analysis.json").write_text(json.dumps(doc, indent=2) + "\n")
    return doc, out, figures(vectors, run_dir, out, selected)
