"""Issue 25 end to end on a tiny run: training, evaluation, analysis, the CLI and the demo tab."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from typer.testing import CliRunner

from imi.cli import app
from imi.presets import resolve

TINY = {
    "data.train": "24", "data.dev": "8", "data.test": "8",
    "model.ngf": "4", "model.nef": "4", "model.ndf": "4", "model.norm_hidden": "8", "model.code_dim": "4",
    "train.batch_size": "4", "train.max_steps": "4", "train.checkpoint_every": "2", "train.sample_every": "2",
    "train.val_items": "8", "train.log_every": "2", "train.threads": "1",
}  # fmt: skip


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("maps-cache"))


@pytest.fixture(scope="module")
def tiny_run(cache_dir, tmp_path_factory):
    from imi.training.loop import Trainer

    run = tmp_path_factory.mktemp("runs") / "tiny-maps"
    Trainer(resolve("avatar-maps", {**TINY, "data.cache_dir": cache_dir}), run).fit()
    return run


def test_a_run_logs_the_dev_layout_scores_and_draws_samples(tiny_run):
    rows = [json.loads(line) for line in (tiny_run / "stats.jsonl").read_text().splitlines()]
    checks = [r for r in rows if "val_miou" in r]
    assert [r["step"] for r in checks] == [2, 4]
    assert all(0 <= r["val_miou"] <= 1 and r["val_rec"] >= 0 for r in checks)
    assert (tiny_run / "samples" / "step-0000004.png").is_file() and (tiny_run / "best" / "config.json").is_file()


def test_eval_and_analyze_measure_every_target(tiny_run, tmp_path):
    from imi.domains.avatarmaps.analyze import analyze_synthesizer
    from imi.domains.avatarmaps.evaluate import LOOK_CLASSES, evaluate_synthesizer
    from imi.pipelines.synthesize import Synthesizer

    synth = Synthesizer.from_pretrained(tiny_run / "best")
    doc, out = evaluate_synthesizer(synth, "tiny", synth.config.data, out=tmp_path / "eval", progress=False)
    s = doc["summary"]
    assert doc["maps"] == 8 and 0 <= s["miou"] <= 1 and s["miou_real"] > 0.8  # the shipped segmenter's ceiling
    assert 0 <= s["shape_attributes"] <= 1 and s["shape_attributes_real"] > 0.9  # the avatar judge on real renders
    assert 0 <= s["inside_share"] <= 1 and 0 <= s["visible"] <= 1 and np.isfinite(doc["fid"])
    assert set(LOOK_CLASSES) <= set(doc["classes"]) and (out / "metrics.json").is_file()
    _, _, figures = analyze_synthesizer(synth, "tiny", tiny_run, tmp_path / "analyze")
    assert {f.name for f in figures} == {"resample.png", "layers.png", "transfer.png", "curves.png"}
    result = CliRunner().invoke(app, ["analyze", str(tiny_run / "best"), "--out", str(tmp_path / "a2")])
    assert result.exit_code == 0, result.output
    assert "hair: changed pixels inside its region" in result.output
    result = CliRunner().invoke(app, ["eval", str(tiny_run / "best"), "--limit", "4", "--out", str(tmp_path / "e2")])
    assert result.exit_code == 0, result.output
    assert "mIoU" in result.output and "per class" in result.output


def test_imi_synthesize_writes_the_figure(tiny_run, tmp_path):
    from PIL import Image

    out = tmp_path / "s.png"
    args = ["synthesize", str(tiny_run / "best"), "--item", "2", "--resample", "hair", "--layer", "1"]
    args += ["--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert out.is_file()
    labels = np.zeros((64, 64), np.uint8)
    labels[10:50, 10:50] = 1
    Image.fromarray(labels, mode="L").save(tmp_path / "map.png")
    result = CliRunner().invoke(app, ["synthesize", str(tiny_run / "best"), "--labels", str(tmp_path / "map.png")])
    assert result.exit_code == 0, result.output
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(tmp_path / "rgb.png")
    result = CliRunner().invoke(app, ["synthesize", str(tiny_run / "best"), "--labels", str(tmp_path / "rgb.png")])
    assert result.exit_code != 0 and "paletted or greyscale" in result.output
    result = CliRunner().invoke(app, ["synthesize", str(tiny_run / "best")])
    assert result.exit_code != 0 and "--item" in result.output
    result = CliRunner().invoke(app, ["synthesize", str(tiny_run / "best"), "--item", "1", "--resample", "hat"])
    assert result.exit_code != 0 and "unknown class" in result.output


def test_demo_synthesis_tab(tiny_run, tmp_path):
    """The synthesis tab through a real client: start, new looks, resample, paint, copy, upload, errors."""
    gradio_client = pytest.importorskip("gradio_client")
    import shutil
    import socket

    from PIL import Image

    from imi.app.demo import launch
    from imi.app.synthesize import labels_of_painting
    from imi.core.viz import colour_labels
    from imi.pipelines.shipped import SHIPPED

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    paths = [shutil.copytree(SHIPPED / "digits", tmp_path / "ours"), tiny_run / "best"]
    app_, url = launch([str(p) for p in paths], port=port, block=False, shipped=False, max_upload_mb=0.05)
    try:
        c = gradio_client.Client(url, verbose=False)
        painting, picture, reference, status = c.predict("best", 0, api_name="/synth_start")
        assert np.asarray(Image.open(picture)).shape[:2] == (256, 256) and "test avatar" in status
        assert np.asarray(Image.open(reference)).shape[:2] == (256, 256) and painting["composite"]
        looks = c.predict(3, api_name="/synth_looks")
        assert "seed 3" in looks[3] and np.array_equal(
            np.asarray(Image.open(c.predict(3, api_name="/synth_looks")[1])), np.asarray(Image.open(looks[1]))
        )  # the seed decides the looks
        assert "new look for the hair (layer 1)" in c.predict("hair", "1", 0, api_name="/synth_resample")[3]
        labels = np.zeros((64, 64), np.uint8)
        labels[8:56, 16:48] = 2  # a block of clothing on the background
        sheet = np.repeat(np.repeat(colour_labels(labels), 4, 0), 4, 1)
        assert np.array_equal(labels_of_painting(sheet, 64, 10), labels)
        Image.fromarray(sheet).save(tmp_path / "paint.png")
        f = gradio_client.handle_file(str(tmp_path / "paint.png"))
        painted = c.predict({"background": f, "layers": [], "composite": f}, 0, api_name="/synth_paint")
        assert "your map" in painted[3] and "same looks" in painted[3]
        assert "copied" in c.predict("clothing", "all layers", 0, api_name="/synth_copy")[3]
        assert "another reference" in c.predict(0, api_name="/synth_reference")[3]
        Image.fromarray(np.full((90, 90, 3), 120, np.uint8)).save(tmp_path / "ref.png")
        up = c.predict(gradio_client.handle_file(str(tmp_path / "ref.png")), 0, api_name="/synth_upload")
        assert "resized to 64×64" in up[3]
        flat = c.predict("hair", "all layers", 0, api_name="/synth_copy")[3]  # a grey square shows no hair
        assert "Not done" in flat and "shows no hair" in flat
        (tmp_path / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(500))
        junk = c.predict(gradio_client.handle_file(str(tmp_path / "junk.png")), 0, api_name="/synth_upload")
        assert "Not done" in junk[3] and "not a readable image" in junk[3]
        with pytest.raises(Exception, match="not in the list of choices"):  # gradio refuses it before the handler
            c.predict("hat", "all layers", 0, api_name="/synth_resample")
        with pytest.raises(Exception, match="not in the list of choices"):
            c.predict("hair", "7", 0, api_name="/synth_resample")
        assert "Not done" in c.predict("hair", "all layers", None, api_name="/synth_resample")[3]  # no seed
    finally:
        app_.close()
