"""Avatars per second: rendering (one core, then all cores) vs reading the cache, in one run.

    python benchmarks/avatar_render.py [--count 600] [--batch 64]

* render, 1 process: ``render_many(records, workers=1)``: SVG from
  python-avatars, pixels from resvg (target: >= 150 avatars/s per core).
* render, N processes: the same through the cache builder's process pool.
* cache read: random batches from a memory-mapped cache of the same avatars,
  as training reads them (what the cache saves each step).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

from _common import machine
from imi.domains.avatars.config import AvatarDataConfig
from imi.domains.avatars.dataset import AvatarBenchmark, unlabeled_record
from imi.domains.avatars.render import render_many


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    records = np.stack([unlabeled_record(0, i) for i in range(args.count)])

    render_many(records[:16])  # warm-up: imports, font and file caches
    start = time.perf_counter()
    render_many(records, workers=1)
    one = args.count / (time.perf_counter() - start)
    start = time.perf_counter()
    render_many(records, workers=cores)
    many = args.count / (time.perf_counter() - start)

    with tempfile.TemporaryDirectory() as tmp:
        sizes = {"train_triplets": 1, "dev_triplets": 1, "test_triplets": 1}
        config = AvatarDataConfig(**sizes, unlabeled=args.count, cache_dir=tmp)
        bench = AvatarBenchmark(config, build=True, workers=cores)
        rng = np.random.default_rng(0)
        reads, start = 0, time.perf_counter()
        while time.perf_counter() - start < 2.0:
            bench.unlabeled(rng.integers(0, args.count, args.batch))
            reads += args.batch
        cached = reads / (time.perf_counter() - start)

    print(f"machine: {machine()}")
    print(
        f"{args.count} avatars at 64x64: render 1 process {one:,.0f}/s | render {cores} processes {many:,.0f}/s "
        f"({many / one:.2f}x) | cache read {cached:,.0f}/s ({cached / one:.0f}x rendering) "
        f"| target >= 150/s per core: {'met' if one >= 150 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
