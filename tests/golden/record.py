"""Golden outputs of every shipped checkpoint and judge, recorded before the issue-18 refactor.

``compute()`` runs a fixed set of (image, instruction, seed) through each shipped
checkpoint and fixed images through both judges, and hashes the inputs and the
outputs' bytes. ``python -m tests.golden.record`` rewrites ``outputs.json``; the test
(`tests/test_golden.py`) requires today's code to reproduce it bit for bit.

Imports go through :func:`_api`, the one place that knows where the package
keeps these objects, so a move inside ``src/`` changes one function here.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch

FILE = Path(__file__).with_name("outputs.json")
DIGIT_ITEMS = [0, 7, 40, 123, 999, 5_000, 77_777, 368_999]  # test-split triplets
AVATAR_ITEMS = [0, 1, 2, 3, 4, 5]  # test-split items, rendered directly (no cache)
SEEDS = [0, 3]


def _api():
    """The package objects the golden run needs (the one import site)."""
    from imi.domains.avatars.dataset import edit_at, sentence_at
    from imi.domains.avatars.judge import load_avatar_recognizer
    from imi.domains.digits.dataset import DigitBenchmark
    from imi.domains.digits.judge import load_recognizer
    from imi.pipelines.edit import Editor

    return Editor, DigitBenchmark, edit_at, sentence_at, load_recognizer, load_avatar_recognizer


def _sha(t: torch.Tensor | np.ndarray) -> str:
    a = t.numpy() if isinstance(t, torch.Tensor) else t
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:32]


def digit_inputs():
    """uint8 ``(10, 1, 64, 64)`` sources and their instructions: 8 test triplets, then two
    noise images (where two models that both solve every triplet still differ)."""
    _, bench, *_ = _api()
    b = bench().split("test").batch(DIGIT_ITEMS)
    noise = torch.randint(0, 256, (2, 1, 64, 64), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    return torch.cat([b.source, noise]), [*b.instructions(), "move zero to the left", "expand zero to the top"]


def avatar_inputs():
    """uint8 ``(6, 3, 64, 64)`` sources, seen + held-out sentences (one of each per item)."""
    _, _, edit_at, sentence_at, *_ = _api()
    sources, texts = [], []
    for i in AVATAR_ITEMS:
        edit, _, source, _ = edit_at(0, "test", i)
        sources.append(torch.from_numpy(source).permute(2, 0, 1))
        texts.append(sentence_at(0, "test", i, edit, "seen" if i % 2 == 0 else "heldout")[0])
    return torch.stack(sources), texts


def compute() -> dict:
    editor_cls, *_, load_recognizer, load_avatar_recognizer = _api()
    doc: dict = {"inputs": {}, "edits": {}, "judges": {}}
    inputs = {"digits": digit_inputs(), "avatars": avatar_inputs()}
    for domain, (source, texts) in inputs.items():
        doc["inputs"][domain] = {"source": _sha(source), "instructions": texts}
    checkpoints = {"digits": "digits", "digits-1k": "digits", "avatars": "avatars", "avatars-cosine-5k": "avatars"}
    for name, domain in checkpoints.items():
        editor = editor_cls.from_pretrained(name)
        source, texts = inputs[domain]
        # Each source with its own instruction, then with its neighbour's: a harder edit that tells
        # two good models apart where both get the easy one exactly right.
        tokens, lengths = editor.tokenizer.batch(texts + texts[1:] + texts[:1])
        both = source.repeat(2, 1, 1, 1)
        doc["edits"][name] = {
            str(s): [_sha(out) for out in editor.edit_tensors(both, tokens, lengths, seed=s)] for s in SEEDS
        }
        change = editor.change_map(both, tokens, lengths)
        doc["edits"][name]["change_map"] = None if change is None else _sha(change)
    digits_src = inputs["digits"][0]
    reading = load_recognizer().read(digits_src)
    doc["judges"]["digits"] = {"labels": reading.labels.tolist()}
    doc["judges"]["avatars"] = {"labels": load_avatar_recognizer().read(inputs["avatars"][0]).tolist()}
    return doc


if __name__ == "__main__":
    FILE.write_text(json.dumps(compute(), indent=1) + "\n")
    print(f"wrote {FILE}")
