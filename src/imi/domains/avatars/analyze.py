"""``imi analyze`` on an avatar model: what its instruction vectors encode (the avatar Fig. 7).

For every test edit, ``φi_T`` of its seen-phrasing and its held-out-phrasing
sentence. The findings say whether the encoder groups sentences by the
attribute they edit, and whether a sentence worded in a way training never
used still lands among the vectors of its own attribute:

* ``cos_same_attribute`` / ``cos_other_attribute``: mean cosine between seen
  sentences editing the same / a different attribute;
* ``cos_seen_vs_heldout_same_edit``: the seen and held-out sentence of one edit;
* ``heldout_nearest_same_attribute``: share of held-out vectors whose nearest
  seen vector (of another edit) edits the same attribute; chance is the share
  of same-attribute pairs, ``nearest_chance``.

With a run folder, training curves and model selection come too (Fig. 12).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch

from imi.core.analysis import cosine_matrix, curves_figure, selection
from imi.domains.avatars.attributes import NAMES
from imi.domains.avatars.dataset import AvatarBenchmark


@torch.no_grad()
def sentence_vectors(editor, texts: list[str]) -> np.ndarray:
    """``φi_T`` of each sentence: ``(N, d_i)``."""
    tokens, lengths = editor.tokenizer.batch(texts)
    return editor.model.i_enc(tokens.to(editor.device), lengths.to(editor.device)).float().cpu().numpy()


def findings(seen: np.ndarray, heldout: np.ndarray, attribute: np.ndarray) -> dict[str, float]:
    """See the module docstring; ``seen``, ``heldout``: ``(N, d)`` per edit; ``attribute``: ``(N,)``."""
    n = len(attribute)
    same = attribute[:, None] == attribute[None, :]
    off = ~np.eye(n, dtype=bool)
    cos = cosine_matrix(seen)
    unit = lambda v: v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)  # noqa: E731
    cross = unit(heldout) @ unit(seen).T  # (held-out i, seen j)
    np.fill_diagonal(cross, -np.inf)  # the nearest *other* edit
    nearest = cross.argmax(1)
    return {
        "cos_same_attribute": float(cos[same & off].mean()),
        "cos_other_attribute": float(cos[~same].mean()),
        "cos_seen_vs_heldout_same_edit": float(np.sum(unit(seen) * unit(heldout), 1).mean()),
        "heldout_nearest_same_attribute": float((attribute[nearest] == attribute).mean()),
        "nearest_chance": float(same[off].mean()),
    }


def figure(seen: np.ndarray, heldout: np.ndarray, attribute: np.ndarray, path: Path) -> Path:
    """Cosine maps of the test sentences sorted by attribute: seen × seen and held-out × seen."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = np.argsort(attribute, kind="stable")
    a = attribute[order]
    edges = np.flatnonzero(np.diff(a)) + 0.5
    present = np.unique(a)
    centres = [np.flatnonzero(a == k).mean() for k in present]
    unit = lambda v: v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)  # noqa: E731
    maps = {"seen × seen": cosine_matrix(seen[order]), "held-out × seen": unit(heldout[order]) @ unit(seen[order]).T}
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.2))
    for ax, (title, m) in zip(axes, maps.items(), strict=True):
        im = ax.imshow(m, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
        for e in edges:
            ax.axhline(e, color="k", linewidth=0.3)
            ax.axvline(e, color="k", linewidth=0.3)
        ax.set_xticks(centres, [NAMES[k] for k in present], rotation=90, fontsize=6)
        ax.set_yticks(centres, [NAMES[k] for k in present], fontsize=6)
        ax.set_title(f"φi_T cosine, test edits by attribute: {title}", fontsize=8)
    fig.colorbar(im, ax=list(axes), shrink=0.6, label="cosine")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def analyze_avatars(editor, checkpoint: str, run_dir: Path | None, out: Path) -> tuple[dict, Path, list[Path]]:
    """Every avatar analysis of ``editor``; writes analysis.json, vectors.png and (with a run) curves.png."""
    bench = AvatarBenchmark(editor.config.data, build=True, workers=os.cpu_count() or 1)
    seen_split, heldout_split = bench.split("test", "seen"), bench.split("test", "heldout")
    attribute = seen_split.batch(np.arange(len(seen_split))).attribute.numpy()
    seen = sentence_vectors(editor, list(seen_split.instructions))
    heldout = sentence_vectors(editor, list(heldout_split.instructions))
    selected = selection(run_dir) if run_dir else None
    doc = {
        "checkpoint": checkpoint,
        "run": str(run_dir) if run_dir else None,
        "findings": findings(seen, heldout, attribute),
        "selection": selected,
    }
    (out / "analysis.json").write_text(json.dumps(doc, indent=2) + "\n")
    written = [figure(seen, heldout, attribute, out / "vectors.png")]
    curves = curves_figure(run_dir, out, selected)
    return doc, out, written + ([curves] if curves else [])
