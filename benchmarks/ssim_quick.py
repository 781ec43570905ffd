"""Mean SSIM to the target on the first N test triplets: a checkpoint vs copy-source.

    python benchmarks/ssim_quick.py CKPT [--items 2000]

A stop-gap until ``imi eval`` (issue 4): scikit-image SSIM with its defaults
on uint8 images (SPEC §7), the model's output next to the copy-source
baseline (return the input unchanged), on the same items.
"""

from __future__ import annotations

import argparse

import numpy as np
from skimage.metrics import structural_similarity

from imi.data.digits import DigitBenchmark
from imi.pipeline import Editor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--items", type=int, default=2000)
    args = parser.parse_args()
    editor = Editor.from_pretrained(args.checkpoint)
    test = DigitBenchmark(editor.config.data).split("test")
    # Spread the items over the whole split so every action is represented.
    idx = np.linspace(0, len(test) - 1, args.items).astype(np.int64)
    model, copy = [], []
    for start in range(0, len(idx), 256):
        b = test.batch(idx[start : start + 256])
        out = editor.edit_tensors(b.source, b.tokens, b.lengths, seed=0)
        for gen, src, tgt in zip(out[:, 0].numpy(), b.source[:, 0].numpy(), b.target[:, 0].numpy(), strict=True):
            model.append(structural_similarity(tgt, gen, data_range=255))
            copy.append(structural_similarity(tgt, src, data_range=255))
    print(f"{args.checkpoint}: mean SSIM {np.mean(model):.4f} (median {np.median(model):.4f}) "
          f"| copy-source {np.mean(copy):.4f} (median {np.median(copy):.4f}) | {len(idx)} test triplets")  # fmt: skip


if __name__ == "__main__":
    main()
