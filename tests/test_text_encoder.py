"""The char-CNN-RNN text encoder, its tokenizer, and recipes/train_text_encoder.py."""

import json
import shutil
import sys

import numpy as np
import pytest
import torch
from huggingface_hub.errors import StrictDataclassClassValidationError
from recipe_helpers import run_recipe
from safetensors.torch import load_file
from transformers import AutoModel, AutoTokenizer

import s2i_hf  # noqa: F401  (registers the text encoder)
from s2i_hf.models.text_encoder import CharCNNRNNConfig, CharCNNRNNModel, build_text_tokenizer
from s2i_hf.training.text_encoder import embed_texts

TINY = dict(char_embedding_dim=8, conv_channels=[8, 8, 8], rnn_hidden_size=8, text_embedding_dim=16)


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    tokenizer = build_text_tokenizer()
    return CharCNNRNNModel(CharCNNRNNConfig(vocab_size=tokenizer.vocab_size, **TINY)).eval(), tokenizer


def test_reference_layout_and_padding_does_not_change_the_embedding(tiny):
    model, tokenizer = tiny
    full = CharCNNRNNModel(CharCNNRNNConfig())
    assert [c.out_channels for c in full.convs] == [384, 512, 512] and full.proj.out_features == 1024
    short = tokenizer(["a red bird."], return_tensors="pt")
    padded = tokenizer(["a red bird."], padding="max_length", max_length=201, return_tensors="pt")
    torch.testing.assert_close(model(**short).text_embeds, model(**padded).text_embeds)
    batch = tokenizer(["a red bird.", "this bird has a long blue wing and a short beak."], padding=True,
                      return_tensors="pt")
    torch.testing.assert_close(model(**batch).text_embeds[:1], model(**short).text_embeds)


def test_reading_only_as_far_as_the_text_reaches_is_reading_all_201_characters(tiny, monkeypatch):
    model, tokenizer = tiny
    rng = np.random.default_rng(0)
    texts = ["".join(rng.choice(list("abc defgh.,"), size=n)) for n in (1, 2, 26, 27, 28, 54, 55, 80, 120, 160, 200)]
    batches = [tokenizer(texts[:k], padding=True, return_tensors="pt") for k in range(1, len(texts) + 1)]
    trimmed = [model(**batch).text_embeds for batch in batches]
    assert [model.padded_length(n) for n in (1, 27, 28, 55, 109, 136, 201)] == [66, 66, 93, 120, 174, 201, 201]
    monkeypatch.setattr(model, "padded_length", lambda n: model.config.max_length)
    for batch, embeds in zip(batches, trimmed):
        torch.testing.assert_close(embeds, model(**batch).text_embeds, rtol=0, atol=1e-6)


def test_embedding_many_texts_keeps_their_order(tiny):
    model, tokenizer = tiny
    texts = ["a much longer caption of a bird with a red belly and blue wings.", "red.", "", "a bird with blue wings."]
    one_by_one = torch.cat([embed_texts(model, tokenizer, [t]) for t in texts])
    torch.testing.assert_close(embed_texts(model, tokenizer, texts, batch_size=2), one_by_one, rtol=0, atol=1e-6)
    assert embed_texts(model, tokenizer, []).shape == (0, TINY["text_embedding_dim"])


def test_unknown_characters_are_embedded_not_refused(tiny):
    model, tokenizer = tiny
    ids = tokenizer(["a bird \u2603 with \u00e9 wings"], return_tensors="pt")
    assert tokenizer.unk_token_id in ids.input_ids[0].tolist()
    assert model(**ids).text_embeds.shape == (1, 16)
    assert tokenizer.unknown_characters["\u2603"] == 1


def test_config_refuses_a_text_length_the_convolutions_cannot_read():
    with pytest.raises(StrictDataclassClassValidationError, match=r"max_length \(20\) is too short"):
        CharCNNRNNConfig(max_length=20)


