"""``imi eval`` on a ClipScenes generation checkpoint (SPEC-context-gan §4).

Every test scene's caption is generated once (noise row i of ``seed``) in two settings:

- **album**: the context is the next scene of the caption's album (same place, same main person):
  *context fidelity* is the place accuracy when the caption leaves the place out (the place must come
  from the context; a text-only model sits near chance), *entity specificity* the share of kind-only
  captions ("a woman") whose picture shows the context's specific person of that kind;
- **conflict**: the context comes from an album of the other place: when the caption names the place,
  the picture must show the caption's place (*text over context*).

Person-kind accuracy counts pictures showing a person of the kind the caption names. The scene judge
reads every stage (the smaller stages upsampled), and realism is the Fréchet distance in the judge's
feature space against the real test scenes, next to the real-vs-real floor (test against dev scenes).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from imi.core.distance import frechet
from imi.core.errors import ImiError
from imi.core.report import provenance, write_metrics
from imi.domains.clipscenes.config import SceneDataConfig
from imi.domains.clipscenes.data import ClipScenes, SceneBatch
from imi.domains.clipscenes.judge import load_scene_judge
from imi.domains.clipscenes.schema import LOOKS, PLACES

TARGETS = {"context_place": 0.90, "text_place": 0.95, "kind": 0.90, "specific": 0.70}  # issue 24


@lru_cache(maxsize=1)
def shared_judge():
    return load_scene_judge()


def expected(b: SceneBatch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """What each picture should show: ``(place, kind, person)`` long ``(B,)``, by the merge rule's truth.

    Place: the caption's, else the context's. Kind: the caption's. Person: the caption's specific one,
    else the context's person of the caption's kind (−1 when the context shows nobody of that kind)."""
    place = torch.where(b.text_place >= 0, b.text_place, b.context_place)
    kind = b.text_kind
    second = torch.where((b.context_second >= 0) & (b.context_second // LOOKS == kind), b.context_second, -1)
    ctx = torch.where(b.context_person // LOOKS == kind, b.context_person, second)
    person = torch.where(b.text_person >= 0, b.text_person, ctx)
    return place, kind, person


def verdicts(read: dict[str, torch.Tensor], b: SceneBatch) -> dict[str, torch.Tensor]:
    """bool ``(B,)`` per criterion from the judge's reading of the generated pictures."""
    place, kind, person = expected(b)
    rows = torch.arange(len(place))
    shown = read["people"]
    kinds = shown.view(len(place), -1, LOOKS).any(2)
    return {
        "place": read["place"] == place,
        "kind": kinds[rows, kind.clamp(min=0)] & (kind >= 0),
        "person": shown[rows, person.clamp(min=0)] & (person >= 0),
    }


def scene_ok(images: torch.Tensor, b: SceneBatch) -> dict[str, torch.Tensor]:
    """The domain's judge on generated uint8 ``(B, 3, h, w)`` pictures (see :func:`verdicts`)."""
    return verdicts(shared_judge().read(images), b)


def conflict_contexts(split, seed: int) -> np.ndarray:
    """For each scene, a scene of another album whose place differs (seeded, one per scene)."""
    place = split.labels[:, 0].numpy()
    rng = np.random.default_rng([seed, 24])
    out = np.empty(len(place), dtype=np.int64)
    for p in range(len(PLACES)):
        others = np.flatnonzero(place != p)
        rows = np.flatnonzero(place == p)
        out[rows] = rng.choice(others, size=len(rows)) if len(others) else rows
    return out


def _rates(hits: dict[str, np.ndarray], mask: np.ndarray, key: str) -> float | None:
    return float(hits[key][mask].mean()) if mask.any() else None


