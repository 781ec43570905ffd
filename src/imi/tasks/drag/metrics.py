"""What a drag is scored on (DragGAN's MD, pins' drift, identity), read by a domain's judge."""

from __future__ import annotations

import torch

from imi.tasks.drag.points import Drag


def score_drags(before: torch.Tensor, after: torch.Tensor, drag: Drag, motion, identity) -> dict[str, torch.Tensor]:
    """Per drag, float ``(B,)``: ``md`` (mean distance of where the handles went to their targets), ``md_none``
    (the same with no edit: the drag's length), ``drift`` (mean distance pins moved; NaN without pins) and
    ``same`` (1 when the judge reads the same object). ``motion``, ``identity``: the domain's judge."""
    n = drag.handles.shape[1]
    went = motion(before, after, torch.cat([drag.handles, drag.pins], 1))
    hm, pm = drag.handle_mask.float(), drag.pin_mask.float()
    md = ((went[:, :n] - drag.targets).norm(dim=-1) * hm).sum(1) / hm.sum(1).clamp_min(1)
    drift = ((went[:, n:] - drag.pins).norm(dim=-1) * pm).sum(1) / pm.sum(1).clamp_min(1)
    drift = torch.where(pm.sum(1) > 0, drift, torch.full_like(drift, float("nan")))
    return {"md": md, "md_none": drag.length(), "drift": drift, "same": identity(before, after).float()}


def summary(scores: dict[str, torch.Tensor]) -> dict[str, float]:
    """Means over the drags: ``md``, ``md_none``, ``md_ratio`` (md / md_none, of the means), ``drift`` (over
    drags with pins), ``identity``."""
    md, none = float(scores["md"].mean()), float(scores["md_none"].mean())
    drift = scores["drift"][~scores["drift"].isnan()]
    return {"md": md, "md_none": none, "md_ratio": md / max(none, 1e-9),
            "drift": float(drift.mean()) if len(drift) else float("nan"), "identity": float(scores["same"].mean())}
