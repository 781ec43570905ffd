"""Issue 25's benchmark: the resumable cache, the label-map data, the segmenter and the metrics."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch

from imi.core.cache import ChunkedCache
from imi.core.errors import DataError, ImiError
from imi.domains.avatarmaps.config import MapDataConfig
from imi.domains.avatarmaps.data import CLASSES, AvatarMaps, item_at, record_at
from imi.domains.avatarmaps.evaluate import control_stats, region_colours
from imi.domains.avatarmaps.segmenter import Segmenter, degrade
from imi.domains.avatars.render import label_map, render
from imi.tasks.synthesize.metrics import confusion, iou, mean_iou

SMALL = {"train": 6, "dev": 3, "test": 3}


def _squares(split: str, start: int, stop: int, calls: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Item i is a 2×2 array of i and its index as a scalar (a cache needs nothing more to be tested)."""
    if calls is not None:
        calls.append((split, start, stop))
    items = np.arange(start, stop)
    return np.repeat(items, 4).reshape(-1, 2, 2).astype(np.uint8), items.astype(np.int32)


def _cache(path, job=_squares) -> ChunkedCache:
    return ChunkedCache(
        path, {"train": 7, "test": 3}, {"x": ((2, 2), np.uint8), "i": ((), np.int32)}, job, chunk=3,
        about={"what": "squares"}, desc="squares", build_hint="build it",
    )  # fmt: skip


def test_chunked_cache_resumes_where_it_stopped(tmp_path):
    calls = []
    cache = _cache(tmp_path, partial(_squares, calls=calls))
    with pytest.raises(DataError, match="build it"):
        cache.load("train", "x")
    cache.build(progress=False, splits=("test",))
    assert cache.has("test") and not cache.has("train") and not cache.complete
    (tmp_path / "progress.json").write_text('{"done": {"train": 3, "test": 3}}')  # killed after one chunk
    calls.clear()
    cache.build(progress=False)
    assert calls == [("train", 3, 6), ("train", 6, 7)]  # only what was missing, in chunks
    assert cache.complete
    assert cache.load("train", "i").tolist()[3:] == [3, 4, 5, 6]  # items 0-2: the "killed" build's, not redone
    assert (cache.load("test", "x")[2] == 2).all()


def test_items_are_pure_functions_of_seed_split_index():
    config = MapDataConfig(**SMALL)
    image, labels, record = item_at(config, "test", 1)
    assert image.shape == (64, 64, 3) and image.dtype == np.uint8
    assert labels.shape == (64, 64) and labels.max() < len(CLASSES)
    assert record == record_at(config, "test", 1)
    assert (image == render(record, 64)).all() and (labels == label_map(record, 64)).all()
    assert record_at(config, "train", 1) != record or record_at(config, "dev", 1) != record  # own streams
    # the map places the parts where they are: the background is where the background colour is
    assert (labels[0, 0] == CLASSES.index("background")) and (labels == CLASSES.index("skin")).any()


def test_benchmark_splits_and_batches(tmp_path):
    bench = AvatarMaps(MapDataConfig(**SMALL, cache_dir=str(tmp_path)), build=True, splits=("dev",))
    b = bench.split("dev").batch([2, 0])
    assert b.image.shape == (2, 3, 64, 64) and b.labels.shape == (2, 64, 64) and b.record.shape == (2, 13)
    image, labels, _ = item_at(bench.config, "dev", 2)
    assert (b.image[0].permute(1, 2, 0).numpy() == image).all() and (b.labels[0].numpy() == labels).all()
    with pytest.raises(DataError, match="out of range"):
        bench.split("dev").batch([3])
    with pytest.raises(DataError, match="unknown split"):
        bench.split("val")
    with pytest.raises(DataError, match="imi data avatar-maps --build"):
        bench.split("train")


def test_config_refuses_bad_values():
    from imi.core.config import ConfigError

    with pytest.raises(ConfigError, match="size"):
        MapDataConfig(size=48)
    with pytest.raises(ConfigError, match="train"):
        MapDataConfig(train=0)


def test_iou_and_confusion():
    target = torch.tensor([[[0, 0, 1, 1]]])
    pred = torch.tensor([[[0, 1, 1, 1]]])
    conf = confusion(pred, target, 3)
    assert conf.tolist() == [[1, 1, 0], [0, 2, 0], [0, 0, 0]]
    per = iou(conf)
    assert per[0] == pytest.approx(0.5) and per[1] == pytest.approx(2 / 3) and np.isnan(per[2])
    assert mean_iou(conf) == pytest.approx((0.5 + 2 / 3) / 2)  # an absent class does not count
    assert mean_iou(confusion(target, target, 3)) == 1.0


