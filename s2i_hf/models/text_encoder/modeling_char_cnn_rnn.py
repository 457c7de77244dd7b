"""The char-CNN-RNN text encoder (Reed et al. 2016, "Learning Deep Representations of Fine-Grained Visual
Descriptions") as a transformers model: characters -> temporal convolutions with max-pooling -> GRU -> mean of its
states -> linear to the 1024-d embedding StackGAN is conditioned on. The original exists only as Lua Torch7
weights, so StackGAN could not embed new sentences; this one is trained by `recipes/train_text_encoder.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.utils import ModelOutput

from .configuration_char_cnn_rnn import CharCNNRNNConfig


@dataclass
class CharCNNRNNOutput(ModelOutput):
    loss: torch.FloatTensor | None = None
    text_embeds: torch.FloatTensor | None = None


class CharCNNRNNPreTrainedModel(PreTrainedModel):
    config_class = CharCNNRNNConfig
    base_model_prefix = "char_cnn_rnn"
    main_input_name = "input_ids"

    @torch.no_grad()
    def _init_weights(self, module):
        if isinstance(module, (nn.Conv1d, nn.Linear)):
            init.kaiming_uniform_(module.weight, a=5**0.5)  # torch's own default, made explicit for post_init
            if module.bias is not None:
                init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            init.normal_(module.weight, 0.0, 1.0)


class CharCNNRNNModel(CharCNNRNNPreTrainedModel):
    def __init__(self, config: CharCNNRNNConfig):
        super().__init__(config)
        self.embed_chars = nn.Embedding(config.vocab_size, config.char_embedding_dim, padding_idx=config.pad_token_id)
        channels = [config.char_embedding_dim, *config.conv_channels]
        self.convs = nn.ModuleList(nn.Conv1d(i, o, config.kernel_size) for i, o in zip(channels, channels[1:]))
        self.rnn = nn.GRU(channels[-1], config.rnn_hidden_size, batch_first=True)
        self.proj = nn.Linear(config.rnn_hidden_size, config.text_embedding_dim)
        self.post_init()

    def padded_length(self, text_length: int) -> int:
        """The input length that computes, for a batch whose longest text has `text_length` characters, exactly what
        padding to `max_length` computes: every output step whose receptive field holds text keeps the same inputs,
        and the steps past it see only padding, are masked out of the mean, and come after the text in the
        left-to-right GRU. Captions are half of max_length or less, so the convolutions skip most of the padding."""
        field, stride = 1, self.config.pool_size ** len(self.config.conv_channels)
        for _ in self.config.conv_channels:  # one output step, back through pool then convolution
            field = field * self.config.pool_size + self.config.kernel_size - 1
        return min(self.config.max_length, stride * ((max(text_length, 1) - 1) // stride) + field)

    def forward(self, input_ids: torch.LongTensor, attention_mask: torch.LongTensor | None = None,
                target_embeds: torch.FloatTensor | None = None) -> CharCNNRNNOutput:
        """`target_embeds`: (batch, text_embedding_dim) embeddings to regress onto; the loss is 1 - cosine plus the
        squared distance, so both the direction and the length StackGAN's conditioning sees are learnt."""
        input_ids = input_ids[:, : self.config.max_length]
        if attention_mask is None:
            mask = input_ids != self.config.pad_token_id
        else:
            mask = attention_mask[:, : input_ids.shape[1]]
        text_columns = mask.any(0).nonzero()
        length = self.padded_length(int(text_columns[-1]) + 1 if len(text_columns) else 1)
        input_ids = F.pad(input_ids[:, :length], (0, max(0, length - input_ids.shape[1])), value=self.config.pad_token_id)
        mask = F.pad(mask[:, :length].float(), (0, max(0, length - mask.shape[1])))
        h = self.embed_chars(input_ids).transpose(1, 2)  # (batch, channels, time)
        mask = mask[:, None]
        for conv in self.convs:
            h = F.relu(F.max_pool1d(conv(h), self.config.pool_size))
            # a step sees text if any character in its receptive field is text
            mask = F.max_pool1d(F.max_pool1d(mask, self.config.kernel_size, 1), self.config.pool_size)
        states, _ = self.rnn(h.transpose(1, 2))
        mask = mask.transpose(1, 2)  # (batch, time, 1)
        mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1)
        text_embeds = self.proj(mean)
        loss = None
        if target_embeds is not None:
            cosine = F.cosine_similarity(text_embeds, target_embeds, dim=-1)
            loss = (1 - cosine).mean() + (text_embeds - target_embeds).pow(2).sum(-1).mean()
        return CharCNNRNNOutput(loss=loss, text_embeds=text_embeds)


__all__ = ["CharCNNRNNModel", "CharCNNRNNPreTrainedModel"]
