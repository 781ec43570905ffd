"""Pixel conventions and image input, shared by training and inference.

Models see float images normalised per their output activation (paper §4.2):
``x/128 − 1`` for linear and tanh outputs, ``x/255`` for sigmoid. Generated
images are clipped back into range and rounded to uint8.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError

from imi.core.errors import ImageInputError


def normalize(images: torch.Tensor, output: str) -> torch.Tensor:
    """uint8 ``(B, C, S, S)`` → float in the model's range."""
    x = images.float()
    return x / 255.0 if output == "sigmoid" else x / 128.0 - 1.0


def denormalize(images: torch.Tensor, output: str) -> torch.Tensor:
    """Model-range float ``(B, C, S, S)`` → uint8, clipping first (the linear output is unbounded)."""
    x = images.detach().float()
    x = x.clamp(0, 1) * 255.0 if output == "sigmoid" else (x.clamp(-1, 1) + 1.0) * 128.0
    return x.round().clamp(0, 255).to(torch.uint8)


MAX_SIDE = 4096  # px: larger pictures are refused before their pixels are decoded (decompression bombs)


def _to_uint8(a: np.ndarray, what: str) -> np.ndarray:
    """An array of any supported pixel type → uint8 with the same picture.

    uint8 as is; bool ×255; uint16 (16-bit) ÷257; other integers must already lie in 0..255 (PIL's
    32-bit "I" mode holds 16-bit PNGs in 0..65535: scaled when any value is above 255); floats in
    [0, 1] ×255. Anything else is refused rather than clipped into another picture."""
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.bool_:
        return a.astype(np.uint8) * 255
    if a.size == 0:
        raise ImageInputError(f"{what} is empty")
    if a.dtype == np.uint16:
        return np.round(a / 257.0).astype(np.uint8)
    if np.issubdtype(a.dtype, np.integer):
        lo, hi = int(a.min()), int(a.max())
        if lo >= 0 and hi <= 255:
            return a.astype(np.uint8)
        if lo >= 0 and hi <= 65535:
            return np.round(a / 257.0).astype(np.uint8)
        raise ImageInputError(f"{what} has integer values {lo}..{hi}; use 0..255 (8-bit) or 0..65535 (16-bit)")
    if np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all():
            raise ImageInputError(f"{what} holds NaN or infinite values")
        lo, hi = float(a.min()), float(a.max())
        if lo < 0 or hi > 1:
            raise ImageInputError(f"{what} has float values {lo:g}..{hi:g}; float pictures must lie in [0, 1]")
        return np.round(a * 255.0).astype(np.uint8)
    raise ImageInputError(f"{what} has an unsupported pixel type {a.dtype}")


def _flatten(pixels: np.ndarray, alpha: np.ndarray, background: int) -> np.ndarray:
    """Composite uint8 pixels (``H×W`` or ``H×W×3``) with uint8 ``alpha`` over a flat ``background``."""
    a = alpha.astype(np.float32) / 255.0
    if pixels.ndim == 3:
        a = a[:, :, None]
    return np.round(pixels * a + background * (1.0 - a)).astype(np.uint8)


def _from_array(a: np.ndarray, background: int, what: str) -> np.ndarray:
    """``H×W``, ``H×W×1``, ``H×W×2`` (grey + alpha), ``H×W×3`` or ``H×W×4`` → uint8 ``H×W`` or ``H×W×3``."""
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (2, 3, 4))):
        raise ImageInputError(f"{what} must be H×W, H×W×3 or H×W×4 (alpha), got shape {a.shape}")
    if min(a.shape[:2]) < 1:
        raise ImageInputError(f"{what} is empty")
    if max(a.shape[:2]) > MAX_SIDE:
        raise ImageInputError(f"{what} is {a.shape[1]}×{a.shape[0]}; at most {MAX_SIDE} pixels a side")
    a = _to_uint8(np.asarray(a), what)
    if a.ndim == 3 and a.shape[2] in (2, 4):  # grey or colour + alpha
        return _flatten(a[:, :, :-1].squeeze(2) if a.shape[2] == 2 else a[:, :, :3], a[:, :, -1], background)
    return a


