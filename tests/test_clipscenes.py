"""ClipScenes (issue 24): albums, captions, the parser, the cache and the scene judge."""

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from imi.cli import app
from imi.core.errors import DataError, RecognizerError
from imi.domains.clipscenes.config import SceneDataConfig
from imi.domains.clipscenes.data import ClipScenes, SceneCache
from imi.domains.clipscenes.evaluate import expected, verdicts
from imi.domains.clipscenes.grammar import parse
from imi.domains.clipscenes.judge import GATE, load_scene_judge
from imi.domains.clipscenes.scenes import album_at
from imi.domains.clipscenes.schema import KINDS, LOOKS, PEOPLE, kind_of, presence

SMALL = {"train_albums": 12, "dev_albums": 3, "test_albums": 3}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return ClipScenes(SceneDataConfig(**SMALL, cache_dir=str(tmp_path_factory.mktemp("cache"))), build=True)


def test_an_album_shares_its_place_and_main_person_and_is_a_function_of_its_seeds():
    a = album_at(0, "train", 7, 4, 0.5)
    assert a == album_at(0, "train", 7, 4, 0.5)
    assert a != album_at(0, "test", 7, 4, 0.5) and a != album_at(1, "train", 7, 4, 0.5)
    assert len({s.place for s in a}) == 1 and len({s.people[0][0] for s in a}) == 1
    for album in range(200):
        for s in album_at(0, "train", album, 4, 0.5):
            if len(s.people) == 2:  # the second person is of another kind: "a woman" stays unambiguous
                assert kind_of(s.people[0][0]) != kind_of(s.people[1][0])
                assert abs(s.people[0][1] - s.people[1][1]) >= 0.3 - 1e-9


def test_the_people_are_twenty_and_each_look_is_unique_within_its_kind():
    assert len(PEOPLE) == 20
    for k in range(len(KINDS)):
        looks = [PEOPLE[k * LOOKS + j] for j in range(LOOKS)]
        assert len({p.shirt for p in looks}) == LOOKS and len({p.hair for p in looks}) == LOOKS


def test_about_half_the_captions_leave_the_place_out_and_half_name_only_a_kind():
    caps = [s.caption for a in range(500) for s in album_at(0, "train", a, 4, 0.5)]
    assert 0.45 < np.mean([c.place < 0 for c in caps]) < 0.55
    assert 0.45 < np.mean([c.person < 0 for c in caps]) < 0.55


def test_the_parser_reads_every_caption_back():
    for a in range(300):
        for s in album_at(0, "train", a, 4, 0.5):
            c = s.caption
            p = parse(c.text)
            assert (p.place, p.kind, p.person) == (c.place, c.kind, c.person), c.text


@pytest.mark.parametrize(
    "text, place, kind, person",
    [
        ("The lady in the blue dress is eating outdoors", 1, 1, PEOPLE[6].index),
        ("a blond haired boy at home", 0, 2, 13),
        ("A GIRL WITH GINGER HAIR", -1, 3, 17),
        ("someone waves in the garden", 1, -1, -1),
        ("", -1, -1, -1),
    ],
)
def test_the_parser_reads_plain_paraphrases(text, place, kind, person):
    p = parse(text)
    assert (p.place, p.kind, p.person) == (place, kind, person)


def test_the_cache_holds_every_scene_with_its_album_next_as_context(small):
    train = small.split("train")
    assert [len(small.split(s)) for s in ("train", "dev", "test")] == [48, 12, 12]
    b = train.batch([0, 3, 5])
    assert b.image.shape == (3, 3, 60, 105) and b.image.dtype == torch.uint8
    assert train.context_of(np.array([0, 3, 5])).tolist() == [1, 0, 6]  # the next of its album, cyclically
    assert torch.equal(b.context_place, b.place) and torch.equal(b.context_person, b.person)
    # The masks mark each person where the boxes say.
    for i in range(len(train)):
        for slot in range(2):
            x0, y0, x1, y1 = train.boxes[i, slot]
            if x0 >= 0:
                assert (train.masks[i, y0:y1, x0:x1] == slot + 1).any()
    with pytest.raises(DataError, match="out of range"):
        train.batch([48])
    with pytest.raises(DataError, match="unknown split"):
        small.split("val")


