"""``imi analyze`` on a GridMNIST caption checkpoint: code traversals and what each code axis moves.

A traversal holds one test grid and moves the code along one axis from −2.5 to 2.5 (the others
at 0): the captions that result show what the axis selects. Over the whole test split, the label
histogram at each point of each axis shows it in numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from imi.core.report import write_metrics
from imi.core.viz import caption_figure
from imi.domains.gridmnist.data import GridMNIST
from imi.domains.gridmnist.evaluate import caption_all
from imi.tasks.caption.metrics import histogram, kl

STEPS = np.linspace(-2.5, 2.5, 6)
GRIDS = 6  # test grids in the traversal figure


def traversal_codes(code_dim: int, axis: int) -> torch.Tensor:
    codes = torch.zeros(len(STEPS), code_dim)
    codes[:, axis] = torch.tensor(STEPS, dtype=torch.float32)
    return codes


def analyze_captioner(captioner, checkpoint: str, run_dir: Path | None, out: Path) -> tuple[dict, Path, list[Path]]:
    data = captioner.config.data
    split = GridMNIST(data).split("test")
    n = len(split)
    batch = split.batch(np.arange(GRIDS))
    figures, findings = [], {}
    overall = histogram(caption_all(captioner, split, n, captioner.codes(n, 1), 512)[0], 10)
    for axis in range(captioner.code_dim):
        codes = traversal_codes(captioner.code_dim, axis)
        captions = [captioner.caption_tensors(batch.image[i : i + 1].expand(len(codes), -1, -1, -1), codes)
                    for i in range(GRIDS)]  # fmt: skip
        heads = [f"c{axis + 1} = {v:+.1f}" for v in STEPS]
        figures.append(caption_figure(batch.image, captions, out / f"traversal-c{axis + 1}.png", heads))
        # How far moving this axis alone moves the label histogram over the test split.
        moved = [kl(histogram(caption_all(captioner, split, n, c.expand(n, -1), 512)[0], 10), overall) for c in codes]
        findings[f"c{axis + 1}: mean KL of the label histogram along the axis (nats)"] = float(np.mean(moved))
    doc = {"checkpoint": checkpoint, "title": f"code axes of {checkpoint}", "findings": findings, "selection": None}
    write_metrics(out / "analysis.json", doc)
    return doc, out, figures
