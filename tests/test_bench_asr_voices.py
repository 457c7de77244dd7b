import json
import shutil
import sys

from recipe_helpers import run_recipe


def test_per_voice_benchmark_scores_every_clip_once_per_accent_and_names_a_folder_without_voices(parts, speech_corpus,
                                                                                                 tmp_path):
    cmd = [sys.executable, "recipes/benchmarks/bench_asr_voices.py", "--models", parts / "asr", "--sets",
           speech_corpus, "--min_clips", "1", "--batch_size", "27"]
    figures = json.loads(run_recipe(cmd).stdout.strip().splitlines()[-1])
    scored = figures["models"][str(parts / "asr")][str(speech_corpus)]
    assert scored["all"]["n"] == 27 and scored["all"]["cer"] > 0  # an untrained model: never right
    accents = {k: v for k, v in scored.items() if k.startswith("accent ")}
    variants = {k: v for k, v in scored.items() if k.startswith("variant ")}
    others = {k: v for k, v in scored.items() if k.startswith("voice ")}  # flite's and festival's voices
    engines = {k: v for k, v in scored.items() if k.startswith("engine ")}
    assert set(engines) == {"engine espeak", "engine flite", "engine festival"}
    assert sum(v["n"] for v in engines.values()) == 27 == sum(v["n"] for v in accents.values()) + sum(
        v["n"] for v in others.values())
    assert sum(v["n"] for v in accents.values()) == sum(v["n"] for v in variants.values()) == scored["engine espeak"]["n"]
    assert scored["accent en-us"]["n"] >= 3 and scored["variant f4"]["n"] >= 3  # the held-out voice en-us+f4
    wrong = run_recipe(cmd + ["--decodings", "0.5:exact"], expect_failure=True)
    assert wrong.returncode != 0 and "--decodings '0.5:exact'" in wrong.stderr
    bare = tmp_path / "bare"
    shutil.copytree(speech_corpus, bare, ignore=shutil.ignore_patterns("synthesis.csv"))
    done = run_recipe(cmd[:5] + [bare], expect_failure=True)
    assert done.returncode != 0 and f"{bare / 'synthesis.csv'}: not found" in done.stderr
