"""LSTM vs sentence encoder, seen vs held-out phrasing, on both benchmarks, in one run (issue 22).

    python benchmarks/phrasings.py --digits digits runs/x/best --avatars avatars runs/y/best \\
        --limit 36900 --out runs/phrasings

For each checkpoint: test edit accuracy (and consistency for avatars) in both phrasings, judged by
the shipped recognisers; for checkpoints with an instruction reader also the share of test
instructions refused (both phrasings) and of the hand-written out-of-domain set
(tests/data/out_of_domain.json); and the median time of one batch-1 edit including encoding the
sentence (not cached). Writes phrasings.json and phrasings.md under --out.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from _common import machine
from imi.domains.avatars.dataset import AvatarBenchmark
from imi.domains.digits.dataset import DigitBenchmark
from imi.evaluation.run import evaluate_checkpoint
from imi.pipelines.edit import Editor
from imi.tasks.edit.measure import latency_ms

OUT_OF_DOMAIN = Path(__file__).resolve().parents[1] / "tests" / "data" / "out_of_domain.json"


def refusals(editor: Editor, split_texts: list[str], ood: list[str]) -> dict:
    if editor.reader is None:
        return {}
    test = editor.understand(split_texts)
    out = editor.understand(ood)
    return {
        "test_refused": float(np.mean([not r.understood for r in test])),
        "ood_refused": float(np.mean([not r.understood for r in out])),
        "ood_accepted": [t for t, r in zip(ood, out, strict=True) if r.understood],
    }


def digits_row(name: str, limit: int | None, out: Path, ood: list[str]) -> dict:
    editor = Editor.from_pretrained(name)
    row = {}
    for phrasing in ("seen", "heldout"):
        doc, _ = evaluate_checkpoint(name, "test", limit, out / f"{Path(name).name}-{phrasing}", phrasing=phrasing,
                                     progress=False)  # fmt: skip
        row[phrasing] = {"edit_acc": doc["model"]["all"]["edit_acc"], "ssim": doc["model"]["all"]["ssim_mean"]}
    bench = DigitBenchmark(editor.config.data)
    texts = [t for p in ("seen", "heldout") for t in bench.split("test", p).texts]
    row |= refusals(editor, texts, ood)
    probe = bench.split("test", "heldout").batch([0])
    row["edit_ms"] = latency_ms(editor, probe, reps=200)
    return row


def avatars_row(name: str, out: Path, ood: list[str]) -> dict:
    editor = Editor.from_pretrained(name)
    doc, _ = evaluate_checkpoint(name, "test", None, out / Path(name).name, progress=False)
    rows = next(v for k, v in doc["rows"].items() if k not in ("copy-source", "target"))
    row = {p: {"edit_acc": rows[p]["all"]["edit_acc"], "consistency": rows[p]["all"]["consistency"]} for p in rows}
    bench = AvatarBenchmark(editor.config.data)
    texts = [t for p in ("seen", "heldout") for t in bench.split("test", p).texts]
    row |= refusals(editor, texts, ood)
    row["edit_ms"] = latency_ms(editor, bench.split("test", "heldout").batch([0]), reps=200)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--digits", nargs="*", default=[], help="digit checkpoints (shipped names or folders)")
    ap.add_argument("--avatars", nargs="*", default=[], help="avatar checkpoints")
    ap.add_argument("--limit", type=int, default=36_900, help="digit test triplets per phrasing")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("runs/phrasings"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ood = json.loads(OUT_OF_DOMAIN.read_text())
    started = time.time()
    doc = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "limit": args.limit, "digits": {}, "avatars": {}}
    for name in args.digits:
        doc["digits"][name] = digits_row(name, args.limit, args.out, ood["digits"])
    for name in args.avatars:
        doc["avatars"][name] = avatars_row(name, args.out, ood["avatars"])
    doc["seconds"] = round(time.time() - started)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "phrasings.json").write_text(json.dumps(doc, indent=2) + "\n")
    lines = [
        "| benchmark | model | encoder | edit acc seen | edit acc held-out | consistency seen | consistency held-out "
        "| test refused | out-of-domain refused | edit ms (batch 1, with encoding) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for bench in ("digits", "avatars"):
        for name, r in doc[bench].items():
            enc = Editor.from_pretrained(name).config.model.text_encoder
            cons = [f"{r[p]['consistency']:.1%}" if "consistency" in r[p] else "–" for p in ("seen", "heldout")]
            ref = [f"{r[k]:.1%}" if k in r else "–" for k in ("test_refused", "ood_refused")]
            lines.append(f"| {bench} | {name} | {enc} | {r['seen']['edit_acc']:.1%} | {r['heldout']['edit_acc']:.1%} "
                         f"| {cons[0]} | {cons[1]} | {ref[0]} | {ref[1]} | {r['edit_ms']:.1f} |")  # fmt: skip
    (args.out / "phrasings.md").write_text("\n".join(lines) + f"\n\n{doc['date']}, {doc['machine']}\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
