"""Every command and Python block of the README and docs/ runs as written (issue 20).

The fenced ``bash`` and ``python`` blocks are read from the files; each command is run in order,
in one scratch folder (so ``runs/00001-digits-small`` made by one line is there for the next),
through the real CLI. A command the README marks as long runs with the tiny settings listed in
:data:`HOW` appended (a later flag wins); one that cannot run here (installs, servers, several
processes, files only the user has) is skipped with the reason the README gives for it. A new
command in the README that is missing from :data:`HOW` fails the test, so none goes unchecked.
"""

import os
import re
import runpy
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from imi.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

AVATAR_DATA = (
    "--data.train_triplets 8 --data.dev_triplets 4 --data.test_triplets 4 --data.unlabeled 8 --data.cache_dir cache"
)
GAN_TINY = "--train.max_steps 2 --train.batch_size 4 --train.val_items 4 --train.checkpoint_every 2"
CAPTION_TINY = (
    "--model.ch 8 --model.d_image 32 --model.d_hidden 64 --model.ae_steps 20 --train.max_steps 2 "
    "--train.batch_size 8 --train.val_items 16 --train.checkpoint_every 2 --data.train_images 64 --data.dev_images 16"
)
SCENE_TINY = (
    "--data.train_albums 40 --data.dev_albums 4 --data.test_albums 4 --model.ngf 8 --model.g2_ch 8 --model.g3_ch 8 "
    "--model.ndf 8 --model.recog_steps 20 --train.max_steps 2 --train.batch_size 8 --train.val_items 8 "
    "--train.checkpoint_every 2"
)
MAP_TINY = (
    "--data.train 16 --data.dev 4 --data.test 4 --data.cache_dir cache --model.ngf 4 --model.nef 4 --model.ndf 4 "
    "--model.norm_hidden 8 --train.max_steps 2 --train.batch_size 4 --train.val_items 4 --train.checkpoint_every 2"
)
PRIOR_TINY = (
    "--data.train 16 --data.dev 4 --data.test 4 --data.cache_dir cache --model.g_base 64 --model.g_most 8 "
    "--model.d_base 64 --model.d_most 8 --train.max_steps 2 --train.batch_size 4 --train.val_items 4 "
    "--train.checkpoint_every 2"
)
FEW_TINY = (
    "--data.dev 4 --data.test 4 --data.cache_dir cache --model.invert_steps 2 --model.pseudo_batch 2 "
    "--model.enc_width 8 --train.max_steps 2 --train.val_items 4 --train.checkpoint_every 2"
)
CANVAS_PRIOR_TINY = (
    "--data.train 16 --data.dev 4 --data.test 4 --model.g_base 64 --model.g_most 8 --model.enc_width 8 "
    "--train.max_steps 2 --train.batch_size 4 --train.val_items 4 --train.checkpoint_every 2"
)
DRAG_TINY = (  # on the tiny prior the line before exported into the scratch folder
    "--model.prior src/imi/checkpoints/canvas-prior --model.g_base 64 --model.g_most 8 --model.pairs 32 "
    "--model.dev_pairs 8 --model.candidates 8 --model.d_model 16 --model.heads 2 --model.enc_layers 1 "
    "--model.dec_layers 1 --train.max_steps 2 --train.batch_size 4 --train.val_items 8 --train.checkpoint_every 2"
)
COMPARE_TINY = "--limit 4 --pseudo-items 2 --invert-steps 2 --refine-steps 2 --out runs/compare-tiny"
SKIP = "skip"
HOW = {  # command as written → "" (as written), extra tiny flags, or (SKIP, why)
    # the two set-up commands: CI runs the second (.ci/run); the first serves the demo
    'python -m pip install torch==2.13.0 && python -m pip install -e ".[dev]" && (command -v chromium >/dev/null || '
    "apt-get install -y -q chromium || true) && python -m ruff check . && lint-imports && python -m pytest -q": (
        SKIP,
        "it is what CI runs (.ci/run)",
    ),
    "python -m pip install torch==2.13.0 && python -m pip install -e . && imi demo": (SKIP, "serves the demo"),
    "imi data digits --stats": "",
    "imi data gridmnist --stats": "",
    "imi data gridmnist --show 8 --out grids.png --level sentence": "",
    "imi caption gridmnist grid.png --samples 5": "",
    "imi caption gridmnist-sentence grid.png --code 0.5,-1,0": "",
    "imi eval gridmnist": "--limit 100",
    "imi analyze gridmnist": "",
    "imi train --preset gridmnist-word": CAPTION_TINY,
    "imi bench gridmnist --minutes 30": f"--minutes 0.005 {CAPTION_TINY}",
    "imi data clipscenes --stats": "",
    "imi data clipscenes --show 6 --out albums.png": "",
    'imi generate clipscenes "a woman with red hair is reading in the park" --context-item 3 --out scene.png': "",
    "imi eval clipscenes": "--limit 64",
    "imi analyze clipscenes": "",
    "imi train --preset clipscenes": SCENE_TINY,
    "imi bench clipscenes --minutes 30": f"--minutes 0.005 {SCENE_TINY}",
    "imi data avatar-maps --build --stats": "--data.train 8 --data.dev 4 --data.test 4 --data.cache_dir cache",
    "imi data avatar-maps --show 8 --out maps.png": "--data.train 8 --data.dev 4 --data.test 4 --data.cache_dir cache",
    "imi synthesize avatar-maps --item 3 --resample hair --out synth.png": "",
    "imi eval avatar-maps": "--limit 16",
    "imi analyze avatar-maps": "",
    "imi recognizer train-avatar-maps --out src/imi/recognizers/avatar-maps": (
        SKIP,
        "it renders the 42,000 label maps first (25 min); the segmenter's tests train it on a small cache",
    ),
    "imi train --preset avatar-maps": MAP_TINY,
    "imi sample avatar-prior --n 32 --truncation 0.7 --out prior.png": "",
    "imi synthesize avatar-maps-k5 --item 3 --scribble --out scribble.png": "",
    "imi fewshot compare avatar-maps-k1 avatar-maps-k5 avatar-maps": COMPARE_TINY,
    "imi train --preset avatar-prior --export src/imi/checkpoints/avatar-prior": PRIOR_TINY,
    "imi train --preset avatar-maps-k5 --export src/imi/checkpoints/avatar-maps-k5": FEW_TINY,
    "imi train --preset avatar-maps-k5-spade --run-dir runs/k5-spade": (
        "--data.dev 4 --data.test 4 --data.cache_dir cache --model.ngf 4 --model.nef 4 --model.ndf 4 "
        "--model.norm_hidden 8 --train.max_steps 2 --train.checkpoint_every 2"
    ),
    "imi fewshot compare avatar-maps-k5 runs/k5-spade avatar-maps": COMPARE_TINY,
    "imi bench avatar-maps --minutes 15": f"--minutes 0.005 {MAP_TINY}",
    "imi drag edit --seed 4 --handles 27,46 --targets 37,46 --pins 24,58 --out drag.png": "",
    "imi drag compare canvas-drag --drags 200": "--drags 4 --iterations 2 --out runs/drag-tiny",
    "imi train --preset canvas-prior --export src/imi/checkpoints/canvas-prior": CANVAS_PRIOR_TINY,
    "imi train --preset canvas-drag --export src/imi/checkpoints/canvas-drag": DRAG_TINY,
    'imi understand digits-minilm "erase the 7" "shrink the four on the left side"': "",
    "imi data digits --show 8 --out digits.png": "",
    "imi data digits --list-triplets --glyph 0 --split test": "",
    "imi data digits --stats --idx-images train-images-idx3-ubyte.gz --idx-labels train-labels-idx1-ubyte.gz "
    "--train-per-class 1000": (SKIP, "needs your own MNIST IDX files"),
    "imi train --preset digits-small": "--train.max_steps 2 --train.val_items 16",
    "imi train --preset digits-paper --train.lr 1e-4 --model.output tanh": GAN_TINY,
    "imi train --preset digits-small --dry-run": "",
    "imi train --resume runs/00001-digits-small": "",
    "imi train --preset digits-small --run-dir runs/mine --overwrite": "--train.max_steps 1 --train.val_items 8",
    "imi export runs/mine/best mine --half": "",
    "torchrun --nproc_per_node=2 -m imi train --preset digits-small": (SKIP, "several processes: test_training.py"),
    "imi train --preset digits-ours": "--train.max_steps 2 --train.val_items 16",
    "imi bench digits": "--minutes 0.005 --limit 40 --latency-reps 2 --out runs/bench-tiny",
    "imi bench digits --minutes 2 --limit 20000 --variants ours,tim --out runs/bench-quick": (
        "--minutes 0.005 --limit 40"
    ),
    "imi data avatars --build": f"{AVATAR_DATA} --workers 1",
    "imi data avatars --stats": AVATAR_DATA,
    "imi data avatars --show 8 --out avatars.png --split test --phrasing heldout": AVATAR_DATA,
    "imi data avatars --list 3 --split dev": AVATAR_DATA,
    "imi train --preset avatars-sim": f"{AVATAR_DATA} {GAN_TINY} --train.unsupervised_samples 8",
    "imi bench avatars --minutes 10": f"--minutes 0.005 --latency-reps 2 {AVATAR_DATA} --train.batch_size 4 "
    "--train.unsupervised_samples 8",
    "imi data avatars --preset avatars-ours-40k --build": (SKIP, "renders 971 MB (~6 min)"),
    "imi eval avatars": (SKIP, "needs the 971 MB cache of the line above"),
    "imi analyze avatars": (SKIP, "needs the 971 MB cache"),
    "imi demo": (SKIP, "a server: test_app.py drives it"),
    "imi demo --checkpoint runs/00007-digits-ours/best --checkpoint runs/00008-avatars-sim": (SKIP, "a server"),
    'imi edit digits --image in.png "move zero to the left" "expand zero to the top" --out out.png --strip '
    "sequence.png --gif sequence.gif": "",
    "imi study create study.db --models avatars avatars-cosine-5k --items 100 --per-rater 10 --raters 3": "",
    "imi study serve study.db": (SKIP, "a server: test_study.py drives it"),
    "imi study report study.db --out fig14.png": "",
    "imi eval digits": "--limit 200",
    "imi eval runs/00001-digits-small/best --limit 20000 --out runs/eval/quick": "--limit 100",
    "imi eval copy-source": "--limit 200",
    "imi analyze runs/00001-digits-small": "",
}


