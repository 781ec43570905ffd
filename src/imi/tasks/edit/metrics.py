"""The summaries every edit benchmark reports over per-item arrays (``ssim``, ``edit_ok``,
``preservation``), overall and per group; each domain adds its own columns (digits: RS@1/5;
avatars: consistency)."""

from __future__ import annotations

import numpy as np

HIST_BINS = 50  # SSIM histogram bins over [0, 1]; values below 0 land in the first


def image_summary(a: dict[str, np.ndarray]) -> dict:
    """What every benchmark reports over the given items: ``n``, SSIM mean / median / histogram, edit
    accuracy and preservation (NaN items left out); ``{"n": 0}`` for none. Shared with the avatars."""
    n = len(a["ssim"])
    if n == 0:
        return {"n": 0}
    pres = a["preservation"][~np.isnan(a["preservation"])]
    hist, _ = np.histogram(np.clip(a["ssim"], 0, 1), bins=HIST_BINS, range=(0, 1))
    return {
        "n": int(n),
        "ssim_mean": float(a["ssim"].mean()),
        "ssim_median": float(np.median(a["ssim"])),
        "ssim_hist": hist.tolist(),
        "edit_acc": float(a["edit_ok"].mean()),
        "preservation": float(pres.mean()) if len(pres) else None,
        "preservation_n": len(pres),
    }


def by_group(a: dict[str, np.ndarray], column: str, names, summary) -> dict:
    """``{"all": summary(a), names[i]: summary(items whose a[column] == i), …}``."""
    out = {"all": summary(a)}
    for i, name in enumerate(names):
        sel = a[column] == i
        out[name] = summary({k: v[sel] for k, v in a.items()})
    return out
