"""Joint CTC/attention decoding (s2i_hf/models/asr/decoding.py): the CTC prefix scores against brute force and
torch's CTC loss, the beam search against greedy generate, shallow fusion with a character LM, and the CTC head
file."""

import itertools
import math

import numpy as np
import pytest
import torch

from s2i_hf.models.asr import build_model, build_processor, load_ctc_head, save_ctc_head, transcribe
from s2i_hf.models.asr.char_lm import CharNGramLM
from s2i_hf.models.asr.decoding import CTCPrefixScorer, joint_ctc_attention_beam_search

BLANK, EOS = 1, 2


def _log_probs(frames=5, vocab=4, seed=0):
    rng = np.random.default_rng(seed)
    return np.log(rng.dirichlet(np.ones(vocab), size=frames))


def _collapse(path):
    out, prev = [], None
    for label in path:
        if label != prev and label != BLANK:
            out.append(label)
        prev = label
    return tuple(out)


def _score_incrementally(scorer, labels):
    """Prefix scores of labels[:1], labels[:2], ... (the last may be EOS), as a beam search computes them."""
    state, last, scores = scorer.initial_state()[:, :, None], np.array([-1]), []
    for n, label in enumerate(labels):
        psi, r = scorer.score(n, last, state, np.array([label]))
        scores.append(float(psi[0]))
        state, last = r, np.array([label])
    return scores


def test_ctc_prefix_scores_equal_brute_force_sums_over_alignments():
    x = _log_probs(frames=5, vocab=4)  # labels 0 and 3; 1 is the blank, 2 </s> (never emitted by CTC)
    scorer = CTCPrefixScorer(x, blank=BLANK, eos=EOS)
    prefix_mass, full_mass = {}, {}
    for path in itertools.product(range(4), repeat=5):  # every label has mass, the EOS id too
        p = math.exp(sum(x[t, c] for t, c in enumerate(path)))
        out = _collapse(path)
        full_mass[out] = full_mass.get(out, 0.0) + p
        for k in range(1, len(out) + 1):
            prefix_mass[out[:k]] = prefix_mass.get(out[:k], 0.0) + p
    for labels in [(0,), (3, 0), (0, 0), (3, 3, 0), (0, 3, 0, 3)]:
        got = _score_incrementally(scorer, labels)
        for k in range(1, len(labels) + 1):
            assert got[k - 1] == pytest.approx(math.log(prefix_mass[labels[:k]]), abs=1e-9), (labels, k)
        # ending the hypothesis (</s>) gives the probability of exactly this label sequence
        ended = _score_incrementally(scorer, (*labels, EOS))[-1]
        assert ended == pytest.approx(math.log(full_mass[labels]), abs=1e-9), labels


def test_ctc_prefix_score_of_an_ended_sequence_equals_torch_ctc_loss():
    x = _log_probs(frames=40, vocab=9, seed=3)
    labels = [0, 4, 4, 7, 3, 8, 0, 5]
    ended = _score_incrementally(CTCPrefixScorer(x, blank=BLANK, eos=EOS), [*labels, EOS])[-1]
    loss = torch.nn.functional.ctc_loss(torch.tensor(x).unsqueeze(1), torch.tensor([labels]), torch.tensor([40]),
                                        torch.tensor([len(labels)]), blank=BLANK, reduction="sum")
    assert ended == pytest.approx(-loss.item(), abs=1e-6)


def test_relaxed_repeats_let_a_doubled_letter_share_a_run_of_frames_and_change_nothing_else():
    # frames: a a n, peaked, no blank between the two a's: exact CTC can hardly spell "aan", the relaxed scorer can
    x = np.log(np.full((3, 4), 1e-4))
    for t, label in enumerate((0, 0, 3)):
        x[t, label] = np.log(1 - 3e-4)
    strict, relaxed = CTCPrefixScorer(x, BLANK, EOS), CTCPrefixScorer(x, BLANK, EOS, strict_repeats=False)
    assert _score_incrementally(strict, (0, 0, 3, EOS))[-1] < -8  # needs a blank frame it does not have
    assert _score_incrementally(relaxed, (0, 0, 3, EOS))[-1] > -0.1
    assert _score_incrementally(relaxed, (0, 3, EOS))[-1] == pytest.approx(_score_incrementally(strict, (0, 3, EOS))[-1])
    # without a doubled letter the two scorers agree exactly
    y = _log_probs(frames=12, vocab=6, seed=5)
    for labels in [(0, 3, 4, EOS), (5, 0, 3, 0, EOS)]:
        assert _score_incrementally(CTCPrefixScorer(y, BLANK, EOS, strict_repeats=False), labels) == pytest.approx(
            _score_incrementally(CTCPrefixScorer(y, BLANK, EOS), labels), abs=1e-12)