def evaluate_generator(
    generator,
    name: str,
    data: SceneDataConfig,
    split: str = "test",
    limit: int | None = None,
    out: Path | None = None,
    batch_size: int = 64,
    seed: int = 0,
    judge: str | None = None,
    progress: bool = True,
    phrasing: str | None = None,
) -> tuple[dict, Path]:
    """Generate every scene of ``split`` in both settings and judge every stage; returns the document."""
    from tqdm import tqdm

    if generator is None:
        raise ImiError("a ClipScenes evaluation needs a generation checkpoint")
    if phrasing is not None:
        raise ImiError("ClipScenes captions have one phrasing; --phrasing does not apply")
    j = shared_judge() if judge is None else load_scene_judge(judge)
    bench = ClipScenes(data, build=True, workers=2, splits=(split, "dev"))  # dev: the real-vs-real floor
    s = bench.split(split)
    n = len(s) if limit is None else min(limit, len(s))
    z = generator.noise(n, seed)
    settings = {"album": None, "conflict": conflict_contexts(s, seed)}
    doc: dict = {"checkpoint": name, "split": split, "scenes": n, "seed": seed, "judge": j.accuracy, "settings": {}}
    features: dict[int, list[np.ndarray]] = {0: [], 1: [], 2: []}
    real_features = []
    bar = tqdm(total=2 * n, desc="evaluate", unit="scene", disable=not progress)
    for setting, ctx in settings.items():
        hits: dict[int, dict[str, list]] = {k: {"place": [], "kind": [], "person": []} for k in range(3)}
        texts_place, texts_person, findable = [], [], []
        for start in range(0, n, batch_size):
            idx = np.arange(start, min(start + batch_size, n))
            b = s.batch(idx, None if ctx is None else ctx[idx])
            parsed = (b.text_place, b.text_kind, b.text_person)  # the grammar's truth (the parser is tested apart)
            stages = generator.generate_tensors(b.texts, b.context, z[idx], parsed)
            for k, images in enumerate(stages):
                read = j.read(images)
                for key, v in verdicts(read, b).items():
                    hits[k][key].append(v.numpy())
                if setting == "album":
                    features[k].append(read["features"].numpy())
            if setting == "album":
                real_features.append(j.read(b.image)["features"].numpy())
            texts_place.append(b.text_place.numpy())
            texts_person.append(b.text_person.numpy())
            findable.append(expected(b)[2].numpy() >= 0)  # a conflicting context may show nobody of the kind
            bar.update(len(idx))
        named_place = np.concatenate(texts_place) >= 0
        specific = np.concatenate(texts_person) >= 0
        kind_only = ~specific & np.concatenate(findable)
        rows = {}
        for k in range(3):
            h = {key: np.concatenate(v) for key, v in hits[k].items()}
            rows[f"stage{k + 1}"] = {
                "place_omitted": _rates(h, ~named_place, "place"),
                "place_named": _rates(h, named_place, "place"),
                "kind": float(h["kind"].mean()),
                "specific": _rates(h, kind_only, "person"),
                "person_named": _rates(h, specific, "person"),
            }
        doc["settings"][setting] = rows
    bar.close()
    real = np.concatenate(real_features)
    dev = bench.split("dev")
    floor_n = min(n, len(dev))
    dev_features = j.read(dev.batch(np.arange(floor_n)).image)["features"].numpy()
    doc["fid"] = {f"stage{k + 1}": frechet(np.concatenate(features[k]), real) for k in range(3)}
    doc["fid"]["real_vs_real"] = frechet(dev_features, real)
    last = doc["settings"]
    doc["summary"] = {
        "context_place": last["album"]["stage3"]["place_omitted"],
        "text_place": last["conflict"]["stage3"]["place_named"],
        "kind": last["album"]["stage3"]["kind"],
        "specific": last["album"]["stage3"]["specific"],
        "fid": doc["fid"]["stage3"],
        "fid_floor": doc["fid"]["real_vs_real"],
    }
    doc["targets"] = TARGETS
    doc |= provenance()
    out = Path(out or Path("runs") / "eval" / name)
    out.mkdir(parents=True, exist_ok=True)
    write_metrics(out / "metrics.json", doc)
    return doc, out


def print_report(doc: dict, out: Path, console) -> None:
    from rich.table import Table

    table = Table(title=f"{doc['checkpoint']} on {doc['scenes']} {doc['split']} scenes (judge-read)")
    for col in (
        "setting",
        "stage",
        "place (text omits)",
        "place (text names)",
        "person kind",
        "specific person",
        "FID",
    ):
        table.add_column(col, justify="right")
    fmt = lambda v: "—" if v is None else f"{v:.1%}"  # noqa: E731
    for setting, rows in doc["settings"].items():
        for stage, r in rows.items():
            fid = f"{doc['fid'][stage]:.2f}" if setting == "album" else ""
            table.add_row(setting, stage, fmt(r["place_omitted"]), fmt(r["place_named"]), fmt(r["kind"]),
                          fmt(r["specific"]), fid)  # fmt: skip
    console.print(table)
    console.print(f"FID floor (real test vs real dev scenes): {doc['fid']['real_vs_real']:.2f}")
    console.print(f"wrote {out / 'metrics.json'}")
