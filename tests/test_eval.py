import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from imi.domains.digits.dataset import DigitBenchmark
from imi.domains.digits.harness import (
    CANDIDATE_TRUE,
    CANDIDATE_VALID,
    CANDIDATES,
    EMPTY,
    evaluate,
    retrieval_rank,
    scene_index,
)
from imi.domains.digits.judge import BOXES, Reading, all_scenes, scene_labels
from imi.domains.digits.metrics import box_mask, preservation
from imi.domains.digits.render import render_batch
from imi.domains.digits.scenes import RULES

from .conftest import tiny_config


class OracleRecognizer:
    """Reads any exact render of a pool's scenes perfectly; features are one-hot scene ids."""

    def __init__(self, pool):
        images, labels = all_scenes(pool)
        self.table = {
            im.numpy().tobytes(): (lab, i % (EMPTY + 1)) for i, (im, lab) in enumerate(zip(images, labels, strict=True))
        }

    def read(self, images):
        labels, feats = [], []
        for im in images:
            lab, scene = self.table.get(im.numpy().tobytes(), (torch.tensor([0, 0, 0, 0, 0]), 0))
            labels.append(lab)
            feats.append(torch.nn.functional.one_hot(torch.tensor(scene), EMPTY + 1).float())
        return Reading(torch.stack(labels), torch.stack(feats))


@pytest.fixture(scope="module")
def tiny_test_split():
    return DigitBenchmark(tiny_config().data).split("test")


def _swapped_targets(split, batch):
    """Each item's edit lands on another valid target of its source (the wrong one)."""
    rules = batch.triplet
    other = (CANDIDATE_TRUE[rules] + 1) % CANDIDATE_VALID[rules].sum(1)
    scene = CANDIDATES[rules, other]
    labels = scene_labels(torch.from_numpy(split.pool.labels)[batch.glyph], scene)
    glyphs = torch.from_numpy(split.pool.images)[batch.glyph]
    return render_batch(glyphs, labels).unsqueeze(1)


def test_candidates_hold_every_target_once():
    for r, rule in enumerate(RULES):
        cands = CANDIDATES[r][CANDIDATE_VALID[r]].tolist()
        assert len(set(cands)) == len(cands)
        assert cands[CANDIDATE_TRUE[r]] == scene_index(rule.target)
    assert CANDIDATE_VALID[0].sum() == 9  # the empty canvas: the nine puts


def test_oracle_edit_scores_perfectly_and_copy_source_is_the_baseline(tiny_test_split):
    split = tiny_test_split
    oracle = OracleRecognizer(split.pool)
    items = np.arange(0, len(split), 3)
    result = evaluate({"oracle": lambda b, s: b.target}, split, oracle, items, batch_size=200, progress=False)
    model = result.models["oracle"]["all"]
    assert model["ssim_mean"] == 1.0 and model["edit_acc"] == 1.0 and model["rs1"] == 1.0
    assert model["n"] == len(items) and sum(model["ssim_hist"]) == len(items)
    # Outside the changed region a perfect edit is the source.
    assert model["preservation"] == pytest.approx(1.0)
    base = result.copy_source["all"]
    assert 0.5 < base["ssim_mean"] < 0.9 and base["edit_acc"] == 0.0 and base["preservation"] == 1.0
    assert sum(result.models["oracle"][a]["n"] for a in ("put", "remove", "move", "expand", "compress")) == len(items)


def test_swapped_targets_never_retrieve_first_and_models_in_one_pass_stay_apart(tiny_test_split):
    split = tiny_test_split
    oracle = OracleRecognizer(split.pool)
    items = np.arange(0, len(split), 5)
    edits = {"swapped": lambda b, s: _swapped_targets(split, b), "perfect": lambda b, s: b.target}
    result = evaluate(edits, split, oracle, items, batch_size=100, progress=False)
    moved, perfect = result.models["swapped"]["all"], result.models["perfect"]["all"]
    assert moved["rs1"] == 0.0 and moved["edit_acc"] == 0.0
    assert perfect["rs1"] == 1.0 and perfect["edit_acc"] == 1.0
    assert set(result.examples["generated"]) == set(edits)
    assert all(len(v) == len(result.examples["source"]) > 0 for v in result.examples["generated"].values())


