"""The Speech-Transformer ASR: transformers' Speech2Text encoder-decoder with a character tokenizer, and the
auxiliary CTC head (saved beside the model) that joint CTC/attention decoding uses."""

from .decoding import CTC_HEAD_FILE, joint_ctc_attention_beam_search, load_ctc_head, save_ctc_head
from .speech_transformer import build_model, build_processor, is_silent, transcribe
from .tokenization_char import CharTokenizer, normalize_text

__all__ = [
    "CTC_HEAD_FILE", "CharTokenizer", "build_model", "build_processor", "is_silent", "joint_ctc_attention_beam_search",
    "load_ctc_head", "normalize_text", "save_ctc_head", "transcribe",
]
