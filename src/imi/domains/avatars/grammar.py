"""Instructions the way people write them, for one-attribute avatar edits.

A template is plain text with three kinds of markup:
``(a|b)`` picks one alternative, ``[x]`` is optional, ``{slot}`` is filled
from the edit (pronouns, the new value as a noun phrase / adjective / verb,
the old value, the garment, the revealed colour). Templates are grouped by
attribute and kind of change (add / remove / change / more / less).

Every group has *seen* templates (used for train, dev and the seen-phrasing
test) and *held-out* ones (test only). Each held-out template uses words that
no seen template or value phrase contains (``ditch``, ``specs``, ``backdrop``,
…), so a model meets them as ``<unk>``: the held-out test measures whether
the value words alone carry the edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from imi.domains.avatars.edits import Edit

PHRASINGS = ("seen", "heldout")
PRONOUNS = (("he", "him", "his"), ("she", "her", "her"), ("they", "them", "their"))

# Value phrases. np: a noun phrase, adj: an adjective, verb: "make him …",
# noun: how the current value is referred to ("shave off his …").
# "{c}" inside a noun phrase is where a revealed colour goes ("a {c}bob").
PHRASES: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "hair": {
        "short": {"np": ("short {c}hair",)},
        "buzz cut": {"np": ("a {c}buzz cut", "a {c}crew cut")},
        "mohawk": {"np": ("a {c}mohawk",)},
        "bun": {"np": ("a {c}bun", "{c}hair in a bun")},
        "bob": {"np": ("a {c}bob", "a {c}bob cut")},
        "long straight": {"np": ("long straight {c}hair",)},
        "long curly": {"np": ("long curly {c}hair", "long {c}curls")},
        "afro": {"np": ("a {c}afro",)},
        "dreadlocks": {"np": ("{c}dreadlocks", "{c}dreads")},
        "spiky": {"np": ("spiky {c}hair",)},
    },
    "facial_hair": {
        "stubble": {"np": ("{c}stubble", "a {c}stubble beard"), "noun": ("stubble",)},
        "beard": {"np": ("a {c}beard",), "noun": ("beard",)},
        "long beard": {"np": ("a long {c}beard", "a big {c}beard"), "noun": ("long beard", "beard")},
        "moustache": {"np": ("a {c}moustache", "a {c}mustache"), "noun": ("moustache", "mustache")},
        "curly moustache": {"np": ("a curly {c}moustache", "a fancy {c}moustache"), "noun": ("moustache",)},
    },
    "eyebrows": {
        "normal": {"adj": ("normal", "neutral"), "np": ("normal eyebrows",)},
        "angry": {"adj": ("angry",), "np": ("angry eyebrows",)},
        "raised": {"adj": ("raised",), "np": ("raised eyebrows",)},
        "worried": {"adj": ("worried", "sad"), "np": ("worried eyebrows",)},
        "unibrow": {"adj": ("joined together",), "np": ("a unibrow",)},
        "quizzical": {"adj": ("quizzical",), "np": ("one raised eyebrow", "a quizzical eyebrow")},
    },
    "eyes": {
        "open": {"adj": ("open", "normal"), "np": ("normal eyes", "open eyes")},
        "closed": {"adj": ("closed", "shut"), "np": ("closed eyes",)},
        "happy": {"adj": ("happy", "smiling"), "np": ("happy eyes", "smiling eyes")},
        "hearts": {"adj": ("heart shaped",), "np": ("heart eyes", "hearts for eyes")},
        "winking": {"adj": ("winking",), "np": ("a wink",)},
        "wide": {"adj": ("wide open",), "np": ("wide eyes", "surprised eyes")},
        "dizzy": {"adj": ("dizzy",), "np": ("dizzy eyes", "crossed out eyes")},
        "rolling": {"adj": ("rolling",), "np": ("rolling eyes",)},
    },
    "mouth": {
        "grin": {"verb": ("grin",), "np": ("a big grin", "a grin")},
        "smile": {"verb": ("smile",), "np": ("a smile", "a gentle smile")},
        "serious": {"verb": ("look serious",), "np": ("a straight face", "a serious mouth")},
        "sad": {"verb": ("look sad", "frown"), "np": ("a frown", "a sad mouth")},
        "scream": {"verb": ("scream",), "np": ("a scream", "a screaming mouth")},
        "tongue": {"verb": ("stick out {their} tongue",), "np": ("a tongue sticking out",)},
        "grimace": {"verb": ("grimace",), "np": ("a grimace",)},
    },
    "nose": {
        "normal": {"adj": ("normal",), "np": ("a normal nose",)},
        "small": {"adj": ("small", "smaller"), "np": ("a small nose", "a little nose")},
        "wide": {"adj": ("wide", "wider", "broad"), "np": ("a wide nose", "a broad nose")},
    },
    "glasses": {
        "round": {"np": ("round glasses",)},
        "square": {"np": ("square glasses", "rectangular glasses")},
        "clear": {"np": ("clear glasses", "transparent glasses")},
    },
    "clothing": {
        "t-shirt": {"np": ("a t-shirt", "a crew neck shirt"), "noun": ("t-shirt", "shirt")},
        "v-neck": {"np": ("a v-neck", "a v-neck shirt"), "noun": ("shirt", "top")},
        "scoop neck": {"np": ("a scoop neck top", "a scoop neck shirt"), "noun": ("top", "shirt")},
        "hoodie": {"np": ("a hoodie",), "noun": ("hoodie",)},
        "overalls": {"np": ("overalls", "dungarees"), "noun": ("overalls",)},
        "sweater": {"np": ("a sweater", "a jumper"), "noun": ("sweater", "jumper")},
        "blazer": {"np": ("a blazer", "a jacket over a shirt"), "noun": ("shirt",)},
        "graphic tee": {"np": ("a graphic tee", "a printed t-shirt"), "noun": ("t-shirt", "shirt")},
    },
}
# Colours are their own words, with the spellings people use.
_COLOUR_WORDS = {"grey": ("grey", "gray"), "blonde": ("blonde", "blond")}
_SKIN_WORDS = {"tan": ("tan", "tanned"), "dark brown": ("dark brown",)}

_T = tuple[str, ...]
# (attribute, kind) → (seen templates, held-out templates)
TEMPLATES: dict[tuple[str, str], tuple[_T, _T]] = {
    ("hair", "add"): (
        ("give {them} {np}", "(add|put) {np} on {their} head", "{they} should have {np}", "make {them} grow {np}"),
        ("furnish {them} with {np}", "how about {np} for {them}"),
    ),
    ("hair", "remove"): (
        ("make {them} bald", "shave {their} head", "remove [all of] {their} hair", "{they} should be bald"),
        ("ditch every strand", "leave {their} scalp bare"),
    ),
    ("hair", "change"): (
        ("give {them} {np} [instead]", "change {their} (hair|hairstyle) to {np}", "make {their} hairstyle {np}"),
        ("switch {their} hairdo to {np}", "restyle {their} locks as {np}"),
    ),
    ("hair_color", "change"): (
        (
            "(dye|colour|color) {their} hair {adj}",
            "make {their} hair {adj}",
            "change {their} hair (colour|color) to {adj}",
            "{they} should have {adj} hair",
        ),
        ("tint {their} locks {adj}", "bleach or tint {their} mane {adj}"),
    ),
    ("facial_hair", "add"): (
        ("give {them} {np}", "add {np}", "(let|make) {them} grow {np}", "put {np} on {their} face"),
        ("{they} could sport {np}", "furnish {their} chin with {np}"),
    ),
    ("facial_hair", "remove"): (
        (
            "shave [off] {their} {old}",
            "remove {their} {old}",
            "make {them} clean shaven",
            "{they} should be clean shaven",
        ),
        ("ditch the {old}", "leave {their} chin smooth"),
    ),
    ("facial_hair", "change"): (
        (
            "change {their} {old} (to|into) {np}",
            "give {them} {np} instead of {their} {old}",
            "replace {their} {old} with {np}",
        ),
        ("swap the {old} for {np}", "{np} would suit {them} better"),
    ),
    ("facial_hair", "more"): (
        ("make {their} {old} longer", "let {their} {old} grow [longer]"),
        ("lengthen the {old}",),
    ),
    ("facial_hair", "less"): (("make {their} {old} shorter", "trim {their} {old}"), ("shorten the {old}",)),
    ("facial_hair_color", "change"): (
        (
            "(dye|colour|color) {their} {beard} {adj}",
            "make {their} {beard} {adj}",
            "change the (colour|color) of {their} {beard} to {adj}",
        ),
        ("tint the {beard} {adj}", "bleach or tint the {beard} {adj}"),
    ),
    ("skin", "change"): (
        ("make {their} skin {adj}", "change {their} skin (tone|colour|color) to {adj}", "give {them} {adj} skin"),
        ("give {them} a complexion that is {adj}", "alter the complexion to {adj}"),
    ),
    ("skin", "more"): (("make {their} skin [a bit] darker", "darken {their} skin"), ("deepen the complexion",)),
    ("skin", "less"): (("make {their} skin [a bit] lighter", "lighten {their} skin"), ("brighten the complexion",)),
    ("background", "change"): (
        (
            "make the background {adj}",
            "change the background (colour|color) to {adj}",
            "(paint|colour|color) the background {adj}",
            "use a {adj} background",
        ),
        ("switch the backdrop to {adj}", "set a {adj} backdrop"),
    ),
    ("eyebrows", "change"): (
        ("make {their} eyebrows {adj}", "give {them} {np}", "change {their} eyebrows to {np}"),
        ("alter the brows so they look {adj}", "reshape the brows into {np}"),
    ),
    ("eyes", "change"): (
        ("make {their} eyes {adj}", "give {them} {np}", "(change|turn) {their} eyes (to|into) {np}"),
        ("{their} gaze ought to be {adj}", "alter the gaze into {np}"),
    ),
    ("mouth", "change"): (
        ("make {them} {verb}", "give {them} {np}", "change {their} (mouth|expression) to {np}"),
        ("{they} ought to {verb}", "swap the expression for {np}"),
    ),
    ("nose", "change"): (
        ("give {them} {np}", "make {their} nose {adj}", "change {their} nose to {np}"),
        ("reshape the snout to be {adj}", "swap the snout for {np}"),
    ),
    ("glasses", "add"): (
        ("put {np} on {them}", "give {them} {np}", "add {np}", "{they} should wear {np}", "make {them} wear {np}"),
        ("equip {them} with {np}", "slap {np} onto {their} face"),
    ),
    ("glasses", "remove"): (
        (
            "take off {their} glasses",
            "remove {their} glasses",
            "take {their} glasses off",
            "no glasses [please]",
            "{they} should not wear glasses",
        ),
        ("ditch the specs", "lose the spectacles"),
    ),
    ("glasses", "change"): (
        ("give {them} {np} instead", "change {their} glasses to {np}", "replace {their} glasses with {np}"),
        ("swap the specs for {np}", "trade the spectacles for {np}"),
    ),
    ("clothing", "change"): (
        (
            "dress {them} in {np}",
            "put {them} in {np}",
            "give {them} {np}",
            "change {their} (clothes|outfit|top) to {np}",
            "make {them} wear {np}",
        ),
        ("clothe {them} in {np}", "have {them} don {np}"),
    ),
    ("clothing_color", "change"): (
        (
            "make {their} {garment} {adj}",
            "(dye|colour|color) {their} {garment} {adj}",
            "change the (colour|color) of {their} {garment} to {adj}",
            "{their} {garment} should be {adj}",
        ),
        ("tint the {garment} {adj}", "recolour the {garment} in {adj}"),
    ),
}
PREFIXES = {"seen": ("please ", "can you ", "now ", "could you "), "heldout": ("kindly ", "i'd like you to ")}
SUFFIXES = {
    "seen": (" please", " for me", " and keep everything else the same", " but leave the rest alone"),
    "heldout": (" thanks", " without touching anything else"),
}
_AFFIX_SHARE = 0.25  # how often a prefix (and, independently, a suffix) is added


@dataclass(frozen=True)
class Template:
    """One template: where it belongs and whether it is held out."""

    id: str
    attribute: str
    kind: str
    text: str
    heldout: bool


def _all_templates() -> tuple[Template, ...]:
    out = []
    for (attr, kind), (seen, heldout) in TEMPLATES.items():
        for split, texts in (("s", seen), ("h", heldout)):
            out += [Template(f"{attr}.{kind}.{split}{i}", attr, kind, t, split == "h") for i, t in enumerate(texts)]
    return tuple(out)


ALL_TEMPLATES = _all_templates()


def expand(text: str, rng: np.random.Generator) -> str:
    """Resolve ``(a|b)`` and ``[x]`` markup (nesting allowed) with ``rng``."""
    out, _ = _expand(text, 0, rng, stop="")
    return out


def _expand(text: str, i: int, rng: np.random.Generator | None, stop: str) -> tuple[str, int]:
    """Expand until a character in ``stop``; ``rng=None`` keeps the first option (for parsing)."""
    parts: list[str] = []
    while i < len(text) and text[i] not in stop:
        c = text[i]
        if c in "([":
            options, i = _options(text, i + 1, rng, close=")" if c == "(" else "]")
            if c == "[":
                options = ["", *options]
            parts.append(options[0] if rng is None else options[rng.integers(len(options))])
        else:
            parts.append(c)
            i += 1
    return "".join(parts), i


def _options(text: str, i: int, rng, close: str) -> tuple[list[str], int]:
    options = []
    while True:
        option, i = _expand(text, i, rng, stop="|" + close)
        options.append(option)
        if i >= len(text):
            raise ValueError(f"unbalanced template {text!r}")
        if text[i] == close:
            return options, i + 1
        i += 1


def expansions(text: str) -> list[str]:
    """Every sentence a template can produce, with slots left as ``{slot}``."""
    m = re.search(r"[(\[]", text)
    if m is None:
        return [text]
    start = m.start()
    close = ")" if text[start] == "(" else "]"
    depth, end = 0, start
    for end in range(start, len(text)):
        depth += text[end] in "(["
        depth -= text[end] in ")]"
        if depth == 0:
            break
    inner, head, tail = text[start + 1 : end], text[:start], text[end + 1 :]
    options, depth, current = [], 0, ""
    for ch in inner:
        if ch == "|" and depth == 0:
            options.append(current)
            current = ""
            continue
        depth += ch in "(["
        depth -= ch in ")]"
        current += ch
    options.append(current)
    if close == "]":
        options.append("")
    return [s for o in options for s in expansions(head + o + tail)]


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[rng.integers(len(options))]


def _word_for(attribute: str, value: str, rng: np.random.Generator) -> str:
    """A colour or skin word (with its spelling variants)."""
    table = _SKIN_WORDS if attribute == "skin" else _COLOUR_WORDS
    return _pick(rng, table.get(value, (value,)))


def _slots(edit: Edit, rng: np.random.Generator) -> dict[str, str]:
    they, them, their = PRONOUNS[rng.integers(len(PRONOUNS))]
    a, value = edit.attribute, edit.value
    slots = {"they": they, "them": them, "their": their}
    phrases = PHRASES.get(a, {})
    colour = edit.colour
    c = f"{_word_for('hair_color', colour, rng)} " if colour else ""
    entry = phrases.get(value, {})
    if "np" in entry:
        slots["np"] = _pick(rng, entry["np"]).replace("{c}", c)
    if "verb" in entry:
        slots["verb"] = _pick(rng, entry["verb"])
    slots["adj"] = _pick(rng, entry["adj"]) if "adj" in entry else _word_for(a, value, rng)
    old = phrases.get(edit.old, {})
    if "noun" in old:
        slots["old"] = _pick(rng, old["noun"])
    beard = PHRASES["facial_hair"].get(edit.source["facial_hair"], {})
    if "noun" in beard:
        slots["beard"] = _pick(rng, beard["noun"])
    slots["garment"] = _pick(rng, (*PHRASES["clothing"][edit.source["clothing"]]["noun"], "clothes", "outfit"))
    return slots


def _articles(text: str) -> str:
    """``a afro`` → ``an afro``; ``a unibrow`` stays."""
    return re.sub(r"\ba (?=(?!uni)[aeiou])", "an ", text)


def describe(edit: Edit, rng: np.random.Generator, phrasing: str = "seen") -> tuple[str, str]:
    """One instruction for ``edit``: ``(text, template id)``.

    ``phrasing`` is ``"seen"`` (the templates training uses) or
    ``"heldout"`` (the test-only ones). Neighbouring values on an ordered
    scale are described by a comparative ("make his skin darker") half the
    time.
    """
    if phrasing not in PHRASINGS:
        raise ValueError(f"phrasing must be one of {PHRASINGS}, got {phrasing!r}")
    heldout = phrasing == "heldout"
    kind = edit.kind
    if edit.step and rng.random() < 0.5:
        kind = "more" if edit.step > 0 else "less"
    pool = [t for t in ALL_TEMPLATES if t.attribute == edit.attribute and t.kind == kind and t.heldout == heldout]
    template = pool[rng.integers(len(pool))]
    text = expand(template.text, rng)
    # "please …" only before an imperative, never before "{they} should …".
    imperative = not template.text.startswith("{")
    prefix = _pick(rng, PREFIXES[phrasing]) if rng.random() < _AFFIX_SHARE and imperative else ""
    suffix = _pick(rng, SUFFIXES[phrasing]) if rng.random() < _AFFIX_SHARE else ""
    slots = _slots(edit, rng)
    # Slot values may contain slots themselves ("stick out {their} tongue").
    for _ in range(2):
        text = text.format(**slots) if "{" in text else text
    return _articles(prefix + text + suffix), template.id