def _from_pil(im: Image.Image, background: int, what: str) -> np.ndarray:
    """Any PIL mode → uint8 ``H×W`` or ``H×W×3``: bit depth, palette, CMYK and alpha kept as pictures."""
    if max(im.size) > MAX_SIDE:
        raise ImageInputError(f"{what} is {im.width}×{im.height}; at most {MAX_SIDE} pixels a side")
    mode = im.mode
    if mode in ("1", "L", "LA", "RGB", "RGBA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        return _from_array(np.asarray(im), background, what)
    if mode in ("P", "PA"):  # a palette may carry transparency
        has_alpha = mode == "PA" or "transparency" in im.info
        return _from_array(np.asarray(im.convert("RGBA" if has_alpha else "RGB")), background, what)
    if mode == "La":  # premultiplied alpha
        return _from_array(np.asarray(im.convert("LA")), background, what)
    if mode == "RGBa":
        return _from_array(np.asarray(im.convert("RGBA")), background, what)
    try:  # CMYK, YCbCr, LAB, HSV …: PIL converts them to RGB with their meaning
        return np.asarray(im.convert("RGB"))
    except (ValueError, OSError) as err:
        raise ImageInputError(f"{what}: unsupported image mode {mode} ({err})") from None


def read_picture(image: Image.Image | np.ndarray | str | Path, background: int = 0) -> np.ndarray:
    """Any supported input → uint8 ``H×W`` (grey) or ``H×W×3`` (colour), the same picture.

    The one image reader of the package: the Python API, the CLI and the web app all use it.
    Accepted: a PIL image of any mode (1-bit, 8- and 16-bit grey, 32-bit integer, float, palette,
    CMYK, with or without alpha), an array (uint8, uint16, bool, or float in [0, 1]; ``H×W``,
    ``H×W×3``, or ``H×W×4`` with alpha), or a path to an image file (its first frame). Alpha is
    composited over ``background`` (0 black, the digit canvas; 255 white, the avatars').
    Pictures over :data:`MAX_SIDE` pixels a side are refused, files before decoding.
    """
    if isinstance(image, str | Path):
        path = Path(image)
        if not path.is_file():
            raise ImageInputError(f"{path}: no such image file")
        try:
            with Image.open(path) as im:
                if max(im.size) > MAX_SIDE:  # read from the header: nothing is decoded yet
                    raise ImageInputError(f"{path.name} is {im.width}×{im.height}; at most {MAX_SIDE} pixels a side")
                im.seek(0)
                im.load()
                return _from_pil(im, background, path.name)
        except ImageInputError:
            raise
        except Image.DecompressionBombError:  # PIL refuses it at open: its header claims a huge picture
            raise ImageInputError(f"{path.name}: far too large a picture; at most {MAX_SIDE} pixels a side") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
            raise ImageInputError(f"{path.name}: not a readable image ({type(err).__name__})") from None
    if isinstance(image, np.ndarray):
        return _from_array(image, background, "the image array")
    if isinstance(image, Image.Image):
        return _from_pil(image, background, "the image")
    raise ImageInputError(f"expected a PIL image, an image array or a file path, got {type(image).__name__}")


def load_image(
    image: Image.Image | np.ndarray | str | Path, channels: int, size: int | tuple[int, int], background: int = 0
) -> torch.Tensor:
    """Any supported input (see :func:`read_picture`) → uint8 ``(C, size, size)`` for a model
    (``(C, H, W)`` for a ``size`` of ``(H, W)``).

    Colour is converted to the model's channels (grey ↔ RGB, as PIL's ``convert`` does) and a
    non-square or differently sized picture is resized to ``size × size`` with antialiased
    bilinear filtering, the same resize the 84×84 digit canvas goes through.
    """
    pixels = read_picture(image, background)
    picture = Image.fromarray(pixels, "L" if pixels.ndim == 2 else "RGB").convert("L" if channels == 1 else "RGB")
    arr = torch.from_numpy(np.asarray(picture, dtype=np.uint8).copy())
    arr = arr.unsqueeze(0) if arr.ndim == 2 else arr.permute(2, 0, 1)
    size = (size, size) if isinstance(size, int) else tuple(size)
    if arr.shape[1:] != size:
        resized = F.interpolate(arr[None].float(), size=size, mode="bilinear", antialias=True, align_corners=False)
        arr = resized[0].round().clamp(0, 255).to(torch.uint8)
    return arr


def to_pil(image: torch.Tensor) -> Image.Image:
    """uint8 ``(C, S, S)`` → PIL ("L" or "RGB")."""
    arr = image.cpu().numpy()
    return Image.fromarray(arr[0], "L") if arr.shape[0] == 1 else Image.fromarray(arr.transpose(1, 2, 0), "RGB")
