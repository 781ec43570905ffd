"""Issue 26 end to end on tiny runs: the prior through the trainer, the few-shot model from K = 2 pairs
(prototypes, pseudo-labels, scribbles, the encoder), its pipeline, the CLI and the demo tab."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from imi.cli import app
from imi.core.errors import ImiError
from imi.presets import resolve
from imi.tasks.synthesize.batch import UNKNOWN, one_hot

DATA = {"data.dev": "8", "data.test": "8"}
PRIOR = {
    **DATA, "data.train": "32", "model.z_dim": "16", "model.w_dim": "16", "model.mapping_layers": "2",
    "model.g_base": "128", "model.g_most": "16", "model.d_base": "128", "model.d_most": "16",
    "train.batch_size": "4", "train.max_steps": "4", "train.checkpoint_every": "2", "train.sample_every": "2",
    "train.val_items": "8", "train.log_every": "2", "train.threads": "1",
}  # fmt: skip


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("maps-cache"))


@pytest.fixture(scope="module")
def prior_run(cache_dir, tmp_path_factory):
    from imi.training.loop import Trainer

    run = tmp_path_factory.mktemp("runs") / "tiny-prior"
    Trainer(resolve("avatar-prior", {**PRIOR, "data.cache_dir": cache_dir}), run).fit()
    return run


@pytest.fixture(scope="module")
def few_run(prior_run, cache_dir, tmp_path_factory):
    from imi.training.loop import Trainer

    few = {
        **DATA, "data.train": "2", "data.cache_dir": cache_dir, "model.prior": str(prior_run / "best"),
        "model.shots": "2", "model.invert_steps": "5", "model.pseudo_batch": "4", "model.enc_width": "8",
        **{k: PRIOR[k] for k in PRIOR if k.startswith("model.") and not k.startswith("model.d_")},
        "train.batch_size": "2", "train.max_steps": "4", "train.checkpoint_every": "2", "train.sample_every": "2",
        "train.val_items": "8", "train.log_every": "2", "train.threads": "1",
    }  # fmt: skip
    run = tmp_path_factory.mktemp("runs") / "tiny-few"
    Trainer(resolve("avatar-maps-k5", few), run).fit()
    return run


def test_the_prior_run_logs_its_dev_fid_and_draws_grids(prior_run):
    rows = [json.loads(line) for line in (prior_run / "stats.jsonl").read_text().splitlines()]
    checks = [r for r in rows if "val_fid" in r]
    assert [r["step"] for r in checks] == [2, 4]
    assert all(np.isfinite(r["val_fid"]) and r["val_fid"] >= 0 for r in checks)
    assert (prior_run / "samples" / "step-0000004.png").is_file() and (prior_run / "best" / "config.json").is_file()
    from imi.pipelines.load import load_pipeline
    from imi.pipelines.prior import StylePrior

    assert isinstance(load_pipeline(prior_run / "best"), StylePrior)


def test_the_few_shot_run_prepares_prototypes_from_its_k_examples(few_run, cache_dir):
    from imi.domains.avatarmaps.config import MapDataConfig
    from imi.domains.avatarmaps.data import item_at
    from imi.pipelines.synthesize import Synthesizer

    rows = [json.loads(line) for line in (few_run / "stats.jsonl").read_text().splitlines()]
    prepared = rows[0]
    assert prepared["step"] == 0 and 0 <= prepared["shots_pseudo_miou"] <= 1 and prepared["inversion_error"] >= 0
    assert 2 <= prepared["classes_seen"] <= 10
    assert [r["step"] for r in rows if "val_miou" in r] == [2, 4]  # logged, but not what selects
    assert [r["val_loss"] for r in rows if "val_loss" in r] == [-2.0, -4.0]  # the last checkpoint is exported
    synth = Synthesizer.from_pretrained(few_run / "best")
    assert synth.code_shape == (1, 1, 16) and synth.accepts_scribbles and not synth.can_encode
    maps, pictures = synth.examples
    exact = [item_at(MapDataConfig(train=2, cache_dir=cache_dir), "train", i)[1] for i in range(2)]
    assert np.array_equal(maps, np.stack(exact)) and pictures.shape == (2, 64, 64, 3)
    present = synth.model.present.numpy().reshape(10, 2, 4)  # (classes, examples, clusters)
    assert all(np.array_equal(present[:, j].any(1), np.isin(np.arange(10), np.unique(maps[j]))) for j in range(2))
    assert present[0].all()  # the background covers hundreds of pixels: four clusters from each example


def test_prototypes_label_the_examples_they_were_built_from():
    """Features that are one-hot in the class give prototypes that label every pixel right."""
    from imi.systems.fewshot.prototypes import build_prototypes, similarity, upsampled_blocks

    labels = torch.zeros(2, 8, 8, dtype=torch.long)
    labels[:, :4] = 1
    labels[1, 6:, 6:] = 2
    feats = [torch.nn.functional.one_hot(labels, 4).permute(0, 3, 1, 2).float() + 0.1]  # one "resolution"
    protos, present = build_prototypes(upsampled_blocks(feats, 8), labels, 4, [4])
    assert present.tolist() == [[True, True], [True, True], [False, True], [False, False]]
    assert protos.shape == (4, 2, 4) and torch.all(protos[3] == 0) and torch.all(protos[2, 0] == 0)
    sim = similarity(feats, protos, present, [4], 8)
    assert torch.equal(sim.argmax(1), labels) and torch.isinf(sim[:, 3]).all()


def test_scribbles_keep_strokes_inside_their_parts_and_every_part():
    from imi.systems.fewshot.scribble import scribble

    labels = torch.zeros(4, 64, 64, dtype=torch.long)
    labels[:, 10:40, 10:40] = 3
    labels[:, 50:53, 50:53] = 7  # a tiny part: one interior pixel
    out = scribble(labels, torch.Generator().manual_seed(0))
    known = out != UNKNOWN
    assert torch.equal(out[known], labels[known])  # a stroke never crosses into another part
    share = known.flatten(1).float().mean(1)
    assert (share > 0.02).all() and (share < 0.4).all()
    for i in range(4):
        assert set(out[i][known[i]].unique().tolist()) == {0, 3, 7}
    onehot = one_hot(out, 10, unknown=True)
    assert torch.equal(onehot.sum(1), known.float())
    with pytest.raises(ValueError, match="label values"):
        one_hot(out, 10)  # a full map may not leave pixels unlabelled


def test_the_encoder_learns_to_follow_pseudo_maps(prior_run):
    """A tiny, seeded problem: 80 steps of the recipe lower its losses on fixed draws."""
    from imi.core.config import TrainConfig
    from imi.core.distributed import setup
    from imi.domains.avatarmaps.config import MapDataConfig
    from imi.domains.avatarmaps.data import AvatarMaps
    from imi.systems.fewshot.config import FewShotConfig
    from imi.systems.fewshot.networks import FewShot
    from imi.systems.fewshot.recipe import FewShotRecipe

    torch.manual_seed(0)
    cfg = FewShotConfig(z_dim=16, w_dim=16, mapping_layers=2, g_base=128, g_most=16, prior=str(prior_run / "best"),
                        shots=2, invert_steps=5, pseudo_batch=8, enc_width=8, scribble=0.0)  # fmt: skip
    model, recipe = FewShot(cfg), FewShotRecipe()
    recipe.prepare(model, AvatarMaps(MapDataConfig(train=2, dev=8, test=8)).head("train", 2))
    train = TrainConfig(lr=3e-3)
    opts, dist = recipe.optimizers(model, train), setup("cpu", 1)
    frozen = {k: v.clone() for k, v in model.generator.state_dict().items()}

    def losses() -> dict[str, float]:
        with torch.no_grad():
            out = recipe.losses(model, None, train, torch.Generator().manual_seed(99))
            return {k: float(v) for k, v in out.items()}

    start = losses()
    rng = torch.Generator().manual_seed(0)
    for _ in range(80):
        recipe.step(model, None, train, opts, rng, dist)
    end = losses()  # on the same fixed draws: nearer the pairs' W+, and its pictures follow their maps better
    assert end["w"] < 0.85 * start["w"] and end["seg"] < 0.9 * start["seg"]
    assert all(torch.equal(v, model.generator.state_dict()[k]) for k, v in frozen.items())  # the prior stays


def test_the_pipeline_takes_scribbles_and_refuses_bad_ones(few_run, tmp_path):
    from imi.pipelines.synthesize import Synthesizer

    synth = Synthesizer.from_pretrained(few_run / "best")
    sketch = np.full((64, 64), UNKNOWN, np.uint8)
    sketch[20:40, 20:40] = 7
    a, b = synth.synthesize(sketch, seed=1), synth.synthesize(sketch, seed=1)
    assert a.image.shape == (64, 64, 3) and np.array_equal(a.image, b.image)
    assert np.array_equal(a.labels, sketch)
    with pytest.raises(ImiError, match="no pixel"):
        synth.synthesize(np.full((64, 64), UNKNOWN, np.uint8))
    with pytest.raises(ImiError, match="or 255 for an unlabelled pixel"):
        synth.synthesize(np.full((64, 64), 12, np.uint8))
    with pytest.raises(ImiError, match="no encoder of looks"):
        synth.transfer(a, "hair", np.zeros((64, 64, 3), np.uint8), sketch)
    maps = torch.from_numpy(sketch.astype(np.int64))[None].expand(2, -1, -1)
    refined = synth.refine_tensors(maps, synth.sample_codes(2, 0), steps=3)
    assert refined.shape == (2, 3, 64, 64) and refined.dtype == torch.uint8
    with pytest.raises(ImiError, match="steps"):
        synth.refine_tensors(maps, None, steps=0)
    labels, err = synth.pseudo_label(torch.zeros(2, 3, 64, 64, dtype=torch.uint8), steps=2)
    assert labels.shape == (2, 64, 64) and err.shape == (2,)
    result = CliRunner().invoke(app, ["analyze", str(few_run / "best"), "--out", str(tmp_path / "an")])
    assert result.exit_code == 0, result.output  # the look is the seed: no transfer figure, the others drawn
    drawn = {p.name for p in (tmp_path / "an").glob("*.png")}
    assert {"resample.png", "layers.png"} <= drawn and "transfer.png" not in drawn


def test_a_full_data_model_has_no_examples_or_scribbles(tmp_path):
    from imi.pipelines.synthesize import Synthesizer

    synth = Synthesizer.from_pretrained("avatar-maps")
    assert not synth.accepts_scribbles and synth.can_encode
    with pytest.raises(ImiError, match="whole split"):
        _ = synth.examples
    with pytest.raises(ImiError, match="no refinement"):
        synth.refine_tensors(torch.zeros(1, 64, 64, dtype=torch.long), None)
    with pytest.raises(ImiError, match="label values"):
        synth.synthesize(np.full((64, 64), UNKNOWN, np.uint8))


def test_imi_fewshot_compare_and_synthesize_a_scribble(few_run, prior_run, tmp_path):
    out = tmp_path / "cmp"
    args = ["fewshot", "compare", str(few_run / "best"), "avatar-maps", "--prior", str(prior_run / "best"),
            "--limit", "4", "--pseudo-items", "2", "--invert-steps", "2", "--refine-steps", "2",
            "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "compare.json").read_text())
    few, full = doc["rows"][str(few_run / "best")], doc["rows"]["avatar-maps"]
    assert few["labelled"] == 2 and full["labelled"] == 40_000 and 0 <= few["pseudo"]["pseudo_miou"] <= 1
    assert few["refinement"]["steps"] == 2 and 0 <= few["refinement"]["miou_refined"] <= 1
    assert "pseudo" not in full and "refinement" not in full and np.isfinite(doc["prior"]["fid_truncation_0.7"])
    assert "Few-shot synthesis on 4 test maps" in result.output
    result = CliRunner().invoke(app, ["fewshot", "compare"])
    assert result.exit_code != 0
    grid = tmp_path / "grid.png"
    result = CliRunner().invoke(app, ["sample", str(prior_run / "best"), "--n", "4", "--out", str(grid)])
    assert result.exit_code == 0 and grid.is_file(), result.output
    result = CliRunner().invoke(app, ["sample", str(prior_run / "best"), "--truncation", "2"])
    assert result.exit_code != 0 and "truncation" in result.output
    fig = tmp_path / "s.png"
    args = ["synthesize", str(few_run / "best"), "--item", "1", "--scribble", "--out", str(fig)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0 and fig.is_file(), result.output
    result = CliRunner().invoke(app, ["synthesize", "avatar-maps", "--item", "1", "--scribble"])
    assert result.exit_code != 0 and "does not take scribbles" in result.output


def test_demo_few_shot_tab(few_run, tmp_path):
    """The few-shot tab through a real client: start (with the K examples), strokes, paint, clear, errors."""
    gradio_client = pytest.importorskip("gradio_client")
    import shutil
    import socket

    from PIL import Image

    from imi.app.demo import launch
    from imi.app.scribble import labels_of_scribble, scribble_picture
    from imi.pipelines.shipped import SHIPPED

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    paths = [shutil.copytree(SHIPPED / "digits", tmp_path / "ours"), few_run / "best"]  # the app opens on an editor
    app_, url = launch([str(p) for p in paths], port=port, block=False, shipped=False, max_upload_mb=0.05)
    try:
        c = gradio_client.Client(url, verbose=False)
        sheet, picture, status, examples = c.predict("best", 0, api_name="/few_start")
        assert np.asarray(Image.open(picture)).shape[:2] == (256, 256) and "few strokes" in status
        assert len(examples) == 2 and sheet["composite"]  # the K = 2 examples are shown
        assert "seed 3" in c.predict(3, api_name="/few_looks")[2]
        assert "blank sheet" in c.predict(0, api_name="/few_clear")[2]
        labels = np.full((64, 64), UNKNOWN, np.uint8)
        labels[8:20, 16:48] = 7  # a stroke of hair
        labels[40:56, 20:44] = 2  # and one of clothing
        big = np.repeat(np.repeat(scribble_picture(labels), 4, 0), 4, 1)
        assert np.array_equal(labels_of_scribble(big, 64, 10), labels)
        Image.fromarray(big).save(tmp_path / "sheet.png")
        f = gradio_client.handle_file(str(tmp_path / "sheet.png"))
        painted = c.predict({"background": f, "layers": [], "composite": f}, 0, api_name="/few_paint")
        assert f"your scribble ({int((labels != UNKNOWN).sum())} of 4096 pixels labelled)" in painted[2]
        Image.fromarray(np.full((256, 256, 3), 255, np.uint8)).save(tmp_path / "white.png")
        w = gradio_client.handle_file(str(tmp_path / "white.png"))
        empty = c.predict({"background": w, "layers": [], "composite": w}, 0, api_name="/few_paint")[2]
        assert "Not done" in empty and "no pixel" in empty
        assert "Not done" in c.predict(None, api_name="/few_looks")[2]  # a cleared seed box
    finally:
        app_.close()
