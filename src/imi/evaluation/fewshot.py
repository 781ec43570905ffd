"""``imi fewshot compare``: few-shot synthesisers, baselines on the same K pairs and a full-data ceiling
evaluated on the same test maps in one run, with the few-shot models' pseudo-labels and the prior."""

from __future__ import annotations

from pathlib import Path

from imi.core.errors import ImiError
from imi.core.report import provenance, write_metrics
from imi.domains.avatarmaps.fewshot import prior_scores, pseudo_label_scores, refinement_scores
from imi.pipelines.prior import StylePrior
from imi.pipelines.synthesize import Synthesizer
from imi.registry import DOMAINS


def compare(
    models: list[str],
    prior: str | None = "avatar-prior",
    limit: int | None = None,
    pseudo_items: int = 100,
    invert_steps: int = 300,
    refine_steps: int = 20,
    out: Path = Path("runs/fewshot-compare"),
    seed: int = 0,
    progress: bool = True,
) -> tuple[dict, Path]:
    """Evaluate every synthesis model in ``models`` on the same test maps (``limit``: the first N).

    Each row: the domain's evaluation summary (mIoU by the segmenter, shape attributes, diversity, FID),
    how many labelled pairs the model learnt from, and for a few-shot model its pseudo-labels of
    ``pseudo_items`` test renders against their exact maps, and the mIoU of its pictures of the first
    ``pseudo_items`` test maps with and without ``refine_steps`` of refinement by inversion (0: none).
    ``prior``: also the prior's FID and inversion error.
    """
    if not models:
        raise ImiError("name at least one synthesis model to compare")
    synths = {name: Synthesizer.from_pretrained(name) for name in models}
    # Test item i is a pure function of (domain, data seed, size, i): the splits agree on their first items.
    if len({(s.config.domain, s.config.data.seed, s.config.data.size) for s in synths.values()}) != 1:
        raise ImiError("the models' data settings draw different test maps (domain, seed or size): nothing to compare")
    sizes = {s.config.data.test for s in synths.values()}
    if (limit is None and len(sizes) != 1) or (limit is not None and limit > min(sizes)):
        held = ", ".join(map(str, sorted(sizes)))
        raise ImiError(f"the models' test splits hold {held} maps: give --limit ≤ {min(sizes)}")
    out = Path(out)
    rows = {}
    for name, synth in synths.items():
        domain, data = DOMAINS[synth.config.domain], synth.config.data
        doc, _ = domain.evaluate(synth, name, data, "test", limit, out / name, 100, seed, progress=progress)
        row = {"variant": synth.config.variant, "labelled": data.train, **doc["summary"], "classes": doc["classes"]}
        if hasattr(synth.model, "label_pictures"):
            row["pseudo"] = pseudo_label_scores(synth, data, pseudo_items, invert_steps)
        if refine_steps and hasattr(synth.model, "refine"):
            row["refinement"] = refinement_scores(synth, data, pseudo_items, refine_steps, seed)
        rows[name] = row
    first = next(iter(synths.values()))
    doc = {"items": limit or first.config.data.test, "seed": seed, "rows": rows, "prior_name": prior}
    if prior:
        n = first.config.data.test if limit is None else limit
        doc["prior"] = prior_scores(StylePrior.from_pretrained(prior), first.config.data, n, invert_steps, seed)
    doc |= provenance()
    write_metrics(out / "compare.json", doc)
    return doc, out
