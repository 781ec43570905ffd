"""What the system understood: a small head on the sentence vector, and when to say "I did not understand".

A user who types "put on circular specs" deserves to see what the editor will do before
trusting the picture: ``glasses → round (0.97)``. :class:`InstructionReader` reads the
frozen sentence encoder's vector (:mod:`imi.core.sentences`) into the domain's slots
(avatars: the attribute and its new value; digits: action, digit, place), each with a
probability. It also refuses: an instruction the domain cannot do ("turn him into a cat")
gets "did not understand" instead of a random edit.

Refusal combines three signals, because none alone suffices:

* **in-domain**, the probability of a binary output trained against sentences no editor of
  ours can carry out (:mod:`imi.tasks.edit.negatives`: errands, questions, photo filters, new
  objects and creatures), since a softmax trained only on in-domain sentences is often sure of
  nonsense;
* **confidence**, the smallest of the slots' top probabilities;
* **familiarity**, the cosine of the sentence to the nearest of a few hundred prototypes of
  the training sentences (k-means centres).

The thresholds are calibrated on the dev split's instructions, in both phrasings, so that
about 1 % of them are refused; the test split and an out-of-domain set written by hand
(tests/data/out_of_domain.json) measure what that gives (docs/RESULTS.md).

The reader is a few hundred kB, saved next to a checkpoint (``reader.safetensors`` +
``reader.json``); the editor loads it when present. Training takes seconds on cached vectors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from imi.core.checkpoint import CheckpointError
from imi.core.sentences import DIM, ENCODER
from imi.tasks.edit.negatives import negative_sentences

READER_WEIGHTS, READER_CONFIG = "reader.safetensors", "reader.json"
# Share of dev instructions each signal may refuse: (confidence, in-domain, familiarity). The
# in-domain output separates best (docs/RESULTS.md: refusal against dev quantile), so it gets most.
REFUSE_QUANTILES = (0.002, 0.008, 0.002)


@dataclass(frozen=True)
class Reading:
    """What one instruction was read as.

    Attributes:
        slots: slot → value name (``{"change": "glasses=round"}``, ``{"action": "move", …}``).
        confidence: the smallest of the slots' top probabilities, in [0, 1].
        in_domain: the probability that the sentence is something the domain can do, in [0, 1].
        familiarity: cosine to the nearest prototype of the training sentences, in [−1, 1].
        understood: both at or above the calibrated thresholds.
        summary: the domain's words for it ("glasses → round").
    """

    slots: dict[str, str]
    confidence: float
    in_domain: float
    familiarity: float
    understood: bool
    summary: str

    def __str__(self) -> str:
        return f"{self.summary} ({self.confidence:.2f})" if self.understood else "did not understand"


class InstructionReader(nn.Module):
    """Slots from a sentence vector: a shared hidden layer, one softmax per slot, prototypes, thresholds."""

    def __init__(self, slots: dict[str, list[str]], hidden: int = 256, prototypes: int = 256):
        super().__init__()
        self.slots = {k: list(v) for k, v in slots.items()}
        self.hidden = nn.Sequential(nn.Linear(DIM, hidden), nn.ReLU(inplace=True), nn.Dropout(0.1))
        self.heads = nn.ModuleDict({k: nn.Linear(hidden, len(v)) for k, v in self.slots.items()})
        self.domain_head = nn.Linear(hidden, 1)  # in the domain or not (trained against negatives)
        self.register_buffer("prototypes", torch.zeros(prototypes, DIM))
        self.register_buffer("thresholds", torch.tensor([0.0, 0.0, -1.0]))  # confidence, in-domain, familiarity

    def forward(self, vectors: torch.Tensor) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Unit-norm ``(B, 384)`` → (slot → logits ``(B, values)``, in-domain logit ``(B,)``)."""
        h = self.hidden(vectors)
        return {k: head(h) for k, head in self.heads.items()}, self.domain_head(h)[:, 0]

    @torch.no_grad()
    def signals(self, vectors: torch.Tensor) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Slot probabilities and the signals ``(B, 3)``: confidence, in-domain, familiarity."""
        logits, domain = self(vectors)
        probs = {k: v.softmax(1) for k, v in logits.items()}
        confidence = torch.stack([p.max(1).values for p in probs.values()], 1).min(1).values
        familiarity = (vectors @ self.prototypes.T).max(1).values
        return probs, torch.stack([confidence, torch.sigmoid(domain), familiarity], 1)

    def read(self, vectors: torch.Tensor, describe) -> list[Reading]:
        """One :class:`Reading` per row; ``describe`` (slot → value name) → the domain's words."""
        self.eval()
        probs, signals = self.signals(vectors)
        ok = self.accepts(signals)
        out = []
        for i in range(len(vectors)):
            slots = {k: self.slots[k][int(p[i].argmax())] for k, p in probs.items()}
            c, d, f = signals[i].tolist()
            out.append(Reading(slots, c, d, f, bool(ok[i]), describe(slots)))
        return out

    def accepts(self, signals: torch.Tensor) -> torch.Tensor:
        """Bool ``(B,)``: every signal at or above its threshold."""
        return (signals >= self.thresholds).all(1)

    # -- training --------------------------------------------------------------------------------
    def fit(
        self,
        vectors: torch.Tensor,
        labels: dict[str, torch.Tensor],
        negatives: torch.Tensor,
        steps: int = 1500,
        seed: int = 0,
    ) -> None:
        """Cross-entropy per slot on ``(N, 384)`` training vectors, and in-domain vs ``negatives``
        ``(M, 384)`` (a quarter of each batch); small Gaussian jitter on the vectors (then
        re-normalised) so nearby wordings read alike. Sets the prototypes by k-means."""
        gen = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)
        self.train()
        opt = torch.optim.Adam(self.parameters(), lr=2e-3, weight_decay=1e-5)
        n = len(vectors)
        for _ in range(steps):
            idx = torch.randint(0, n, (min(192, n),), generator=gen)
            neg = negatives[torch.randint(0, len(negatives), (64,), generator=gen)]
            x = torch.cat([vectors[idx], neg])
            x = F.normalize(x + 0.02 * torch.randn(x.shape, generator=gen), dim=1)
            logits, domain = self(x)
            inside = torch.arange(len(x)) < len(idx)
            loss = F.binary_cross_entropy_with_logits(domain, inside.float())
            loss = loss + sum(F.cross_entropy(logits[k][inside], labels[k][idx]) for k in self.slots)
            opt.zero_grad()
            loss.backward()
            opt.step()
        self.eval()
        self.prototypes.copy_(_kmeans(torch.unique(vectors, dim=0), len(self.prototypes), gen))

    def calibrate(self, vectors: torch.Tensor, quantiles: tuple[float, ...] = REFUSE_QUANTILES) -> dict[str, float]:
        """Thresholds that refuse ``quantiles`` of ``vectors`` (in-domain dev instructions), per signal."""
        _, signals = self.signals(vectors)
        self.thresholds.copy_(torch.stack([signals[:, i].quantile(q) for i, q in enumerate(quantiles)]))
        refused = (~self.accepts(signals)).float().mean()
        return {"min_confidence": float(self.thresholds[0]), "min_in_domain": float(self.thresholds[1]),
                "min_familiarity": float(self.thresholds[2]), "dev_refused": float(refused)}  # fmt: skip

    # -- files -----------------------------------------------------------------------------------
    def save(self, folder: str | Path, facts: dict) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        save_file({k: v.detach().contiguous() for k, v in self.state_dict().items()}, str(folder / READER_WEIGHTS))
        doc = {"encoder": ENCODER, "slots": self.slots, "hidden": self.hidden[0].out_features,
               "prototypes": len(self.prototypes), **facts}  # fmt: skip
        (folder / READER_CONFIG).write_text(json.dumps(doc, indent=2) + "\n")

    @classmethod
    def load(cls, folder: str | Path) -> InstructionReader | None:
        """The reader saved in ``folder``, or None when there is none."""
        folder = Path(folder)
        if not (folder / READER_CONFIG).is_file():
            return None
        try:
            doc = json.loads((folder / READER_CONFIG).read_text())
            if doc.get("encoder") != ENCODER:
                raise CheckpointError(f"{folder}: the reader was trained on {doc.get('encoder')!r}, not {ENCODER}")
            reader = cls(doc["slots"], doc["hidden"], doc["prototypes"])
            reader.load_state_dict(load_file(str(folder / READER_WEIGHTS)))
        except (OSError, ValueError, KeyError, RuntimeError, SafetensorError) as e:
            raise CheckpointError(f"{folder}: damaged instruction reader ({e})") from e
        return reader.eval()