def test_retrieval_ties_count_against_the_query():
    feats = torch.nn.functional.normalize(torch.ones(1, EMPTY + 1, 4), dim=-1)
    rank = retrieval_rank(feats[:, 0], feats, torch.tensor([0]))
    assert rank.item() == 8  # all nine candidates tie: the true one is ranked last


def test_box_mask_and_preservation_on_known_cases():
    labels = torch.tensor([[3, 0, 0, 1, 1], [10, 0, 0, 0, 0], [3, 0, 0, 3, 3]])
    mask = box_mask(labels, 6)
    assert mask[0].sum() == 4 and mask[0, :2, :2].all()  # one cell of a 3×3 grid on 6 px
    assert not mask[1].any() and mask[2].all()
    grown = box_mask(labels, 6, grow=1)
    assert grown[0].sum() == 9 and grown[0, :3, :3].all()  # dilation by one pixel, clipped at the edge
    source = torch.zeros(3, 1, 64, 64, dtype=torch.uint8)
    noisy = source.clone()
    noisy[:, :, :21, :21] = 200  # a change inside the first cell only
    kept = preservation(noisy, source, labels, labels)
    assert kept[0] == 1.0  # everything outside the changed cell is untouched
    assert kept[1] < 1.0  # nothing was supposed to change
    assert torch.isnan(kept[2])  # the whole canvas changed: nothing to preserve


def test_scene_labels_round_trip():
    labels = scene_labels(torch.tensor([4, 4]), torch.tensor([5, EMPTY]))
    assert labels[0, 1:].tolist() == BOXES[5].tolist() and labels[1].tolist() == [10, 0, 0, 0, 0]


def _imi(*args):
    return subprocess.run([sys.executable, "-m", "imi", *args], capture_output=True, text=True)


def test_imi_eval_and_analyze_end_to_end(tiny_run, tmp_path):
    out = tmp_path / "eval"
    done = _imi("eval", str(tiny_run), "--limit", "400", "--out", str(out), "--batch-size", "128")
    assert done.returncode == 0, done.stderr
    doc = json.loads((out / "metrics.json").read_text())
    assert doc["items"] == 400 and doc["model"]["all"]["n"] == 400 and doc["copy_source"]["all"]["n"] == 400
    assert set(doc["model"]) == {"all", "put", "remove", "move", "expand", "compress"}
    assert (out / "ssim_hist.png").stat().st_size > 0 and (out / "examples.png").stat().st_size > 0
    assert "copy-source" in done.stdout

    done = _imi("analyze", str(tiny_run), "--out", str(tmp_path / "an"))
    assert done.returncode == 0, done.stderr
    doc = json.loads((tmp_path / "an" / "analysis.json").read_text())
    assert doc["selection"]["best_step"] == 10  # the tiny run validated once, at its last step
    assert -1 <= doc["findings"]["cos_expand_vs_compress"] <= 1
    for name in ("fig7.png", "fig8.png", "fig9.png", "curves.png"):
        assert (tmp_path / "an" / name).stat().st_size > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eval", "copy-source", "--split", "val"], "unknown split"),
        (["eval", "copy-source", "--limit", "0"], "--limit must be"),
        (["eval", "no-such-checkpoint", "--limit", "5"], "neither a folder nor a shipped checkpoint"),
        (["analyze", "no-such-checkpoint"], "neither a folder nor a shipped checkpoint"),
    ],
)
def test_bad_eval_input_is_one_clear_line(args, message):
    done = _imi(*args)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
