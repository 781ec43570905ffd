"""Avatar data: renders, edits, the instruction grammar and the cache."""

import itertools

import numpy as np
import pytest

from imi.core.text import words
from imi.domains.avatars import dataset as ds
from imi.domains.avatars.attributes import ATTRIBUTES, NAMES, Record
from imi.domains.avatars.config import AvatarDataConfig
from imi.domains.avatars.edits import KINDS, sample_edit, sample_record
from imi.domains.avatars.grammar import ALL_TEMPLATES, PHRASINGS, describe, expansions
from imi.domains.avatars.render import PARTS, change_mask, label_map, render, to_svg

BASE = Record.from_names(
    background="blue", skin="light", hair="short", hair_color="brown", facial_hair="beard",
    facial_hair_color="black", eyebrows="normal", eyes="open", mouth="grin", nose="normal",
    glasses="none", clothing="t-shirt", clothing_color="red",
)  # fmt: skip


def _with(record: Record, name: str, value: str) -> Record:
    """``record`` with ``name`` set, keeping dependent colours consistent."""
    changes = {name: value}
    for a in ATTRIBUTES:
        if a.depends_on and a.depends_on[0] == name:
            if value == a.depends_on[1]:
                changes[a.name] = "none"
            elif record[a.name] == "none":
                changes[a.name] = "brown"
    return record.replace(**changes)


def test_render_is_a_true_rgb_square_and_deterministic():
    image = render(BASE)
    assert image.shape == (64, 64, 3) and image.dtype == np.uint8
    assert np.array_equal(image, render(BASE))
    # The background is painted in: the top corners show the background colour #65C9FF.
    assert image[0, 0].tolist() == [0x65, 0xC9, 0xFF]
    assert render(BASE, 128).shape == (128, 128, 3)
    assert 'viewBox="4 0 256 256"' in to_svg(BASE)


def test_items_are_pure_functions_of_seed_and_index():
    a = ds.edit_at(0, "train", 7)
    b = ds.edit_at(0, "train", 7)
    assert a[0] == b[0] and np.array_equal(a[2], b[2]) and np.array_equal(a[3], b[3])
    assert ds.edit_at(1, "train", 7)[0] != a[0]
    assert ds.sentence_at(0, "train", 7, a[0], "seen") == ds.sentence_at(0, "train", 7, a[0], "seen")


@pytest.mark.parametrize(
    "occluded",
    [
        BASE,
        # long hair, glasses, a long beard and a hoodie cover the most
        BASE.replace(hair="long curly", glasses="round", facial_hair="long beard", clothing="hoodie"),
        BASE.replace(hair="afro", glasses="clear", facial_hair="moustache", clothing="blazer"),
    ],
)
def test_every_value_of_every_attribute_is_visibly_different(occluded):
    for a in ATTRIBUTES:
        parent = a.depends_on[0] if a.depends_on else None
        base = occluded if parent is None or occluded.observable(a.name) else _with(occluded, parent, "beard")
        values = [v for v in a.values if v != "none"] if a.depends_on else list(a.values)
        renders = {v: render(_with(base, a.name, v)) for v in values}
        for v, w in itertools.combinations(values, 2):
            assert change_mask(renders[v], renders[w]).any(), f"{a.name}: {v!r} and {w!r} look the same"


def test_edits_change_exactly_one_attribute():
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(2000):
        edit = sample_edit(rng, sample_record(rng))
        diff = edit.source.differences(edit.target)
        colour = {"hair": "hair_color", "facial_hair": "facial_hair_color"}.get(edit.attribute)
        assert edit.attribute in diff
        assert set(diff) - {edit.attribute} <= ({colour} if edit.kind != "change" else set())
        assert edit.kind in KINDS
        if edit.kind == "add":
            assert edit.old == ATTRIBUTES[NAMES.index(edit.attribute)].empty
        seen.add((edit.attribute, edit.kind))
    # every attribute is edited, and add / remove both occur where there is an empty value
    assert {a for a, _ in seen} == set(NAMES)
    for a in ATTRIBUTES:
        if a.empty:
            assert {(a.name, "add"), (a.name, "remove"), (a.name, "change")} <= seen


def test_grammar_covers_every_attribute_both_ways_and_both_phrasings():
    groups = {(t.attribute, t.kind, t.heldout) for t in ALL_TEMPLATES}
    for a in ATTRIBUTES:
        kinds = ["change"] + (["add", "remove"] if a.empty else []) + (["more", "less"] if a.ordered else [])
        for kind, heldout in itertools.product(kinds, (False, True)):
            if a.depends_on is None or kind == "change":
                assert (a.name, kind, heldout) in groups, (a.name, kind, heldout)
    rng = np.random.default_rng(1)
    for _ in range(1000):
        edit = sample_edit(rng, sample_record(rng))
        for phrasing in PHRASINGS:
            text, template = describe(edit, rng, phrasing)
            assert text and "{" not in text and "}" not in text, text
            assert template.startswith(f"{edit.attribute}.")


