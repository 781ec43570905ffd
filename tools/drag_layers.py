"""Which W+ layers carry a prior's layout: the first k layers of one sample's W+ moved all the way to
another's, for each k; the judge reads how far the glyph moved (its placement) and whether it is the same
digit (the reader), on canvas digits. The drag editor's ``coarse`` setting is chosen from this table
(docs/RESULTS.md, issue 27).

    python tools/drag_layers.py canvas-prior --samples 200
"""

from __future__ import annotations

import argparse

import torch

from imi.domains.canvas import judge
from imi.pipelines.prior import StylePrior


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prior", nargs="?", default="canvas-prior")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--truncation", type=float, default=0.8)
    args = parser.parse_args()
    prior = StylePrior.from_pretrained(args.prior)
    n = args.samples
    ws1 = prior.ws(prior.latents(n, 10), args.truncation)
    ws2 = prior.ws(prior.latents(n, 11), args.truncation)
    before = prior.synthesize_ws(ws1)
    d1, p1, _ = judge.read(before)
    print(f"{n} samples: a digit read in {float((p1[:, 2] > 0).float().mean()):.0%}")
    print(" k | glyph moved (px, median) | radius ratio (median |log|) | same digit")
    for k in range(1, prior.generator.num_ws + 1):
        ws = ws1.clone()
        ws[:, :k] = ws2[:, :k]
        d2, p2, _ = judge.read(prior.synthesize_ws(ws))
        moved = (p2[:, :2] - p1[:, :2]).norm(dim=1).median()
        scale = (p2[:, 2] / p1[:, 2].clamp_min(1e-3)).log().abs().median()
        print(f"{k:2d} | {float(moved):24.1f} | {float(scale):28.2f} | {float((d1 == d2).float().mean()):9.0%}")


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    main()
