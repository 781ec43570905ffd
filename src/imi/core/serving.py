"""What the web pages (the demo and the study) share: the default host and how a picture is served."""

from __future__ import annotations

import atexit
import hashlib
import io
import os
import shutil
import tempfile
import uuid
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from imi.core.images import to_pil

SHOW = 4  # 64-pixel images are shown 4× larger, nearest neighbour (pixels stay pixels)
HOST = "127.0.0.1"


@lru_cache(maxsize=1)
def shown_folder() -> Path:
    """The process's folder of served pictures: made on first use, removed when the process exits."""
    folder = Path(tempfile.mkdtemp(prefix="imi-shown-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def magnify(image: torch.Tensor | Image.Image | np.ndarray, scale: int = SHOW) -> str:
    """``image`` enlarged ``scale``× (nearest neighbour) as a PNG file: the path, for a gradio output.

    Gradio saves a returned PIL image under a name made from its content and
    rewrites that file when another session returns the same picture, while
    the first may still be downloading it (truncated responses, seen with 8
    clients). A file written once, atomically, is copied into gradio's cache
    by rename and never rewritten.
    """
    im = to_pil(image) if isinstance(image, torch.Tensor) else image
    im = Image.fromarray(im) if isinstance(im, np.ndarray) else im
    buf = io.BytesIO()
    im.convert("RGB").resize((im.width * scale, im.height * scale), Image.NEAREST).save(buf, format="PNG")
    data = buf.getvalue()
    path = shown_folder() / f"{hashlib.sha256(data).hexdigest()[:32]}.png"
    if not path.exists():
        staging = path.with_name(f".{uuid.uuid4().hex}.png")
        staging.write_bytes(data)
        os.replace(staging, path)
    return str(path)