def test_comparatives_name_a_neighbour():
    rng = np.random.default_rng(2)
    source = BASE.replace(skin="tan")
    texts = set()
    for _ in range(200):
        edit = sample_edit(rng, source, "skin")
        if edit.step == 1:
            texts.add(describe(edit, rng)[0])
    assert any("darker" in t or "darken" in t for t in texts)
    assert not any("lighter" in t or "lighten" in t for t in texts)


def test_heldout_phrasings_share_no_training_template_or_wording():
    seen = [t for t in ALL_TEMPLATES if not t.heldout]
    heldout = [t for t in ALL_TEMPLATES if t.heldout]
    assert {t.id for t in seen}.isdisjoint(t.id for t in heldout)
    assert {t.text for t in seen}.isdisjoint(t.text for t in heldout)
    vocab = ds.avatar_tokenizer().vocab
    seen_sentences = {e for t in seen for e in expansions(t.text)}
    for t in heldout:
        for sentence in expansions(t.text):
            assert sentence not in seen_sentences
            plain = sentence.replace("{", " ").replace("}", " ")
            slots = {"they", "them", "their", "np", "adj", "verb", "old", "beard", "garment"}
            unseen = [w for w in words(plain) if w not in vocab and w not in slots]
            assert unseen, f"held-out {t.id} ({sentence!r}) uses only training words"


def test_lenient_tokenizer_maps_unseen_words_to_unk_and_counts_them():
    tok = ds.avatar_tokenizer()
    assert not tok.strict
    ids = tok.encode("ditch the specs")
    assert ids[0] == 1 and ids[2] == 1 and ids[1] != 1
    assert ds.unknown_words(["ditch the specs", "take off his glasses"]) == (2, 7)


def test_label_map_names_the_parts_that_show():
    labels = label_map(BASE.replace(glasses="round"), 64)
    present = {PARTS[i] for i in np.unique(labels)}
    assert {"background", "skin", "clothing", "hair", "eyes", "mouth", "facial_hair", "glasses"} <= present
    assert "glasses" not in {PARTS[i] for i in np.unique(label_map(BASE, 64))}


def test_cache_builds_resumes_after_a_kill_and_matches_a_clean_build(tmp_path, monkeypatch):
    config = AvatarDataConfig(
        train_triplets=20, dev_triplets=4, test_triplets=4, unlabeled=20, cache_dir=str(tmp_path / "a")
    )
    monkeypatch.setattr(ds, "_CHUNK", 8)
    real = ds._unlabeled_chunk
    calls = []

    def dies_on_second_chunk(args):
        calls.append(args)
        if len(calls) == 2:
            raise KeyboardInterrupt  # as if killed mid-build
        return real(args)

    monkeypatch.setattr(ds, "_unlabeled_chunk", dies_on_second_chunk)
    cache = ds.AvatarCache(config)
    with pytest.raises(KeyboardInterrupt):
        cache.build(progress=False)
    assert not cache.complete and cache.progress()["unlabeled"] == 8 and cache.progress()["train"] == 20
    with pytest.raises(ds.DataError, match="incomplete"):
        cache.load("unlabeled")
    monkeypatch.setattr(ds, "_unlabeled_chunk", real)
    cache.build(progress=False)
    clean = ds.AvatarCache(AvatarDataConfig(**{**config.to_dict(), "cache_dir": str(tmp_path / "b")})).build(
        progress=False
    )
    assert cache.complete and cache.path.name == clean.path.name
    for name in ("unlabeled", "train_source", "train_target", "test_target_attrs"):
        assert np.array_equal(cache.load(name), clean.load(name)), name
    assert cache.meta("train") == clean.meta("train")
    bench = ds.AvatarBenchmark(config)
    batch = bench.split("train").batch([0, 3])
    assert batch.source.shape == (2, 3, 64, 64) and batch.change.shape == (2, 1, 64, 64)
    assert batch.change.flatten(1).any(dim=1).all()
    assert bench.unlabeled([1, 2]).shape == (2, 3, 64, 64)
    heldout = bench.split("test", "heldout")
    assert heldout.instructions != bench.split("test").instructions
    with pytest.raises(IndexError):
        bench.split("dev").batch([4])


def test_a_changed_config_never_reuses_a_cache(tmp_path):
    a = ds.AvatarCache(AvatarDataConfig(cache_dir=str(tmp_path)))
    b = ds.AvatarCache(AvatarDataConfig(cache_dir=str(tmp_path), seed=1))
    assert a.path != b.path
