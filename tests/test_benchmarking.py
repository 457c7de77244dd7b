"""The benchmarks' shared helper: every figure printed beside the machine that measured it."""

import json
import time

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
