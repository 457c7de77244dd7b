"""Configuration of the char-CNN-RNN text encoder (Reed et al. 2016), the network behind StackGAN's embeddings."""

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig


@strict
class CharCNNRNNConfig(PreTrainedConfig):
    r"""
    vocab_size (`int`, defaults to 73): the character tokenizer's size (Reed's alphabet, 69 distinct characters, + 4 special
        tokens).
    max_length (`int`, defaults to 201): characters read per caption (Reed: 201); longer text is truncated.
    char_embedding_dim (`int`, defaults to 70): Reed feeds one-hot characters; an embedding of this size is the same
        first layer written as a lookup.
    conv_channels (`list[int]`, defaults to [384, 512, 512]): the temporal convolutions (kernel 4, each followed by
        max-pooling by 3 and ReLU), as Reed's cnn-rnn text encoder for birds.
    rnn_hidden_size (`int`, defaults to 512): the GRU over the convolved sequence; its states are averaged.
    text_embedding_dim (`int`, defaults to 1024): the output (StackGAN's text_embedding_dim).
    """

    model_type = "char_cnn_rnn"

    vocab_size: int = 73
    pad_token_id: int | None = 1
    max_length: int = 201
    char_embedding_dim: int = 70
    conv_channels: list[int] | None = None
    kernel_size: int = 4
    pool_size: int = 3
    rnn_hidden_size: int = 512
    text_embedding_dim: int = 1024

    def __post_init__(self, **kwargs):
        if self.conv_channels is None:
            self.conv_channels = [384, 512, 512]
        super().__post_init__(**kwargs)

    def validate_architecture(self):
        length = self.max_length
        for _ in self.conv_channels:
            length = (length - self.kernel_size + 1) // self.pool_size
        if length < 1:
            raise ValueError(f"max_length ({self.max_length}) is too short for {len(self.conv_channels)} convolutions of "
                             f"kernel {self.kernel_size} each pooled by {self.pool_size}")


__all__ = ["CharCNNRNNConfig"]