def test_control_stats_count_changes_inside_and_outside_the_region():
    labels = torch.zeros(1, 4, 4, dtype=torch.long)
    labels[0, :2] = 1
    before = torch.zeros(1, 3, 4, 4, dtype=torch.uint8)
    after = before.clone()
    after[0, :, :2] = 90  # class 1's region: 8 pixels, moved by √3·90
    after[0, 0, 3, 3] = 9  # one pixel of class 0 moved by 9 > 8
    s = control_stats(before, after, labels, 1)
    assert s["inside"].tolist() == [8] and s["changed"].tolist() == [9]
    assert s["move"][0] == pytest.approx(90 * 3**0.5, rel=1e-5)
    colours, counts = region_colours(after, labels, 2)
    assert counts.tolist() == [[8, 8]] and colours[0, 1].tolist() == [90, 90, 90]


def test_segmenter_shapes_and_degradation():
    model = Segmenter()
    images = torch.randint(0, 256, (2, 3, 64, 64), dtype=torch.uint8)
    assert model(images).shape == (2, len(CLASSES), 64, 64)
    assert model.read(images).shape == (2, 64, 64)
    x = degrade(images, torch.Generator().manual_seed(0))
    assert x.shape == images.shape and x.min() >= 0 and x.max() <= 255 and not torch.equal(x, images.float())
    from imi.core.errors import RecognizerError

    with pytest.raises(RecognizerError, match="reads"):
        model.read(images[0])


def test_a_weak_segmenter_is_neither_saved_nor_loaded(tmp_path):
    from imi.core.errors import RecognizerError
    from imi.domains.avatarmaps.segmenter import FILE, load_segmenter, save_segmenter

    with pytest.raises(RecognizerError, match="gate"):
        save_segmenter(tmp_path / "weak", Segmenter(), {"miou": 0.5}, {})
    assert not (tmp_path / "weak").exists()
    FILE.save(tmp_path / "ok", Segmenter(), {"width": 16, "steps": 1, "batch_size": 1, "lr": 1.0, "seed": 0,
                                              "threads": 0}, {"miou": 0.96}, {})  # fmt: skip
    assert load_segmenter(tmp_path / "ok").accuracy["miou"] == 0.96
    with pytest.raises(RecognizerError, match="no segmenter"):
        load_segmenter(tmp_path / "missing")


def test_the_pipeline_refuses_bad_label_maps(tiny_synth):
    synth = tiny_synth("class-layer")
    for bad, match in (
        (np.zeros((32, 32), np.int64), "must be"),
        (np.full((16, 16), 10), "label values"),
        (np.zeros((16, 16)), "integers"),
        (np.full((16, 16), -1), "label values"),
    ):
        with pytest.raises(ImiError, match=match):
            synth.synthesize(bad)


def test_head_draws_on_the_spot_what_the_cache_would_hold(tmp_path):
    config = MapDataConfig(**SMALL, cache_dir=str(tmp_path))
    drawn = AvatarMaps(config).head("test", 2)  # nothing cached: drawn
    cached = AvatarMaps(config, build=True, splits=("test",)).head("test", 2)
    assert len(drawn) == len(cached) == 2
    for a, b in ((drawn.images, cached.images), (drawn.labels, cached.labels), (drawn.records, cached.records)):
        assert np.array_equal(a, b)


def test_training_the_segmenter_raises_its_test_miou(tmp_path):
    from imi.domains.avatarmaps.segmenter import SegmenterConfig, measure, train_segmenter

    data = MapDataConfig(train=8, dev=2, test=4, cache_dir=str(tmp_path))
    test = AvatarMaps(data, build=True).split("test").batch(np.arange(4))
    torch.manual_seed(0)
    before = float(np.nanmean(iou(confusion(Segmenter(SegmenterConfig(width=8)).read(test.image), test.labels, 10))))
    model, accuracy = train_segmenter(SegmenterConfig(width=8, steps=40, batch_size=8, lr=1e-2), data, False)
    assert accuracy["miou"] > before + 0.1 and set(accuracy) == {"miou", *(f"iou_{c}" for c in CLASSES)}
    assert measure(model, test.image, test.labels)["miou"] == pytest.approx(accuracy["miou"])  # the whole test split
