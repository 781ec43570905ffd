"""One synthesis (label map → 64×64 picture, batch 1) and throughput at batch 64, per synthesis preset, in one run.

    python benchmarks/synthesize_latency.py [--repeats 200] [--checkpoint avatar-maps ...]

Two batch-1 figures per model, medians: the generator alone (what issue 25's ≤ 20 ms target counts) and
``Synthesizer.synthesize`` (checks, one-hot map, codes drawn from a seed, the generator, uint8 out); and
pictures per second at batch 64. Random weights unless checkpoints are given (speed does not depend on
training). Ratios are against the first row.
"""

from __future__ import annotations

import argparse
import time

import torch

from _common import machine, median_ms, pipelines
from imi.pipelines.synthesize import Synthesizer
from imi.tasks.synthesize.batch import one_hot


def measure(synth: Synthesizer, repeats: int) -> tuple[float, float, float]:
    """(generator ms, synthesize ms, batch-64 pictures/s) on a map of four class quadrants."""
    s, k = synth.size, len(synth.classes)
    labels = torch.zeros(1, s, s, dtype=torch.long)
    labels[:, : s // 2, s // 2 :], labels[:, s // 2 :, : s // 2], labels[:, s // 2 :, s // 2 :] = 1, 2, 7 % k
    onehot = one_hot(labels, k)

    @torch.no_grad()
    def networks(i: int) -> None:
        synth.model.generate(onehot, synth.sample_codes(1, i))

    net = median_ms(networks, repeats)
    full = median_ms(lambda i: synth.synthesize(labels[0].numpy(), seed=i), repeats)
    batch, codes = labels.expand(64, -1, -1), synth.sample_codes(64, 0)
    synth.synthesize_tensors(batch, codes)
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < 3:
        synth.synthesize_tensors(batch, codes)
        n += 64
    return net, full, n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--checkpoint", nargs="*", default=[])
    args = parser.parse_args()
    reference = None
    for name, synth in pipelines("synthesize", args.checkpoint, Synthesizer, Synthesizer):
        net, full, rate = measure(synth, args.repeats)
        reference = reference or (net, rate)
        print(f"{name:22s} batch 1: generator {net:6.2f} ms ({net / reference[0]:4.2f}x), synthesize {full:6.2f} ms"
              f" | batch 64: {rate:6.0f} pictures/s ({rate / reference[1]:4.2f}x)")  # fmt: skip
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
