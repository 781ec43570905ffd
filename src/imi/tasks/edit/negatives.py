"""Sentences no image editor of ours can carry out: the instruction reader's negative examples.

A reader trained only on what a domain can do has never seen what it cannot, and its softmax
is often sure of nonsense. These sentences teach it an "in the domain or not" output. They
come from a small grammar of requests people make of assistants and photo tools: errands,
questions, photo filters, new objects and creatures. Its content words are kept apart from the
hand-written out-of-domain set that measures refusal (tests/data/out_of_domain.json; a test
checks the two share no content word), so that set measures how refusal carries over to new
requests, as held-out phrasings measure how understanding does.

The grammar is domain-agnostic on purpose: it says nothing about avatars or digits, so a
sentence of either domain is never among its negatives.
"""

from __future__ import annotations

import itertools
import random

_ERRANDS = (
    "buy", "cancel", "schedule", "reschedule", "find", "search for", "download", "install", "open", "close",
    "summarise", "explain", "recommend", "remind me about", "look up", "check", "pay", "forward", "archive", "share",
)  # fmt: skip
_THINGS = (
    "the ferry timetable", "a taxi", "the weather forecast", "the news", "a recipe for soup", "my calendar",
    "the spreadsheet", "a hotel room", "a birthday present", "the stock price", "a film for tonight", "the lights",
    "the heating", "a meeting with sam", "my last invoice", "the shopping list", "a podcast", "the bank statement",
    "a restaurant nearby", "the football score", "the bus timetable", "an umbrella", "the electricity bill",
)  # fmt: skip
_QUESTIONS = (
    "who wrote {}", "how old is {}", "where is {}", "why is {} famous", "how do you spell {}", "what is {} made of",
    "when was {} built", "how far away is {}",
)  # fmt: skip
_TOPICS = (
    "the eiffel tower", "mount everest", "the pacific ocean", "hamlet", "the roman empire", "jupiter",
    "the great wall", "the amazon river", "the mona lisa", "chess", "the internet", "gravity", "the olympics",
)  # fmt: skip
_FILTERS = (
    "sharpen the snapshot", "resize the snapshot to half", "apply a sepia filter", "add a watermark",
    "straighten the horizon", "fix the lens distortion", "alter the aspect ratio", "make it grainy", "add a vignette",
    "boost the saturation", "lower the exposure", "denoise the frame", "export it as a jpeg", "upscale the snapshot",
    "add a lens flare", "apply a vintage look", "auto enhance the frame", "undo everything", "zoom in a lot",
)  # fmt: skip
_OBJECTS = (
    "a lamp", "a bicycle", "a guitar", "a horse", "a castle", "a rainbow", "a boat", "some balloons", "a bird",
    "a volcano", "a waterfall", "a spaceship", "a candle", "a clock", "a tractor", "a bridge", "a lighthouse",
    "a cactus", "a kite", "a harp", "a pumpkin", "fireworks", "a snowman",
)  # fmt: skip
_ADD = ("add {}", "put {} somewhere", "paint {} far off", "insert {} into the scene", "show {} overhead")
_CREATURES = (
    "an alien", "a vampire", "a pirate", "a ghost", "a superhero", "a knight", "a wizard", "a mermaid", "a dinosaur",
    "an elephant", "a penguin", "a tiger", "a rabbit", "a fox",
)  # fmt: skip
_TURN = ("turn it into {}", "make it look like {}", "transform everything into {}", "replace it with {}")
_WEAR = ("give him {}", "give her {}", "give them {}", "let him wear {}", "she should have {}", "put {} on him")
_ACCESSORIES = (
    "a backpack", "a cape", "a bow tie", "gloves", "a wristwatch", "a helmet", "boots", "a medal", "a scarf",
    "a bracelet", "a ring", "an eyepatch", "a mask", "headphones", "a halo", "horns", "a microphone", "a flower",
    "a badge", "a briefcase", "a lollipop", "a sombrero", "a bandage", "a wand",
)  # fmt: skip
_BECOME = ("make him {}", "make her {}", "make them {}", "he should look {}", "she should be {}")
_STATES = (
    "heavier", "stronger", "younger", "famous", "invisible", "richer", "faster", "shorter", "thinner", "a teacher",
    "a doctor", "a king", "an astronaut", "transparent", "glow", "sparkle", "gigantic", "like a statue",
)  # fmt: skip
_CHAT = (
    "hi there", "thank you very much", "good morning", "how are you today", "never mind", "i am bored",
    "this is great", "can you hear me", "what can you do", "are you human", "goodbye for now", "lol",
    "let us try something else", "that was wrong", "i like turtles", "sorry", "test test", "ok",
)  # fmt: skip


def negative_sentences(seed: int = 0, limit: int = 3000) -> list[str]:
    """Up to ``limit`` distinct out-of-domain sentences, a pure function of ``seed``."""
    pool = [f"{e} {t}" for e, t in itertools.product(_ERRANDS, _THINGS)]
    pool += [q.format(t) for q, t in itertools.product(_QUESTIONS, _TOPICS)]
    pool += list(_FILTERS) + [f"please {f}" for f in _FILTERS]
    pool += [a.format(o) for a, o in itertools.product(_ADD, _OBJECTS)]
    pool += [t.format(c) for t, c in itertools.product(_TURN, _CREATURES)]
    pool += [w.format(a) for w, a in itertools.product(_WEAR, _ACCESSORIES)]
    pool += [b.format(x) for b, x in itertools.product(_BECOME, _STATES)]
    pool += list(_CHAT)
    pool = sorted(set(pool))
    random.Random(seed).shuffle(pool)
    return pool[:limit]


STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "it",
        "my",
        "me",
        "is",
        "of",
        "to",
        "for",
        "in",
        "into",
        "with",
        "you",
        "i",
        "do",
        "how",
        "what",
        "why",
        "who",
        "when",
        "where",
        "are",
        "can",
        "some",
        "this",
        "that",
        "at",
        "on",
        "be",
        "please",
        "make",
        "add",
        "put",
        "give",
        "turn",
        "up",
        "by",
        "as",
        "him",
        "her",
        "his",
        "he",
        "she",
    ]
)


def content_words(sentences: list[str]) -> set[str]:
    """The words of ``sentences`` other than :data:`STOP_WORDS` (a test compares the grammar's with the
    refusal set's: they must not meet)."""
    return {w for s in sentences for w in s.lower().split()} - STOP_WORDS
