"""The optimisation baseline: DragGAN-style latent optimisation on the same generator (Pan et al., 2023).

Each iteration takes one Adam step on the first ``layers`` styles of W+ (the layout layers; the rest
stay), minimising

* *motion supervision*: the generator's features on a small disc around each handle, compared with the
  same features one pixel further toward the target (the unshifted side detached), so the content under the
  handle is pushed a step along the drag; and a pin term holding the features on a disc around each pin
  at their value before the edit (DragGAN's mask term, at points);

then *tracks* each handle: the pixel within ``track_radius`` whose features are nearest (L1) to the
handle's features in the first picture becomes the handle. It stops for a drag once every handle is within
``stop_px`` of its target, or after ``iterations``. Features: the 16 and 32 px activations (the middle of
the synthesis network, as DragGAN reads its 6th block), bilinearly upsampled to the picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from imi.tasks.drag.points import Drag, sample_at


@dataclass(frozen=True)
class OptimiseSettings:
    """Attributes: iterations (the most per drag), lr (Adam on W+), layers (styles optimised),
    supervise_radius / track_radius (pixels), pin_weight, stop_px, feature_res (the activations read)."""

    iterations: int = 200
    lr: float = 3e-2  # DragGAN's 2e-3 moved 22 canvas drags to 68 % of their length in 100 iterations; 3e-2: 34 %
    layers: int = 4
    supervise_radius: int = 2
    track_radius: int = 4
    pin_weight: float = 10.0
    stop_px: float = 1.0
    feature_res: tuple[int, ...] = (16, 32)


@dataclass
class Optimised:
    """``ws`` ``(B, num_ws, w_dim)`` at the end; ``snapshots``: iteration count → W+ then (a drag already
    stopped keeps its stopping W+); ``iterations`` long ``(B,)``: the iterations each drag took;
    ``handles`` ``(B, N, 2)``: where tracking put the handles."""

    ws: torch.Tensor
    snapshots: dict[int, torch.Tensor]
    iterations: torch.Tensor
    handles: torch.Tensor


def _features(generator, ws: torch.Tensor, res: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    rgb, feats = generator.synthesis(ws, features=True)
    size = rgb.shape[-1]
    chosen = [F.interpolate(f, size=size, mode="bilinear", align_corners=False) for f in feats
              if f.shape[-1] in res]  # fmt: skip
    return rgb, torch.cat(chosen, 1)


def _disc(radius: int) -> torch.Tensor:
    r = torch.arange(-radius, radius + 1, dtype=torch.float32)
    offsets = torch.stack(torch.meshgrid(r, r, indexing="xy"), -1).reshape(-1, 2)
    return offsets[offsets.norm(dim=1) <= radius + 1e-6]  # (P, 2)


def optimise_drag(
    generator, ws: torch.Tensor, drag: Drag, settings: OptimiseSettings = OptimiseSettings(),
    snapshots: tuple[int, ...] = (),
) -> Optimised:  # fmt: skip
    """Drag a batch by optimisation (see the module docstring); the generator's weights are not touched."""
    s = settings
    size = generator.synthesis.resolutions[-1]
    was = [p.requires_grad for p in generator.parameters()]
    for p in generator.parameters():
        p.requires_grad_(False)
    try:
        ws = ws.detach()
        fixed = ws[:, s.layers:]
        free = ws[:, : s.layers].clone().requires_grad_(True)
        opt = torch.optim.Adam([free], lr=s.lr)
        with torch.no_grad():
            _, feat0 = _features(generator, ws, s.feature_res)
        handle_feat = sample_at(feat0, drag.handles, size)  # (B, N, C): what tracking looks for
        sup, trk = _disc(s.supervise_radius), _disc(s.track_radius)
        pin_pos = (drag.pins[:, :, None] + sup).flatten(1, 2)  # (B, M·P, 2)
        pin_w = drag.pin_mask[:, :, None].expand(-1, -1, len(sup)).flatten(1).float()
        pin_feat = sample_at(feat0, pin_pos, size)
        handles = drag.handles.clone()
        done = torch.zeros(len(ws), dtype=torch.bool)
        kept = ws.clone()
        iterations = torch.full((len(ws),), s.iterations, dtype=torch.long)
        shots: dict[int, torch.Tensor] = {}
        for it in range(s.iterations + 1):
            # Stopping is judged before each step: a drag whose handles all reached their targets keeps its W+.
            near = ((drag.targets - handles).norm(dim=-1) <= s.stop_px) | ~drag.handle_mask
            newly = near.all(1) & ~done
            current = torch.cat([free.detach(), fixed], 1)
            kept[newly] = current[newly]
            iterations[newly] = it
            done |= newly
            if it in snapshots:
                shots[it] = torch.where(done[:, None, None], kept, current).clone()
            if done.all() or it == s.iterations:
                break
            _, feat = _features(generator, torch.cat([free, fixed], 1), s.feature_res)
            direction = drag.targets - handles
            direction = direction / direction.norm(dim=-1, keepdim=True).clamp_min(1e-6)
            q = (handles[:, :, None] + sup).flatten(1, 2)  # (B, N·P, 2)
            step = direction[:, :, None].expand(-1, -1, len(sup), -1).flatten(1, 2)
            w = (drag.handle_mask & ~near)[:, :, None].expand(-1, -1, len(sup)).flatten(1).float()
            moved = sample_at(feat, q + step, size)
            here = sample_at(feat, q, size).detach()
            motion = ((moved - here).abs().mean(-1) * w).sum(1) / w.sum(1).clamp_min(1)
            pinned = ((sample_at(feat, pin_pos, size) - pin_feat).abs().mean(-1) * pin_w).sum(1)
            pinned = pinned / pin_w.sum(1).clamp_min(1)
            loss = ((motion + s.pin_weight * pinned) * (~done).float()).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():  # point tracking on the updated features
                _, feat = _features(generator, torch.cat([free, fixed], 1), s.feature_res)
                cand = (handles.round()[:, :, None] + trk).clamp(0, size - 1)  # (B, N, P', 2)
                b, n, p, _ = cand.shape
                found = sample_at(feat, cand.flatten(1, 2), size).view(b, n, p, -1)
                dist = (found - handle_feat[:, :, None]).abs().mean(-1)
                best = cand.gather(2, dist.argmin(2)[:, :, None, None].expand(-1, -1, 1, 2))[:, :, 0]
                handles = torch.where((~done[:, None, None]) & drag.handle_mask[..., None], best, handles)
        final = torch.where(done[:, None, None], kept, torch.cat([free.detach(), fixed], 1))
        for it in snapshots:  # budgets past the loop's end: what it ended with
            shots.setdefault(it, final.clone())
        return Optimised(final, shots, iterations, handles)
    finally:
        for p, r in zip(generator.parameters(), was, strict=True):
            p.requires_grad_(r)
