"""`imi data digits` end to end, including its errors."""

import json

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from imi.cli import app

runner = CliRunner()


def test_stats_table():
    result = runner.invoke(app, ["data", "digits", "--stats"])
    assert result.exit_code == 0, result.output
    assert "369,000" in result.output and "1,476,000" not in result.output
    assert "1,328,400" in result.output and "147,600" in result.output


def test_list_triplets_json_lines():
    result = runner.invoke(app, ["data", "digits", "--list-triplets", "--glyph", "7", "--split", "test"])
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 369
    assert {tuple(r) for r in lines} == {("glyph", "label", "instruction", "source", "target")}
    assert len({r["glyph"] for r in lines}) == 1


def test_show_writes_a_figure(tmp_path):
    out = tmp_path / "fig.png"
    result = runner.invoke(app, ["data", "digits", "--show", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    img = np.asarray(Image.open(out).convert("L"))
    assert img.shape[0] > 100 and img.std() > 10  # a real picture, not a blank


def test_user_errors_are_one_line_and_nonzero(tmp_path):
    bad = tmp_path / "bad-images-idx3-ubyte"
    bad.write_bytes(b"\0\0\x08\x01" + b"\0" * 20)
    cases = [
        ["data", "digits", "--list-triplets", "--glyph", "4000"],
        ["data", "digits", "--show", "3"],
        ["data", "digits"],
        ["data", "digits", "--stats", "--train-per-class", "600"],
        ["data", "digits", "--stats", "--idx-images", str(bad), "--idx-labels", str(bad)],
        ["data", "digits", "--stats", "--idx-images", str(bad)],
    ]
    for args in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output


def test_tables_print_whole_in_a_pipe(tmp_path):
    """Out of a terminal (a pipe, a log, CI) rich would cut the table to 80 columns ("0.…" cells)."""
    result = runner.invoke(app, ["eval", "copy-source", "--limit", "60", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "copy-source" in line and "all" in line]
    assert rows and "…" not in rows[0] and "%" in rows[0], result.output
