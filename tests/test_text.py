"""Tokenizer: vocabulary from the templates, padding, and unknown-word errors."""

import pytest

from imi.core.errors import UnknownWordError
from imi.core.text import Tokenizer, Vocabulary
from imi.domains.digits.dataset import digit_tokenizer


def test_vocabulary_is_the_template_words():
    vocab = digit_tokenizer().vocab
    assert set(vocab.words) == {
        "put", "on", "the", "remove", "move", "to", "expand", "compress",
        "top", "bottom", "left", "right", "middle",
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    }  # fmt: skip
    assert vocab.itos[:2] == ("<pad>", "<unk>")


def test_batch_pads_and_reports_lengths():
    tok = digit_tokenizer()
    ids, lengths = tok.batch(["move zero to the left", "remove one", ""])
    assert ids.shape == (3, 5)
    assert lengths.tolist() == [5, 2, 0]
    assert ids[1, 2:].tolist() == [0, 0, 0] and ids[2].tolist() == [0] * 5
    assert tok.decode(ids[0].tolist()) == "move zero to the left"


def test_case_and_punctuation_are_ignored():
    tok = digit_tokenizer()
    assert tok.encode("Move ZERO to the left!") == tok.encode("move zero to the left")


def test_empty_instruction_means_no_change():
    ids, lengths = digit_tokenizer().batch(["", "   "])
    assert lengths.tolist() == [0, 0] and ids.shape == (2, 1)


def test_unknown_words_are_named_with_suggestions():
    with pytest.raises(UnknownWordError) as err:
        digit_tokenizer().encode("mvoe zero to the lefft please")
    assert err.value.words == ["mvoe", "lefft", "please"]
    message = str(err.value)
    assert "'mvoe' (did you mean move" in message
    assert "'lefft' (did you mean left" in message


def test_lenient_mode_maps_to_unk():
    tok = Tokenizer(Vocabulary.build(["take off the glasses"]), strict=False)
    assert tok.encode("take off the hat") == [tok.vocab.id("take"), tok.vocab.id("off"), tok.vocab.id("the"), 1]


def test_words_of_any_script_stay_whole():
    from imi.core.text import words

    assert words("Put zéro on the top-left, it's fine") == ["put", "zéro", "on", "the", "top", "left", "it's", "fine"]
    assert words("把零向右移动") == ["把零向右移动"]


@pytest.mark.parametrize("text", ["!!! ???", "…", "--- ,,,"])
def test_text_without_words_is_refused_not_read_as_empty(text):
    from imi.core.errors import EmptyInstructionError

    for tok in (digit_tokenizer(), Tokenizer(Vocabulary.build(["take off the glasses"]), strict=False)):
        with pytest.raises(EmptyInstructionError, match="has no words"):
            tok.encode(text)


def test_lenient_mode_refuses_an_instruction_with_no_known_word():
    tok = Tokenizer(Vocabulary.build(["take off the glasses"]), strict=False)
    with pytest.raises(UnknownWordError, match=r"none of the words is known.*<unk>") as err:
        tok.encode("把零向右移动 zorblax")
    assert err.value.words == ["把零向右移动", "zorblax"]


def test_messages_quote_long_words_briefly():
    with pytest.raises(UnknownWordError) as err:
        digit_tokenizer().encode("x" * 10_000)
    assert len(str(err.value)) < 400 and "xxx…'" in str(err.value)


def test_an_instruction_must_be_text():
    from imi.core.errors import InstructionError

    for value in (123, None, b"move zero"):
        with pytest.raises(InstructionError, match="must be a string"):
            digit_tokenizer().encode(value)
