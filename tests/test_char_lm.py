"""The character n-gram LM of the ASR's beam search (s2i_hf/models/asr/char_lm.py): a proper distribution that
learns what its text says, a file that round-trips and refuses what it cannot read.
Shallow fusion in the beam search is tested in test_asr_decoding.py."""

import json
import math

import numpy as np
import pytest

from s2i_hf.models.asr import build_processor
from s2i_hf.models.asr.char_lm import CHAR_LM_FILE, CharNGramLM

TEXTS = ["the bird has a red belly.", "the bird has a blue belly.", "a small bird with red wings."]


@pytest.fixture(scope="module")
def tokenizer():
    return build_processor().tokenizer


def test_probabilities_sum_to_one_and_follow_the_text(tokenizer):
    lm = CharNGramLM.from_texts(TEXTS, tokenizer, order=4)
    ids = tokenizer("the bird has a red bel").input_ids[:-1]
    for k in (0, 3, len(ids)):
        probs = np.exp(lm.log_probs(ids[:k]))
        assert probs.sum() == pytest.approx(1.0, abs=1e-9)
        assert probs[tokenizer.pad_token_id] == 0 and probs[tokenizer.bos_token_id] == 0  # never labels
    nxt = lm.log_probs(ids)
    assert int(np.argmax(nxt)) == tokenizer.convert_tokens_to_ids("l")  # "bel" -> "l"
    # what the text says next is likely; letters it never says there keep some mass (the tokenizer drops a final
    # space, so it is added as an id)
    seen = lm.log_probs(tokenizer("the bird has a").input_ids[:-1] + [tokenizer.convert_tokens_to_ids(" ")])
    assert seen[tokenizer.convert_tokens_to_ids("r")] > math.log(0.3)
    assert np.isfinite(seen[tokenizer.convert_tokens_to_ids("z")])
    # the end of a sentence is a label too: after "belly." the text always ended
    end = lm.log_probs(tokenizer("the bird has a red belly.").input_ids[:-1])
    assert int(np.argmax(end)) == tokenizer.eos_token_id


def test_file_round_trip_and_clear_errors(tokenizer, tmp_path):
    lm = CharNGramLM.from_texts(TEXTS, tokenizer, order=3)
    assert CharNGramLM.from_pretrained(tmp_path) is None
    lm.save_pretrained(tmp_path)
    assert not list(tmp_path.glob("*.partial"))
    again = CharNGramLM.from_pretrained(tmp_path)
    context = tokenizer("a small b").input_ids[:-1]
    assert np.array_equal(again.log_probs(context), lm.log_probs(context))
    (tmp_path / CHAR_LM_FILE).write_text(json.dumps({"order": 3, "vocab": {}}))
    with pytest.raises(ValueError, match=f"{CHAR_LM_FILE}.*not a character language model"):
        CharNGramLM.from_pretrained(tmp_path)
    with pytest.raises(ValueError, match="order must be at least 1"):
        CharNGramLM.from_texts(TEXTS, tokenizer, order=0)


def test_recipe_counts_plain_english_and_scores_held_out_text(tokenizer, tmp_path, capsys):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "recipes"))
    from train_char_lm import main

    tokenizer.save_pretrained(tmp_path)
    (tmp_path / "held_out.txt").write_text("The history of the city is a long one.\nI was born in a small town.\n")
    main(["--output_dir", str(tmp_path), "--english_sentences", "3000", "--order", "5",
          "--eval_text_file", str(tmp_path / "held_out.txt")])
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["sentences"] == {"english": 3000} and printed["characters"] > 150_000
    # counted on English, it knows English: well under the 5.3 bits a uniform guess over the labels costs
    assert printed["eval_bits_per_character"] < 3.0
    lm = CharNGramLM.from_pretrained(tmp_path)
    after_a = np.exp(lm.log_probs(tokenizer("it is a").input_ids[:-1]))
    assert after_a[tokenizer.convert_tokens_to_ids(" ")] > 0.3  # "a" is a word of the text, so a space follows it
    with pytest.raises(SystemExit, match="no text: give"):
        main(["--output_dir", str(tmp_path)])
