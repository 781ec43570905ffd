"""The pretrained sentence encoder as an instruction encoder, and the held-out digit phrasings (issue 22)."""

import json

import numpy as np
import pytest
import torch

from imi.core.errors import EmptyInstructionError, InstructionError
from imi.core.sentences import DIM, SentenceTokenizer, shared_encoder
from imi.core.text import words
from imi.domains.digits.dataset import DigitBenchmark, digit_tokenizer
from imi.domains.digits.scenes import DIGIT_WORDS, RULES, TEMPLATES


@pytest.fixture(scope="module")
def sentences():
    return SentenceTokenizer(digit_tokenizer())


def test_vectors_are_unit_and_the_empty_instruction_is_zero(sentences):
    vectors, lengths = sentences.batch(["move zero to the left", "", "  erase the seven  "])
    assert vectors.shape == (3, DIM) and vectors.dtype == torch.float32
    assert lengths.tolist() == [1, 0, 1]
    assert torch.allclose(vectors[[0, 2]].norm(dim=1), torch.ones(2), atol=1e-5)
    assert not vectors[1].any()


def test_bad_text_is_refused_not_encoded(sentences):
    with pytest.raises(EmptyInstructionError):
        sentences.batch(["!!! ???"])
    with pytest.raises(InstructionError, match="string"):
        sentences.batch([3])
    with pytest.raises(InstructionError, match="characters"):
        sentences.batch(["move " * 200])


def test_the_pretrained_encoder_knows_synonyms(sentences):
    """Words no template uses land near their meaning: the reason to ship a pretrained encoder."""
    v, _ = sentences.batch(["erase the seven", "remove seven", "put seven on the top", "enlarge the two upward"])
    assert v[0] @ v[1] > v[0] @ v[2] + 0.1  # erase ≈ remove, not put
    assert v[3] @ v[3] > 0.99


def test_cache_and_fresh_encoding_agree(sentences):
    cached, _ = sentences.batch(["slide the 3 rightward"])
    fresh, _ = sentences.batch(["slide the 3 rightward"], fresh=True)
    assert torch.allclose(cached, fresh, atol=1e-5)
    assert shared_encoder() is sentences.encoder


def test_heldout_digit_phrasings_avoid_the_template_words():
    trained = {w for t in TEMPLATES.values() for w in words(t)} | set(digit_tokenizer().vocab.words)
    shared = set(DIGIT_WORDS) | {str(d) for d in range(10)} | {"the", "to", "left", "right"}
    texts = [r.heldout_instruction(d, v) for d in range(10) for r in RULES for v in range(6)]
    used = {w for t in texts for w in words(t)}
    assert used & trained <= shared, sorted(used & trained - shared)
    assert len(set(texts)) > 3 * len({r.instruction(d) for d in range(10) for r in RULES})


def test_heldout_split_is_the_same_triplets_in_other_words():
    bench = DigitBenchmark()
    seen, held = (
        bench.split("test").batch(np.arange(0, 2000, 97)),
        bench.split("test", "heldout").batch(np.arange(0, 2000, 97)),
    )
    assert torch.equal(seen.source, held.source) and torch.equal(seen.target, held.target)
    assert all(a != b for a, b in zip(seen.texts, held.texts, strict=True))
    assert seen.instructions() == seen.texts
    # The LSTM reads them leniently: unknown words become <unk> (id 1), the digit stays known.
    assert (held.tokens == 1).any() and (held.lengths > 0).all()
    with pytest.raises(ValueError, match="phrasing"):
        bench.split("test", "casual")


def test_a_sentence_encoder_model_trains_and_reads_unseen_words(tmp_path):
    """The layout editor over sentence vectors: its loss falls on a fixed seeded problem, and the
    checkpoint edits with words outside every template."""
    from imi import Editor
    from imi.presets import resolve
    from imi.training.loop import Trainer

    overrides = {
        **{"model.text_encoder": "minilm", "train.max_steps": "120", "train.threads": "1", "train.seed": "0"},
        **{"train.log_every": "10", "train.checkpoint_every": "1000", "train.sample_every": "1000"},
        **{"data.train_per_class": "20", "data.test_per_class": "5"},
    }
    trainer = Trainer(resolve("digits-ours", overrides), tmp_path / "run")
    trainer.fit()
    rows = [json.loads(line) for line in (tmp_path / "run" / "stats.jsonl").open()]
    losses = [r["loss"] for r in rows if "loss" in r]
    assert np.mean(losses[-3:]) < 0.6 * np.mean(losses[:2])
    editor = Editor.from_pretrained(tmp_path / "run")
    assert editor.tokenizer.reads_text and editor.unknown_words("yeet the seven") == []
    batch = DigitBenchmark(editor.config.data).split("test", "heldout").batch([5])
    out = editor.edit_batch(batch, seed=0)
    assert out.shape == batch.source.shape and out.dtype == torch.uint8
