"""The inference object and `imi edit`, on a tiny checkpoint trained by the tests."""

import json

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from imi import Editor
from imi.cli import app
from imi.core.checkpoint import CheckpointError
from imi.core.errors import UnknownWordError
from imi.core.images import ImageInputError, to_pil
from imi.domains.digits.dataset import DigitBenchmark
from imi.registry import load_pretrained
from imi.training.loop import Trainer

from .conftest import tiny_config


@pytest.fixture(scope="module")
def editor():
    return Editor.from_pretrained("digits")  # it really edits: a step that changes nothing is refused


@pytest.fixture(scope="module")
def digit_image():
    b = DigitBenchmark().split("test").batch([40])
    return b.source[0, 0].numpy()  # uint8 64×64


def test_save_load_same_output(tmp_path):
    trainer = Trainer(tiny_config(**{"train.max_steps": "3"}), tmp_path / "run")
    trainer.fit()
    b = trainer.dev_set.batch(np.arange(6))
    trainer.model.eval()
    live = trainer.pipeline.edit_tensors(b.source, b.tokens, b.lengths, seed=3)
    loaded = Editor.from_pretrained(tmp_path / "run").edit_tensors(b.source, b.tokens, b.lengths, seed=3)
    assert torch.equal(live, loaded)
    model, _, _ = load_pretrained(tmp_path / "run")
    assert not model.training


def test_edit_accepts_every_input_kind(editor, digit_image, tmp_path):
    path = tmp_path / "in.png"
    Image.fromarray(digit_image).save(path)
    rgb = np.repeat(digit_image[:, :, None], 3, axis=2)
    outs = [
        editor.edit(x, "move one to the right", seed=1)
        for x in (Image.fromarray(digit_image), digit_image, rgb, path, str(path))
    ]
    for out in outs:
        assert isinstance(out, Image.Image) and out.size == (64, 64) and out.mode == "L"
    first = np.asarray(outs[0])
    assert all(np.array_equal(first, np.asarray(o)) for o in outs[1:])  # same pixels, same result


def test_seed_and_batch(editor, digit_image):
    a = editor.edit(digit_image, "remove one", seed=0)
    b = editor.edit(digit_image, "remove one", seed=0)
    assert np.array_equal(np.asarray(a), np.asarray(b))
    batch = editor.edit([digit_image, digit_image], ["remove one", "move one to the top"], seed=0)
    assert len(batch) == 2 and np.array_equal(np.asarray(batch[0]), np.asarray(a))
    assert isinstance(editor.edit(digit_image, "", seed=0), Image.Image)  # empty = no change requested


def test_wrong_size_is_resized(editor, digit_image):
    big = Image.fromarray(digit_image).resize((84, 84), Image.BILINEAR)
    assert editor.edit(big, "remove one").size == (64, 64)


def test_bad_inputs(editor, digit_image, tmp_path):
    with pytest.raises(UnknownWordError, match="'lefft'"):
        editor.edit(digit_image, "move one to the lefft")
    with pytest.raises(ImageInputError, match=r"float pictures must lie in \[0, 1\]"):
        editor.edit(digit_image.astype(np.float32), "remove one")
    with pytest.raises(ImageInputError, match="H×W"):
        editor.edit(np.zeros((2, 3, 4, 5), np.uint8), "remove one")
    (tmp_path / "junk.png").write_bytes(b"not a png")
    with pytest.raises(ImageInputError, match="not a readable image"):
        editor.edit(tmp_path / "junk.png", "remove one")
    with pytest.raises(ImageInputError, match="no such image"):
        editor.edit(tmp_path / "missing.png", "remove one")
    with pytest.raises(ValueError, match="2 images but 1 instructions"):
        editor.edit([digit_image, digit_image], ["remove one"])


def test_bad_checkpoints(tmp_path, tiny_run):
    with pytest.raises(CheckpointError, match="neither a folder nor a shipped checkpoint"):
        Editor.from_pretrained("no-such-model")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "config.json").write_text(json.dumps({"architectures": ["BertModel"]}))
    with pytest.raises(CheckpointError, match="not an IMI checkpoint"):
        Editor.from_pretrained(foreign)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((tiny_run / "config.json").read_text())
    (broken / "model.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(CheckpointError, match="unreadable safetensors"):
        Editor.from_pretrained(broken)
    (broken / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match=r"no model\.safetensors"):
        Editor.from_pretrained(broken)


def test_cli_edit_chain_and_strip(tiny_run, digit_image, tmp_path):
    src = tmp_path / "in.png"
    Image.fromarray(digit_image).convert("RGB").resize((100, 100)).save(src)  # wrong mode and size on purpose
    out, strip, gif = tmp_path / "out.png", tmp_path / "strip.png", tmp_path / "seq.gif"
    result = CliRunner().invoke(
        app,
        [
            "edit",
            "digits",
            "--image",
            str(src),
            "move one to the right",
            "remove one",
            "--out",
            str(out),
            "--strip",
            str(strip),
            "--gif",
            str(gif),
        ],
    )
    assert result.exit_code == 0, result.output
    assert Image.open(out).size == (64, 64)
    assert Image.open(strip).width > 3 * 128  # input + two edits, scaled ×2
    assert Image.open(gif).n_frames == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["edit", "nowhere", "--image", "x.png", "remove one", "--out", "o.png"], "neither a folder"),
        (["edit", "{run}", "--image", "missing.png", "remove one", "--out", "o.png"], "no such image"),
        (["edit", "{run}", "--image", "{img}", "remove the cat", "--out", "o.png"], "unknown word"),
        (["train", "--model.ch", "-2", "--dry-run"], "model.ch"),
        (["train", "--preset", "digits-huge", "--dry-run"], "unknown preset"),
        (["train", "--resume", "{tmp}"], "no config.json"),
    ],
)
def test_cli_errors_are_one_line(args, message, tiny_run, tmp_path, digit_image):
    img = tmp_path / "d.png"
    to_pil(torch.from_numpy(digit_image)[None]).save(img)
    args = [a.format(run=tiny_run, img=img, tmp=tmp_path) for a in args]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and message in result.output


def test_dry_run_prints_the_resolved_config():
    result = CliRunner().invoke(app, ["train", "--preset", "digits-paper", "--train.lr", "1e-4", "--dry-run"])
    assert result.exit_code == 0, result.output
    config = json.loads(result.output)
    assert config["train"]["lr"] == 1e-4 and config["model"]["d_im"] == 1024
