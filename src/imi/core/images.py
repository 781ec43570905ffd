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

from imi.core.errors import ImiError


class ImageInputError(ImiError, ValueError):
    """An input image cannot be read or used."""


def normalize(images: torch.Tensor, output: str) -> torch.Tensor:
    """uint8 ``(B, C, S, S)`` → float in the model's range."""
    x = images.float()
    return x / 255.0 if output == "sigmoid" else x / 128.0 - 1.0


def denormalize(images: torch.Tensor, output: str) -> torch.Tensor:
    """Model-range float ``(B, C, S, S)`` → uint8, clipping first (the linear output is unbounded)."""
    x = images.detach().float()
    x = x.clamp(0, 1) * 255.0 if output == "sigmoid" else (x.clamp(-1, 1) + 1.0) * 128.0
    return x.round().clamp(0, 255).to(torch.uint8)


def load_image(image: Image.Image | np.ndarray | str | Path, channels: int, size: int) -> torch.Tensor:
    """Any supported input → uint8 ``(C, size, size)``.

    Accepted: a PIL image, a uint8 array ``H×W`` or ``H×W×3`` (or ×4, alpha
    dropped), or a path to an image file. Colour is converted to the model's
    channels (grey ↔ RGB, as PIL's ``convert`` does) and a non-square or
    differently sized image is resized to ``size × size`` with antialiased
    bilinear filtering, the same resize the 84×84 digit canvas goes through.
    """
    if isinstance(image, str | Path):
        path = Path(image)
        if not path.is_file():
            raise ImageInputError(f"{path}: no such image file")
        try:
            with Image.open(path) as im:
                im.load()
                image = im.copy()
        except (UnidentifiedImageError, OSError) as err:
            raise ImageInputError(f"{path}: not a readable image ({err})") from None
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8:
            raise ImageInputError(f"an image array must be uint8 (0..255), got {image.dtype}")
        if image.ndim == 3 and image.shape[2] in (3, 4):
            image = Image.fromarray(image[:, :, :3], "RGB")
        elif image.ndim == 2:
            image = Image.fromarray(image, "L")
        else:
            raise ImageInputError(f"an image array must be H×W or H×W×3, got shape {image.shape}")
    if not isinstance(image, Image.Image):
        raise ImageInputError(f"expected a PIL image, a uint8 array or a file path, got {type(image).__name__}")
    if image.width < 1 or image.height < 1:
        raise ImageInputError("the image is empty")
    image = image.convert("L" if channels == 1 else "RGB")
    arr = torch.from_numpy(np.asarray(image, dtype=np.uint8).copy())
    arr = arr.unsqueeze(0) if arr.ndim == 2 else arr.permute(2, 0, 1)
    if arr.shape[1:] != (size, size):
        resized = F.interpolate(
            arr[None].float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False
        )
        arr = resized[0].round().clamp(0, 255).to(torch.uint8)
    return arr


def to_pil(image: torch.Tensor) -> Image.Image:
    """uint8 ``(C, S, S)`` → PIL ("L" or "RGB")."""
    arr = image.cpu().numpy()
    return Image.fromarray(arr[0], "L") if arr.shape[0] == 1 else Image.fromarray(arr.transpose(1, 2, 0), "RGB")
