"""Joint CTC/attention decoding: an attention beam search in which every proposed character is also scored by the
CTC prefix probability of the encoder's CTC head (Watanabe et al. 2017; ESPnet's joint decoding).

Why: a small attention decoder trained for minutes has learned the language of the captions better than the
alignment, so greedy autoregressive decoding skips or repeats whole phrases ("a long gray beak, a long orange
beak"); the CTC head on the encoder cannot skip or repeat (its path is monotonic through the audio) but spells
words wrong ("a sal ird"). The decoder proposes, the CTC prefix score keeps only what the audio holds there.

This file imports nothing from s2i_hf, so it can be copied beside a saved model for `trust_remote_code` loading.
"""

from __future__ import annotations

import os

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from transformers.cache_utils import DynamicCache, EncoderDecoderCache


class CTCPrefixScorer:
    """log p_ctc(prefix... | audio) of label prefixes extended one label at a time (Watanabe et al. 2017, Alg. 2):
    the probability of all CTC paths that begin with the prefix, whatever follows. It lets an attention beam
    search keep only the continuations the audio can account for, in order, once each.

    `state` of a prefix: (frames, 2) forward log-probabilities of the prefix ending at frame t in a label (0) or a
    blank (1). All hypotheses of a synchronous beam have the same length, so one pass over the frames scores every
    candidate continuation of every hypothesis at once.

    `strict_repeats=False` lets a doubled letter follow its twin without a blank between them (each still takes a
    frame of its own). Exact CTC needs letter, blank, letter for "ee", three frames of 40 ms inside one vowel,
    which a quick speaker does not leave: the head then spells "gren" and "bely", and at CTC weight 0.5 it outvotes
    a decoder that knows "green" (unseen engines' "green" right 9 times in 49; docs/studies/asr.md). Relaxed, the
    head still places every letter in order and leaves doubling to the decoder.
    """

    def __init__(self, log_probs: np.ndarray, blank: int, eos: int, strict_repeats: bool = True):
        self.x = log_probs.astype(np.float64)  # (frames, vocab)
        self.blank, self.eos, self.strict_repeats = blank, eos, strict_repeats

    def initial_state(self) -> np.ndarray:
        state = np.full((len(self.x), 2), -np.inf)
        state[:, 1] = np.cumsum(self.x[:, self.blank])
        return state

    def score(self, prefix_length: int, last: np.ndarray, states: np.ndarray, labels: np.ndarray):
        """Prefix scores (n,) and states (frames, 2, n) of n continuations: hypothesis j (last label `last[j]`,
        -1 for none; `states[..., j]`) extended by `labels[j]`."""
        frames = len(self.x)
        xs = self.x[:, labels]  # (frames, n)
        r = np.full((frames, 2, len(labels)), -np.inf)
        if prefix_length == 0:
            r[0, 0] = xs[0]
        r_sum = np.logaddexp(states[:, 0], states[:, 1])  # (frames, n)
        phi = r_sum.copy()
        if self.strict_repeats:
            same = labels == last
            phi[:, same] = states[:, 1, same]  # a repeated label must be separated by a blank
        start = max(prefix_length, 1)
        # The recursions r0[t] = logaddexp(r0[t-1], phi[t-1]) + x[t, label] and
        # r1[t] = logaddexp(r1[t-1], r0[t-1]) + x[t, blank] are linear in probability space, so they unroll into
        # cumulative sums: r0[t] = C[t] + logcumsumexp(r0[start-1] - C[start-1], phi[s-1] - C[s-1] for s <= t),
        # with C the cumulative log-probability of the label, and likewise r1. No loop over frames.
        c_label = np.cumsum(xs, axis=0)
        steps0 = np.concatenate([r[start - 1 : start, 0] - c_label[start - 1 : start], phi[start - 1 : -1] - c_label[start - 1 : -1]])
        r[start - 1 :, 0] = np.logaddexp.accumulate(steps0, axis=0) + c_label[start - 1 :]
        c_blank = np.cumsum(self.x[:, self.blank])[:, None]
        steps1 = np.concatenate([r[start - 1 : start, 1] - c_blank[start - 1 : start], r[start - 1 : -1, 0] - c_blank[start - 1 : -1]])
        r[start - 1 :, 1] = np.logaddexp.accumulate(steps1, axis=0) + c_blank[start - 1 :]
        psi = np.logaddexp.reduce(np.concatenate([r[start - 1 : start, 0], phi[start - 1 : -1] + xs[start:]]), axis=0)
        ends = labels == self.eos
        psi[ends] = r_sum[-1, ends]  # </s>: the prefix must have used up the audio
        return psi, r


