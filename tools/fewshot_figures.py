"""Redraw the few-shot figures of docs/ (issue 26) from the shipped checkpoints.

    python tools/fewshot_figures.py --prior-run runs/s26/prior --baselines runs/s26/k1-spade runs/s26/k5-spade

Writes docs/avatar-prior-samples.png (32 latents, untruncated and at truncation 0.7),
docs/avatar-prior-curves.png (the prior's dev FID and losses, from its run's stats.jsonl),
docs/fewshot-pseudo.png (test renders, their exact maps, the K = 1 and K = 5 pseudo-labels) and
docs/fewshot-scribbles.png (test maps thinned to strokes, drawn by every model given).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from imi.core.viz import columns_figure, picture_grid
from imi.domains.avatarmaps.config import MapDataConfig
from imi.domains.avatarmaps.data import AvatarMaps
from imi.pipelines.prior import StylePrior
from imi.pipelines.synthesize import Synthesizer
from imi.systems.fewshot.scribble import scribble
from imi.training.synthesize import map_pictures

DOCS = Path(__file__).resolve().parents[1] / "docs"


def prior_figures(prior: str, run: Path | None) -> None:
    pipe = StylePrior.from_pretrained(prior)
    z = pipe.latents(32, 0)
    both = torch.cat([pipe.sample_tensors(z), pipe.sample_tensors(z, 0.7)])
    picture_grid(both, columns=16).save(DOCS / "avatar-prior-samples.png")
    if run is None or not (run / "stats.jsonl").is_file():
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines() if line.strip()]
    fid = [r for r in rows if "val_fid" in r]
    loss = [r for r in rows if "loss_d" in r]
    fig, axes = plt.subplots(1, 2, figsize=(8, 3))
    axes[0].plot([r["step"] for r in fid], [r["val_fid"] for r in fid], marker="o")
    axes[0].set_yscale("log")
    axes[0].set_title("dev FID (avatar judge's space, 500 pictures)")
    for key in ("loss_d", "loss_g"):
        axes[1].plot([r["step"] for r in loss], [r[key] for r in loss], label=key)
    axes[1].legend()
    axes[1].set_title("losses (means over 50 steps)")
    for ax in axes:
        ax.set_xlabel("step")
    fig.tight_layout()
    fig.savefig(DOCS / "avatar-prior-curves.png", dpi=100)
    plt.close(fig)


def fewshot_figures(models: list[str], rows: int = 6, steps: int = 300) -> None:
    synths = {m: Synthesizer.from_pretrained(m) for m in models}
    b = AvatarMaps(MapDataConfig()).head("test", rows).batch(np.arange(rows))
    cols = [("real", b.image), ("exact map", map_pictures(b.labels))]
    for name, s in synths.items():
        if hasattr(s.model, "label_pictures"):
            labels, _ = s.pseudo_label(b.image, steps)
            cols.append((f"{name}: pseudo", map_pictures(labels)))
    columns_figure(cols, DOCS / "fewshot-pseudo.png", "pseudo-labels of test renders (inverted, nearest prototype)")
    thin = scribble(b.labels, torch.Generator().manual_seed(0))
    cols = [("scribble", map_pictures(thin)), ("full map", map_pictures(b.labels))]
    for name, s in synths.items():
        maps = thin if s.accepts_scribbles else b.labels  # a full-map model is given the whole map
        head = name if s.accepts_scribbles else f"{name} (full map)"
        cols.append((head, s.synthesize_tensors(maps, s.sample_codes(rows, 0))))
    columns_figure(cols, DOCS / "fewshot-scribbles.png", "test maps thinned to strokes, drawn by each model")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prior", default="avatar-prior")
    parser.add_argument("--prior-run", type=Path, default=None)
    parser.add_argument("--models", nargs="*", default=["avatar-maps-k1", "avatar-maps-k5"])
    parser.add_argument("--baselines", nargs="*", default=[])
    args = parser.parse_args()
    torch.set_grad_enabled(True)
    prior_figures(args.prior, args.prior_run)
    fewshot_figures([*args.models, *args.baselines, "avatar-maps"])
    print("wrote", *sorted(p.name for p in DOCS.glob("*prior*.png")), "fewshot-pseudo.png", "fewshot-scribbles.png")


if __name__ == "__main__":
    main()
