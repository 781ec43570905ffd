"""Edit latency at batch 1 and throughput at batch 64, for every preset (variant and size), in one run.

    python benchmarks/inference.py [--repeats 50]

Random weights (ours gets its exemplars from the default train pool, as in
training): speed does not depend on training. Latency is the median of
``Editor.edit`` on a 64×64 uint8 array (preprocessing and tokenizing
included); ratios are against the paper recipe at CPU size (digits-small).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from _common import machine
from imi.domains.digits.dataset import DigitBenchmark, digit_tokenizer
from imi.pipelines.edit import Editor
from imi.presets import PRESETS
from imi.registry import SYSTEMS, build_model
from imi.systems.ours.layout import class_medoids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    image = np.zeros((64, 64), np.uint8)
    image[20:40, 25:35] = 255
    source = torch.from_numpy(image)[None, None].repeat(64, 1, 1, 1)
    reference = None
    edit_presets = [p for p, c in PRESETS.items() if SYSTEMS[c.variant].task == "edit" and p != "digits-small"]
    for preset in ["digits-small", *edit_presets]:  # captions: benchmarks/caption_latency.py
        config = PRESETS[preset]
        model = build_model(config.variant, config.model).eval()
        if hasattr(model, "set_exemplars"):
            pool = DigitBenchmark(config.data).train_pool
            model.set_exemplars(torch.from_numpy(class_medoids(pool.images, pool.labels)))
        editor = Editor(model.to(memory_format=torch.channels_last), config, digit_tokenizer())
        for _ in range(5):
            editor.edit(image, "move zero to the left")
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            editor.edit(image, "move zero to the left")
            times.append(time.perf_counter() - start)
        tokens, lengths = editor.tokenizer.batch(["move zero to the left"] * 64)
        editor.edit_tensors(source, tokens, lengths, 0)
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < 3:
            editor.edit_tensors(source, tokens, lengths, 0)
            n += 64
        rate = n / (time.perf_counter() - start)
        ms = 1000 * statistics.median(times)
        reference = reference or (ms, rate)
        print(f"{preset:17s} {config.variant:10s} batch 1: {ms:6.2f} ms/edit ({ms / reference[0]:5.2f}x)"
              f" | batch 64: {rate:8.0f} edits/s ({rate / reference[1]:5.2f}x)")  # fmt: skip
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