@torch.inference_mode()
def joint_ctc_attention_beam_search(model, ctc_head: torch.nn.Module, input_features: torch.Tensor,
                                    attention_mask: torch.Tensor | None = None, beam_size: int = 8,
                                    ctc_weight: float = 0.4, max_length: int | None = None, lm=None,
                                    lm_weight: float = 0.0, ctc_strict_repeats: bool = False) -> list[list[int]]:
    """Token ids (no special tokens) of each utterance of a padded feature batch, by attention beam search
    scored as (1 - ctc_weight) * log p_attention + ctc_weight * log p_ctc(prefix) (Watanabe et al. 2017).

    The attention decoder proposes the likely next characters (it knows the language); the CTC prefix score rules
    out the ones the audio does not hold at that point, so phrases are neither skipped nor repeated. Utterances
    are decoded one at a time (the beam is the batch of the decoder). `ctc_strict_repeats`: see CTCPrefixScorer
    (exact CTC with True; by default a doubled letter is the decoder's to spell).
    """
    config = model.config
    encoder_states = model.get_encoder()(input_features, attention_mask=attention_mask).last_hidden_state
    frames = encoder_states.shape[1]
    if attention_mask is not None:
        encoder_mask = model.model.encoder._get_feature_vector_attention_mask(frames, attention_mask)
        lengths = encoder_mask.sum(-1).tolist()
    else:
        encoder_mask, lengths = None, [frames] * encoder_states.shape[0]
    ctc_log_probs = ctc_head(encoder_states).float().log_softmax(-1).cpu().numpy()
    # never proposed: the decoder's start/padding ids and <s>; <unk> only if the decoder insists
    banned = [config.pad_token_id, config.bos_token_id]
    return [
        _beam_search_one(model, encoder_states[i : i + 1, :length],
                         None if encoder_mask is None else encoder_mask[i : i + 1, :length],
                         CTCPrefixScorer(ctc_log_probs[i, :length], blank=config.pad_token_id, eos=config.eos_token_id,
                                         strict_repeats=ctc_strict_repeats),
                         beam_size, ctc_weight, min(length, max_length or length), banned,
                         lm if lm_weight else None, lm_weight)
        for i, length in enumerate(lengths)
    ]


def _combine(att: np.ndarray, ctc: np.ndarray, ctc_weight: float) -> np.ndarray:
    """(1 - w) * attention + w * CTC, where a weight of 0 or 1 ignores the other score (also when it is -inf)."""
    if ctc_weight <= 0:
        return att
    if ctc_weight >= 1:
        return ctc
    return (1 - ctc_weight) * att + ctc_weight * ctc


