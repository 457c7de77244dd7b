"""Recipe arguments: dataclasses parsed by HfArgumentParser, with `--config x.yaml` supplying defaults.

    model_args, data_args, training_args = parse_args((ModelArguments, DataArguments, Seq2SeqTrainingArguments))

The YAML is flat and keyed like the dataclass fields; a key no dataclass has is an error (a typo must not be
silently ignored); command-line flags override the file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml
from transformers import HfArgumentParser


def parse_args(dataclass_types: tuple, argv: list[str] | None = None, description: str | None = None) -> tuple:
    """`description`: what `--help` prints above the flags (a recipe passes its docstring: what it does, the
    command that runs it)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = HfArgumentParser(dataclass_types, description=description,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    config_path = None
    if "--config" in argv:
        i = argv.index("--config")
        config_path = argv[i + 1]
        del argv[i : i + 2]
    if config_path is not None:
        defaults = yaml.safe_load(Path(config_path).read_text()) or {}
        known = {action.dest for action in parser._actions}
        unknown = sorted(set(defaults) - known)
        if unknown:
            raise SystemExit(f"{config_path}: unknown keys {unknown}; see --help for the accepted names")
        parser.set_defaults(**defaults)
    *parsed, remaining = parser.parse_args_into_dataclasses(args=argv, return_remaining_strings=True)
    if remaining:
        raise SystemExit(f"unknown arguments: {remaining}")
    return tuple(parsed)