def blocks(path: Path) -> list[tuple[str, str]]:
    """``(language, text)`` of every fenced block with a language (plain blocks are not code)."""
    return re.findall(r"^```(\w+)\n(.*?)^```", path.read_text(), flags=re.S | re.M)


def commands(text: str) -> list[str]:
    """The shell lines of a block: continuations joined, comments and blank lines dropped."""
    lines = text.replace("\\\n", " ").splitlines()
    out = []
    for line in lines:
        line = re.sub(r"\s+#.*$", "", line).strip()
        if line and not line.startswith("#"):
            out.append(" ".join(line.split()))
    return out


STEPS = [
    (lang, code if lang == "python" else cmd, path.name)
    for path in DOCS
    for lang, code in blocks(path)
    if lang in ("bash", "python")
    for cmd in (commands(code) if lang == "bash" else [None])
]


def test_every_command_is_listed():
    listed = set(HOW)
    missing = [c for lang, c, _ in STEPS if lang == "bash" and c not in listed]
    assert not missing, f"add these README commands to HOW: {missing}"
    stale = listed - {c for lang, c, _ in STEPS if lang == "bash"}
    assert not stale, f"HOW lists commands the docs no longer have: {stale}"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("readme")


@pytest.mark.parametrize(("lang", "code", "source"), STEPS, ids=[f"{s}:{(c or 'python')[:50]}" for _, c, s in STEPS])
def test_runs_as_written(scratch, monkeypatch, lang, code, source):
    monkeypatch.chdir(scratch)
    monkeypatch.setenv("IMI_CACHE", str(scratch / "cache"))
    if lang == "python":
        (scratch / "block.py").write_text(code)
        runpy.run_path(str(scratch / "block.py"), run_name="__main__")
        return
    how = HOW[code]
    if isinstance(how, tuple):
        pytest.skip(how[1])
    args = shlex.split(code)
    assert args[0] == "imi", code
    result = CliRunner().invoke(app, args[1:] + shlex.split(how), env={**os.environ, "COLUMNS": "200"})
    assert result.exit_code == 0, f"{code} {how}\n{result.output}\n{result.exception!r}"
