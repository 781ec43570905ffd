"""Checkpoints that describe themselves, and never unpickle.

A run folder is also a checkpoint:

    config.json              {"format": "imi-checkpoint", experiment config, vocabulary, step}
    model.safetensors        inference weights only (encoders + generator)
    train_state.safetensors  full model, every optimiser state (opt_<name>), RNG state, step (resume only)

Every file is written to a temporary name and renamed into place, so a run
killed at any moment leaves the previous checkpoint whole.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from imi.core.config import ConfigError, ExperimentConfig
from imi.core.errors import CheckpointError

FORMAT = "imi-checkpoint"
VERSION = 1
CONFIG, WEIGHTS, STATE = "config.json", "model.safetensors", "train_state.safetensors"
BEST = "best"  # sub-folder of a run holding the checkpoint selected by validation
FIXED = "dev0"  # sub-folder of samples/ holding the first dev edit at every sample step
SHIPPED = Path(__file__).resolve().parents[1] / "checkpoints"  # src/imi/checkpoints: the shipped models


def _atomic(path: Path, write) -> None:
    """Write through a temporary file, flushed to disk, then renamed into place (and the rename
    flushed too), so a crash or power cut leaves either the old file or the new one, whole."""
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _require_finite(tensors: dict[str, torch.Tensor], where: Path) -> None:
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise CheckpointError(f"{where}: {len(bad)} weight tensors hold NaN or infinite values (e.g. {bad[0]}); "
                              "the file is damaged or came from a diverged run")  # fmt: skip


def write_config(run_dir: Path, config: ExperimentConfig, vocab: list[str], step: int) -> None:
    doc = {"format": FORMAT, "version": VERSION, "step": step, "vocab": vocab, "experiment": config.to_dict()}
    _atomic(run_dir / CONFIG, lambda p: p.write_text(json.dumps(doc, indent=2) + "\n"))


def read_document(path: str | Path) -> dict:
    """The checkpoint's ``config.json`` as a dict, its format and version checked."""
    path = Path(path)
    file = path / CONFIG if path.is_dir() else path
    if not file.is_file():
        raise CheckpointError(f"{path}: no {CONFIG} here; give a run folder or a checkpoint folder")
    try:
        doc = json.loads(file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{file}: not valid JSON ({err})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError(f'{file}: not an IMI checkpoint (no "format": "{FORMAT}")')
    if doc.get("version") != VERSION:
        raise CheckpointError(f"{file}: checkpoint version {doc.get('version')}, this IMI reads version {VERSION}")
    return doc


def read_config(
    path: str | Path, data_configs: Mapping[str, type], model_configs: Mapping[str, type] | None = None
) -> tuple[ExperimentConfig, list[str], int]:
    """``(experiment config, vocabulary, step)`` of a checkpoint folder; ``data_configs`` maps domain
    names to their data config classes and ``model_configs`` variants to their network config classes
    (:func:`imi.registry.read_config` passes the registry's)."""
    doc = read_document(path)
    try:
        experiment = ExperimentConfig.from_dict(doc["experiment"], data_configs, model_configs)
        config, vocab, step = experiment, doc["vocab"], doc["step"]
        if not isinstance(step, int) or isinstance(step, bool) or step < 0:
            raise ConfigError(f"step must be a whole number ≥ 0, got {step!r:.40}")
        if not (isinstance(vocab, list) and all(isinstance(w, str) for w in vocab) and vocab[:2] == ["<pad>", "<unk>"]):
            raise ConfigError('vocab must be a list of words starting with "<pad>", "<unk>"')
        if len(vocab) != config.model.vocab_size:
            raise ConfigError(f"vocab has {len(vocab)} words but model.vocab_size is {config.model.vocab_size}")
        return config, list(vocab), step
    except (KeyError, TypeError, ValueError, ConfigError) as err:
        raise CheckpointError(f"{path}: damaged checkpoint config ({err})") from None


def save_pretrained(run_dir: Path, model: nn.Module, config: ExperimentConfig, vocab: list[str], step: int) -> None:
    """Write ``model.safetensors`` (inference weights) and ``config.json``."""
    weights = model.inference_state()
    _require_finite(weights, run_dir)  # the trainer checks first; this is the last line of defence
    _atomic(run_dir / WEIGHTS, lambda p: save_file(weights, str(p), metadata={"format": FORMAT}))
    write_config(run_dir, config, vocab, step)


def _load_tensors(file: Path) -> dict[str, torch.Tensor]:
    if not file.is_file():
        raise CheckpointError(f"{file.parent}: no {file.name}; the run has not written a checkpoint yet")
    try:
        return load_file(str(file))
    except (SafetensorError, OSError) as err:
        raise CheckpointError(f"{file}: unreadable safetensors file ({err})") from None


def read_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """The inference weights of checkpoint folder ``path`` (safetensors: nothing is unpickled)."""
    return _load_tensors(Path(path) / WEIGHTS)


def load_weights(path: str | Path, model: nn.Module) -> nn.Module:
    """Load ``path/model.safetensors`` into ``model`` (built from the same config), which must
    offer ``inference_state()``: every inference weight must be in the file."""
    path = Path(path)
    weights = _load_tensors(path / WEIGHTS)
    missing = [k for k in model.inference_state() if k not in weights]
    try:
        model.load_state_dict(weights, strict=False)
    except RuntimeError as err:
        raise CheckpointError(f"{path}: weights do not fit the config ({str(err).splitlines()[0]})") from None
    if missing:
        raise CheckpointError(f"{path}: {len(missing)} weights missing, e.g. {missing[0]}")
    _require_finite(weights, path)
    return model


def _flatten_optimizer(prefix: str, opt: torch.optim.Optimizer, tensors: dict, meta: dict) -> None:
    state = opt.state_dict()
    for idx, entries in state["state"].items():
        for name, value in entries.items():
            tensors[f"{prefix}.{idx}.{name}"] = value.detach().cpu().contiguous()
    meta[prefix] = [{k: list(v) if isinstance(v, tuple) else v for k, v in g.items()} for g in state["param_groups"]]


def _unflatten_optimizer(prefix: str, opt: torch.optim.Optimizer, tensors: dict, meta: dict) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith(prefix + "."):
            _, idx, name = key.split(".", 2)
            state.setdefault(int(idx), {})[name] = value
    groups = [{k: tuple(v) if k == "betas" else v for k, v in g.items()} for g in meta[prefix]]
    opt.load_state_dict({"state": state, "param_groups": groups})


def save_training_state(
    run_dir: Path,
    model: nn.Module,
    opts: dict[str, torch.optim.Optimizer],
    rng: torch.Generator,
    step: int,
    extra: dict | None = None,
) -> None:
    """Everything exact resume needs, in one safetensors file.

    ``extra`` holds JSON-able loop bookkeeping (elapsed time, best validation
    score) returned by :func:`load_training_state`.
    """
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tensors["rng"] = rng.get_state()
    meta: dict = {"step": step, "extra": extra or {}}
    for name, opt in opts.items():
        _flatten_optimizer(f"opt_{name}", opt, tensors, meta)
    _atomic(
        run_dir / STATE, lambda p: save_file(tensors, str(p), metadata={"format": FORMAT, "meta": json.dumps(meta)})
    )


def _state_meta(file: Path) -> dict:
    try:
        with safe_open(str(file), "pt") as f:
            meta = json.loads((f.metadata() or {}).get("meta", "{}"))
    except (SafetensorError, OSError, json.JSONDecodeError) as err:
        raise CheckpointError(f"{file}: unreadable training state ({err})") from None
    if "step" not in meta:
        raise CheckpointError(f"{file}: no training metadata; the file is not an IMI training state")
    return meta


def training_state_step(run_dir: str | Path) -> int:
    """The step a resume of ``run_dir`` continues from."""
    return int(_state_meta(Path(run_dir) / STATE)["step"])


def load_training_state(
    run_dir: Path, model: nn.Module, opts: dict[str, torch.optim.Optimizer], rng: torch.Generator
) -> tuple[int, dict]:
    """Restore a training state in place; returns ``(step to continue from, extra)``."""
    file = run_dir / STATE
    tensors = _load_tensors(file)
    meta = _state_meta(file)
    model.load_state_dict({k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")})
    for name, opt in opts.items():
        if f"opt_{name}" not in meta:
            raise CheckpointError(f"{file}: no state for optimiser {name!r}; the run was made by another variant")
        _unflatten_optimizer(f"opt_{name}", opt, tensors, meta)
    rng.set_state(tensors["rng"])
    return int(meta["step"]), dict(meta.get("extra", {}))


EXTRAS = ("reader.safetensors", "reader.json")  # files a checkpoint may carry beside its weights


def copy_extras(src: str | Path, dest: str | Path) -> None:
    """Copy the optional files of a checkpoint (the instruction reader) from ``src`` to ``dest``."""
    for name in EXTRAS:
        if (Path(src) / name).is_file():
            data = (Path(src) / name).read_bytes()
            _atomic(Path(dest) / name, lambda p, data=data: p.write_bytes(data))


def export_checkpoint(run_dir: str | Path, dest: str | Path, half: bool = False) -> Path:
    """Copy the inference files (config.json + model.safetensors) of a run to ``dest``.

    ``half`` stores the floating-point weights as float16 (half the bytes: how a GAN generator
    ships inside the wheel); loading casts them back to the model's float32, so its edits differ
    from the run's by float16 rounding only.
    """
    run_dir, dest = Path(run_dir), Path(dest)
    read_document(run_dir)  # refuse to export something that is not a checkpoint
    if not (run_dir / WEIGHTS).is_file():
        raise CheckpointError(f"{run_dir}: no {WEIGHTS} to export yet")
    dest.mkdir(parents=True, exist_ok=True)
    if half:
        weights = {k: v.half() if v.is_floating_point() else v for k, v in _load_tensors(run_dir / WEIGHTS).items()}
        _require_finite(weights, run_dir)  # a weight beyond float16's range would turn into inf
        _atomic(dest / WEIGHTS, lambda p: save_file(weights, str(p), metadata={"format": FORMAT}))
    else:
        data = (run_dir / WEIGHTS).read_bytes()
        _atomic(dest / WEIGHTS, lambda p: p.write_bytes(data))
    data = (run_dir / CONFIG).read_bytes()
    _atomic(dest / CONFIG, lambda p: p.write_bytes(data))
    copy_extras(run_dir, dest)
    return dest
