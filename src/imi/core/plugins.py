"""What a domain (a benchmark) and a system (a family of models) tell the rest of the package.

Each domain folder exports one :class:`Domain` and each system folder its
:class:`System` entries; :mod:`imi.registry` lists them, one line each. The
trainer, the pipelines, ``imi eval``, ``imi bench``, ``imi analyze``, the demo
and the study look a name up there and call these fields; none of them
branches on a domain or system name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from imi.core.config import ModelConfig


@dataclass(frozen=True)
class Meaning:
    """What an instruction of a domain means, as slots an instruction reader can predict.

    Attributes:
        slots: slot → its value names (avatars: ``{"change": ["glasses=round", …]}``; digits:
            action, digit, place).
        labels: ``(split) → (texts, {slot: int array})``: every instruction of a data split (in the
            split's phrasing) with the index of its value in each slot; no image is rendered.
        describe: ``({slot: value name}) →`` the domain's words for a reading ("glasses → round").
    """

    slots: dict[str, list[str]]
    labels: Callable[[Any], tuple[list[str], dict[str, Any]]]
    describe: Callable[[dict[str, str]], str]


@dataclass(frozen=True)
class Domain:
    """A benchmark: its data, its words, its judge and how it reports.

    Attributes:
        name: the registry key (also ``type(data_config).domain``).
        data_config: the frozen dataclass of its data settings; it carries the class-level
            ``domain`` name, ``strict_tokens`` (True: an unknown word is an error, False: ``<unk>``)
            and ``background`` (0 or 255: the canvas transparency is flattened onto).
        tasks: the tasks it offers (``"edit"``, ``"caption"``, ``"generate"``).
        benchmark: ``(data_config, build, workers) →`` an object with ``split(name)``; a split has
            ``len`` and ``batch(indices)``. ``build``: render a missing cache (rank 0 only).
        tokenizer: ``() →`` the :class:`imi.core.text.Tokenizer` of its instructions.
        evaluate: ``imi eval``: ``(editor | None, name, data_config, split, limit, out, batch_size, seed,
            judge, progress) → (doc, out)``, and the keyword ``phrasing`` when ``imi eval --phrasing`` is
            given (a domain may refuse it); ``editor`` None evaluates the reference rows alone.
        print_report: ``(doc, out, console)``: the console summary of ``evaluate``'s document.
        analyze: ``imi analyze``: ``(editor, checkpoint, run_dir, out) → (doc, out, figures)``.
        bench_settings: dotted overrides the bench adds to each variant's preset, from the
            resolved config (e.g. validate once per phase); None adds nothing.
        bench_report: ``imi bench``'s evaluation and report once every variant trained:
            ``(cfg, editors, data_config, facts, say, command, progress) → (doc, out)``.
        print_bench: ``(doc, out, console)``: the console summary of ``bench_report``'s document.
        test_items: ``(data_config) →`` the number of test items (the demo's starts, the study's draws).
        test_item: ``(data_config, index) → (uint8 image (S, S) or (S, S, 3), its instruction)``.
        edit_ok: ``(generated uint8 (B, C, S, S), batch) →`` bool ``(B,)``: the domain's judge reads
            each edit as correct or not (the trainer logs the dev edit accuracy at every checkpoint);
            None: no judge.
        meaning: the slots of its instructions (:class:`Meaning`), for the instruction reader that shows
            what an edit was understood as and refuses what the domain cannot do; None: no reader.
        caption_ok: a caption domain: ``(captions, batch) →`` bool ``(B,)``: each generated caption is
            one of the benchmark's and true of its image (the trainer logs the dev caption accuracy).
        parse_text: a generation domain: ``(sentence) →`` what it names (``place``, ``kind``, ``person``
            indices, −1 when not named, and ``describe()``): the text side of the context network.
        label_names: a generation domain: ``places``, ``kinds`` and ``people`` in words.
        scene_ok: a generation domain: ``(generated uint8 (B, 3, h, w), batch) →`` ``{"place", "kind",
            "person"}`` bool ``(B,)``: its judge reads each picture as showing what the text and the
            context call for (the trainer logs these per stage).
        segment: a synthesis domain: ``(uint8 pictures (B, 3, S, S)) →`` long label maps ``(B, S, S)``, its
            segmenter's reading (layout fidelity, and the label map of a reference picture);
            ``label_names["classes"]`` names the label values.
        features: a sampling domain: ``(uint8 pictures (B, 3, S, S)) →`` float ``(B, D)`` numpy feature
            vectors of its judge (realism as FID: the prior's dev score and its evaluation).
        drag_tasks: a drag domain: ``(uint8 pictures (B, 3, S, S), seed) → (Drag, kinds)``: one drag per picture
            that its judge can read exactly (the drag editor's dev score and evaluation).
        motion: a drag domain: ``(before, after uint8 (B, 3, S, S), points (B, N, 2)) →`` where the points went,
            read by its judge.
        identity: a drag domain: ``(before, after) →`` bool ``(B,)``: the judge reads the same object.
        demo: what the web app offers beyond test items: ``random_item`` (``(seed, size) →`` a fresh
            uint8 picture), ``sketch`` (True: the sketch pad draws this domain's glyphs) and ``blank``
            (True: an empty canvas is a useful start, e.g. "put 3 on the middle").
    """

    name: str
    data_config: type
    benchmark: Callable[..., Any]
    tokenizer: Callable[[], Any]
    evaluate: Callable[..., tuple[dict, Any]]
    print_report: Callable[..., None]
    analyze: Callable[..., tuple[dict, Any, list]]
    bench_report: Callable[..., tuple[dict, Any]]
    print_bench: Callable[..., None]
    test_items: Callable[[Any], int]
    test_item: Callable[[Any, int], tuple[Any, str]]
    bench_settings: Callable[[Any], dict[str, str]] | None = None
    edit_ok: Callable[[Any, Any], Any] | None = None
    meaning: Meaning | None = None
    caption_ok: Callable[[list[str], Any], Any] | None = None
    parse_text: Callable[[str], Any] | None = None
    label_names: dict[str, list[str]] = field(default_factory=dict)
    scene_ok: Callable[[Any, Any], dict[str, Any]] | None = None
    segment: Callable[[Any], Any] | None = None
    features: Callable[[Any], Any] | None = None
    drag_tasks: Callable[[Any, int], Any] | None = None
    motion: Callable[[Any, Any, Any], Any] | None = None
    identity: Callable[[Any, Any], Any] | None = None
    tasks: tuple[str, ...] = ("edit",)
    demo: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class System:
    """One trainable model family member.

    Attributes:
        model: the network class, built from a :class:`imi.core.config.ModelConfig`.
        recipe: how it learns (an object with the task's recipe methods: optimisers, step, validate).
        task: the task it solves (``"edit"``).
        presets: domain name → the preset ``imi bench <domain>`` trains for it.
        summary: one line for tables.
        config: the dataclass of its network settings (``ExperimentConfig.model``); the edit systems
            share :class:`imi.core.config.ModelConfig`.
    """

    model: type
    recipe: Any
    task: str
    presets: dict[str, str]
    summary: str
    config: type = ModelConfig
