"""What the machine itself can do, measured in the same run as the figures compared with it: the matmul peak
(CPU or GPU) and the GPU's peak memory while a block runs."""

from __future__ import annotations

import subprocess
import threading
import time

import torch


def matmul_peak_gflops(dtype: torch.dtype, device: str = "cpu", n: int | None = None, repeats: int = 10) -> float:
    """GFLOP/s of an n x n matmul in `dtype` (2048 on the CPU, 8192 on a GPU), the median of `repeats` timed calls
    on the CPU, the mean of a synchronised batch of them on a GPU."""
    from . import median_seconds

    n = n or (8192 if device.startswith("cuda") else 2048)
    a, b = (torch.randn(n, n, dtype=dtype, device=device) for _ in range(2))
    if not device.startswith("cuda"):
        return 2 * n**3 / median_seconds(lambda: torch.mm(a, b), repeats) / 1e9
    torch.mm(a, b)
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b)
    torch.cuda.synchronize()
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9


class GPUMemory:
    """`with GPUMemory() as memory: ...`; then `memory.peak`: the most nvidia-smi reported used (MiB) while the
    block ran, polled every 0.2 s (it sees other processes' memory too, as a user's nvidia-smi does); None without
    a GPU."""

    def __enter__(self):
        self.peak, self._stop = None, threading.Event()
        if torch.cuda.is_available():
            threading.Thread(target=self._poll, daemon=True).start()
        return self

    def _poll(self):
        while not self._stop.is_set():
            try:
                used = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                                      capture_output=True, text=True, timeout=5).stdout.split()
                self.peak = max(self.peak or 0, int(used[0]))
            except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
                pass
            self._stop.wait(0.2)

    def __exit__(self, *exc):
        self._stop.set()
