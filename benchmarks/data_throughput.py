"""Triplets per second: the batched renderer vs a per-sample loop, in one run.

    python benchmarks/data_throughput.py [--batch 64] [--seconds 5]

Both paths render the same random train triplets (source and target). The
per-sample loop is the obvious implementation: PIL resize + paste + resize per
image, as the test suite's reference does.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import torch
from PIL import Image

from imi.domains.digits.dataset import DigitBenchmark
from imi.domains.digits.scenes import RULES


def pil_pair(glyph: np.ndarray, digit: int, rule_index: int) -> tuple[np.ndarray, np.ndarray]:
    out = []
    for scene in RULES[rule_index].scenes(digit):
        canvas = Image.new("L", (84, 84))
        if scene.digit is not None:
            canvas.paste(
                Image.fromarray(glyph).resize((28 * scene.w, 28 * scene.h), Image.BILINEAR),
                (28 * scene.x, 28 * scene.y),
            )
        out.append(np.asarray(canvas.resize((64, 64), Image.BILINEAR)))
    return out[0], out[1]


def rate(fn, seconds: float) -> float:
    fn()  # warm-up
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        n += fn()
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    train = DigitBenchmark().split("train")
    rng = np.random.default_rng(0)

    def batched() -> int:
        train.batch(rng.integers(0, len(train), args.batch))
        return args.batch

    def per_sample() -> int:
        for i in train.pool_index(rng.integers(0, len(train), args.batch)):
            glyph, rule = divmod(int(i), len(RULES))
            pil_pair(train.pool.images[glyph], int(train.pool.labels[glyph]), rule)
        return args.batch

    fast, slow = rate(batched, args.seconds), rate(per_sample, args.seconds)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}")
    print(
        f"batch {args.batch}: batched renderer {fast:,.0f} triplets/s | per-sample PIL loop {slow:,.0f} triplets/s "
        f"| ratio {fast / slow:.1f}x | target >= 20,000: {'met' if fast >= 20_000 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
