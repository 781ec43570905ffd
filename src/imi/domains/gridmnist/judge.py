"""Reading a generated caption against its grid: the judge of every GridMNIST number."""

from __future__ import annotations

import numpy as np
import torch

from imi.domains.gridmnist.captions import read


def named(texts: list[str], level: str) -> tuple[np.ndarray, np.ndarray]:
    """The digit and the cell each caption names: ``(digit (B,), cell (B,))`` int, −1 where the
    caption is invalid (not one of the level's captions) and cell −1 for word captions."""
    digit, cell = np.full(len(texts), -1), np.full(len(texts), -1)
    for i, text in enumerate(texts):
        c = read(text)
        if c is not None and (c.cell is None) == (level == "word"):
            digit[i], cell[i] = c.digit, -1 if c.cell is None else c.cell
    return digit, cell


def correct(digit: np.ndarray, cell: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """bool ``(B,)``: a word names a digit of the grid; a sentence names the digit in the cell it names."""
    labels = np.asarray(labels)
    rows = np.arange(len(digit))
    in_grid = (labels == digit[:, None]).any(1) & (digit >= 0)
    in_cell = labels[rows, np.clip(cell, 0, 3)] == digit
    return np.where(cell >= 0, in_cell & (digit >= 0), in_grid)


def caption_ok(texts: list[str], batch) -> torch.Tensor:
    """bool ``(B,)`` for a :class:`~imi.domains.gridmnist.data.GridBatch` (see :func:`correct`)."""
    digit, cell = named(texts, batch.level)
    return torch.from_numpy(correct(digit, cell, batch.labels.numpy()))
