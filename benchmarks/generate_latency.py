"""One generation (three stages, batch 1) and throughput at batch 64, for the scene presets, in one run.

    python benchmarks/generate_latency.py [--repeats 200] [--checkpoint clipscenes ...]

Three batch-1 figures per model, medians: the networks alone (the recognisers on the context, the merge
rule and the three stages: what issue 24's ≤ 30 ms target counts), ``SceneGenerator.generate`` with a
sentence it has seen (parsing, preprocessing, cached sentence vector, the networks, uint8 out), and the
same with a new sentence each time (the sentence encoder runs). Random weights unless checkpoints are
given (speed does not depend on training). Ratios are against the first row.
"""

from __future__ import annotations

import argparse
import time

import torch

from _common import machine, median_ms, pipelines
from imi.core.images import normalize
from imi.core.sentences import SentenceTokenizer
from imi.domains.clipscenes.domain import tokenizer
from imi.pipelines.generate import SceneGenerator


def measure(gen: SceneGenerator, text: str, repeats: int) -> tuple[float, float, float, float]:
    """(networks ms, generate ms, generate with a new sentence ms, batch-64 pictures/s)."""
    h, w = gen.size
    context = torch.randint(0, 256, (1, 3, h, w), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    vectors, _ = gen.tokenizer.batch([text])
    parsed = gen.parse([text])

    @torch.no_grad()
    def networks(i: int) -> None:
        read = gen.model.read_context(normalize(context, "tanh"))
        gen.model.generate(vectors, gen.model.context_vector(read, *parsed), gen.noise(1, i))

    picture = context[0].permute(1, 2, 0).numpy()
    net = median_ms(networks, repeats)
    seen = median_ms(lambda i: gen.generate(text, picture, i), repeats)
    tag = id(gen)  # sentences no other row of this run has encoded (the encoder's memo is per process)
    fresh = median_ms(lambda i: gen.generate(f"{text} number {i} of {tag}", picture, i), repeats)
    batch = torch.randint(0, 256, (64, 3, h, w), dtype=torch.uint8)
    z = gen.noise(64, 0)
    gen.generate_tensors([text] * 64, batch, z)
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < 3:
        gen.generate_tensors([text] * 64, batch, z)
        n += 64
    return net, seen, fresh, n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--checkpoint", nargs="*", default=[])
    args = parser.parse_args()
    reference = None
    for name, gen in pipelines(
        "generate", args.checkpoint, SceneGenerator, lambda m, c: SceneGenerator(m, c, SentenceTokenizer(tokenizer()))
    ):
        net, seen, fresh, rate = measure(gen, "a woman with red hair is reading in the park", args.repeats)
        reference = reference or (net, rate)
        print(f"{name:20s} batch 1: networks {net:6.2f} ms ({net / reference[0]:4.2f}x), generate {seen:6.2f} ms, "
              f"new sentence {fresh:6.2f} ms | batch 64: {rate:6.0f} pictures/s "
              f"({rate / reference[1]:4.2f}x)")  # fmt: skip
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
