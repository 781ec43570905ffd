"""GridMNIST (issue 23): counts, determinism, the grid's pixels, captions and the judge."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from typer.testing import CliRunner

from imi.cli import app
from imi.core.errors import DataError
from imi.domains.gridmnist.captions import CAPTIONS, CELLS, DIGIT_WORDS, read
from imi.domains.gridmnist.config import GridDataConfig
from imi.domains.gridmnist.data import GridMNIST, caption_tokenizer
from imi.domains.gridmnist.judge import caption_ok, correct, named


@pytest.fixture(scope="module")
def word():
    return GridMNIST(GridDataConfig())


@pytest.fixture(scope="module")
def sentence():
    return GridMNIST(GridDataConfig(level="sentence"))


def test_counts_are_the_papers(word):
    assert [len(word.split(s)) for s in ("train", "dev", "test")] == [10_000, 1_000, 1_000]


def test_a_grid_is_a_function_of_seed_split_and_index(word):
    other = GridMNIST(GridDataConfig(train_images=500))  # a smaller split: its grids are the same rows
    a, b = word.split("train").batch([3, 499, 7]), other.split("train").batch([3, 499, 7])
    assert torch.equal(a.image, b.image) and torch.equal(a.labels, b.labels)
    c = GridMNIST(GridDataConfig(seed=1)).split("train").batch([3, 499, 7])
    assert not torch.equal(a.image, c.image)
    assert not torch.equal(word.split("train").batch([0]).image, word.split("dev").batch([0]).image)


def test_each_cell_holds_its_glyph_resized(word):
    split = word.split("test")
    b = split.batch([5])
    glyph = split.glyph[5]
    for k in range(4):
        r, c = divmod(k, 2)
        cell = b.image[0, 0, 32 * r : 32 * (r + 1), 32 * c : 32 * (c + 1)]
        src = torch.from_numpy(word.test_pool.images[int(glyph[k])]).float()[None, None]
        want = F.interpolate(src, size=(32, 32), mode="bilinear", antialias=True).round().clamp(0, 255)
        assert torch.equal(cell, want[0, 0].to(torch.uint8))
        assert int(b.labels[0, k]) == int(word.test_pool.labels[int(glyph[k])])


def test_test_grids_draw_test_glyphs_only(word):
    train_ids = set(word.train_pool.file_index.tolist())
    test_ids = set(word.test_pool.file_index.tolist())
    assert not train_ids & test_ids
    used = word.test_pool.file_index[word.split("test").glyph.flatten().numpy()]
    assert set(used.tolist()) <= test_ids


def test_captions_at_both_levels(word, sentence):
    b = word.split("train").batch([0, 1])
    assert b.texts()[0] == [DIGIT_WORDS[int(d)] for d in b.labels[0]]
    s = sentence.split("train").batch(range(50))
    for texts, labels in zip(s.texts(), s.labels, strict=True):
        for k, text in enumerate(texts):
            cap = read(text)
            assert cap is not None and cap.digit == int(labels[k]) and cap.cell == k
    assert len({t for row in s.texts() for t in row}) > 50  # the four wordings vary
    tokens, _ = sentence.split("train").caption_table()
    assert len(tokens) == 160 and len(word.split("train").caption_table()[0]) == 10


def test_every_caption_reads_back_and_nothing_else_does():
    assert all(read(c.text) == c for c in CAPTIONS)
    assert read("an eight in the top left").cell == CELLS.index("top left")
    for bad in ("", "three three", "a three in the middle", "eight in the top left", "threes"):
        assert read(bad) is None
    ids, _ = caption_tokenizer().batch([c.text for c in CAPTIONS])
    assert [caption_tokenizer().decode(row.tolist()) for row in ids] == [c.text for c in CAPTIONS]


def test_the_judge():
    labels = np.array([[3, 8, 1, 1], [3, 8, 1, 1], [3, 8, 1, 1], [3, 8, 1, 1]])
    d, c = named(["three", "seven", "eight at the top right", "a one in the top left"], "sentence")
    assert d.tolist() == [-1, -1, 8, 1] and c.tolist() == [-1, -1, 1, 0]  # words are invalid sentences
    assert correct(d, c, labels).tolist() == [False, False, True, False]
    d, c = named(["three", "seven", "nine", "a three in the top left"], "word")
    assert correct(d, c, labels).tolist() == [True, False, False, False]


def test_caption_ok_on_a_batch(word):
    b = word.split("dev").batch([0, 1])
    right = [DIGIT_WORDS[int(b.labels[0, 2])], "not a caption"]
    assert caption_ok(right, b).tolist() == [True, False]


def test_bad_settings_and_indices():
    with pytest.raises(Exception, match="level"):
        GridDataConfig(level="paragraph")
    with pytest.raises(DataError, match="out of range"):
        GridMNIST(GridDataConfig(test_images=10)).split("test").batch([10])
    with pytest.raises(DataError, match="unknown split"):
        GridMNIST(GridDataConfig()).split("val")


def test_data_cli(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["data", "gridmnist", "--stats"])
    assert result.exit_code == 0 and "10,000" in result.output and "1,000" in result.output
    result = runner.invoke(app, ["data", "gridmnist", "--show", "3", "--out", str(tmp_path / "g.png"), "--level",
                                 "sentence"])  # fmt: skip
    assert result.exit_code == 0 and (tmp_path / "g.png").stat().st_size > 1000
    assert runner.invoke(app, ["data", "gridmnist", "--show", "3"]).exit_code == 2
