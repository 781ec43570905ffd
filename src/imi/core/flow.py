"""Dense optical flow between two pictures (OpenCV's DIS or Farnebäck after a global shift) and its
log-expansion.

The drag editor learns from the flow between pairs of pictures, and its evaluation may read where points
went by tracking them with the same flow.
"""

from __future__ import annotations

import cv2
import numpy as np

METHODS = ("dis", "farneback")


def grey(picture: np.ndarray) -> np.ndarray:
    """uint8 ``(3, S, S)`` → grey uint8 ``(S, S)``."""
    return cv2.cvtColor(np.ascontiguousarray(picture.transpose(1, 2, 0)), cv2.COLOR_RGB2GRAY)


BLUR = 2.0  # σ (pixels) of the blur before flow: thin strokes become slopes a patch can follow
GLOBAL_BLUR = 3.0  # σ of the blur before phase correlation (the global shift)


def _raw_flow(a: np.ndarray, b: np.ndarray, method: str) -> np.ndarray:
    a, b = cv2.GaussianBlur(a, (0, 0), BLUR), cv2.GaussianBlur(b, (0, 0), BLUR)
    if method == "dis":
        return cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(a, b, None)
    if method == "farneback":
        return cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 4, 15, 5, 7, 1.5, 0)
    raise ValueError(f"unknown flow {method!r}; choose one of {METHODS}")


def optical_flow(a: np.ndarray, b: np.ndarray, method: str = "dis") -> np.ndarray:
    """Dense flow from grey uint8 ``a`` to ``b`` ``(S, S)``: float32 ``(S, S, 2)`` = (dx, dy) per pixel.

    On small pictures of thin strokes a local method alone finds no motion beyond a few pixels (DIS on a
    64×64 digit moved 4-16 px: median end-point error 8.6 px). So: the global shift first (phase
    correlation of the blurred pictures), ``a`` moved by it, then the local flow ("dis": DIS, medium
    preset; "farneback": polynomial expansion) of the blurred pictures, composed with the shift
    (median error 0.17 px on the same test: docs/RESULTS.md).
    """
    if method not in METHODS:
        raise ValueError(f"unknown flow {method!r}; choose one of {METHODS}")
    sa = cv2.GaussianBlur(a, (0, 0), GLOBAL_BLUR).astype(np.float32)
    sb = cv2.GaussianBlur(b, (0, 0), GLOBAL_BLUR).astype(np.float32)
    (dx, dy), _ = cv2.phaseCorrelate(sa, sb)
    h, w = a.shape
    moved = cv2.warpAffine(a, np.float32([[1, 0, dx], [0, 1, dy]]), (w, h), flags=cv2.INTER_LINEAR)
    rest = _raw_flow(moved, b, method)
    # A point p of `a` is at p + d in `moved`, then goes by the local flow there.
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    rest = cv2.remap(rest, gx + dx, gy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return rest + np.float32([dx, dy])


def log_expansion(flow: np.ndarray) -> np.ndarray:
    """Half the log-determinant of the flow's Jacobian ``I + ∇flow`` per pixel ``(S, S)``: the local change of
    scale (0: none, ±log 2: doubled or halved); a collapse or a fold reads as very negative."""
    dxx, dxy = np.gradient(flow[..., 0], axis=1), np.gradient(flow[..., 0], axis=0)
    dyx, dyy = np.gradient(flow[..., 1], axis=1), np.gradient(flow[..., 1], axis=0)
    det = (1 + dxx) * (1 + dyy) - dxy * dyx
    return 0.5 * np.log(np.clip(det, 1e-3, None))


def track(before: np.ndarray, after: np.ndarray, points: np.ndarray, method: str = "dis") -> np.ndarray:
    """Where ``points`` ``(N, 2)`` of uint8 picture ``before`` ``(3, S, S)`` are in ``after``, by the flow
    (bilinear between pixels): float ``(N, 2)``."""
    flow = optical_flow(grey(before), grey(after), method)
    s = flow.shape[0]
    x, y = np.clip(points[:, 0], 0, s - 1), np.clip(points[:, 1], 0, s - 1)
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    x1, y1 = np.minimum(x0 + 1, s - 1), np.minimum(y0 + 1, s - 1)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    f = (flow[y0, x0] * (1 - fx) * (1 - fy) + flow[y0, x1] * fx * (1 - fy)
         + flow[y1, x0] * (1 - fx) * fy + flow[y1, x1] * fx * fy)  # fmt: skip
    return points + f
