"""The instruction reader: what an edit is understood as, and "did not understand" (issue 22)."""

import json
from pathlib import Path

import numpy as np
import pytest

from imi.core.checkpoint import CheckpointError
from imi.core.errors import NotUnderstoodError
from imi.core.sentences import SentenceTokenizer
from imi.domains.digits.config import DigitDataConfig
from imi.domains.digits.dataset import DigitBenchmark, digit_tokenizer
from imi.domains.digits.meaning import MEANING
from imi.tasks.edit.negatives import content_words, negative_sentences
from imi.tasks.edit.understand import READER_WEIGHTS, InstructionReader, train_reader

OUT_OF_DOMAIN = json.loads((Path(__file__).parent / "data" / "out_of_domain.json").read_text())


@pytest.fixture(scope="module")
def digit_reader(tmp_path_factory):
    bench = DigitBenchmark(DigitDataConfig(train_phrasing="varied", train_per_class=20, test_per_class=5))
    reader, facts = train_reader(MEANING, bench, SentenceTokenizer(digit_tokenizer()))
    folder = tmp_path_factory.mktemp("reader")
    reader.save(folder, facts)
    return reader, facts, folder


def _read(reader, texts):
    return reader.read(SentenceTokenizer(digit_tokenizer()).batch(texts)[0], MEANING.describe)


def test_the_refusal_set_has_enough_items_and_shares_no_word_with_the_negatives():
    negatives = content_words(negative_sentences(limit=10**6))
    for domain in ("avatars", "digits"):
        assert len(OUT_OF_DOMAIN[domain]) >= 50
        assert not negatives & content_words(OUT_OF_DOMAIN[domain])


def test_the_reader_names_the_change_and_is_calibrated(digit_reader):
    reader, facts, _ = digit_reader
    assert min(facts["dev_seen_accuracy"].values()) > 0.99
    assert facts["dev_refused"] < 0.02
    move, put = _read(reader, ["move the three to the top left", "put 7 on the middle"])
    assert move.understood and move.slots == {"action": "move", "digit": "three", "place": "top left"}
    assert str(move).startswith("move three → top left (") and put.summary == "put seven → middle"


def test_the_reader_refuses_what_digits_cannot_do(digit_reader):
    readings = _read(digit_reader[0], OUT_OF_DOMAIN["digits"])
    refused = np.mean([not r.understood for r in readings])
    assert refused >= 0.9, [t for t, r in zip(OUT_OF_DOMAIN["digits"], readings, strict=True) if r.understood]
    assert str(readings[0]) == "did not understand"


def test_a_saved_reader_loads_and_a_damaged_one_is_refused(digit_reader, tmp_path):
    reader, _, folder = digit_reader
    loaded = InstructionReader.load(folder)
    texts = ["erase the seven", "order me a pizza"]
    assert [r.slots for r in _read(loaded, texts)] == [r.slots for r in _read(reader, texts)]
    assert InstructionReader.load(tmp_path) is None  # none saved there
    for name in ("reader.json", READER_WEIGHTS):
        (tmp_path / name).write_bytes((folder / name).read_bytes())
    (tmp_path / READER_WEIGHTS).write_bytes(b"not safetensors")
    with pytest.raises(CheckpointError, match="damaged instruction reader"):
        InstructionReader.load(tmp_path)


@pytest.fixture(scope="module")
def minilm_run(tmp_path_factory) -> Path:
    """A sentence-encoder digit model trained for a few steps; training gives it its reader."""
    from imi.presets import resolve
    from imi.training.loop import Trainer

    overrides = {
        **{"train.max_steps": "20", "train.threads": "1", "train.checkpoint_every": "1000"},
        **{"train.sample_every": "1000", "data.train_per_class": "20", "data.test_per_class": "5"},
    }
    run = tmp_path_factory.mktemp("minilm") / "run"
    Trainer(resolve("digits-minilm", overrides), run).fit()
    return run


def test_the_editor_refuses_and_the_session_keeps_its_history(minilm_run):
    """A sentence-encoder checkpoint with a reader: edit() and a session refuse "turn him into a cat"."""
    from imi import Editor
    from imi.pipelines.session import EditSession

    editor = Editor.from_pretrained(minilm_run)
    assert editor.reader is not None and editor.understand("slide the 3 rightward").slots["digit"] == "three"
    image = np.zeros((64, 64), np.uint8)
    with pytest.raises(NotUnderstoodError, match="did not understand 'turn him into a cat'") as caught:
        editor.edit(image, "turn him into a cat")
    assert not caught.value.reading.understood
    session = EditSession(editor, image)
    with pytest.raises(NotUnderstoodError):
        session.apply("order me a pizza")
    assert len(session.history) == 1 and session.cursor == 0


def test_the_cli_says_what_it_understood_and_refuses(minilm_run, tmp_path):
    from typer.testing import CliRunner

    from imi.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["understand", str(minilm_run), "erase the 7"])
    assert ok.exit_code == 0 and "understood as remove seven" in ok.output
    no = runner.invoke(app, ["understand", str(minilm_run), "erase the 7", "order me a pizza"])
    assert no.exit_code == 1 and "'order me a pizza': did not understand" in no.output
    image = tmp_path / "in.png"
    from PIL import Image

    Image.fromarray(np.zeros((64, 64), np.uint8)).save(image)
    out = tmp_path / "out.png"
    refused = runner.invoke(
        app, ["edit", str(minilm_run), "turn him into a cat", "--image", str(image), "--out", str(out)]
    )
    assert refused.exit_code != 0 and "did not understand" in refused.output and not out.exists()
