"""Figures made from rendered batches (matplotlib, headless)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib
import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def _show(ax, image: torch.Tensor) -> None:
    """uint8 ``(C, S, S)``: grey for one channel, colour for three."""
    if image.shape[0] == 1:
        ax.imshow(image[0].numpy(), cmap="gray", vmin=0, vmax=255)
    else:
        ax.imshow(image.permute(1, 2, 0).numpy())


def triplet_figure(batch, path: str | Path, columns: int = 2, generated: torch.Tensor | None = None) -> Path:
    """Save source | instruction | target [| generated] panels, like the paper's Fig. 5/6.

    Args:
        batch: a rendered batch (digits or avatars: uint8 ``source``/``target``
            ``(B, C, S, S)`` and an ``instructions()`` method).
        path: output file; the format follows the suffix (PNG, PDF, SVG …).
        columns: how many triplets side by side.
        generated: optional uint8 ``(B, C, S, S)`` model outputs for a fourth panel.
    """
    n = len(batch)
    per = 3 if generated is None else 4
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, per * columns, figsize=(2.2 * per * columns, 1.6 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, text in enumerate(batch.instructions()):
        r, c = divmod(i, columns)
        src, txt, tgt = axes[r, per * c : per * c + 3]
        _show(src, batch.source[i])
        _show(tgt, batch.target[i])
        txt.text(
            0.5,
            0.5,
            textwrap.fill(text, 22),
            ha="center",
            va="center",
            fontsize=9,
            wrap=True,
        )
        if r == 0:
            src.set_title("source", fontsize=9)
            txt.set_title("instruction", fontsize=9)
            tgt.set_title("target", fontsize=9)
        if generated is not None:
            gen = axes[r, per * c + 3]
            _show(gen, generated[i])
            if r == 0:
                gen.set_title("generated", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def strip_image(images: list, captions: list[str], scale: int = 2) -> Image.Image:
    """Images side by side with a caption under each (an edit sequence as one picture)."""
    w, h = images[0].width * scale, images[0].height * scale
    pad, text_h = 4, 28
    canvas = Image.new("RGB", (len(images) * (w + pad) + pad, h + text_h + 2 * pad), "white")
    draw = ImageDraw.Draw(canvas)
    # PIL's scalable default font: its bitmap one draws spaces so thin that words run together.
    draw.font = ImageFont.load_default(size=11)
    for i, (im, caption) in enumerate(zip(images, captions, strict=True)):
        x = pad + i * (w + pad)
        canvas.paste(im.convert("RGB").resize((w, h), Image.NEAREST), (x, pad))
        words, lines = caption.split(), [""]
        for word in words:  # wrap to the image width, two lines at most
            if draw.textlength((lines[-1] + " " + word).strip()) > w and lines[-1]:
                lines.append("")
            lines[-1] = (lines[-1] + " " + word).strip()
        draw.multiline_text((x, pad + h + 2), "\n".join(lines[:2]), fill="black", spacing=1)
    return canvas


def caption_figure(images: torch.Tensor, captions: list[list[str]], path: str | Path, heads: list[str]) -> Path:
    """Each image with its captions beside it, one column per code (captioned under each of ``heads``).

    Args:
        images: uint8 ``(B, C, S, S)``.
        captions: ``B`` rows of ``len(heads)`` captions.
        path: output file (format from the suffix).
        heads: the column titles (e.g. the codes).
    """
    n, k = len(images), len(heads)
    fig, axes = plt.subplots(n, k + 1, figsize=(1.4 + 1.9 * k, 1.4 * n), squeeze=False,
                             gridspec_kw={"width_ratios": [1] + [1.4] * k})  # fmt: skip
    for ax in axes.flat:
        ax.axis("off")
    for i in range(n):
        _show(axes[i, 0], images[i])
        for j, text in enumerate(captions[i]):
            axes[i, j + 1].text(0.02, 0.5, textwrap.fill(text, 18), va="center", fontsize=8)
            if i == 0:
                axes[i, j + 1].set_title(heads[j], fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def stage_figure(texts: list[str], context: torch.Tensor, stages: list[torch.Tensor], real: torch.Tensor | None,
                 path: str | Path) -> Path:  # fmt: skip
    """One row per sentence: the context picture, every stage of the generated picture (smallest first,
    each at its own size) and the real picture when given (the paper's Fig. 5 and 8).

    Args:
        texts: ``B`` sentences (printed above each row).
        context: uint8 ``(B, 3, H, W)``; stages: uint8 ``(B, 3, h_k, w_k)`` each; real: uint8 ``(B, 3, H, W)``.
        path: output file (format from the suffix).
    """
    cols = [("context", context), *[(f"stage {k + 1}", s) for k, s in enumerate(stages)]]
    cols += [("real", real)] if real is not None else []
    n = len(texts)
    fig, axes = plt.subplots(n, len(cols), figsize=(2.0 * len(cols), 1.45 * n), squeeze=False)
    for i in range(n):
        for j, (head, images) in enumerate(cols):
            ax = axes[i, j]
            ax.axis("off")
            _show(ax, images[i])
            ax.set_title(head if j else textwrap.shorten(texts[i], 70), fontsize=7, loc="left" if not j else "center")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


#: Distinct colours for label maps (matplotlib's tab10, then grey shades), by label value.
PALETTE = np.array(
    [[31, 119, 180], [255, 187, 120], [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75],
     [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207], [255, 127, 14], [174, 199, 232],
     [152, 223, 138], [255, 152, 150], [197, 176, 213], [196, 156, 148]], dtype=np.uint8,
)  # fmt: skip


def colour_labels(labels, blank: int | None = None) -> np.ndarray:
    """Long/uint8 label maps ``(..., S, S)`` → uint8 ``(..., S, S, 3)`` in :data:`PALETTE`'s colours; pixels
    labelled ``blank`` (a scribble's unlabelled ones) are white paper."""
    labels = np.asarray(labels)
    out = PALETTE[labels % len(PALETTE)]
    if blank is not None:
        out[labels == blank] = 255
    return out


def columns_figure(
    cols: list[tuple[str, torch.Tensor]], path: str | Path, title: str = "", legend: list[str] | None = None,
    transpose: bool = False,
) -> Path:  # fmt: skip
    """One row per item, one titled column per picture set: uint8 ``(B, 3, H, W)`` each (same ``B``).

    ``transpose``: one row per picture set instead (titled on the left), for a few sets of many items.
    ``legend``: names of label values, shown in :data:`PALETTE`'s colours under the pictures.
    """
    n, m = len(cols[0][1]), len(cols)
    rows, columns = (m, n) if transpose else (n, m)
    fig, axes = plt.subplots(rows, columns, figsize=(1.3 * columns, 1.35 * rows + 0.4 * bool(legend)), squeeze=False)
    for i in range(n):
        for j, (head, images) in enumerate(cols):
            ax = axes[j, i] if transpose else axes[i, j]
            ax.axis("off")
            _show(ax, images[i])
            if transpose and i == 0:
                ax.text(-0.08, 0.5, head, transform=ax.transAxes, ha="right", va="center", fontsize=7)
            elif not transpose and i == 0:
                ax.set_title(head, fontsize=7)
    if title:
        fig.suptitle(title, fontsize=8)
    if legend:
        from matplotlib.patches import Patch

        handles = [Patch(color=PALETTE[k] / 255, label=name) for k, name in enumerate(legend)]
        fig.legend(handles=handles, loc="lower center", ncol=min(len(legend), 10), fontsize=6, frameon=False)
    fig.tight_layout(rect=(0, 0.06 if legend else 0, 1, 1))
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def picture_grid(images: torch.Tensor, columns: int, scale: int = 2, gap: int = 2) -> Image.Image:
    """uint8 ``(N, 3, H, W)`` → one RGB image, ``columns`` pictures a row, each enlarged ``scale``× (nearest)."""
    n, _, h, w = images.shape
    rows = -(-n // columns)
    sheet = Image.new("RGB", (columns * (w * scale + gap) + gap, rows * (h * scale + gap) + gap), (255, 255, 255))
    for i, pic in enumerate(images):
        tile = Image.fromarray(pic.permute(1, 2, 0).numpy()).resize((w * scale, h * scale), Image.NEAREST)
        sheet.paste(tile, (gap + (i % columns) * (w * scale + gap), gap + (i // columns) * (h * scale + gap)))
    return sheet
