"""Drag points: handles moved to targets, pins kept; as tokens, and the generator's features at them."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from imi.core.errors import ImiError


@dataclass
class Drag:
    """A batch of drags, padded: ``handles``, ``targets`` float ``(B, N, 2)``, ``pins`` float ``(B, M, 2)``,
    ``handle_mask`` bool ``(B, N)``, ``pin_mask`` bool ``(B, M)`` (False: padding). Pixel coordinates."""

    handles: torch.Tensor
    targets: torch.Tensor
    pins: torch.Tensor
    handle_mask: torch.Tensor
    pin_mask: torch.Tensor

    def __len__(self) -> int:
        return len(self.handles)

    @classmethod
    def one(cls, handles, targets, pins=(), size: int = 64) -> Drag:
        """One drag from point lists ``[(x, y), …]``: as many targets as handles, at least one handle, every
        point on the ``size × size`` picture. Refuses anything else with a clear error."""
        h, t, p = (_points(v, name, size) for v, name in ((handles, "handles"), (targets, "targets"), (pins, "pins")))
        if len(h) == 0:
            raise ImiError("a drag needs at least one handle point")
        if len(h) != len(t):
            raise ImiError(f"every handle needs one target: {len(h)} handles, {len(t)} targets")
        if len(h) + len(p) > 64:
            raise ImiError(f"at most 64 points in one drag, got {len(h) + len(p)}")
        pins = p[None] if len(p) else torch.zeros(1, 1, 2)
        pin_mask = torch.ones(1, len(p), dtype=torch.bool) if len(p) else torch.zeros(1, 1, dtype=torch.bool)
        return cls(h[None], t[None], pins, torch.ones(1, len(h), dtype=torch.bool), pin_mask)

    def to(self, device) -> Drag:
        return Drag(*(v.to(device) for v in (self.handles, self.targets, self.pins, self.handle_mask, self.pin_mask)))

    def select(self, idx) -> Drag:
        return Drag(self.handles[idx], self.targets[idx], self.pins[idx], self.handle_mask[idx], self.pin_mask[idx])

    def length(self) -> torch.Tensor:
        """float ``(B,)``: the mean handle-to-target distance of each drag (MD with no edit)."""
        d = (self.targets - self.handles).norm(dim=-1)
        return (d * self.handle_mask).sum(1) / self.handle_mask.sum(1).clamp_min(1)


def _points(value, name: str, size: int) -> torch.Tensor:
    try:
        t = torch.as_tensor(value, dtype=torch.float32).reshape(-1, 2) if len(value) else torch.zeros(0, 2)
    except (TypeError, ValueError, RuntimeError):
        raise ImiError(f"{name} must be a list of (x, y) pairs, got {value!r:.60}") from None
    if not torch.isfinite(t).all() or (t < 0).any() or (t > size - 1).any():
        raise ImiError(f"{name} must lie on the {size}×{size} picture (0 ≤ x, y ≤ {size - 1}), got {value!r:.60}")
    return t


@dataclass
class Tokens:
    """What a drag editor reads besides the latent: ``pos`` float ``(B, T, 2)`` (pixels), ``disp`` float
    ``(B, T, 2)`` (pixels; zero for a pin), ``pin`` bool ``(B, T)``, ``mask`` bool ``(B, T)`` (False:
    padding)."""

    pos: torch.Tensor
    disp: torch.Tensor
    pin: torch.Tensor
    mask: torch.Tensor


def drag_tokens(drag: Drag) -> Tokens:
    """Handles (displacement = target − handle) then pins (zero displacement, flagged)."""
    pos = torch.cat([drag.handles, drag.pins], 1)
    disp = torch.cat([drag.targets - drag.handles, torch.zeros_like(drag.pins)], 1)
    pin = torch.cat([torch.zeros_like(drag.handle_mask), torch.ones_like(drag.pin_mask)], 1)
    return Tokens(pos, disp, pin & torch.cat([drag.handle_mask, drag.pin_mask], 1),
                  torch.cat([drag.handle_mask, drag.pin_mask], 1))  # fmt: skip


def sample_at(feature: torch.Tensor, pos: torch.Tensor, size: int) -> torch.Tensor:
    """Bilinear samples of ``feature`` ``(B, C, h, h)`` — a map over the whole ``size × size`` picture, at any
    resolution — at pixel positions ``pos`` ``(B, N, 2)`` → ``(B, N, C)``."""
    grid = (2 * pos + 1) / size - 1  # pixel centres → [-1, 1] with align_corners=False, at any resolution
    out = F.grid_sample(feature, grid[:, :, None], mode="bilinear", padding_mode="border", align_corners=False)
    return out[..., 0].transpose(1, 2)


def point_features(feats: list[torch.Tensor], pos: torch.Tensor, size: int) -> torch.Tensor:
    """Every resolution's activation sampled at ``pos``, concatenated: ``(B, N, Σ C_r)``."""
    return torch.cat([sample_at(f, pos, size) for f in feats], -1)
