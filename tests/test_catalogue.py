"""The bad-input catalogue (issue 19): one case per line, over the Python API, the CLI, the web app
and the study server. Every case must end in one clear line naming the problem: a typed
:mod:`imi.errors` exception from the API, exit status 2 and one ``error:`` line from the CLI, a
"Not done" status in the web pages, which then keep answering. No traceback, no silent result.
"""

import json
import shutil
import sqlite3
import struct
import zlib

import numpy as np
import pytest
from PIL import Image
from safetensors.torch import load_file, save_file
from typer.testing import CliRunner

from imi import Editor, EditSession
from imi import errors as E
from imi.cli import app
from imi.presets import resolve
from imi.training.loop import Trainer

from .conftest import tiny_config
from .test_app import client, server  # noqa: F401  (the demo server fixture)

gradio_client = pytest.importorskip("gradio_client")
DIGIT = np.zeros((64, 64), np.uint8)
DIGIT[20:44, 28:36] = 255


def _png_header(side: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    head = chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + head + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def files(tiny_run, tmp_path_factory):
    """Bad files, made once: broken checkpoints, a bomb, a foreign database, a used run folder."""
    root = tmp_path_factory.mktemp("catalogue")

    def checkpoint(name, edit_doc=None, edit_weights=None):
        folder = root / name
        shutil.copytree(tiny_run, folder, ignore=shutil.ignore_patterns("train_state*", "best", "samples"))
        if edit_doc:
            doc = json.loads((folder / "config.json").read_text())
            edit_doc(doc)
            (folder / "config.json").write_text(json.dumps(doc))
        if edit_weights:
            weights = load_file(str(folder / "model.safetensors"))
            edit_weights(weights)
            save_file(weights, str(folder / "model.safetensors"))
        return folder

    def nan_first(w):
        k = next(k for k, v in w.items() if v.is_floating_point())
        w[k] = w[k].clone().fill_(float("nan"))

    out = {
        "nan": checkpoint("nan", edit_weights=nan_first),
        "step": checkpoint("step", lambda d: d.update(step="abc")),
        "no-pad": checkpoint("no-pad", lambda d: d.update(vocab=d["vocab"][1:])),
        "big-vocab": checkpoint("big-vocab", lambda d: d.update(vocab=[*d["vocab"], "extra"])),
        "foreign-config": checkpoint("foreign-config", lambda d: d.update(format="something-else")),
        "bomb": root / "bomb.png",
        "junk": root / "junk.png",
        "foreign-db": root / "foreign.db",
        "used-run": tiny_run,
        "float-tiff": root / "float.tiff",
    }
    out["bomb"].write_bytes(_png_header(100_000))
    out["junk"].write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    Image.fromarray(np.full((8, 8), 3.0, np.float32)).save(out["float-tiff"])
    db = sqlite3.connect(out["foreign-db"])
    db.execute("CREATE TABLE notes (x TEXT)")
    db.commit()
    db.close()
    return out


# (id, error type, message fragment, action(files, digits, avatars))
API = [
    ("unknown checkpoint", E.CheckpointError, "neither a folder", lambda f, d, a: Editor.from_pretrained("nope")),
    (
        "foreign config",
        E.CheckpointError,
        "not an IMI checkpoint",
        lambda f, d, a: Editor.from_pretrained(f["foreign-config"]),
    ),
    ("NaN weights", E.CheckpointError, "NaN or infinite", lambda f, d, a: Editor.from_pretrained(f["nan"])),
    (
        "step not a number",
        E.CheckpointError,
        "step must be a whole number",
        lambda f, d, a: Editor.from_pretrained(f["step"]),
    ),
    ("vocab without <pad>", E.CheckpointError, "<pad>", lambda f, d, a: Editor.from_pretrained(f["no-pad"])),
    ("vocab too large", E.CheckpointError, "vocab_size", lambda f, d, a: Editor.from_pretrained(f["big-vocab"])),
    ("instruction 123", E.InstructionError, "must be a string", lambda f, d, a: d.edit(DIGIT, 123)),
    ("instruction None", E.InstructionError, "must be a string", lambda f, d, a: d.edit(DIGIT, None)),
    ("empty batch", E.InstructionError, "empty batch", lambda f, d, a: d.edit([], [])),
    ("seed 2**70", E.ImiError, "seed must be", lambda f, d, a: d.edit(DIGIT, "remove zero", seed=2**70)),
    ("mismatched batch", E.InstructionError, "2 images but 1", lambda f, d, a: d.edit([DIGIT, DIGIT], ["remove zero"])),
    ("Chinese, digits", E.UnknownWordError, "unknown word", lambda f, d, a: d.edit(DIGIT, "把零向右移动")),
    (
        "Chinese, avatars",
        E.UnknownWordError,
        "none of the words",
        lambda f, d, a: a.edit(np.zeros((64, 64, 3), np.uint8), "把零向右移动"),
    ),
    ("punctuation only", E.EmptyInstructionError, "has no words", lambda f, d, a: d.edit(DIGIT, "!!! ???")),
    ("zéro", E.UnknownWordError, "did you mean zero", lambda f, d, a: d.edit(DIGIT, "move zéro to the left")),
    ("10,000-char word", E.UnknownWordError, "…", lambda f, d, a: d.edit(DIGIT, "x" * 10_000)),
    ("float 0-255 array", E.ImageInputError, "[0, 1]", lambda f, d, a: d.edit(DIGIT.astype(np.float32), "remove zero")),
    ("float file out of range", E.ImageInputError, "[0, 1]", lambda f, d, a: d.edit(f["float-tiff"], "remove zero")),
    ("PNG bomb header", E.ImageInputError, "at most 4096", lambda f, d, a: d.edit(f["bomb"], "remove zero")),
    ("junk PNG", E.ImageInputError, "not a readable image", lambda f, d, a: d.edit(f["junk"], "remove zero")),
    ("5-D array", E.ImageInputError, "H×W", lambda f, d, a: d.edit(np.zeros((2, 2, 2, 2, 2), np.uint8), "remove zero")),
    ("session: empty", E.EmptyInstructionError, "empty", lambda f, d, a: EditSession(d, DIGIT).apply("   ")),
    ("unknown preset", E.ConfigError, "unknown preset", lambda f, d, a: resolve("nope")),
    ("lr inf", E.ConfigError, "finite", lambda f, d, a: resolve("digits-small", {"train.lr": "inf"})),
    ("lambda nan", E.ConfigError, "finite", lambda f, d, a: resolve("digits-small", {"train.lambda_f": "nan"})),
    ("used run folder", E.ConfigError, "already holds a run", lambda f, d, a: Trainer(tiny_config(), f["used-run"])),
    (
        "image size mismatch",
        E.ConfigError,
        "set both sizes alike",
        lambda f, d, a: Trainer(tiny_config(**{"model.image_size": "32"}), f["used-run"].parent / "size"),
    ),
    (
        "foreign SQLite",
        E.StudyError,
        "not an IMI study",
        lambda f, d, a: __import__("imi.study").study.StudyStore(f["foreign-db"]),
    ),
]


@pytest.mark.parametrize(("kind", "fragment", "action"), [c[1:] for c in API], ids=[c[0] for c in API])
def test_api(files, digits, avatars, kind, fragment, action):
    with pytest.raises(kind) as err:
        action(files, digits, avatars)
    assert isinstance(err.value, E.ImiError)
    message = str(err.value)
    assert fragment in message and "\n" not in message and len(message) < 600, message


CLI = [
    (
        "edit: unknown checkpoint",
        ["edit", "nope", "remove zero", "--image", "{junk}", "--out", "{tmp}/o.png"],
        "neither a folder",
    ),
    ("edit: bomb", ["edit", "digits", "remove zero", "--image", "{bomb}", "--out", "{tmp}/o.png"], "at most 4096"),
    ("edit: punctuation", ["edit", "digits", "!!! ???", "--image", "{digit}", "--out", "{tmp}/o.png"], "has no words"),
    (
        "edit: Chinese",
        ["edit", "avatars", "把零向右移动", "--image", "{digit}", "--out", "{tmp}/o.png"],
        "none of the words",
    ),
    ("edit: NaN weights", ["edit", "{nan}", "remove zero", "--image", "{digit}", "--out", "{tmp}/o.png"], "NaN"),
    ("train: unknown preset", ["train", "--preset", "nope", "--dry-run"], "unknown preset"),
    ("train: lr inf", ["train", "--train.lr", "inf", "--dry-run"], "finite"),
    ("train: unknown variant", ["train", "--variant", "nope", "--dry-run"], "unknown variant"),
    ("train: used folder", ["train", "--run-dir", "{used-run}", "--train.max_steps", "1"], "already holds a run"),
    ("train: resume + overwrite", ["train", "--resume", "{used-run}", "--overwrite"], "--resume continues"),
    ("eval: unknown", ["eval", "nope"], "neither a folder"),
    ("eval: split", ["eval", "copy-source", "--split", "nope"], "unknown split"),
    ("study report: foreign db", ["study", "report", "{foreign-db}"], "not an IMI study"),
    ("data avatars: digit preset", ["data", "avatars", "--preset", "digits-small", "--stats"], "digits preset"),
    ("bench: unknown variant", ["bench", "digits", "--variants", "nope"], "unknown nope"),
]


@pytest.mark.parametrize(("args", "fragment"), [c[1:] for c in CLI], ids=[c[0] for c in CLI])
def test_cli(files, tmp_path, args, fragment):
    Image.fromarray(DIGIT).save(tmp_path / "digit.png")
    where = {k: str(v) for k, v in files.items()} | {"tmp": str(tmp_path), "digit": str(tmp_path / "digit.png")}
    before = sqlite3.connect(files["foreign-db"]).execute("PRAGMA journal_mode").fetchone()
    result = CliRunner().invoke(app, [a.format(**where) for a in args])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
    assert fragment in result.output and "Traceback" not in result.output
    assert sqlite3.connect(files["foreign-db"]).execute("PRAGMA journal_mode").fetchone() == before  # untouched


WEB = [  # (id, endpoint, arguments, status fragment)
    ("punctuation", "/apply", ["!!! ???"], "has no words"),
    ("Chinese", "/apply", ["把零向右移动"], "unknown word"),
    ("empty", "/apply", ["   "], "empty"),
    ("10,000-char word", "/apply", ["x" * 10_000], "…"),
    ("random picture on digits", "/avatar", [], "switch the domain"),
    ("compare without a model", "/compare", ["remove zero", None], "pick a second"),
    ("bomb upload", "/upload", ["{bomb}"], "at most 4096"),
    ("junk upload", "/upload", ["{junk}"], "not a readable image"),
    ("float upload", "/upload", ["{float-tiff}"], "[0, 1]"),
]


@pytest.mark.parametrize(("endpoint", "arguments", "fragment"), [c[1:] for c in WEB], ids=[c[0] for c in WEB])
def test_web_app(server, files, endpoint, arguments, fragment):  # noqa: F811
    c = client(server)
    c.predict(api_name="/start")
    args = [gradio_client.handle_file(str(files[a[1:-1]])) if str(a).startswith("{") else a for a in arguments]
    status = c.predict(*args, api_name=endpoint)[4]
    assert "Not done" in status and fragment in status and len(status) < 700, status
    assert "step 0 of 0" in c.predict(api_name="/undo")[4]  # still up; the session kept its history


STUDY = [  # (id, endpoint, arguments, status fragment); each on a fresh page
    ("begin without a name", "/begin", ["   "], "enter a rater name"),
    ("submit before begin", "/submit", ["about the same"], "enter your rater name"),
    ("submit without a choice", "/submit", [None], "pick one of the five"),
]  # a choice off the scale never reaches the handler: gradio refuses it against the radio's choices


@pytest.fixture(scope="module")
def study_server(tiny_run, tmp_path_factory):
    from imi.study import StudyStore, create_study
    from imi.study.serve import build

    from .test_app import free_port, save_untrained

    root = tmp_path_factory.mktemp("study")
    other = save_untrained(root / "other", "digits-sim")
    create_study(root / "study.db", str(tiny_run), str(other), items=3, items_per_rater=2, raters_per_item=1)
    page = build(StudyStore(root / "study.db"))
    page.queue()
    _, url, _ = page.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    yield url
    page.close()


@pytest.mark.parametrize(("endpoint", "arguments", "fragment"), [c[1:] for c in STUDY], ids=[c[0] for c in STUDY])
def test_study_server(study_server, endpoint, arguments, fragment):
    c = client(study_server)
    if endpoint == "/submit" and "rater name" not in fragment:  # a rater who started, then errs
        c.predict("cat", api_name="/begin")
    status = c.predict(*arguments, api_name=endpoint)[4]
    assert "Not done" in status and fragment in status, status
    assert "item 1 of at most 2" in c.predict("dora", api_name="/begin")[4]  # still serving
