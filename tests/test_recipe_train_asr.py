"""recipes/train_asr.py end to end: accelerate launch, checkpoints, resume, reload, two-process data parallel."""

import json
import sys

import pytest
import soundfile as sf
import torch
from recipe_helpers import run_recipe

TINY = ["--config", "recipes/configs/asr_tiny.yaml", "--max_train_samples", "12", "--max_eval_samples", "3",
        "--test_fraction", "0.2", "--validation_fraction", "0.0"]


_run = run_recipe


def test_accelerate_launch_trains_saves_resumes_and_reloads(speech_corpus, tmp_path):
    out = tmp_path / "asr"
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", "accelerate_configs/cpu.yaml",
              "recipes/train_asr.py", *TINY, "--dataset_dir", str(speech_corpus), "--output_dir", str(out)]
    hub = tmp_path / "hub" / "s2i-asr-tiny"
    # with rooms, noise and microphones added to the training clips (their features cached in the run's folder)
    first = _run(launch + ["--push_to_hub", "true", "--hub_model_id", f"file://{hub}", "--augment_reverb", "0.5",
                           "--augment_noise", "0.5", "--augment_band_limit", "0.5"])
    assert len(list((out / "features_cache").glob("train-*.arrow"))) == 1 and not (hub / "features_cache").exists()
    metrics = json.loads(first.stdout.strip().splitlines()[-1])
    assert 0.0 <= metrics["test_cer"] <= 1.5 and metrics["test_rtf"] > 0
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-4"]
    for name in ("model.safetensors", "config.json", "processor_config.json", "vocab.json", "README.md"):
        assert (out / name).is_file(), name
    assert "| cer |" in (out / "README.md").read_text()
    from safetensors import safe_open

    with safe_open(out / "model.safetensors", "pt") as f:  # stock Speech2Text weights; the CTC head beside them
        assert not [k for k in f.keys() if "ctc_head" in k] and any(k.startswith("model.encoder") for k in f.keys())
    with safe_open(out / "ctc_head.safetensors", "pt") as f:
        assert sorted(f.keys()) == ["bias", "weight"] and f.get_tensor("weight").shape[1] == 16  # tiny d_model
    assert json.loads((out / "test_results.json").read_text())["test_decoding"].startswith("joint CTC/attention")
    # published offline: the repository's files, without checkpoints or optimizer states
    assert (hub / "model.safetensors").read_bytes() == (out / "model.safetensors").read_bytes()
    assert (hub / "README.md").is_file() and (hub / "ctc_head.safetensors").is_file() and not list(hub.glob("checkpoint-*"))
    state = json.loads((out / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["global_step"] == 4

    # Resume: two more steps on top of checkpoint-4, not a fresh start of six.
    resumed = _run(launch + ["--max_steps", "6", "--resume_from_checkpoint", "latest"])
    assert "resuming from" in resumed.stderr and "checkpoint-4" in resumed.stderr
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == 6
    assert [h["step"] for h in state["log_history"] if "loss" in h][:4] == [1, 2, 3, 4]

    # Reload in a new process through the Auto classes and transcribe a wav.
    wav = next((speech_corpus / "wavs").glob("*.wav"))
    code = (
        "import s2i_hf, sys\n"
        "from transformers import AutoModelForSpeechSeq2Seq, AutoProcessor\n"
        "from s2i_hf.data.audio import load_audio\n"
        f"m = AutoModelForSpeechSeq2Seq.from_pretrained({str(out)!r}); p = AutoProcessor.from_pretrained({str(out)!r})\n"
        f"x = p(load_audio({str(wav)!r}, 16000), sampling_rate=16000, return_tensors='pt')\n"
        "ids = m.generate(x.input_features, attention_mask=x.attention_mask, max_length=10)\n"
        "print(type(m).__name__, ids.shape[0], repr(p.batch_decode(ids, skip_special_tokens=True)[0]))\n"
        "from s2i_hf.models.asr import load_ctc_head, transcribe\n"
        f"head = load_ctc_head({str(out)!r}, m)\n"
        f"print(type(head).__name__, repr(transcribe(m, p, [load_audio({str(wav)!r}, 16000)], ctc_head=head, max_length=10)[0]))\n"
    )
    done = _run([sys.executable, "-c", code])
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Speech2TextForConditionalGeneration 1 ") and lines[1].startswith("Linear ")


def test_two_data_parallel_processes_on_one_cpu(speech_corpus, tmp_path):
    out = tmp_path / "ddp"
    done = _run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "recipes/train_asr.py", *TINY,
                 "--max_steps", "2", "--save_steps", "2", "--dataset_dir", str(speech_corpus), "--output_dir", str(out)])
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == 2
    # 2 processes x batch 4 = 8 clips a step: the epoch counter moves twice as fast as with one process
    assert state["epoch"] == pytest.approx(2 * 8 / 12, abs=0.01) or state["epoch"] == pytest.approx(1.0)
    assert "world_size" not in done.stdout


def test_a_bad_augmentation_option_is_named(speech_corpus, tmp_path):
    done = _run([sys.executable, "recipes/train_asr.py", *TINY, "--dataset_dir", str(speech_corpus), "--output_dir",
                 str(tmp_path / "x"), "--augment_noise", "1.5"], expect_failure=True)
    assert done.returncode != 0 and "augment_noise: a probability between 0 and 1, got 1.5" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.guide  # the full-size preset, as the real-data guide runs it: CI runs the group (make test-guide)
def test_full_ljspeech_preset_builds_and_takes_a_step(speech_corpus, tmp_path):
    out = tmp_path / "full"
    done = _run([sys.executable, "recipes/train_asr.py", "--config", "recipes/configs/asr_ljspeech.yaml", "--dataset_dir",
                 str(speech_corpus), "--output_dir", str(out), "--max_steps", "1", "--per_device_train_batch_size", "2",
                 "--max_train_samples", "2", "--max_eval_samples", "1", "--eval_strategy", "no", "--save_strategy", "no",
                 "--load_best_model_at_end", "false", "--report_to", "none", "--dataloader_num_workers", "0",
                 "--preprocessing_num_workers", "1", "--warmup_steps", "1", "--generation_max_length", "5",
                 "--use_cpu", "true"])
    config = json.loads((out / "config.json").read_text())
    assert (config["d_model"], config["encoder_layers"], config["decoder_layers"], config["encoder_ffn_dim"]) == (256, 12, 6, 2048)
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == 1 and torch.isfinite(torch.tensor(state["log_history"][-1]["train_loss"]))
    assert "test_cer" in json.loads(done.stdout.strip().splitlines()[-1])
