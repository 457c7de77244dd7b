"""What both corpus generators share: an output folder that appears only when complete, and a parallel map."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
from pathlib import Path
from typing import Callable, Iterable, Iterator

from tqdm.auto import tqdm

COMPLETE_MARKER = ".complete"


def is_complete(out_dir: str | os.PathLike) -> bool:
    return (Path(out_dir) / COMPLETE_MARKER).is_file()


@contextlib.contextmanager
def staged_output_dir(out_dir: str | os.PathLike, overwrite: bool = False) -> Iterator[Path]:
    """Yield a staging folder beside `out_dir` that is renamed onto it only when the body finishes.

    An interrupted run leaves a `.staging` folder, never a half-written corpus under the real name; the
    `.complete` marker lets callers (the demo) reuse a finished corpus instead of making it again.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not overwrite:
        raise FileExistsError(f"{out_dir} already exists; pass --overwrite to replace it")
    staging = out_dir.with_name(out_dir.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    yield staging
    (staging / COMPLETE_MARKER).write_text("")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.replace(staging, out_dir)


def parallel_map(fn: Callable, items: list, num_workers: int, desc: str, fresh_process_per_item: bool = False) -> Iterable:
    """`map(fn, items)` in order over `num_workers` processes, with a progress bar.

    fresh_process_per_item: run every item in a new process, for work whose output would otherwise depend on
    what the same process did before (eSpeak NG); items should then be blocks of work, not single clips.
    """
    bar = tqdm(total=len(items), desc=desc, unit="item", disable=None)
    if num_workers <= 1 and not fresh_process_per_item:
        for item in items:
            yield fn(item)
            bar.update()
    else:
        chunksize = 1 if fresh_process_per_item else max(1, min(64, len(items) // (num_workers * 8)))
        pool = multiprocessing.get_context("fork").Pool(num_workers, maxtasksperchild=1 if fresh_process_per_item else None)
        with pool:
            for result in pool.imap(fn, items, chunksize=chunksize):
                yield result
                bar.update()
    bar.close()
