"""The context-aware GAN (issue 24): the merge rule, shapes and losses, Algorithm 1, a short run, the
pipeline and the CLI."""

import os

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from imi import SceneGenerator
from imi.cli import app
from imi.core.config import ConfigError
from imi.core.errors import ImiError
from imi.core.images import normalize
from imi.domains.clipscenes.data import ClipScenes
from imi.presets import resolve
from imi.registry import SYSTEMS, build_model
from imi.systems.contextgan.config import ContextGANConfig
from imi.systems.contextgan.recipe import train_recognizers
from imi.tasks.generate.batch import SceneStepBatch
from imi.training.loop import Trainer

# 32×56 pictures (stages 8×14, 16×28, 32×56), a few hundred scenes, narrow networks.
TINY = {
    "data.train_albums": "40",
    "data.dev_albums": "4",
    "data.test_albums": "4",
    "data.height": "32",
    "data.width": "56",
    "data.scale": "2",
    "model.height": "32",
    "model.width": "56",
    "model.ngf": "8",
    "model.g2_ch": "8",
    "model.g3_ch": "8",
    "model.ndf": "8",
    "model.t_dim": "16",
    "model.z_dim": "8",
    "model.recog_width": "8",
    "model.recog_steps": "60",
    "train.batch_size": "16",
    "train.log_every": "10",
    "train.sample_every": "1000",
    "train.checkpoint_every": "1000",
    "train.val_items": "16",
    "train.threads": "1",
}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("scenes"))


def tiny(cache_dir, preset="clipscenes", **overrides):
    return resolve(preset, {**TINY, "data.cache_dir": cache_dir, **overrides})


@pytest.fixture(scope="module")
def bench(cache_dir):
    return ClipScenes(tiny(cache_dir).data, build=True)


def step_batch(bench, config, n=8, indices=None) -> SceneStepBatch:
    from imi.core.sentences import SentenceTokenizer
    from imi.domains.clipscenes.domain import tokenizer

    b = bench.split("train").batch(np.arange(n) if indices is None else indices)
    vectors, _ = SentenceTokenizer(tokenizer()).batch(b.texts)
    return SceneStepBatch(normalize(b.image, "tanh"), normalize(b.context, "tanh"), vectors, b.text_place,
                          b.text_kind, b.text_person)  # fmt: skip


