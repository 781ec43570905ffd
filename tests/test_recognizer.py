import json
import subprocess
import sys

import pytest
import torch

from imi.domains.digits.dataset import DigitBenchmark
from imi.domains.digits.judge import (
    GATE,
    HEADS,
    Recognizer,
    RecognizerConfig,
    RecognizerError,
    load_recognizer,
    measure,
    passes_gate,
    recognizer_loss,
    save_recognizer,
    train_recognizer,
    training_batch,
)


@pytest.fixture(scope="module")
def bench():
    return DigitBenchmark()


def test_training_lowers_the_loss_on_a_fixed_batch(bench):
    pool = bench.train_pool.subset(torch.arange(40).numpy())
    fixed = training_batch(pool, 64, 0.0, torch.Generator().manual_seed(1))
    config = RecognizerConfig(width=8, steps=80, batch_size=32, seed=0, lr=3e-3)
    torch.manual_seed(0)
    untrained = Recognizer(config).eval()
    trained = train_recognizer(config, pool, progress=False)
    with torch.no_grad():
        before = recognizer_loss(untrained, *fixed).item()
        after = recognizer_loss(trained, *fixed).item()
    assert after < 0.7 * before, (before, after)


def test_the_shipped_recogniser_passes_the_gate_it_records(bench):
    judge = load_recognizer()  # raises if the recorded accuracies miss the gate
    measured = measure(judge, bench.test_pool)  # all 37 scenes of every held-out glyph
    assert passes_gate(measured)
    for head in (*HEADS, "scene"):
        assert measured[head] == pytest.approx(judge.accuracy[head], abs=1e-6), head


def test_a_recogniser_below_the_gate_may_not_judge(tmp_path):
    weak = Recognizer(RecognizerConfig(width=8))
    weak.accuracy = {head: 0.999 for head in HEADS} | {"digit": GATE - 0.001}
    save_recognizer(tmp_path / "weak", weak, {})
    with pytest.raises(RecognizerError, match=r"below the 99\.5% accuracy gate .*digit"):
        load_recognizer(tmp_path / "weak")
    weak.accuracy["digit"] = GATE
    save_recognizer(tmp_path / "ok", weak, {})
    assert isinstance(load_recognizer(tmp_path / "ok"), Recognizer)


def test_missing_and_damaged_recognisers_are_clear_errors(tmp_path):
    with pytest.raises(RecognizerError, match="no recogniser here"):
        load_recognizer(tmp_path / "nothing")
    folder = tmp_path / "damaged"
    save_recognizer(folder, Recognizer(RecognizerConfig(width=8)), {})
    (folder / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(RecognizerError, match="damaged"):
        load_recognizer(folder)
    (folder / "config.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(RecognizerError, match="not an IMI recogniser"):
        load_recognizer(folder)


def test_wrong_image_shapes_are_refused():
    with pytest.raises(RecognizerError, match=r"\(B, 1, 64, 64\)"):
        Recognizer().read(torch.zeros(2, 3, 64, 64, dtype=torch.uint8))


def test_cli_refuses_to_save_a_recogniser_that_misses_the_gate(tmp_path):
    out = tmp_path / "judge"
    done = subprocess.run(
        [sys.executable, "-m", "imi", "recognizer", "train", "--out", str(out), "--steps", "3", "--width", "8"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "missed the 99.5% gate" in done.stderr and not out.exists()
