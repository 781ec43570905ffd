"""Few-shot synthesis on avatar label maps (SPEC-semantic §2, issue 26): what ``imi fewshot compare``
measures beyond :func:`imi.domains.avatarmaps.evaluate.evaluate_synthesizer`.

- **Pseudo-labels against exact maps**: a few-shot model inverts real test renders into its prior and
  labels them by its prototypes; mIoU against the renders' exact maps (the segmenter, trained on all
  40,000 labelled renders, is the reference). This is the quality of the pairs its encoder learnt from.
- **The prior**: realism as FID in the avatar judge's space, untruncated and at truncation 0.7, beside
  real dev vs real test (the floor); how closely it can reproduce real renders (inversion's mean
  absolute error, 0-255).
"""

from __future__ import annotations

import numpy as np
import torch

from imi.core.distance import frechet
from imi.domains.avatarmaps.config import MapDataConfig
from imi.domains.avatarmaps.data import CLASSES, AvatarMaps
from imi.domains.avatarmaps.evaluate import realism_features
from imi.domains.avatarmaps.segmenter import shipped_segmenter
from imi.tasks.synthesize.metrics import confusion, iou, mean_iou


def _head(data: MapDataConfig, split: str, n: int):
    s = AvatarMaps(data).head(split, n)
    return s.batch(np.arange(len(s)))


def pseudo_label_scores(synth, data: MapDataConfig, n: int, steps: int, batch_size: int = 50) -> dict:
    """A few-shot synthesiser's pseudo-labels of the first ``n`` test renders against their exact maps."""
    b = _head(data, "test", n)
    k = len(CLASSES)
    conf, conf_seg, errors = np.zeros((k, k), np.int64), np.zeros((k, k), np.int64), []
    segmenter = shipped_segmenter()
    for s in range(0, len(b), batch_size):
        images, labels = b.image[s : s + batch_size], b.labels[s : s + batch_size]
        pred, err = synth.pseudo_label(images, steps)
        conf += confusion(pred, labels, k)
        conf_seg += confusion(segmenter.read(images), labels, k)
        errors.append(err)
    per_class = iou(conf)
    return {
        "items": len(b),
        "invert_steps": steps,
        "pseudo_miou": mean_iou(conf),
        "pseudo_iou": {c: None if np.isnan(v) else float(v) for c, v in zip(CLASSES, per_class, strict=True)},
        "segmenter_miou": mean_iou(conf_seg),
        "inversion_error": float(torch.cat(errors).mean()),
    }


def refinement_scores(synth, data: MapDataConfig, n: int, steps: int, seed: int = 0) -> dict:
    """The segmenter's mIoU on the first ``n`` test maps, drawn by the encoder alone and refined by
    inversion (``steps`` steps), the same codes."""
    b = _head(data, "test", n)
    codes = synth.sample_codes(len(b), seed)
    segmenter, k = shipped_segmenter(), len(CLASSES)
    plain, refined = np.zeros((k, k), np.int64), np.zeros((k, k), np.int64)
    for s in range(0, len(b), 50):
        labels = b.labels[s : s + 50]
        plain += confusion(segmenter.read(synth.synthesize_tensors(labels, codes[s : s + 50])), labels, k)
        refined += confusion(segmenter.read(synth.refine_tensors(labels, codes[s : s + 50], steps)), labels, k)
    return {"items": len(b), "steps": steps, "miou": mean_iou(plain), "miou_refined": mean_iou(refined)}


def prior_scores(prior, data: MapDataConfig, n: int, steps: int, seed: int = 0) -> dict:
    """The prior's realism (FID in the avatar judge's space) and inversion error on ``n`` test renders."""
    test, dev = _head(data, "test", n), _head(data, "dev", n)
    real = realism_features(test.image)
    z = prior.latents(n, seed)
    out = {"items": n, "fid_real_vs_real": frechet(realism_features(dev.image), real)}
    for psi in (1.0, 0.7):
        out[f"fid_truncation_{psi:g}"] = frechet(realism_features(prior.sample_tensors(z, psi)), real)
    m = min(n, 100)
    found = prior.invert(test.image[:m].permute(0, 2, 3, 1).numpy(), steps)
    out |= {"inversion_items": m, "invert_steps": steps, "inversion_error": float(found.error.mean())}
    return out


def print_compare(doc: dict, console) -> None:
    from rich.table import Table

    table = Table(title=f"Few-shot synthesis on {doc['items']} test maps (seed {doc['seed']})")
    for col in ("model", "variant", "labelled pairs", "mIoU", "refined", "shape attrs", "diversity", "FID",
                "pseudo mIoU"):  # fmt: skip
        table.add_column(col, justify="right")
    for name, r in doc["rows"].items():
        pseudo, ref = r.get("pseudo"), r.get("refinement")
        table.add_row(name, r["variant"], f"{r['labelled']:,}", f"{r['miou']:.3f}",
                      "–" if ref is None else f"{ref['miou']:.3f} → {ref['miou_refined']:.3f}",
                      f"{r['shape_attributes']:.1%}", f"{r['diversity']:.1f}", f"{r['fid']:.0f}",
                      "–" if pseudo is None else f"{pseudo['pseudo_miou']:.3f}")  # fmt: skip
    console.print(table)
    if doc.get("prior"):
        p = doc["prior"]
        console.print(
            f"prior {doc['prior_name']}: FID {p['fid_truncation_1']:.0f} "
            f"(truncation 0.7: {p['fid_truncation_0.7']:.0f}; "
            f"real vs real {p['fid_real_vs_real']:.0f}); inversion error {p['inversion_error']:.1f} / 255 "
            f"({p['invert_steps']} steps, {p['inversion_items']} renders)"
        )
