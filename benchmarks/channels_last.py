"""Training images/s of the shipped avatar network in NCHW vs channels-last (NHWC), side by side.

python benchmarks/channels_last.py [--preset avatars-ours-40k] [--steps 10] [--rounds 3]

Both trainers see the same batches; the rounds alternate between them so that a
machine that slows down mid-run slows both. The paper-size GAN (avatars-small,
NCHW as PyTorch builds it) is timed alongside as a reference point.
"""

from __future__ import annotations

import argparse

import torch

from _common import machine, make_trainer, train_images_per_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="avatars-ours-40k")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    trainers = {
        "NHWC": make_trainer(args.preset),
        "NCHW": make_trainer(args.preset),
        "avatars-small": make_trainer("avatars-small"),
    }
    nchw = trainers["NCHW"].model
    nchw.memory_format = torch.contiguous_format  # the class default is channels_last
    nchw.to(memory_format=torch.contiguous_format)  # in place: the optimiser keeps its parameters
    rates: dict[str, list[float]] = {name: [] for name in trainers}
    for _ in range(args.rounds):
        for name, trainer in trainers.items():
            rates[name].append(train_images_per_s(trainer, args.steps))
    best = {name: max(r) for name, r in rates.items()}
    for name, r in rates.items():
        print(f"{name:14s} {best[name]:6.1f} images/s (best of {args.rounds} × {args.steps} steps; all: "
              f"{', '.join(f'{x:.1f}' for x in r)})")  # fmt: skip
    print(f"machine: {machine()}")
    print(f"{args.preset}: NHWC / NCHW = {best['NHWC'] / best['NCHW']:.2f}x; "
          f"NHWC / avatars-small = {best['NHWC'] / best['avatars-small']:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