def _beam_search_one(model, encoder_states, encoder_mask, scorer: CTCPrefixScorer, beam_size: int,
                     ctc_weight: float, max_length: int, banned: list[int], lm=None, lm_weight: float = 0.0
                     ) -> list[int]:
    config, device = model.config, encoder_states.device
    pre_beam = max(beam_size + beam_size // 2, 2)  # attention's candidates per hypothesis, as ESPnet's 1.5 x beam
    tokens = [[]]  # live hypotheses (synchronous: all the same length)
    att = np.zeros(1)  # cumulative attention log-prob
    lm_score = np.zeros(1)  # cumulative lm_weight * LM log-prob (zero without an LM)
    states = scorer.initial_state()[:, :, None]
    finished: list[tuple[float, list[int]]] = []
    cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
    inputs = torch.tensor([[config.decoder_start_token_id]], device=device)
    for step in range(max_length + 1):
        # the decoder's key/value cache holds the prefixes: each step feeds only the newest label
        hidden = model.get_decoder()(
            input_ids=inputs, encoder_hidden_states=encoder_states.expand(len(tokens), -1, -1),
            encoder_attention_mask=None if encoder_mask is None else encoder_mask.expand(len(tokens), -1),
            past_key_values=cache, use_cache=True,
        ).last_hidden_state[:, -1]
        log_probs = model.lm_head(hidden).float().log_softmax(-1)
        log_probs[:, banned] = -np.inf
        if step == max_length:  # out of frames: CTC cannot place another label, only </s>
            keep = torch.full_like(log_probs, -np.inf)
            keep[:, config.eos_token_id] = log_probs[:, config.eos_token_id]
            log_probs = keep
        top = log_probs.topk(min(pre_beam, log_probs.shape[-1]), dim=-1)
        hyp_index = np.repeat(np.arange(len(tokens)), top.indices.shape[1])
        labels = top.indices.reshape(-1).cpu().numpy()
        att_new = att[hyp_index] + top.values.reshape(-1).cpu().numpy()
        last = np.array([t[-1] if t else -1 for t in tokens])[hyp_index]
        ctc_new, r = scorer.score(step, last, states[:, :, hyp_index], labels)
        lm_new = lm_score[hyp_index]
        if lm is not None:
            lm_rows = np.stack([lm.log_probs(t) for t in tokens])  # (hypotheses, vocab)
            lm_new = lm_new + lm_weight * lm_rows[hyp_index, labels]
        total = _combine(att_new, ctc_new, ctc_weight) + lm_new
        order = np.argsort(-total)
        next_tokens, next_att, next_ctc, next_lm, next_states, parents = [], [], [], [], [], []
        for j in order:
            if not np.isfinite(total[j]):
                break
            if labels[j] == config.eos_token_id:
                finished.append((float(total[j]), tokens[hyp_index[j]]))
            else:
                next_tokens.append(tokens[hyp_index[j]] + [int(labels[j])])
                next_att.append(att_new[j]), next_ctc.append(ctc_new[j]), next_lm.append(lm_new[j])
                next_states.append(r[:, :, j])
                parents.append(hyp_index[j])
            if len(next_tokens) == beam_size:
                break
        # every score only falls as a hypothesis grows (a longer prefix has fewer paths, each label a probability
        # below one): once a finished hypothesis beats every live one, nothing can overtake it
        best_finished = max((score for score, _ in finished), default=-np.inf)
        best_live = max(_combine(np.array(next_att), np.array(next_ctc), ctc_weight) + np.array(next_lm),
                        default=-np.inf)
        if best_finished >= best_live:
            break
        parents = torch.as_tensor(parents, device=device)
        if len(parents) == len(tokens):
            # every hypothesis attends to the same audio: only the self-attention cache depends on the parent
            cache.self_attention_cache.reorder_cache(parents)
        else:
            cache.reorder_cache(parents)
        tokens, att, lm_score = next_tokens, np.array(next_att), np.array(next_lm)
        inputs = torch.tensor([[t[-1]] for t in tokens], device=device)
        states = np.stack(next_states, axis=-1)
    if not finished:
        return tokens[0]
    return max(finished, key=lambda f: f[0])[1]


CTC_HEAD_FILE = "ctc_head.safetensors"


def save_ctc_head(head: torch.nn.Linear, model_dir) -> None:
    """Write the CTC head beside a saved model (written under a temporary name, then renamed: a crash never leaves
    a truncated head that looks whole)."""
    path = os.path.join(model_dir, CTC_HEAD_FILE)
    save_file({"weight": head.weight.detach().contiguous().cpu(), "bias": head.bias.detach().contiguous().cpu()},
              path + ".partial", metadata={"format": "pt", "blank": "pad_token_id"})
    os.replace(path + ".partial", path)


def load_ctc_head(model_dir, model=None) -> torch.nn.Linear | None:
    """The CTC head saved beside a model, or None for a model trained without one (greedy attention decoding)."""
    path = os.path.join(model_dir, CTC_HEAD_FILE)
    if not os.path.isfile(path):
        return None
    tensors = load_file(path)
    vocab, width = tensors["weight"].shape
    if model is not None and (vocab, width) != (model.config.vocab_size, model.config.d_model):
        raise ValueError(f"{path}: a CTC head of {vocab} labels x {width} features does not fit the model "
                         f"({model.config.vocab_size} labels, d_model {model.config.d_model})")
    head = torch.nn.Linear(width, vocab)
    head.load_state_dict(tensors)
    return head.eval()
