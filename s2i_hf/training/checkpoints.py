"""`checkpoint-<step>` folders that are either whole or ignored, for accelerate's `save_state`.

A run can be killed while `save_state` writes. So a checkpoint is written as `checkpoint-<step>.partial` and renamed
to `checkpoint-<step>` only after every process has finished writing; a rename within one folder is atomic, so a
folder named `checkpoint-<step>` is always complete, and leftover `.partial` folders are swept on the next start.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

logger = logging.getLogger(__name__)

_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def complete_checkpoints(output_dir: str | os.PathLike) -> list[Path]:
    """The complete checkpoint folders in `output_dir`, oldest step first."""
    root = Path(output_dir)
    if not root.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in root.iterdir() if p.is_dir() and (m := _CHECKPOINT.match(p.name))]
    return [p for _, p in sorted(found)]


def resolve_checkpoint(output_dir: str | os.PathLike, resume_from_checkpoint: str | None) -> Path | None:
    """"latest" -> the newest complete checkpoint (None when there is none yet); a path -> that folder, checked."""
    if not resume_from_checkpoint:
        return None
    if resume_from_checkpoint == "latest":
        found = complete_checkpoints(output_dir)
        return found[-1] if found else None
    path = Path(resume_from_checkpoint)
    if not _CHECKPOINT.match(path.name) or not path.is_dir():
        raise FileNotFoundError(f"--resume_from_checkpoint {resume_from_checkpoint}: not a complete checkpoint-<step> "
                                "folder (half-written ones end in .partial and are never resumed from)")
    return path


def checkpoint_step(path: Path) -> int:
    return int(_CHECKPOINT.match(path.name).group(1))


def save_checkpoint(accelerator, output_dir: str | os.PathLike, step: int, total_limit: int | None = None) -> Path:
    """`accelerator.save_state` into `checkpoint-<step>.partial`, then the atomic rename, then the total limit."""
    root = Path(output_dir)
    final, partial = root / f"checkpoint-{step}", root / f"checkpoint-{step}.partial"
    if accelerator.is_main_process and partial.exists():
        shutil.rmtree(partial)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(partial))
    accelerator.wait_for_everyone()  # every rank has written its part
    if accelerator.is_main_process:
        if final.exists():  # the same step saved again (a rerun after a resume): replace it
            shutil.rmtree(final)
        os.replace(partial, final)
        if total_limit is not None:
            for old in complete_checkpoints(root)[:-total_limit]:
                shutil.rmtree(old)
        logger.info("saved %s", final)
    accelerator.wait_for_everyone()
    return final


def remove_partial_checkpoints(output_dir: str | os.PathLike) -> None:
    """Sweep what a killed run left half-written (call on the main process before training starts)."""
    root = Path(output_dir)
    for partial in root.glob("checkpoint-*.partial") if root.is_dir() else []:
        logger.warning("removing the half-written %s left by an interrupted run", partial)
        shutil.rmtree(partial)
