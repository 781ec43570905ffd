"""The summaries every synthesis benchmark reports: layout fidelity as intersection over union."""

from __future__ import annotations

import numpy as np
import torch


def confusion(pred: torch.Tensor, target: torch.Tensor, classes: int) -> np.ndarray:
    """``(classes, classes)`` pixel counts, rows = target class, columns = predicted class, of long
    ``(B, S, S)`` label maps."""
    idx = target.reshape(-1).long() * classes + pred.reshape(-1).long()
    return torch.bincount(idx, minlength=classes * classes).reshape(classes, classes).numpy().astype(np.int64)


def iou(conf: np.ndarray) -> np.ndarray:
    """Per-class intersection over union of a confusion matrix; NaN for a class absent from both."""
    inter = np.diag(conf).astype(np.float64)
    union = conf.sum(0) + conf.sum(1) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, np.nan)


def mean_iou(conf: np.ndarray) -> float:
    """The mean over the classes that occur (mIoU, accumulated over the whole set)."""
    return float(np.nanmean(iou(conf)))
