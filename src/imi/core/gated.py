"""A judge's files: weights (safetensors) and ``config.json`` with its held-out accuracy per head.

Every domain's judge (the recogniser that reads generated pictures back into labels) is stored the
same way and obeys one rule: a judge below its accuracy gate on held-out renders may not judge, so
:meth:`JudgeFile.save` refuses to write one and :meth:`JudgeFile.load` refuses to load one. Nothing is
unpickled: the weights are safetensors and the rest is JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from safetensors.torch import load_file, save_file
from torch import nn

from imi.core.errors import RecognizerError


@dataclass(frozen=True)
class JudgeFile:
    """How one kind of judge is stored and gated.

    Attributes:
        format, version: written into both files; anything else is refused.
        gate: the minimum held-out accuracy of every head in ``heads``.
        what: the judge's name in messages ("recogniser", "scene judge").
        train: the command that trains one, with ``{path}`` for the folder (said when none is there).
        catalogue: the labels it reads (checked on load: a judge of another catalogue is refused).
        catalogue_name: how messages call the catalogue.
        gate_on_save: False writes a judge whatever it measured (the digit recogniser's command checks
            the gate itself and tests write weak ones); loading always enforces the gate.
    """

    format: str
    version: int
    gate: float
    heads: tuple[str, ...]
    what: str
    train: str
    catalogue: Callable[[], dict] | None = None
    catalogue_name: str = "label catalogue"
    gate_on_save: bool = True

    def passes(self, accuracy: dict[str, float]) -> bool:
        return all(accuracy.get(head, 0.0) >= self.gate for head in self.heads)

    def refusal(self, path, accuracy: dict[str, float]) -> str:
        worst = min(self.heads, key=lambda h: accuracy.get(h, 0.0))
        return (f"{path}: {self.what} below the {self.gate:.1%} accuracy gate on held-out renders "
                f"({worst}: {accuracy.get(worst, 0.0):.2%}); it may not judge")  # fmt: skip

    def save(self, path: Path, module: nn.Module, config: dict, accuracy: dict, provenance: dict) -> None:
        """Write ``module``'s weights and the JSON; refuses a judge below the gate (nothing is written)."""
        if self.gate_on_save and not self.passes(accuracy):
            raise RecognizerError(self.refusal(path, accuracy) + "; not saved")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        weights = {k: v.detach().contiguous() for k, v in module.state_dict().items()}
        save_file(weights, str(path / "model.safetensors"), metadata={"format": self.format})
        doc = {"format": self.format, "version": self.version, "config": config, "accuracy": accuracy,
               "gate": self.gate, **(self.catalogue() if self.catalogue else {}), **provenance}  # fmt: skip
        (path / "config.json").write_text(json.dumps(doc, indent=2) + "\n")

    def load(self, path: Path, build: Callable[[dict], nn.Module], weights_of=lambda m: m) -> tuple[nn.Module, dict]:
        """``(judge, accuracy)``: ``build(config dict)`` makes the judge and ``weights_of(judge)`` is the
        module the weights go into. Refuses a missing, foreign, damaged or below-gate judge."""
        path = Path(path)
        file = path / "config.json"
        if not file.is_file():
            raise RecognizerError(
                f"{path}: no {self.what} here (config.json missing); train one with `{self.train.format(path=path)}`"
            )
        try:
            doc = json.loads(file.read_text())
            if doc.get("format") != self.format or doc.get("version") != self.version:
                raise RecognizerError(f"{file}: not an IMI {self.what} (format {doc.get('format')!r})")
            if self.catalogue and {k: doc.get(k) for k in self.catalogue()} != self.catalogue():
                raise RecognizerError(f"{file}: made for another {self.catalogue_name}; retrain it")
            judge = build(doc["config"])
            weights_of(judge).load_state_dict(load_file(str(path / "model.safetensors")))
        except RecognizerError:
            raise
        except Exception as err:  # JSON, safetensors and shape errors all mean "damaged"
            raise RecognizerError(f"{path}: damaged {self.what} ({str(err).splitlines()[0]})") from None
        accuracy = dict(doc.get("accuracy", {}))
        if not self.passes(accuracy):
            raise RecognizerError(self.refusal(path, accuracy))
        return judge, accuracy

