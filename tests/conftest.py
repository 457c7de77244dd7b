import os
import tempfile

# Nothing may reach a hub: with these set, a test that tries fails instead of downloading.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("HF_DATASETS_CACHE", tempfile.mkdtemp(prefix="s2i_hf_datasets_cache_"))

import json
import sys

import pytest
import torch
from recipe_helpers import run_recipe

from s2i_hf.data.synthetic.birds import synthesize_bird_corpus
from s2i_hf.data.synthetic.speech import HELD_OUT_EVERY, synthesize_speech_corpus
from s2i_hf.models.asr import build_model, build_processor, save_ctc_head
from s2i_hf.models.attribute_classifier import AttributeClassifier, AttributeClassifierConfig
from s2i_hf.models.stackgan import (
    StackGANConfig,
    StackGANStage1Discriminator,
    StackGANStage1Generator,
    StackGANStage2Generator,
)
from s2i_hf.models.text_encoder import CharCNNRNNConfig, CharCNNRNNModel, build_text_tokenizer

TINY_GAN = dict(text_embedding_dim=32, condition_dim=8, noise_dim=10, generator_width=16, discriminator_width=4,
                condition_noise_scale=0.0)  # as the demo presets: the conditioning's mean at inference
COLOURS = ["blue", "brown", "grey", "yellow", "green", "orange", "black", "white", "red"]
TINY_CRITIC = dict(TINY_GAN, auxiliary_attributes={"has_belly_color": COLOURS, "has_wing_color": COLOURS})


def with_batch_statistics(model, run):
    """`model` in eval mode with BatchNorm statistics measured on one batch (`run(model)` in training mode). An
    untrained model's running variance of 1 fades its signal to a flat grey through the layers, so that every
    noise draws the same image; measured statistics give it the contrast of a trained one."""
    frozen = set(model.stage1.modules()) if hasattr(model, "stage1") else set()  # Stage II's Stage I keeps its own
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m not in frozen]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # the batch's own statistics, not a 10 % step towards them
    model.train()
    with torch.no_grad():
        run(model)
    for norm in norms:
        norm.momentum = 0.1
    return model.eval()


@pytest.fixture(scope="session")
def speech_corpus(tmp_path_factory):
    """27 spoken sentences (captions and requests), three of them by the held-out voice."""
    return synthesize_speech_corpus(tmp_path_factory.mktemp("corpora") / "speech", n=3 * HELD_OUT_EVERY, seed=1,
                                    num_workers=2)


@pytest.fixture(scope="session")
def bird_corpus(tmp_path_factory):
    """40 synthetic birds: 30 of train classes, 10 of test classes."""
    return synthesize_bird_corpus(tmp_path_factory.mktemp("corpora") / "birds", n=40, seed=1, num_workers=2)


@pytest.fixture(scope="session")
def parts(tmp_path_factory):
    """Untrained tiny parts saved as the recipes save them (the ASR with a character LM counted by its recipe, Stage
    I's discriminator with its attribute head, an attribute classifier), plus a bundle built from them by the recipe,
    choosing among 4 drafts per image by the classifier as the demo's does (one per test run: the pipeline, CLI and web-app tests share it)."""
    root = tmp_path_factory.mktemp("parts")
    torch.manual_seed(0)
    processor = build_processor()
    asr = build_model(processor, d_model=16, encoder_layers=1, decoder_layers=1, attention_heads=2, ffn_dim=32,
                      conv_channels=16, generation_max_length=12)
    asr.save_pretrained(root / "asr")
    processor.save_pretrained(root / "asr")
    save_ctc_head(torch.nn.Linear(16, asr.config.vocab_size), root / "asr")  # as train_asr.py saves it
    run_recipe([sys.executable, "recipes/train_char_lm.py", "--output_dir", root / "asr", "--synthetic_sentences",
                "200", "--order", "4"])
    tokenizer = build_text_tokenizer()
    CharCNNRNNModel(CharCNNRNNConfig(vocab_size=tokenizer.vocab_size, char_embedding_dim=8, conv_channels=[8, 8, 8],
                                     rnn_hidden_size=8, text_embedding_dim=32)).save_pretrained(root / "te")
    tokenizer.save_pretrained(root / "te")
    embeds, noise = torch.randn(64, 32), torch.randn(64, TINY_GAN["noise_dim"])
    stage1 = with_batch_statistics(StackGANStage1Generator(StackGANConfig(**TINY_GAN)),
                                   lambda g: g(embeds, noise=noise))
    stage1.save_pretrained(root / "s1")
    with_batch_statistics(StackGANStage2Generator(StackGANConfig(**TINY_GAN), stage1),
                          lambda g: g(embeds, noise=noise)).save_pretrained(root / "s2")
    drafts = stage1(embeds, noise=noise).images
    critic = with_batch_statistics(StackGANStage1Discriminator(StackGANConfig(**TINY_CRITIC)),
                                   lambda d: d.encode_image(drafts))
    critic.save_pretrained(root / "d1")
    classifier = with_batch_statistics(AttributeClassifier(AttributeClassifierConfig(
        attributes=TINY_CRITIC["auxiliary_attributes"], width=4)), lambda c: c(drafts))
    classifier.save_pretrained(root / "c1")
    done = run_recipe([sys.executable, "recipes/build_pipeline.py", "--asr", root / "asr", "--text_encoder",
                       root / "te", "--stage1", root / "s1", "--stage2", root / "s2", "--output_dir", root / "bundle",
                       "--asr_lm_weight", "0.3",  # every pipeline test decodes through the character LM
                       "--critic", root / "c1", "--num_candidates", "4",  # and draws from the best of 4 drafts as
                       # an attribute classifier reads them, as the demo's bundle does
                       "--push_to_hub", "--hub_model_id", f"file://{root / 'published'}"])
    assert json.loads(done.stdout.strip().splitlines()[-1])["image_sizes"] == [64, 256]
    return root