def _kmeans(x: torch.Tensor, k: int, gen: torch.Generator, iters: int = 25) -> torch.Tensor:
    """Spherical k-means: ``k`` unit-norm centres of unit-norm rows ``x`` (all rows when fewer)."""
    if len(x) <= k:
        return torch.cat([x, x[:1].expand(k - len(x), -1)]) if len(x) < k else x.clone()
    centres = x[torch.randperm(len(x), generator=gen)[:k]].clone()
    for _ in range(iters):
        assign = (x @ centres.T).argmax(1)
        sums = torch.zeros_like(centres).index_add_(0, assign, x)
        counts = torch.bincount(assign, minlength=k)
        centres = torch.where(counts[:, None] > 0, F.normalize(sums, dim=1), centres)
    return centres


def train_reader(meaning, bench, sentences, seed: int = 0) -> tuple[InstructionReader, dict]:
    """A reader for ``meaning`` (the domain's :class:`imi.core.plugins.Meaning`) from ``bench``'s train
    split (seen phrasing), calibrated on its dev split in both phrasings; returns it and its facts
    (dev accuracy per slot and phrasing, thresholds)."""
    texts, labels = meaning.labels(bench.split("train"))
    negatives = negative_sentences(seed)
    sentences.warm(texts)  # cached on disk per list: the training texts' entry is shared with the trainer's
    sentences.warm(negatives)
    reader = InstructionReader(meaning.slots)
    vectors, _ = sentences.batch(texts)
    labels = {k: torch.as_tensor(np.asarray(v), dtype=torch.long) for k, v in labels.items()}
    reader.fit(vectors, labels, sentences.batch(negatives)[0], seed=seed)
    facts: dict = {"train_sentences": len(set(texts)), "negative_sentences": len(negatives)}
    dev_vectors = []
    for phrasing in ("seen", "heldout"):
        dev_texts, dev_labels = meaning.labels(bench.split("dev", phrasing))
        v, _ = sentences.batch(dev_texts)
        dev_vectors.append(v)
        probs, _ = reader.signals(v)
        facts[f"dev_{phrasing}_accuracy"] = {
            k: float((p.argmax(1) == torch.as_tensor(np.asarray(dev_labels[k]))).float().mean())
            for k, p in probs.items()
        }
    facts.update(reader.calibrate(torch.cat(dev_vectors)))
    return reader, facts
