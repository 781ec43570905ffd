"""Caption latency at batch 1 and throughput at batch 256, for the caption presets, in one run.

    python benchmarks/caption_latency.py [--repeats 200] [--checkpoint gridmnist ...]

Latency is the median of ``Captioner.caption`` on a 64×64 uint8 grid (preprocessing, the code
draw, G, the greedy decoder and detokenizing included). Random weights unless checkpoints are
given (speed does not depend on training, but the decoder stops early once every caption has
ended, so a trained model's short captions are what a user meets). Ratios are against the first row.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _common import machine, pipelines
from imi.domains.gridmnist.data import caption_tokenizer
from imi.pipelines.caption import Captioner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--checkpoint", nargs="*", default=[])
    args = parser.parse_args()
    reference = None
    for name, captioner in pipelines(
        "caption", args.checkpoint, Captioner, lambda m, c: Captioner(m, c, caption_tokenizer())
    ):
        from imi.domains.gridmnist.data import GridMNIST

        split = GridMNIST(captioner.config.data).split("test")
        image = split.batch([0]).image[0, 0].numpy()
        for _ in range(10):
            captioner.caption(image, c=0)
        times = []
        for i in range(args.repeats):
            start = time.perf_counter()
            captioner.caption(image, c=i)
            times.append(time.perf_counter() - start)
        batch = split.batch(range(256)).image
        codes = captioner.codes(256, 0)
        captioner.caption_tensors(batch, codes)
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < 3:
            captioner.caption_tensors(batch, codes)
            n += 256
        rate = n / (time.perf_counter() - start)
        ms = 1000 * statistics.median(times)
        reference = reference or (ms, rate)
        print(f"{name:24s} batch 1: {ms:6.2f} ms/caption ({ms / reference[0]:5.2f}x)"
              f" | batch 256: {rate:8.0f} captions/s ({rate / reference[1]:5.2f}x)")  # fmt: skip
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
