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
