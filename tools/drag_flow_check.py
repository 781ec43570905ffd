"""The optical flow checked against exact motion: canvas digits moved 4-16 px and scaled 0.8-1.25× by a known
change of placement, the flow's end-point error on the ink (docs/RESULTS.md, issue 27).

    python tools/drag_flow_check.py --pairs 200
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np
import torch

from imi.core.flow import _raw_flow, grey, optical_flow
from imi.domains.canvas import judge
from imi.domains.canvas.config import CanvasDataConfig
from imi.domains.canvas.data import CanvasDigits, draw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=200)
    n = parser.parse_args().pairs
    split = CanvasDigits(CanvasDataConfig()).split("test")
    batch, glyphs = split.batch(range(n)), split._glyphs[split.glyph[:n]]
    rng = np.random.default_rng(0)
    angle, length = rng.uniform(0, 2 * np.pi, n), rng.uniform(4, 16, n)
    place = batch.place.clone()
    place[:, 0] += torch.from_numpy(length * np.cos(angle)).float()
    place[:, 1] += torch.from_numpy(length * np.sin(angle)).float()
    place[:, 2] = (place[:, 2] * torch.from_numpy(rng.uniform(0.8, 1.25, n)).float()).clamp(26, 44)
    after = draw(glyphs, place)
    ink = judge.ink(batch.image) >= 0.5
    truths = []
    for i in range(n):
        ys, xs = np.nonzero(ink[i].numpy())
        pts = torch.from_numpy(np.stack([xs, ys], 1).astype(np.float32))[None]
        went = judge.motion(judge.placement(batch.image[i : i + 1]), judge.placement(after[i : i + 1]), pts)
        truths.append((ys, xs, (went - pts)[0].numpy()))
    flows = {
        "DIS alone (medium preset)": lambda a, b: cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(
            a, b, None),
        "DIS on blurred pictures": lambda a, b: _raw_flow(a, b, "dis"),
        "global shift + DIS (imi)": lambda a, b: optical_flow(a, b, "dis"),
        "global shift + Farnebäck": lambda a, b: optical_flow(a, b, "farneback"),
    }  # fmt: skip
    print(f"{n} pairs, ink points, end-point error in pixels (median over pairs of the median per pair)")
    for name, flow in flows.items():
        errs = []
        for i, (ys, xs, true) in enumerate(truths):
            f = flow(grey(batch.image[i].numpy()), grey(after[i].numpy()))
            errs.append(np.median(np.linalg.norm(f[ys, xs] - true, axis=1)))
        p90 = np.percentile(errs, 90)
        print(f"{name:28s} median {np.median(errs):5.2f}  mean {np.mean(errs):5.2f}  p90 {p90:5.2f}")


if __name__ == "__main__":
    main()
