"""The benchmarks' shared helper: every figure printed beside the machine that measured it."""

import json
import math
import time

import pytest

from s2i_hf import benchmarking


def test_emit_prints_one_json_object_with_the_machine(capsys):
    returned = benchmarking.emit({"clips_per_s": 12.5})
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed == returned and printed["clips_per_s"] == 12.5
    assert printed["machine"]["cores"] >= 1 and isinstance(printed["machine"]["native_bf16"], bool)


def test_median_seconds_times_the_calls_after_the_warm_up():
    calls = []

    def slow_first():
        calls.append(1)
        time.sleep(0.2 if len(calls) == 1 else 0.01)

    assert 0.005 < benchmarking.median_seconds(slow_first, repeats=3, warmup=1) < 0.1 and len(calls) == 4


def test_each_part_has_a_training_step_whose_flops_follow_its_size():
    from s2i_hf.benchmarking import steps

    demo, full = steps.load_presets("demo"), steps.load_presets("full")
    small = steps.count_flops(steps.gan_step(1, demo["stage1"], demo["stage1"], 4))
    large = steps.count_flops(steps.gan_step(1, full["stage1"], full["stage1"], 4))
    # the reference Stage I is 8x wider than the demo's: its convolutions cost far more than 8x, less than 64x
    assert 8 * small < large < 64 * small
    losses = steps.gan_step(1, demo["stage1"], demo["stage1"], 4)()
    assert {"d_loss", "g_loss"} <= set(losses) and all(math.isfinite(v) for v in losses.values())
    text = steps.count_flops(steps.make_step("text_encoder", demo, 2))
    assert text > 0 and steps.count_flops(steps.make_step("text_encoder", demo, 4)) > 1.9 * text
    with pytest.raises(ValueError, match="part 'vocoder'"):
        steps.make_step("vocoder", demo, 2)
    with pytest.raises(ValueError, match="scale 'huge'"):
        steps.load_presets("huge")


def test_each_part_gets_bf16_only_where_native_and_clearly_faster():
    from s2i_hf.benchmarking.precision import choose, time_parts

    times = time_parts("tiny", repeats=1)  # each part's real training step, both precisions
    assert set(times) == {"asr", "text_encoder", "stage1", "stage2"}
    assert all(t["fp32_ms"] > 0 and t["bf16_ms"] > 0 for t in times.values())
    measured = {"asr": {"speedup": 0.72}, "stage1": {"speedup": 2.2}, "stage2": {"speedup": 1.1}}
    assert choose(measured, native_bf16=True) == {"asr": "fp32", "stage1": "bf16", "stage2": "fp32"}
    assert choose(measured, native_bf16=False) == {"asr": "fp32", "stage1": "fp32", "stage2": "fp32"}


def test_a_resumed_demo_keeps_the_precision_it_began_with(tmp_path):
    from s2i_hf.demo import choose_precisions

    first = choose_precisions(tmp_path, "fp32", "tiny")
    assert first["parts"] == dict.fromkeys(("asr", "text_encoder", "stage1", "stage2"), "fp32")
    assert json.loads((tmp_path / "precision.json").read_text()) == first
    assert choose_precisions(tmp_path, "auto", "tiny") == first  # resumed: no new timing, the same choice
    with pytest.raises(ValueError, match=r"--precision bf16: .* begun with --precision fp32|--precision bf16: this"):
        choose_precisions(tmp_path, "bf16", "tiny")
    with pytest.raises(ValueError, match="--precision 'fp16': must be one of auto, fp32, bf16"):
        choose_precisions(tmp_path / "new", "fp16", "tiny")
