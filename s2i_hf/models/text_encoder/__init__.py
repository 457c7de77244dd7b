"""The char-CNN-RNN text encoder: captions (and transcripts) -> StackGAN's 1024-d text embeddings."""

from ..asr.tokenization_char import CharTokenizer
from .configuration_char_cnn_rnn import CharCNNRNNConfig
from .modeling_char_cnn_rnn import CharCNNRNNModel, CharCNNRNNPreTrainedModel

# Reed et al.'s 70-character alphabet (lower case; the tokenizer lower-cases its input).
REED_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+-=<>()[]{} "


def build_text_tokenizer(max_length: int = 201) -> CharTokenizer:
    """Reed's alphabet as a CharTokenizer; unknown characters become <unk> (counted), never an error."""
    return CharTokenizer(alphabet=REED_ALPHABET, model_max_length=max_length)


__all__ = ["CharCNNRNNConfig", "CharCNNRNNModel", "CharCNNRNNPreTrainedModel", "REED_ALPHABET", "build_text_tokenizer"]