def test_a_rebuilt_cache_is_identical_and_an_interrupted_one_resumes(tmp_path, small):
    config = SceneDataConfig(**SMALL, cache_dir=str(tmp_path))
    cache = SceneCache(config)
    cache.build(progress=False)
    again = ClipScenes(config).split("train")
    assert np.array_equal(again.images, small.split("train").images)
    # Pretend the test split stopped half way: a build completes it with the same pictures.
    done = json.loads((cache.path / "progress.json").read_text())["done"]
    (cache.path / "progress.json").write_text(json.dumps({"done": {**done, "test": 1}}))
    assert not cache.complete
    with pytest.raises(DataError, match="incomplete"):
        ClipScenes(config).split("test")
    cache.build(progress=False)
    assert np.array_equal(ClipScenes(config).split("test").images, small.split("test").images)


def test_what_a_picture_should_show_follows_the_merge_rule(small):
    b = small.split("test").batch([0, 1, 2, 3])
    place, kind, person = expected(b)
    # Natural pairs: the album's place and main person, whatever the caption leaves out.
    assert torch.equal(place, b.place) and torch.equal(person, b.person) and torch.equal(kind, b.person // LOOKS)
    read = {"place": b.place.clone(), "people": presence(b.person, b.second)}
    assert all(v.all() for v in verdicts(read, b).values())
    read["place"] = 1 - b.place
    assert not verdicts(read, b)["place"].any()


def test_the_shipped_judge_passes_its_gate_and_reads_test_scenes():
    judge = load_scene_judge()
    assert judge.accuracy["place"] >= GATE and judge.accuracy["people"] >= GATE
    split = ClipScenes(SceneDataConfig()).split("test") if SceneCache(SceneDataConfig()).complete else None
    if split is None:
        split = ClipScenes(SceneDataConfig(train_albums=1, dev_albums=1, test_albums=50), build=True).split("test")
    b = split.batch(np.arange(200))
    read = judge.read(b.image)
    assert (read["place"] == b.place).float().mean() >= 0.98
    assert (read["people"] == presence(b.person, b.second)).all(1).float().mean() >= 0.97


def test_a_judge_below_the_gate_or_damaged_is_refused(tmp_path):
    import shutil

    from imi.domains.clipscenes.judge import SHIPPED

    bad = tmp_path / "judge"
    shutil.copytree(SHIPPED, bad)
    doc = json.loads((bad / "config.json").read_text())
    (bad / "config.json").write_text(json.dumps({**doc, "accuracy": {**doc["accuracy"], "people": 0.9}}))
    with pytest.raises(RecognizerError, match="gate"):
        load_scene_judge(bad)
    (bad / "config.json").write_text(json.dumps(doc))
    (bad / "model.safetensors").write_bytes(b"not weights")
    with pytest.raises(RecognizerError, match="damaged"):
        load_scene_judge(bad)
    with pytest.raises(RecognizerError, match="no scene judge"):
        load_scene_judge(tmp_path / "nowhere")


def test_imi_data_clipscenes_refuses_nothing_to_do():
    result = CliRunner().invoke(app, ["data", "clipscenes"])
    assert result.exit_code != 0 and "nothing to do" in result.output


def test_a_test_item_is_drawn_without_the_cache_and_matches_it(small):
    from imi.domains.clipscenes.domain import DOMAIN

    config = small.config
    assert DOMAIN.test_items(config) == 12
    picture, text = DOMAIN.test_item(config, 12 + 5)  # wraps around the split
    b = small.split("test").batch([5])
    assert np.array_equal(picture, b.image[0].permute(1, 2, 0).numpy()) and text == b.texts[0]


def test_building_one_split_leaves_the_others_unrendered(tmp_path):
    config = SceneDataConfig(**SMALL, cache_dir=str(tmp_path))
    bench = ClipScenes(config, build=True, splits=("test",))
    assert bench.cache.has("test") and not bench.cache.has("train")
    assert len(bench.split("test")) == 12
    with pytest.raises(DataError, match="incomplete"):
        bench.split("train")
