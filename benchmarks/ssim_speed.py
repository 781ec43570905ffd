"""SSIM speed: our batched SSIM vs scikit-image vs a naive avg_pool2d SSIM, side by side.

    python benchmarks/ssim_speed.py [--images 4096]

All three compute the same number (SPEC §7: 7×7 uniform window, sample
covariance, data range 255); the script checks that first, then times each on
the same 64×64 grey and RGB uint8 images (what ``imi eval`` feeds it).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from skimage.metrics import structural_similarity

from _common import machine
from imi.core.ssim import ssim


def naive(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The textbook torch SSIM: five float64 avg_pool2d filters, then crop-free valid maps."""
    x, y = x.double(), y.double()
    pool = lambda t: F.avg_pool2d(t, 7, stride=1)  # noqa: E731
    mx, my = pool(x), pool(y)
    vx, vy, vxy = (pool(a * b) - ma * mb for a, b, ma, mb in ((x, x, mx, mx), (y, y, my, my), (x, y, mx, my)))
    k = 49 / 48
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    s = ((2 * mx * my + c1) * (2 * k * vxy + c2)) / ((mx**2 + my**2 + c1) * (k * (vx + vy) + c2))
    return s.mean((1, 2, 3))


def skimage_loop(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    a, b = x.numpy(), y.numpy()
    axis = None if a.shape[1] == 1 else 0
    return torch.tensor(
        [
            structural_similarity(
                p[0] if axis is None else p, q[0] if axis is None else q, channel_axis=axis, data_range=255
            )
            for p, q in zip(a, b, strict=True)
        ]
    )


def per_image_us(fn, x, y, repeats: int = 3) -> float:
    fn(x[:8], y[:8])
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn(x, y)
        best = min(best, time.perf_counter() - start)
    return best / len(x) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=4096)
    args = parser.parse_args()
    print(machine())
    rng = np.random.default_rng(0)
    for channels in (1, 3):
        x = torch.from_numpy(rng.integers(0, 256, (args.images, channels, 64, 64), dtype=np.uint8))
        y = torch.from_numpy(np.clip(x.numpy() + rng.integers(-40, 40, x.shape), 0, 255).astype(np.uint8))
        n = min(512, args.images)  # scikit-image is a Python loop; time it on fewer images
        ref = skimage_loop(x[:64], y[:64])
        assert torch.allclose(ssim(x[:64], y[:64]), ref, atol=1e-4) and torch.allclose(
            naive(x[:64], y[:64]), ref, atol=1e-4
        )
        ours, sk, slow = per_image_us(ssim, x, y), per_image_us(skimage_loop, x[:n], y[:n]), per_image_us(naive, x, y)
        print(
            f"{channels}×64×64: ours {ours:.1f} µs/image, scikit-image {sk:.1f} µs ({sk / ours:.1f}× slower), "
            f"naive avg_pool2d {slow:.1f} µs ({slow / ours:.1f}× slower)"
        )


if __name__ == "__main__":
    main()
