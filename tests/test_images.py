"""One image reader for the API, the CLI and the web app: every pixel format gives the same picture.

Each case turns an 8-bit picture into another mode that holds the same picture exactly (16-bit,
float, 1-bit, palette, CMYK, alpha over the domain's background) and requires the shipped model's
edit of it to equal its edit of the 8-bit original, bit for bit, from an array, a PIL image and a
file alike. Pictures that would have to be clipped or guessed are refused with a clear error.
"""

import numpy as np
import pytest
from PIL import Image

from imi.app.starts import load_upload
from imi.core.images import MAX_SIDE, ImageInputError, read_picture
from imi.domains.digits.dataset import DigitBenchmark


@pytest.fixture(scope="module")
def digit():
    """A test-split digit scene, uint8 64×64, white strokes on black."""
    return DigitBenchmark().split("test").batch([40]).source[0, 0].numpy()


@pytest.fixture(scope="module")
def face(avatars):
    from imi.registry import DOMAINS

    return DOMAINS["avatars"].test_item(avatars.config.data, 3)[0]  # uint8 64×64×3


def _grey_palette(grey: np.ndarray) -> Image.Image:
    im = Image.fromarray(grey, "P")
    im.putpalette([v for i in range(256) for v in (i, i, i)])
    return im


DIGIT_MODES = {
    "16-bit array": lambda g: g.astype(np.uint16) * 257,
    "16-bit PIL I;16": lambda g: Image.fromarray(g.astype(np.uint16) * 257),
    "float array 0-1": lambda g: g.astype(np.float32) / 255.0,
    "float PIL F": lambda g: Image.fromarray(g.astype(np.float32) / 255.0),
    "palette": _grey_palette,
    "RGB": lambda g: np.repeat(g[:, :, None], 3, axis=2),
    "grey + alpha, opaque": lambda g: Image.fromarray(np.stack([g, np.full_like(g, 255)], 2), "LA"),
    "strokes only in alpha": lambda g: Image.fromarray(np.dstack([np.full((*g.shape, 3), 255, np.uint8), g]), "RGBA"),
    "H×W×1 array": lambda g: g[:, :, None],
}


@pytest.mark.parametrize("mode", list(DIGIT_MODES))
def test_digit_modes_edit_like_the_8_bit_picture(digits, digit, mode, tmp_path):
    expected = np.asarray(digits.edit(digit, "move zero to the left"))
    variant = DIGIT_MODES[mode](digit)
    got = np.asarray(digits.edit(variant, "move zero to the left"))
    np.testing.assert_array_equal(got, expected)
    if isinstance(variant, Image.Image) and variant.mode != "F":  # and from a file (TIFF keeps every mode)
        variant.save(tmp_path / "in.tiff" if variant.mode.startswith("I") else tmp_path / "in.png")
        path = next(tmp_path.glob("in.*"))
        np.testing.assert_array_equal(np.asarray(digits.edit(path, "move zero to the left")), expected)


def test_one_bit_pictures_read_as_black_and_white(digits, digit):
    binary = digit >= 128
    expected = np.asarray(digits.edit(binary.astype(np.uint8) * 255, "remove zero"))
    for variant in (binary, Image.fromarray(binary)):  # a bool array, a PIL "1" image
        np.testing.assert_array_equal(np.asarray(digits.edit(variant, "remove zero")), expected)


AVATAR_MODES = {
    "CMYK": lambda rgb: Image.fromarray(rgb).convert("CMYK"),
    "RGBA, opaque": lambda rgb: np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)]),
    "16-bit RGB array": lambda rgb: rgb.astype(np.uint16) * 257,
    "float RGB array": lambda rgb: rgb.astype(np.float64) / 255.0,
}


@pytest.mark.parametrize("mode", list(AVATAR_MODES))
def test_avatar_modes_edit_like_the_8_bit_picture(avatars, face, mode):
    text = "give him a little nose"
    np.testing.assert_array_equal(
        np.asarray(avatars.edit(AVATAR_MODES[mode](face), text)), np.asarray(avatars.edit(face, text))
    )


def test_transparency_flattens_onto_the_domain_background_in_api_and_app_alike(digits, avatars, tmp_path):
    """A transparent picture is the domain's canvas: black for digits, white for avatars, in the API
    (array, file) and in the web app's upload reader."""
    clear = np.zeros((32, 32, 4), np.uint8)  # fully transparent
    Image.fromarray(clear, "RGBA").save(tmp_path / "clear.png")
    for editor, value in ((digits, 0), (avatars, 255)):
        background = editor.config.data.background
        assert background == value
        for source in (clear, tmp_path / "clear.png"):
            assert (editor.preprocess([source]) == value).all()
        assert (load_upload(tmp_path / "clear.png", background) == value).all()


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.full((8, 8), 1.5, np.float32), r"float pictures must lie in \[0, 1\]"),
        (np.full((8, 8), np.nan, np.float32), "NaN"),
        (np.full((8, 8), -3, np.int32), "integer values"),
        (np.full((8, 8), 70_000, np.int32), "integer values"),
        (np.zeros((0, 5), np.uint8), "empty"),
        (np.zeros((4, 4, 5), np.uint8), "H×W"),
        (np.zeros((MAX_SIDE + 1, 2), np.uint8), f"at most {MAX_SIDE}"),
        (np.zeros((2, 2), np.complex64), "unsupported pixel type"),
        ("not an image", "no such image file"),
        (123, "expected a PIL image"),
    ],
)
def test_pictures_that_would_change_are_refused(image, message):
    with pytest.raises(ImageInputError, match=message):
        read_picture(image)


def test_a_decompression_bomb_is_refused_from_its_header(tmp_path):
    """A 100,000 × 100,000 PNG header, and one just over the cap: refused before a pixel is decoded."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    for side in (100_000, MAX_SIDE + 1):
        header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
        idat = chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        (tmp_path / "bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + idat + chunk(b"IEND", b""))
        with pytest.raises(ImageInputError, match=f"at most {MAX_SIDE} pixels a side"):
            read_picture(tmp_path / "bomb.png")


def test_served_pictures_are_removed_when_the_process_exits():
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import numpy as np; from imi.core.serving import magnify, shown_folder; "
        "magnify(np.zeros((4, 4), np.uint8)); print(shown_folder())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    folder = Path(out.stdout.strip())
    assert folder.name.startswith("imi-shown-") and not folder.exists()
