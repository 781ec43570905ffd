"""Avatar judge (gate enforced in code) and the avatar evaluation harness."""

import json

import numpy as np
import pytest
import torch

from imi.core.errors import RecognizerError
from imi.domains.avatars import judge as ar
from imi.domains.avatars.attributes import NAMES
from imi.domains.avatars.config import AvatarDataConfig
from imi.domains.avatars.dataset import AvatarBenchmark
from imi.domains.avatars.metrics import evaluate_avatars, judge_edit, mask_preservation


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    config = AvatarDataConfig(
        train_triplets=8, dev_triplets=8, test_triplets=24, unlabeled=8, cache_dir=str(tmp_path_factory.mktemp("c"))
    )
    return AvatarBenchmark(config, build=True)


class LookupJudge:
    """A perfect judge for pictures it has seen: the record of each exact render."""

    def __init__(self, split):
        b = split.batch(np.arange(len(split)))
        self.table = {}
        for images, attrs in ((b.source, b.source_attrs), (b.target, b.target_attrs)):
            for im, rec in zip(images, attrs, strict=True):
                self.table[im.numpy().tobytes()] = rec

    def read(self, images):
        blank = torch.full((len(NAMES),), -1)
        return torch.stack([self.table.get(im.numpy().tobytes(), blank) for im in images])


def test_judge_edit_separates_the_edit_from_everything_else():
    source = torch.tensor([[0, 1, 2], [0, 1, 2]])
    target = torch.tensor([[0, 5, 2], [0, 5, 2]])
    read = torch.tensor([[0, 5, 2], [3, 1, 2]])  # right edit / no edit and a side effect
    edit_ok, consistent = judge_edit(read, source, target)
    assert edit_ok.tolist() == [True, False] and consistent.tolist() == [True, False]


def test_preservation_ignores_only_windows_that_touch_the_change():
    source = torch.full((1, 3, 64, 64), 100, dtype=torch.uint8)
    change = torch.zeros(1, 1, 64, 64, dtype=torch.bool)
    change[:, :, 20:30, 20:30] = True
    inside = source.clone()
    inside[:, :, 22:28, 22:28] = 255  # damage inside the change: not counted
    assert mask_preservation(inside, source, change).item() == pytest.approx(1.0)
    outside = source.clone()
    outside[:, :, 50:60, 50:60] = 0  # damage outside it: counted
    assert mask_preservation(outside, source, change).item() < 0.97  # 16×16 of 58×58 windows see it
    assert torch.isnan(mask_preservation(source, source, torch.ones_like(change)))[0]


def test_harness_scores_the_references_exactly(bench):
    split = bench.split("test")
    judge = LookupJudge(split)
    result = evaluate_avatars({"copy": lambda b, seed: b.source.clone()}, bench, judge, batch_size=10)
    for phrasing in ("seen", "heldout"):
        target = result.references["target"][phrasing]["all"]
        assert target["edit_acc"] == 1.0 and target["consistency"] == 1.0 and target["ssim_mean"] == 1.0
        copy = result.models["copy"][phrasing]["all"]
        assert copy["edit_acc"] == 0.0 and copy["consistency"] == 1.0 and copy["preservation"] == 1.0
        assert copy == result.references["copy-source"][phrasing]["all"]
        assert sum(result.models["copy"][phrasing][n]["n"] for n in NAMES) == 24
    assert result.unknown["seen"][0] == 0 and result.unknown["heldout"][0] > 0


def test_the_gate_is_enforced_when_saving_and_loading(tmp_path):
    model = ar.AvatarRecognizer(ar.AvatarRecognizerConfig(width=4))
    model.accuracy = {n: 0.99 for n in NAMES} | {"nose": 0.97}
    with pytest.raises(RecognizerError, match=r"nose: 97\.00%"):
        ar.save_avatar_recognizer(tmp_path / "weak", model, {})
    assert not (tmp_path / "weak").exists()
    model.accuracy["nose"] = 0.985
    ar.save_avatar_recognizer(tmp_path / "ok", model, {"command": "test"})
    assert ar.load_avatar_recognizer(tmp_path / "ok").accuracy["nose"] == 0.985
    doc = json.loads((tmp_path / "ok" / "config.json").read_text())
    doc["accuracy"]["eyes"] = 0.5  # a hand-edited file cannot sneak past the gate
    (tmp_path / "ok" / "config.json").write_text(json.dumps(doc))
    with pytest.raises(RecognizerError, match="eyes"):
        ar.load_avatar_recognizer(tmp_path / "ok")
    doc["accuracy"]["eyes"] = 0.99
    doc["attributes"]["eyes"] = ["open"]
    (tmp_path / "ok" / "config.json").write_text(json.dumps(doc))
    with pytest.raises(RecognizerError, match="attribute catalogue"):
        ar.load_avatar_recognizer(tmp_path / "ok")
    with pytest.raises(RecognizerError, match="train-avatars"):
        ar.load_avatar_recognizer(tmp_path / "missing")
    with pytest.raises(RecognizerError, match=r"\(B, 3, 64, 64\)"):
        model.read(torch.zeros(2, 1, 64, 64, dtype=torch.uint8))


def test_a_short_training_run_learns_to_read_avatars(tmp_path):
    config = ar.AvatarRecognizerConfig(width=8, avatars=512, held_out=256, steps=120, batch_size=64, threads=1)
    model = ar.train_avatar_recognizer(config, cache_dir=str(tmp_path), progress=False)
    # chance is 1/6 for the background; a colour filling most of the picture is learnt first
    assert model.accuracy["background"] > 0.9 and model.accuracy["images"] == 256


def test_vector_findings_separate_attributes_and_score_held_out_retrieval():
    from imi.domains.avatars.analyze import findings

    rng = np.random.default_rng(0)
    attribute = np.repeat(np.arange(4), 5)
    centres = rng.normal(size=(4, 16)) * 5
    seen = centres[attribute] + rng.normal(size=(20, 16)) * 0.1
    f = findings(seen, seen + rng.normal(size=(20, 16)) * 0.1, attribute)
    assert f["cos_same_attribute"] > 0.95 and f["cos_other_attribute"] < f["cos_same_attribute"] - 0.2
    assert f["heldout_nearest_same_attribute"] == 1.0 and f["nearest_chance"] == pytest.approx(4 / 19)
    scrambled = findings(seen, rng.normal(size=(20, 16)), attribute)  # held-out vectors that mean nothing
    assert scrambled["heldout_nearest_same_attribute"] < 0.6 and scrambled["cos_seen_vs_heldout_same_edit"] < 0.5