@pytest.fixture(scope="module")
def tiny_run(cache_dir, tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "scenes"
    Trainer(tiny(cache_dir, **{"train.max_steps": "6"}), run).fit()
    return run


def test_the_merge_rule_takes_what_the_text_says_and_the_rest_from_the_context():
    model = build_model("context-gan", ContextGANConfig())
    read = {"place": torch.tensor([[0.9, 0.1]] * 4), "people": torch.zeros(4, 20)}
    read["people"][:, 7] = 0.95  # the context shows woman 7 …
    read["people"][:, 12] = 0.9  # … and boy 12
    place = torch.tensor([-1, 1, -1, -1])  # the text: no place; "outside"; …
    kind = torch.tensor([1, 1, 0, -1])  # "a woman"; "a woman"; "a man" (the context has none); nobody
    person = torch.tensor([-1, 8, -1, -1])  # …; "the woman in the yellow shirt"
    c = model.context_vector(read, place, kind, person)
    assert c.shape == (4, 22) and torch.equal(c.sum(1), torch.full((4,), 2.0))
    assert c[:, :2].argmax(1).tolist() == [0, 1, 0, 0]  # the context's place unless the text names one
    people = c[:, 2:].argmax(1).tolist()
    assert people[0] == 7  # "a woman" → the context's woman
    assert people[1] == 8  # a specific woman named → her, whoever the context shows
    assert people[2] // 5 == 0  # "a man", none in the context → still a man
    assert people[3] == 7  # nobody named → the context's most likely person
    baseline = build_model("context-gan", ContextGANConfig(use_context=False))
    assert baseline.context_vector(read, place, kind, person).shape == (4, 0)


@pytest.mark.parametrize("use_context", [True, False])
def test_shapes_losses_and_what_inference_keeps(bench, cache_dir, use_context):
    config = tiny(cache_dir, **{"model.use_context": str(use_context)})
    model = build_model("context-gan", config.model)
    b = step_batch(bench, config)
    c = model.context_vector(model.read_context(b.context), b.text_place, b.text_kind, b.text_person)
    stages = model.generate(b.text, c, torch.rand(8, 8) * 2 - 1)
    assert [tuple(s.shape[-2:]) for s in stages] == [(8, 14), (16, 28), (32, 56)]
    assert all(s.abs().max() <= 1 for s in stages)
    losses = SYSTEMS["context-gan"].recipe.losses(model, b, config.train, torch.Generator().manual_seed(0))
    assert {"d1", "d2", "d3", "g1", "g2", "g3"} <= set(losses) and all(torch.isfinite(v) for v in losses.values())
    assert not any(k.startswith("d.") for k in model.inference_state())


def test_algorithm_1_teaches_the_recognisers_then_freezes_them(bench, cache_dir):
    torch.manual_seed(0)
    model = build_model("context-gan", tiny(cache_dir, **{"model.recog_steps": "150"}).model)
    facts = train_recognizers(model, bench.split("train"), torch.Generator().manual_seed(0))
    assert facts["recog_place_acc"] > 0.95  # indoor or outdoor: wall or sky
    assert not any(p.requires_grad for p in model.place_net.parameters())
    model.train()  # the trainer's call leaves the frozen recognisers' batch statistics alone
    assert not model.place_net.training and not model.people_net.training


def test_a_short_run_brings_the_pictures_colours_toward_the_real_ones(bench, cache_dir):
    """The measurable quantity: the distance between the mean generated and the mean real picture."""
    # The paper's losses alone: untrained recognisers would only add noise to the measured quantity.
    config = tiny(cache_dir, "clipscenes-paper", **{"model.recog_steps": "0"})
    torch.manual_seed(0)
    model = build_model("context-gan", config.model)
    recipe = SYSTEMS["context-gan"].recipe
    opts = recipe.optimizers(model, config.train)
    split = bench.split("train")
    rng = torch.Generator().manual_seed(0)
    from imi.core.distributed import setup

    dist = setup("cpu", 1)
    real = normalize(split.batch(np.arange(64)).image, "tanh").mean(0)

    def gap() -> float:
        model.eval()
        with torch.no_grad():
            b = step_batch(bench, config, 64)
            c = model.context_vector(model.read_context(b.context), b.text_place, b.text_kind, b.text_person)
            fake = model.generate(b.text, c, torch.rand(64, 8, generator=torch.Generator().manual_seed(1)) * 2 - 1)[2]
        model.train()
        return float((fake.mean(0) - real).abs().mean())

    before = gap()
    for step in range(200):  # GAN colours wander for the first ~60 steps, then settle toward the data
        sb = step_batch(bench, config, indices=np.arange(step * 16, step * 16 + 16) % len(split))
        recipe.step(model, sb, config.train, opts, rng, dist)
    assert gap() < 0.6 * before


def test_the_trainer_logs_every_stage_and_the_pipeline_generates(tiny_run):
    import json

    rows = [json.loads(line) for line in (tiny_run / "stats.jsonl").read_text().splitlines()]
    assert "recog_place_acc" in rows[0]  # Algorithm 1, logged at step 0
    val = [r for r in rows if "val_place_3" in r][-1]
    assert {f"val_{k}_{s}" for k in ("place", "kind", "person") for s in (1, 2, 3)} <= set(val)
    assert (tiny_run / "samples" / "step-0000006.png").is_file()
    gen = SceneGenerator.from_pretrained(tiny_run)
    context = np.full((60, 105, 3), 200, np.uint8)  # any size: resized to the model's
    out = gen.generate("a woman with red hair is reading outside", context, seed=3)
    assert [s.shape for s in out.stages] == [(8, 14, 3), (16, 28, 3), (32, 56, 3)]
    assert out.read["text"] == "place: outdoor; person: woman (red hair, blue shirt)"
    assert out.read["merged"].startswith("place: outdoor; person: woman (red hair, blue shirt)")
    again = gen.generate("a woman with red hair is reading outside", context, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(out.stages, again.stages, strict=True))


@pytest.mark.parametrize(
    "text, context, seed, match",
    [
        ("", None, 0, "empty"),
        (3, None, 0, "string"),
        ("a man", None, -1, "seed"),
        ("a man", "missing.png", 0, "missing.png"),
        ("x" * 600, None, 0, "characters"),
    ],
)
def test_bad_input_is_refused_clearly(tiny_run, text, context, seed, match):
    gen = SceneGenerator.from_pretrained(tiny_run)
    with pytest.raises(ImiError, match=match):
        gen.generate(text, np.zeros((32, 56, 3), np.uint8) if context is None else context, seed)


def test_a_caption_or_edit_checkpoint_is_not_a_generator(tiny_run):
    from imi.core.checkpoint import CheckpointError

    with pytest.raises(CheckpointError, match="caption"):
        SceneGenerator.from_pretrained("gridmnist")


def test_the_geometry_must_match_the_data(cache_dir, tmp_path):
    with pytest.raises(ConfigError, match="height/width"):
        Trainer(tiny(cache_dir, **{"model.height": "60", "model.width": "105"}), tmp_path / "run")


def test_imi_generate_writes_the_stages(tiny_run, tmp_path):
    out = tmp_path / "g.png"
    args = ["generate", str(tiny_run), "a man waves", "--context-item", "2", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert out.is_file() and "merged: place:" in result.output
    result = CliRunner().invoke(app, ["generate", str(tiny_run), "a man waves"])
    assert result.exit_code != 0 and "--context" in result.output


def test_demo_generate_tab(tiny_run, tmp_path):
    """The generation tab through a real client: start, generate, a random context, an upload, errors."""
    gradio_client = pytest.importorskip("gradio_client")
    import shutil
    import socket

    from PIL import Image

    from imi.app.demo import launch
    from imi.pipelines.shipped import SHIPPED

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    paths = [shutil.copytree(SHIPPED / "digits", tmp_path / "ours"), tiny_run]
    app, url = launch([str(p) for p in paths], port=port, block=False, shipped=False, max_upload_mb=0.05)
    try:
        c = gradio_client.Client(url, verbose=False)
        name = tiny_run.name
        context, s1, s2, s3, read, status = c.predict(name, "", 0, api_name="/generate_start")
        assert np.asarray(Image.open(context)).shape[:2] == (128, 224)  # 32×56 shown 4×
        assert s3 is None and "type a sentence" in status
        text = "a girl with red hair is reading at home"
        context, s1, s2, s3, read, status = c.predict(text, 5, api_name="/generate")
        assert all(np.asarray(Image.open(s)).shape[:2] == (128, 224) for s in (s1, s2, s3))  # all shown as large
        assert "girl (red hair, green shirt)" in read and "merged" in read and "seed 5" in status
        again = c.predict(text, 5, api_name="/generate")
        assert np.array_equal(np.asarray(Image.open(again[3])), np.asarray(Image.open(s3)))  # seeded
        assert "test scene" in c.predict("a man waves", 0, api_name="/generate_random")[5]
        Image.fromarray(np.full((90, 160, 3), 120, np.uint8)).save(tmp_path / "ctx.png")
        up = c.predict(gradio_client.handle_file(str(tmp_path / "ctx.png")), "a man waves", 0,
                       api_name="/generate_upload")  # fmt: skip
        assert "resized to 32×56" in up[5]
        (tmp_path / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(500))
        junk = c.predict(gradio_client.handle_file(str(tmp_path / "junk.png")), "a man", 0, api_name="/generate_upload")
        assert "Not done" in junk[5] and "not a readable image" in junk[5]
        (tmp_path / "big.bmp").write_bytes(b"BM" + bytes(80_000))  # over the 0.05 MB cap of this server
        with pytest.raises(Exception, match=r"(?i)size|large|exceed"):  # refused before the handler
            c.predict(gradio_client.handle_file(str(tmp_path / "big.bmp")), "a man", 0, api_name="/generate_upload")
        assert "type a sentence" in c.predict("   ", 0, api_name="/generate")[5]
        assert "Not done" in c.predict("!!!", 0, api_name="/generate")[5]  # no words at all
    finally:
        app.close()


@pytest.mark.slow  # the README's `imi bench clipscenes` runs the same path in CI; this checks the table in detail
def test_bench_clipscenes_trains_both_systems_and_judges_them(cache_dir, tmp_path):
    """`imi bench clipscenes`: the context-aware GAN and the text-only baseline, one table."""
    import json

    flags = [x for k, v in {**TINY, "data.cache_dir": cache_dir}.items() for x in (f"--{k}", v)]
    args = ["bench", "clipscenes", "--minutes", "0.01", "--out", str(tmp_path / "b"), "--threads", "1", *flags]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "b" / "bench.json").read_text())
    assert set(doc["rows"]) == {"context-gan", "text-gan"}
    for row in doc["rows"].values():
        assert row["steps"] >= 1 and 0 <= row["context_place"] <= 1 and np.isfinite(row["fid"])
    assert "text-gan" in result.output


def test_the_recogniser_term_reaches_every_stage_and_leaves_the_recognisers_alone(bench, cache_dir):
    config = tiny(cache_dir, **{"model.lambda_recog": "1.0"})
    model = build_model("context-gan", config.model)
    model.place_net.requires_grad_(False)
    model.people_net.requires_grad_(False)
    b = step_batch(bench, config)
    recipe = SYSTEMS["context-gan"].recipe
    c = recipe._context(model, b)
    fakes = model.generate(b.text, c, torch.rand(8, 8) * 2 - 1)
    out = recipe.g_loss(model, b, c, fakes)
    assert "recog" in out and out["recog"] > 0
    out["recog"].backward()
    assert model.g[0].out.weight.grad.abs().sum() > 0  # stage 1 learns from the last stage's reading
    assert all(p.grad is None for p in model.people_net.parameters())
    baseline = tiny(cache_dir, "clipscenes-textonly", **{"model.lambda_recog": "1.0"})
    assert "recog" not in recipe.g_loss(build_model("text-gan", baseline.model), b, c[:, :0],
                                        [f.detach() for f in fakes])  # fmt: skip
