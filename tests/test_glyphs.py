"""Glyph sources: the embedded 5,000 digits and IDX files (good and corrupt)."""

import gzip

import numpy as np
import pytest

from imi.core.errors import DataError
from imi.core.glyphs import IMAGE_MAGIC, LABEL_MAGIC, load_idx, load_mnist_5k, read_idx, split_glyphs


def write_idx(path, array, magic, gz=False):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    (gzip.open(path, "wb") if gz else open(path, "wb")).write(data)  # noqa: SIM115
    return path


@pytest.fixture
def idx_pair(tmp_path):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (30, 28, 28), dtype=np.uint8)
    labels = np.arange(30) % 10
    return (
        write_idx(tmp_path / "t-images-idx3-ubyte.gz", images, IMAGE_MAGIC, gz=True),
        write_idx(tmp_path / "t-labels-idx1-ubyte", labels, LABEL_MAGIC),
        images,
        labels,
    )


def test_embedded_glyphs():
    g = load_mnist_5k()
    assert g.images.shape == (5000, 28, 28) and g.images.dtype == np.uint8
    assert np.bincount(g.labels).tolist() == [500] * 10
    assert g.images.max() == 255 and g.images.mean() > 20  # real strokes, not blanks


def test_idx_roundtrip(idx_pair):
    img_path, lbl_path, images, labels = idx_pair
    g = load_idx(img_path, lbl_path)
    assert np.array_equal(g.images, images) and np.array_equal(g.labels, labels)


def test_idx_wrong_magic(idx_pair):
    img_path, lbl_path, *_ = idx_pair
    with pytest.raises(DataError, match="magic number"):
        load_idx(lbl_path, img_path)


def test_idx_truncated(tmp_path, idx_pair):
    images = idx_pair[2]
    path = tmp_path / "cut-images-idx3-ubyte"
    path.write_bytes(
        IMAGE_MAGIC.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in images.shape) + b"\0" * 100
    )
    with pytest.raises(DataError, match="truncated"):
        read_idx(path, IMAGE_MAGIC)
    short = tmp_path / "short"
    short.write_bytes(b"\0\0")
    with pytest.raises(DataError, match="too short"):
        read_idx(short, IMAGE_MAGIC)


def test_idx_corrupt_gzip(tmp_path):
    path = tmp_path / "bad-images-idx3-ubyte.gz"
    path.write_bytes(b"\x1f\x8b\x08garbage")
    with pytest.raises(DataError, match="corrupt"):
        read_idx(path, IMAGE_MAGIC)


def test_idx_count_mismatch(tmp_path, idx_pair):
    img_path, *_ = idx_pair
    lbl = write_idx(tmp_path / "l-labels-idx1-ubyte", np.zeros(29), LABEL_MAGIC)
    with pytest.raises(DataError, match=r"30 images but .* 29 labels"):
        load_idx(img_path, lbl)


def test_idx_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_idx(tmp_path / "nope", IMAGE_MAGIC)


def test_split_is_by_glyph_seeded_and_disjoint():
    g = load_mnist_5k()
    train, test = split_glyphs(g, 400, 100, seed=0)
    assert len(train) == 4000 and len(test) == 1000
    assert np.bincount(train.labels).tolist() == [400] * 10
    assert np.bincount(test.labels).tolist() == [100] * 10
    assert not set(train.file_index) & set(test.file_index)
    again, _ = split_glyphs(g, 400, 100, seed=0)
    other, _ = split_glyphs(g, 400, 100, seed=1)
    assert np.array_equal(train.file_index, again.file_index)
    assert not np.array_equal(train.file_index, other.file_index)


def test_too_few_glyphs_per_class():
    with pytest.raises(DataError, match="has 500 glyphs of class 0, the split needs 1100"):
        split_glyphs(load_mnist_5k(), 1000, 100, seed=0)
