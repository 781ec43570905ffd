"""Training images/s: the paper-size model vs digits-small, side by side in one run.

python benchmarks/train_speed.py [--steps 20]
"""

from __future__ import annotations

import argparse

from _common import machine, make_trainer, train_images_per_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    rates = {}
    for preset in ("digits-paper", "digits-small"):
        trainer = make_trainer(preset)
        params = sum(p.numel() for p in trainer.model.parameters()) / 1e6
        rates[preset] = train_images_per_s(trainer, args.steps)
        print(f"{preset:13s} {params:5.1f}M params  {rates[preset]:7.1f} images/s  (batch 64, {args.steps} steps)")
    print(f"machine: {machine()}")
    print(f"digits-small / digits-paper: {rates['digits-small'] / rates['digits-paper']:.2f}x")


if __name__ == "__main__":
    main()