def test_recipe_trains_resumes_reloads_and_reports(bird_corpus, tmp_path):
    out = tmp_path / "te"
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", "accelerate_configs/cpu.yaml",
              "recipes/train_text_encoder.py", "--config", "recipes/configs/text_encoder_tiny.yaml", "--dataset_dir",
              bird_corpus, "--output_dir", out]
    run_recipe([*launch, "--max_steps", "2"])
    done = run_recipe([*launch, "--max_steps", "4", "--resume_from_checkpoint", "latest"])
    metrics = json.loads(done.stdout.strip().splitlines()[-1])
    from s2i_hf.data.cub import load_cub

    test = load_cub(bird_corpus, "test")
    assert metrics["num_captions"] == 100 and metrics["num_classes"] == len(set(test["class_id"]))  # 10 x 10 captions
    assert -1.0 <= metrics["cosine_to_target"] <= 1.0
    assert metrics["class_r_at_1_of_targets"] >= 0.9  # the targets themselves find their class
    state = json.loads((out / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["global_step"] == 4 and [e["step"] for e in state["log_history"] if "loss" in e] == [1, 2, 3, 4]
    # the resumed run ends where an uninterrupted one does
    straight = tmp_path / "straight"
    run_recipe([*launch[:-1], straight, "--max_steps", "4"])
    a, b = load_file(out / "model.safetensors"), load_file(straight / "model.safetensors")
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    model, tokenizer = AutoModel.from_pretrained(out), AutoTokenizer.from_pretrained(out)
    assert type(model).__name__ == "CharCNNRNNModel"
    assert model(**tokenizer(["a small bird"], return_tensors="pt")).text_embeds.shape == (1, 1024)


def test_regression_moves_embeddings_toward_their_targets(bird_corpus):
    from s2i_hf.data.cub import load_cub
    from s2i_hf.training.text_encoder import TextEmbeddingCollator, caption_pairs, evaluate_text_encoder

    torch.manual_seed(0)
    pairs = caption_pairs(load_cub(bird_corpus, "train"))
    tokenizer = build_text_tokenizer()
    model = CharCNNRNNModel(CharCNNRNNConfig(vocab_size=tokenizer.vocab_size, char_embedding_dim=16,
                                             conv_channels=[32, 32, 32], rnn_hidden_size=32))
    before = evaluate_text_encoder(model, tokenizer, pairs)["cosine_to_target"]
    collate = TextEmbeddingCollator(tokenizer, 201)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for step in range(60):
        rows = [pairs[(step * 16 + i) % len(pairs)] for i in range(16)]
        loss = model(**collate(rows)).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    after = evaluate_text_encoder(model, tokenizer, pairs)["cosine_to_target"]
    assert before < 0.1 and after > before + 0.3, (before, after)


def test_joint_objective_trains_without_target_embeddings(bird_corpus, tmp_path):
    out = tmp_path / "joint"
    done = run_recipe([sys.executable, "recipes/train_text_encoder.py", "--config",
                       "recipes/configs/text_encoder_tiny.yaml", "--dataset_dir", bird_corpus, "--output_dir", out,
                       "--objective", "contrastive", "--text_embedding_dim", "32", "--max_steps", "3"])
    metrics = json.loads(done.stdout.strip().splitlines()[-1])
    assert 0.0 <= metrics["class_r_at_1_image"] <= 1.0 and metrics["num_captions"] == 100
    model = AutoModel.from_pretrained(out)  # the text encoder alone, not the joint model
    assert type(model).__name__ == "CharCNNRNNModel" and model.config.text_embedding_dim == 32
    bad = run_recipe([sys.executable, "recipes/train_text_encoder.py", "--config", "recipes/configs/text_encoder_tiny.yaml",
                      "--dataset_dir", bird_corpus, "--output_dir", tmp_path / "x", "--objective", "triplet"],
                     expect_failure=True)
    assert "--objective must be regression or contrastive, got 'triplet'" in bad.stderr


def test_joint_loss_falls_when_captions_and_images_can_be_matched():
    from s2i_hf.training.text_encoder import JointTextImageModel

    torch.manual_seed(0)
    tokenizer = build_text_tokenizer()
    joint = JointTextImageModel(CharCNNRNNModel(CharCNNRNNConfig(vocab_size=tokenizer.vocab_size, **TINY)), 8)
    colours = ["red", "blue", "green", "yellow"]
    batch = tokenizer([f"a {c} bird." for c in colours], padding=True, return_tensors="pt")
    pixels = torch.stack([torch.full((3, 64, 64), v) for v in (-0.8, -0.3, 0.3, 0.8)])
    optimizer = torch.optim.Adam(joint.parameters(), lr=1e-2)
    losses = []
    for _ in range(40):
        loss = joint(batch.input_ids, batch.attention_mask, pixels, torch.arange(4))["loss"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] > 1.0 and losses[-1] < 0.2, (losses[0], losses[-1])


def test_caption_embeddings_are_kept_for_the_same_encoder_and_texts_only(parts, tmp_path, monkeypatch):
    from s2i_hf.training.text_encoder import _embedding_cache_path, embed_caption_lists

    monkeypatch.setattr("datasets.config.HF_DATASETS_CACHE", str(tmp_path / "cache"))
    captions = [["a red bird with blue wings.", "a small bird."], ["a bird whose belly is green.", "a grey bird."]]
    first = embed_caption_lists(captions, parts / "te")
    flat = [c for pair in captions for c in pair]
    kept = _embedding_cache_path(parts / "te", flat)
    assert first.shape == (2, 2, 32) and kept.is_file() and list(kept.parent.iterdir()) == [kept]
    assert np.array_equal(np.load(kept), first.reshape(4, 32))
    np.save(kept, np.zeros((4, 32), np.float32))  # what is kept is what is read back
    assert np.array_equal(embed_caption_lists(captions, parts / "te"), np.zeros((2, 2, 32), np.float32))
    assert _embedding_cache_path(parts / "te", flat[:3] + ["another text."]) != kept
    other = tmp_path / "te2"
    shutil.copytree(parts / "te", other)
    (other / "config.json").write_text((other / "config.json").read_text().replace("}", ', "note": 1}', 1))
    assert _embedding_cache_path(other, flat) != kept  # another encoder's files: another entry
    monkeypatch.setenv("S2I_HF_EMBEDDING_CACHE", "0")
    assert _embedding_cache_path(parts / "te", flat) is None
    assert np.allclose(embed_caption_lists(captions, parts / "te"), first, atol=1e-6)


def test_direct_character_encoding_is_what_the_tokenizer_returns():
    tok = build_text_tokenizer()
    texts = ["", "a", "This bird has a RED belly.", "x" * 300, "café € naïve [x] “q” – ok", "  spaced   out  "]
    for max_length in (201, 5, 2):
        expected = tok(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        got = tok.encode_batch(texts, max_length)
        assert torch.equal(got.input_ids, expected.input_ids) and torch.equal(got.attention_mask, expected.attention_mask)
    with pytest.raises(ValueError, match="max_length must leave room for a character and </s>, got 1"):
        tok.encode_batch(["a"], 1)


def test_the_embedding_cache_stays_under_its_bound_dropping_the_least_recently_used(tmp_path, monkeypatch):
    import os

    from s2i_hf.training.text_encoder import prune_embedding_cache

    for age, name in enumerate(["old", "used", "new"]):
        np.save(tmp_path / f"{name}.npy", np.zeros(2**16, np.float32))  # 256 KiB each
        os.utime(tmp_path / f"{name}.npy", (1000 * (age + 1), 1000 * (age + 1)))
    os.utime(tmp_path / "used.npy")  # read just now
    monkeypatch.setenv("S2I_HF_EMBEDDING_CACHE_MB", "0.6")
    removed = prune_embedding_cache(tmp_path, keep=tmp_path / "new.npy")
    assert [p.name for p in removed] == ["old.npy"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.npy", "used.npy"]
    monkeypatch.setenv("S2I_HF_EMBEDDING_CACHE_MB", "0")  # nothing may stay but the entry just written
    prune_embedding_cache(tmp_path, keep=tmp_path / "new.npy")
    assert [p.name for p in tmp_path.iterdir()] == ["new.npy"]
