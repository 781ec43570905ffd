"""One drag edit (64×64, batch 1): the latent transformer's one pass against the optimisation baseline's
iterations, side by side in one run.

    python benchmarks/drag_latency.py [--checkpoint canvas-drag] [--repeats 100]

Rows, medians over the same drags (a handle dragged 12 px, one pin): ``DragEditor.drag`` with the transformer
(checks, features at the points, the transformer, the picture), the transformer's network parts alone, and the
DragGAN-style baseline per iteration and at 10 / 40 / 160 iterations. Ratios are against the transformer's
edit.
"""

from __future__ import annotations

import argparse

import torch

from _common import machine, median_ms
from imi.pipelines.drag import DragEditor
from imi.tasks.drag.optimise import OptimiseSettings
from imi.tasks.drag.points import Drag


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="canvas-drag")
    parser.add_argument("--repeats", type=int, default=100)
    args = parser.parse_args()
    editor = DragEditor.from_pretrained(args.checkpoint)
    starts = editor.sample_ws(16, 0)
    drag = Drag.one([(30, 32)], [(42, 32)], [(22, 40)])

    edit = median_ms(lambda i: editor.drag(starts[i % 16], [(30, 32)], [(42, 32)], [(22, 40)]), args.repeats)
    network = median_ms(lambda i: editor.drag_tensors(starts[i % 16][None], drag), args.repeats)
    rows = [("transformer: DragEditor.drag", edit), ("transformer: network only (W+ → W+)", network)]
    for iterations in (1, 10, 40, 160):
        settings = OptimiseSettings(iterations=iterations, stop_px=0.0, layers=editor.config.model.coarse)
        reps = max(3, args.repeats // iterations // 2)
        ms = median_ms(lambda i, s=settings: editor.optimise_tensors(starts[i % 16][None], drag, s), reps)
        rows.append((f"optimisation baseline: {iterations} iteration{'s' * (iterations > 1)}", ms))
    for name, ms in rows:
        print(f"{name:44s} {ms:9.2f} ms  ({ms / edit:7.2f}x)")
    print(f"machine: {machine()}")


if __name__ == "__main__":
    torch.set_grad_enabled(True)
    main()
