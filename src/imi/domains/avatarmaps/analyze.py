"""``imi analyze`` on an avatar-maps checkpoint: what each class's code controls, layer by layer.

Figures: ``resample.png`` (test maps; each column redraws one class's code at every layer),
``layers.png`` (the hair's code redrawn at one layer at a time: which layer carries the colour is
learnt; the shipped model puts it mostly in layer 2, 32×32), ``transfer.png`` (each row takes the
clothes' and the hair's look of the next test avatar) and ``curves.png`` (the dev mIoU and
reconstruction error over training).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from imi.core.report import write_metrics
from imi.core.viz import colour_labels, columns_figure
from imi.domains.avatarmaps.data import AvatarMaps
from imi.domains.avatarmaps.evaluate import control_stats

ROWS = 6
SHOWN = ("hair", "clothing", "skin", "background", "facial_hair", "eyes")


def _maps(labels: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(colour_labels(labels.numpy())).permute(0, 3, 1, 2).contiguous()


def _curves(run_dir: Path | None, out: Path) -> tuple[Path | None, dict[str, float]]:
    path = run_dir / "stats.jsonl" if run_dir else None
    if path is None or not path.is_file():
        return None, {}
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if "val_miou" in r]
    if not rows:
        return None, {}
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8, 3))
    steps = [r["step"] for r in rows]
    axes[0].plot(steps, [r["val_miou"] for r in rows])
    axes[0].set_title("dev mIoU (segmenter, codes of seed 0)")
    if "val_rec" in rows[0]:
        axes[1].plot(steps, [r["val_rec"] for r in rows])
    axes[1].set_title("dev regeneration error (0-255)")
    for ax in axes:
        ax.set_xlabel("step")
    fig.tight_layout()
    fig.savefig(out / "curves.png", dpi=100)
    plt.close(fig)
    return out / "curves.png", {"dev mIoU at the last check": rows[-1]["val_miou"]}


def analyze_synthesizer(synth, checkpoint: str, run_dir: Path | None, out: Path) -> tuple[dict, Path, list[Path]]:
    split = AvatarMaps(synth.config.data).head("test", ROWS)  # the cached split, or drawn on the spot
    rows = min(ROWS, len(split))
    b = split.batch(np.arange(rows))
    out.mkdir(parents=True, exist_ok=True)
    figures, findings = [], {}
    codes = synth.sample_codes(rows, 0)
    base = synth.synthesize_tensors(b.labels, codes)
    if synth.has_latent:
        fresh = synth.sample_codes(rows, 1)
        cols = [("map", _maps(b.labels)), ("drawn", base)]
        for cls in SHOWN:
            k, moved = synth.class_index(cls), codes.clone()
            part = slice(k, k + 1) if moved.shape[2] > 1 else slice(None)
            moved[:, :, part] = fresh[:, :, part]
            again = synth.synthesize_tensors(b.labels, moved)
            cols.append((f"new {cls}", again))
            stats = control_stats(base, again, b.labels, k)
            findings[f"{cls}: changed pixels inside its region"] = float(
                stats["inside"].sum() / max(1, stats["changed"].sum())
            )
        figures.append(columns_figure(cols, out / "resample.png", f"{checkpoint}: one class's code redrawn"))
        k = synth.class_index("hair")
        cols = [("map", _maps(b.labels)), ("drawn", base)]
        for layer in range(synth.code_shape[0]):
            moved = codes.clone()
            part = slice(k, k + 1) if moved.shape[2] > 1 else slice(None)
            moved[:, layer, part] = fresh[:, layer, part]
            cols.append((f"hair, layer {layer}", synth.synthesize_tensors(b.labels, moved)))
        figures.append(columns_figure(cols, out / "layers.png", f"{checkpoint}: the hair's code at one layer"))
        if synth.can_encode:  # a few-shot model's look is its seed: there is no look to copy
            ref = np.roll(np.arange(rows), -1)
            theirs = synth.encode(b.image[ref], b.labels[ref])
            moved = codes.clone()
            for cls in ("clothing", "hair"):
                k = synth.class_index(cls)
                part = slice(k, k + 1) if moved.shape[2] > 1 else slice(None)
                moved[:, :, part] = theirs[:, :, part]
            cols = [("map", _maps(b.labels)), ("drawn", base), ("reference", b.image[ref]),
                    ("its clothes + hair", synth.synthesize_tensors(b.labels, moved))]  # fmt: skip
            figures.append(columns_figure(cols, out / "transfer.png", f"{checkpoint}: a part's look copied"))
    else:
        cols = [("map", _maps(b.labels)), ("real", b.image), ("drawn", base)]
        figures.append(columns_figure(cols, out / "resample.png", f"{checkpoint}: no latent, one picture per map"))
    curves, last = _curves(Path(run_dir) if run_dir else None, out)
    if curves:
        figures.append(curves)
    doc = {
        "checkpoint": checkpoint, "title": f"what the codes of {checkpoint} control", "findings": findings | last,
        "selection": None, "figures": [str(f) for f in figures],
    }  # fmt: skip
    write_metrics(out / "analysis.json", doc)
    return doc, out, figures
