"""Publishing a trained folder: to a Hub repository, or to a local folder that stands in for one.

    publish("outputs/asr_demo", "user/s2i-asr-demo")           # create_repo + upload_folder (needs a token)
    publish("outputs/asr_demo", "file:///srv/hub/s2i-asr-demo") # offline: the same files, copied

Only what a model repository should hold is sent: weights, configs, tokenizer/processor files, custom code,
model card, metrics and images; checkpoints, optimizer states and TensorBoard runs stay behind.
"""

from __future__ import annotations

import shutil
from pathlib import Path

IGNORE = ["checkpoint-*", "checkpoint-*/**", "runs/**", "*.bin", "optimizer*", "scheduler*", "rng_state*", "*.staging",
          "features_cache", "features_cache/**"]


def publish(folder: str, target: str, commit_message: str = "Upload from s2i_hf") -> str:
    """Send `folder` to `target` (a Hub repo id, or `file://PATH` / an absolute path); return where it went."""
    folder_path = Path(folder)
    if target.startswith("file://") or Path(target).is_absolute():
        dest = Path(target.removeprefix("file://"))
        staging = dest.with_name(dest.name + ".staging")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(folder_path, staging, ignore=shutil.ignore_patterns(*[p for p in IGNORE if "/" not in p]))
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)  # a half-copied repository never appears under the real name
        return str(dest)
    from huggingface_hub import create_repo, upload_folder

    create_repo(target, exist_ok=True)
    upload_folder(repo_id=target, folder_path=str(folder_path), commit_message=commit_message, ignore_patterns=IGNORE)
    return f"https://huggingface.co/{target}"
