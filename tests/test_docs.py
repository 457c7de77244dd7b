"""The commands in README.md and docs/*.md name subcommands and flags that exist, so renaming a flag breaks this
test, not a reader. Each recipe's parser is the recipe's own: its `main()` runs until it would parse, and the
parser it built is taken from there."""

from __future__ import annotations

import argparse
import importlib.util
import re
import shlex
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def shell_commands(markdown: str) -> list[str]:
    """The commands of a document's ```bash blocks, continuation lines joined, comments dropped."""
    commands = []
    for block in re.findall(r"```(?:bash|sh|shell)\n(.*?)```", markdown, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            tokens = shlex.split(line, comments=True)
            if tokens:
                commands.append(tokens)
    return commands


class _Captured(Exception):
    def __init__(self, parser):
        self.parser = parser


@cache
def recipe_flags(path: str) -> frozenset[str]:
    """Every option string of the parser that `recipes/...py`'s main() builds (stopped just before parsing)."""
    spec = importlib.util.spec_from_file_location(f"_doc_recipe_{Path(path).stem}", ROOT / path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their string annotations through it
    spec.loader.exec_module(module)

    def capture(self, *args, **kwargs):
        raise _Captured(self)

    original, argv = argparse.ArgumentParser.parse_known_args, sys.argv
    argparse.ArgumentParser.parse_known_args = capture
    sys.argv = [path]
    try:
        module.main()
    except _Captured as captured:
        parser = captured.parser
    else:
        raise AssertionError(f"{path}: main() returned without parsing arguments")
    finally:
        argparse.ArgumentParser.parse_known_args, sys.argv = original, argv
    flags = {s for action in parser._actions for s in action.option_strings}
    if "HfArgumentParser" in type(parser).__name__:
        flags.add("--config")  # s2i_hf.training.arguments.parse_args takes it before the parser sees argv
    return frozenset(flags)


@cache
def s2i_flags() -> dict[str, frozenset[str]]:
    from s2i_hf.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {name: frozenset(s for a in p._actions for s in a.option_strings) for name, p in sub.choices.items()}


@cache
def accelerate_launch_flags() -> frozenset[str]:
    from accelerate.commands.launch import launch_command_parser

    return frozenset(s for a in launch_command_parser()._actions for s in a.option_strings)


def make_targets() -> set[str]:
    return set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), flags=re.M))


def _flags(tokens: list[str]) -> list[str]:
    return [t.split("=", 1)[0] for t in tokens if t.startswith("--")]


def check_command(tokens: list[str]) -> list[str]:
    """Problems with one command: an unknown s2i subcommand, make target, or flag of s2i, a recipe or accelerate."""
    problems = []
    if tokens[0] == "make":
        problems += [f"make target {t!r} is not in the Makefile" for t in tokens[1:] if t not in make_targets()]
        return problems
    if tokens[0] == "s2i" or tokens[:3] == ["python", "-m", "s2i_hf"]:
        rest = tokens[1:] if tokens[0] == "s2i" else tokens[3:]
        known = s2i_flags()
        if not rest or rest[0] not in known:
            return [f"s2i has no subcommand {rest[:1]} (it has {sorted(known)})"]
        return [f"s2i {rest[0]} has no flag {f}" for f in _flags(rest[1:]) if f not in known[rest[0]]]
    script = next((i for i, t in enumerate(tokens) if t.startswith("recipes/") and t.endswith(".py")), None)
    if script is None:
        return problems
    if tokens[:2] == ["accelerate", "launch"]:
        problems += [f"accelerate launch has no flag {f}" for f in _flags(tokens[2:script])
                     if f not in accelerate_launch_flags()]
    if not (ROOT / tokens[script]).is_file():
        return problems + [f"{tokens[script]} does not exist"]
    known = recipe_flags(tokens[script])
    problems += [f"{tokens[script]} has no flag {f}" for f in _flags(tokens[script + 1:]) if f not in known]
    return problems


def test_the_docs_hold_commands_to_check():
    commands = [c for doc in DOCS for c in shell_commands(doc.read_text())]
    assert len(commands) >= 20
    assert any(c[0] == "s2i" for c in commands) and any("recipes/train_stackgan.py" in c for c in commands)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_in_the_docs_names_what_exists(doc):
    problems = [f"{' '.join(c)}: {p}" for c in shell_commands(doc.read_text()) for p in check_command(c)]
    assert not problems, "\n".join(problems)


def test_a_renamed_flag_in_the_docs_is_caught():
    page = ("```bash\naccelerate launch --config_file accelerate_configs/cpu.yaml recipes/train_stackgan.py \\\n"
            "    --stage 1 --dataset_dirr data/birds --output_dir out  # a typo'd flag\n"
            "s2i synth birds out --n 4 --seeds 1\ns2i draw --text x\nmake tests\n```\n")
    problems = [p for c in shell_commands(page) for p in check_command(c)]
    assert problems == ["recipes/train_stackgan.py has no flag --dataset_dirr", "s2i synth has no flag --seeds",
                        "s2i has no subcommand ['draw'] (it has ['app', 'demo', 'generate', 'synth'])",
                        "make target 'tests' is not in the Makefile"]


REPO_PATH = re.compile(r"(?<![\w/.-])((?:s2i_hf|recipes|docs|tests|accelerate_configs|model_cards|\.ci)/[\w./*-]*[\w*])")


def missing_paths(text: str, base: Path) -> list[str]:
    """Repository paths a text names (s2i_hf/..., recipes/..., docs/..., ...) and its relative markdown links
    (from `base`, the document's folder) that do not exist."""
    missing = []
    for path in REPO_PATH.findall(text):
        if not (list(ROOT.glob(path)) if "*" in path else (ROOT / path).exists()):
            missing.append(path)
    for link in re.findall(r"\]\(([^)\s]+)\)", text):
        target = link.split("#", 1)[0]
        if target and "://" not in target and not (base / target).exists():
            missing.append(link)
    return missing


def _python_texts():
    for path in sorted([*(ROOT / "s2i_hf").rglob("*.py"), *(ROOT / "recipes").rglob("*.py")]):
        yield path, path.read_text()


def test_every_path_the_docs_and_docstrings_name_exists():
    problems = [f"{doc.relative_to(ROOT)}: {p}" for doc in DOCS for p in missing_paths(doc.read_text(), doc.parent)]
    problems += [f"{path.relative_to(ROOT)}: {p}" for path, text in _python_texts()
                 for p in missing_paths(text, path.parent) if not p.startswith("http")]
    assert not problems, "\n".join(problems)


def test_a_path_to_a_file_users_lack_is_caught():
    text = "see shared/specs/synthetic-birds.md and docs/no-such-page.md, [the guide](docs/training-on-real-data.md)"
    assert missing_paths(text, ROOT) == ["docs/no-such-page.md"]
    assert missing_paths("[x](studies/nowhere.md)", ROOT / "docs") == ["studies/nowhere.md"]
