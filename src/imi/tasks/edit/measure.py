"""Measurements of an editor that do not depend on the benchmark."""

from __future__ import annotations

import time

import numpy as np


def latency_ms(editor, batch, reps: int, warmup: int = 10) -> float:
    """Median milliseconds of one batch-1 edit (uint8 in, uint8 out) of ``batch``'s first item.

    A sentence-encoder model encodes the sentence inside every timed edit (no cache): a user's
    new sentence costs that much."""
    source, tokens, lengths = batch.source[:1], batch.tokens[:1], batch.lengths[:1]
    reads_text = editor.tokenizer.reads_text
    times = []
    for i in range(warmup + reps):
        tick = time.perf_counter()
        if reads_text:
            tokens, lengths = editor.tokenizer.batch(batch.texts[:1], fresh=True)
        editor.edit_tensors(source, tokens, lengths, seed=i)
        times.append(time.perf_counter() - tick)
    return float(np.median(times[warmup:]) * 1000)
