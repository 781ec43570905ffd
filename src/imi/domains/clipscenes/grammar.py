"""ClipScenes' captions (SPEC §3) and the parser that reads a sentence back into its place and person.

A caption names the scene's main person, by kind only ("a woman") or as one specific type ("a woman
with red hair", "the boy in the green shirt"), says what they do, and in about half of the captions
where: "a woman with red hair is reading in the living room", "outside, a man waves".

The paper parses the text with the Stanford Parser; no parser with an English model installs offline
here (spaCy's and benepar's models are downloads), so :func:`parse` is a documented rule-based chunker
over this grammar's words and their common synonyms: it finds the place phrase, the person noun and a
colour bound to "hair" or to "shirt"/"top"/"dress". Words it does not know are ignored, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from imi.domains.clipscenes.schema import HAIRS, KINDS, LOOKS, PEOPLE, PLACES, SHIRTS

# Place phrases, by place; the first few are the grammar's, the rest are what the parser also knows.
PLACE_PHRASES = {
    "indoor": ("in the living room", "inside", "at home", "in the kitchen", "indoors"),
    "outdoor": ("outside", "in the park", "in the yard", "on the playground", "outdoors"),
}
PLACE_WORDS = {
    "indoor": ("living room", "inside", "indoors", "at home", "kitchen", "house", "room", "bedroom", "apartment"),
    "outdoor": ("outside", "outdoors", "park", "yard", "playground", "garden", "field", "street"),
}
KIND_WORDS = {
    "man": ("man", "guy", "gentleman", "father", "dad"),
    "woman": ("woman", "lady", "mother", "mom"),
    "boy": ("boy", "son"),
    "girl": ("girl", "daughter"),
}
ACTIONS = ("is reading", "waves", "is standing", "is smiling", "is waiting", "looks around", "is eating",
           "is talking", "is resting", "is playing")  # fmt: skip


@dataclass(frozen=True)
class Caption:
    """One caption and what it names (−1: not named)."""

    text: str
    place: int  # index into PLACES, or −1 when the caption leaves the place out
    kind: int  # index into KINDS
    person: int  # the person type when the caption names one specifically, else −1


def subject(person: int, specific: bool, form: int) -> str:
    """ "a woman", or "a woman with red hair" / "the woman in the blue shirt" (``form`` picks)."""
    p = PEOPLE[person]
    article = "a" if form % 2 == 0 else "the"
    if not specific:
        return f"{article} {p.kind}"
    if form // 2 == 0:
        return f"{article} {p.kind} with {p.hair} hair"
    return (
        f"{article} {p.kind} in the {p.shirt} shirt" if article == "the" else f"{article} {p.kind} in a {p.shirt} shirt"
    )


def caption(person: int, place: int, name_place: bool, specific: bool, rng: np.random.Generator) -> Caption:
    """The caption of a scene whose main person is type ``person`` at place ``place``."""
    who = subject(person, specific, int(rng.integers(4)))
    act = ACTIONS[int(rng.integers(len(ACTIONS)))]
    if not name_place:
        text = f"{who} {act}"
    else:
        phrases = PLACE_PHRASES[PLACES[place]][:4]
        where = phrases[int(rng.integers(len(phrases)))]
        text = f"{where}, {who} {act}" if rng.random() < 0.25 else f"{who} {act} {where}"
    return Caption(text, place if name_place else -1, PEOPLE[person].kind_index, person if specific else -1)


def all_words() -> list[str]:
    """Every word the grammar can produce (the vocabulary of its captions)."""
    words = {"a", "the", "with", "hair", "in", "shirt"}
    words |= set(KINDS) | set(HAIRS) | set(SHIRTS)
    for phrases in PLACE_PHRASES.values():
        for ph in phrases:
            words |= set(ph.split())
    for a in ACTIONS:
        words |= set(a.split())
    return sorted(words)


_WORD = re.compile(r"[a-z]+")
_SHIRT_NOUNS = ("shirt", "top", "dress", "sweater", "t-shirt", "jumper")


@dataclass(frozen=True)
class Parsed:
    """What :func:`parse` read: indices into PLACES / KINDS / PEOPLE, −1 when the text does not say."""

    place: int
    kind: int
    person: int

    def describe(self) -> str:
        place = PLACES[self.place] if self.place >= 0 else "—"
        if self.person >= 0:
            who = PEOPLE[self.person].name
        else:
            who = f"a {KINDS[self.kind]} (kind only)" if self.kind >= 0 else "—"
        return f"place: {place}; person: {who}"


def parse(text: str) -> Parsed:
    """The place and the person a sentence names (see the module docstring). ``text`` is any string."""
    low = " ".join(_WORD.findall(text.lower().replace("t-shirt", "shirt")))
    padded = f" {low} "
    place = -1
    hits = [(padded.find(f" {w} "), p) for p, ws in enumerate(PLACE_WORDS.values()) for w in ws if f" {w} " in padded]
    if hits:
        place = min(hits)[1]  # the first place phrase in the sentence
    kind = -1
    found = [(padded.find(f" {w} "), k) for k, ws in enumerate(KIND_WORDS.values()) for w in ws if f" {w} " in padded]
    if found:
        kind = min(found)[1]
    person = -1
    if kind >= 0:
        words = low.split()
        hair = _colour_before(words, ("hair", "haired"), HAIRS)
        shirt = _colour_before(words, _SHIRT_NOUNS, SHIRTS)
        for look in range(LOOKS):
            t = PEOPLE[kind * LOOKS + look]
            if (shirt and t.shirt == shirt) or (hair and t.hair == hair):
                person = t.index
                break
    return Parsed(place, kind, person)


def _colour_before(words: list[str], nouns: tuple[str, ...], colours: dict) -> str | None:
    """The colour word right before one of ``nouns`` ("red hair", "blue shirt"), with one word between allowed."""
    for i, w in enumerate(words):
        if w in nouns:
            for j in (i - 1, i - 2):
                if j >= 0 and _colour(words[j], colours):
                    return _colour(words[j], colours)
    return None


_SYNONYMS = {"blond": "blonde", "gray": "grey", "silver": "grey", "ginger": "red", "dark": "black"}


def _colour(word: str, colours: dict) -> str | None:
    word = _SYNONYMS.get(word, word)
    return word if word in colours else None