@pytest.fixture(scope="module")
def tiny_asr():
    torch.manual_seed(0)
    processor = build_processor()
    model = build_model(processor, d_model=32, encoder_layers=1, decoder_layers=1, attention_heads=2, ffn_dim=64,
                        conv_channels=32).eval()
    head = torch.nn.Linear(32, model.config.vocab_size)
    rng = np.random.default_rng(0)
    waves = [rng.normal(0, 0.1, n).astype(np.float32) for n in (16000, 9000)]
    inputs = processor.feature_extractor(waves, sampling_rate=16000, padding=True, return_attention_mask=True,
                                         return_tensors="pt")
    return model, processor, head, inputs


def test_beam_one_without_ctc_is_greedy_attention_decoding(tiny_asr):
    model, processor, head, inputs = tiny_asr
    ours = joint_ctc_attention_beam_search(model, head, inputs.input_features, inputs.attention_mask, beam_size=1,
                                           ctc_weight=0.0, max_length=12)
    config = model.config
    greedy = model.generate(inputs.input_features, attention_mask=inputs.attention_mask, max_length=14,
                            suppress_tokens=[config.pad_token_id, config.bos_token_id], num_beams=1, do_sample=False)
    for mine, theirs in zip(ours, greedy.tolist()):
        theirs = theirs[1:]  # the decoder start token
        theirs = theirs[: theirs.index(config.eos_token_id)] if config.eos_token_id in theirs else theirs
        assert mine == theirs[: len(mine)] and len(mine) in (len(theirs), 12)


def test_joint_decoding_follows_a_confident_ctc_head(tiny_asr):
    """A CTC head that is certain of one spelling makes the beam (ctc_weight near 1) spell exactly that, whatever
    the untrained attention decoder prefers: the CTC prefix score rules the other continuations out."""
    model, processor, _, inputs = tiny_asr
    tok = processor.tokenizer
    target = tok("ab").input_ids[:-1]
    frames = model.model.encoder._get_feature_vector_attention_mask(
        model.get_encoder()(inputs.input_features[:1]).last_hidden_state.shape[1], inputs.attention_mask[:1]).sum()

    class ScriptedHead(torch.nn.Module):  # frame 0 says "a", frame 2 says "b", every other frame blank
        def forward(self, states):
            logits = torch.full((*states.shape[:2], model.config.vocab_size), -30.0)
            logits[..., BLANK] = 0.0
            logits[:, 0, BLANK], logits[:, 0, target[0]] = -30.0, 0.0
            logits[:, 2, BLANK], logits[:, 2, target[1]] = -30.0, 0.0
            return logits

    ids = joint_ctc_attention_beam_search(model, ScriptedHead(), inputs.input_features[:1],
                                          inputs.attention_mask[:1], beam_size=model.config.vocab_size,
                                          ctc_weight=0.99)
    assert frames > 3 and ids == [target]


def test_fusion_moves_the_beam_to_the_lm_spelling(tiny_asr):
    """An untrained model and a flat CTC head leave the choice to the LM: with a heavy LM weight the beam spells
    what the LM's one sentence says; at weight 0 the LM changes nothing."""
    model, processor, _, inputs = tiny_asr
    tok = processor.tokenizer
    lm = CharNGramLM.from_texts(["ab"] * 5, tok, order=3)

    class FlatHead(torch.nn.Module):
        def forward(self, states):
            return torch.zeros((*states.shape[:2], model.config.vocab_size))

    args = (model, FlatHead(), inputs.input_features[:1], inputs.attention_mask[:1])
    plain = joint_ctc_attention_beam_search(*args, beam_size=4, ctc_weight=0.5)
    assert joint_ctc_attention_beam_search(*args, beam_size=4, ctc_weight=0.5, lm=lm, lm_weight=0.0) == plain
    fused = joint_ctc_attention_beam_search(*args, beam_size=model.config.vocab_size, ctc_weight=0.5, lm=lm,
                                            lm_weight=20.0)
    assert fused == [tok("ab").input_ids[:-1]]


def test_ctc_head_file_round_trip_and_mismatch_error(tiny_asr, tmp_path):
    model, processor, head, inputs = tiny_asr
    assert load_ctc_head(tmp_path, model) is None  # a model trained without CTC
    save_ctc_head(head, tmp_path)
    assert not list(tmp_path.glob("*.partial"))
    again = load_ctc_head(tmp_path, model)
    assert torch.equal(again.weight, head.weight) and torch.equal(again.bias, head.bias)
    other = build_model(processor, d_model=16, encoder_layers=1, decoder_layers=1, attention_heads=2, ffn_dim=32,
                        conv_channels=16)
    with pytest.raises(ValueError, match="ctc_head.safetensors.*d_model 16"):
        load_ctc_head(tmp_path, other)
    waves = [np.zeros(8000, np.float32), np.random.default_rng(1).normal(0, 0.1, 8000).astype(np.float32)]
    texts = transcribe(model, processor, waves, ctc_head=again, max_length=5)
    assert texts[0] == "" and isinstance(texts[1], str) and len(texts[1]) <= 5
