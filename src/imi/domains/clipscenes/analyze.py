"""``imi analyze`` on a ClipScenes checkpoint: per-stage judge accuracy over training (the imbalance the
paper reports) and per-stage sample grids of test scenes (the paper's Fig. 5 and 8)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from imi.core.report import write_metrics
from imi.core.viz import stage_figure
from imi.domains.clipscenes.data import ClipScenes
from imi.domains.clipscenes.evaluate import conflict_contexts

ROWS = 8


def stage_curves(run_dir: Path, out: Path) -> tuple[dict, Path | None]:
    """The dev place and person accuracy of each stage at every checkpoint of a run, plotted."""
    path = run_dir / "stats.jsonl" if run_dir else None
    if path is None or not path.is_file():
        return {}, None
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if "val_place_3" in r]
    if not rows:
        return {}, None
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    curves = {}
    for ax, key in zip(axes, ("place", "person"), strict=True):
        for k in (1, 2, 3):
            ys = [r[f"val_{key}_{k}"] for r in rows]
            curves[f"{key}_{k}"] = ys
            ax.plot([r["step"] for r in rows], ys, label=f"stage {k}")
        ax.set_title(f"dev {key} accuracy (judge)")
        ax.set_xlabel("step")
        ax.set_ylim(0, 1)
        ax.legend()
    fig.tight_layout()
    fig.savefig(out / "stages.png", dpi=100)
    plt.close(fig)
    curves["step"] = [r["step"] for r in rows]
    return curves, out / "stages.png"


def analyze_generator(generator, checkpoint: str, run_dir: Path | None, out: Path) -> tuple[dict, Path, list[Path]]:
    split = ClipScenes(generator.config.data, build=True, workers=2, splits=("test",)).split("test")
    figures = []
    z = generator.noise(ROWS, 0)
    for setting, ctx in (("album", None), ("conflict", conflict_contexts(split, 0))):
        idx = np.arange(ROWS)
        b = split.batch(idx, None if ctx is None else ctx[idx])
        stages = generator.generate_tensors(b.texts, b.context, z)
        figures.append(stage_figure(b.texts, b.context, stages, b.image, out / f"stages-{setting}.png"))
    curves, plot = stage_curves(Path(run_dir) if run_dir else None, out)
    if plot:
        figures.append(plot)
    findings = {}
    if curves:
        for k in (1, 2, 3):
            for key in ("place", "person"):
                findings[f"stage {k}: dev {key} accuracy at the last check"] = curves[f"{key}_{k}"][-1]
    doc = {"checkpoint": checkpoint, "title": f"stages of {checkpoint}", "findings": findings, "curves": curves,
           "selection": None}  # fmt: skip
    write_metrics(out / "analysis.json", doc)
    return doc, out, figures
