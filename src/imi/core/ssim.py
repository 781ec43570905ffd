"""SSIM exactly as scikit-image computes it, batched in torch.

``skimage.metrics.structural_similarity`` with its defaults filters with a
7×7 uniform window (reflect padding), uses the sample covariance and then
averages the map after cropping ``(7 - 1) // 2 = 3`` pixels from every edge.
The crop removes every pixel whose window touches the padding, so the
cropped map equals a *valid* (unpadded) box filter, with no padding at all.

Speed without losing exactness: for integer images (uint8, what the models
produce after denormalising) every window sum is an integer below
49 · 255² < 2²⁴, so float32 shift-and-add sums are exact; only the final
formula runs in float64. Float images take a float64 path.
"""

from __future__ import annotations

import torch

WIN = 7  # scikit-image's default win_size (uniform window)
K1, K2 = 0.01, 0.03
CHUNK_PIXELS = 1 << 18  # pixels per chunk (64 grey 64×64 images)


def _box_sum(x: torch.Tensor, win: int) -> torch.Tensor:
    """Sum over every full ``win × win`` window: ``(..., H, W)`` → ``(..., H-win+1, W-win+1)``.

    Separable shift-and-add: 2·win slice additions, faster on CPU than
    cumulative sums, unfold or a convolution.
    """
    h, w = x.shape[-2] - win + 1, x.shape[-1] - win + 1
    rows = x[..., :, 0:w].clone()
    for i in range(1, win):
        rows += x[..., :, i : i + w]
    out = rows[..., 0:h, :].clone()
    for i in range(1, win):
        out += rows[..., i : i + h, :]
    return out


def ssim_map(x: torch.Tensor, y: torch.Tensor, data_range: float = 255.0, win: int = WIN) -> torch.Tensor:
    """Per-pixel SSIM of ``(B, C, H, W)`` images on a ``[0, data_range]`` scale.

    Returns float64 ``(B, C, H - win + 1, W - win + 1)``: entry ``[..., i, j]``
    belongs to pixel ``(i + win // 2, j + win // 2)`` of the input.
    """
    if x.shape != y.shape or x.dim() != 4:
        raise ValueError(f"ssim needs two (B, C, H, W) tensors of one shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    if min(x.shape[-2:]) < win:
        raise ValueError(f"images of {tuple(x.shape[-2:])} px are smaller than the {win}×{win} SSIM window")
    # Chunks of a few MB stay in cache; the work is memory-bound.
    chunk = max(1, CHUNK_PIXELS // (x.shape[1] * x.shape[2] * x.shape[3]))
    parts = [_ssim_map(a, b, data_range, win) for a, b in zip(x.split(chunk), y.split(chunk), strict=True)]
    return torch.cat(parts) if parts else torch.empty(0, *x.shape[1:2], x.shape[2] - win + 1, x.shape[3] - win + 1)


def _ssim_map(x: torch.Tensor, y: torch.Tensor, data_range: float, win: int) -> torch.Tensor:
    exact32 = not (x.is_floating_point() or y.is_floating_point())  # integer images: float32 sums are exact
    x, y = (x.float(), y.float()) if exact32 else (x.double(), y.double())
    n = win * win
    # One filter call for the five window sums; the formula below is scikit-image's
    # multiplied through by n², so it needs the sums only.
    sx, sy, sxx, syy, sxy = _box_sum(torch.stack([x, y, x * x, y * y, x * y]), win).double().unbind(0)
    k = n / (n - 1)  # sample covariance, as scikit-image's default
    c1, c2 = (K1 * data_range * n) ** 2, (K2 * data_range * n) ** 2
    sxsy = sx * sy
    num = (2 * sxsy + c1) * (2 * k * (n * sxy - sxsy) + c2)
    den = (sx * sx + sy * sy + c1) * (k * (n * (sxx + syy) - sx * sx - sy * sy) + c2)
    return num / den


def ssim(x: torch.Tensor, y: torch.Tensor, data_range: float = 255.0) -> torch.Tensor:
    """Mean SSIM per image, channels averaged: ``(B, C, H, W)`` × 2 → float64 ``(B,)``.

    Matches ``structural_similarity(x[i], y[i], channel_axis=0, data_range=data_range)``
    (or without ``channel_axis`` for C = 1).
    """
    return ssim_map(x, y, data_range).mean(dim=(1, 2, 3))
