"""Load check of `s2i app`: N concurrent clients (gradio_client) against a local server for a bounded time. Prints
one JSON object: requests answered and failed, latency p50/p95 per kind, throughput, and the server's RSS before
and after.

    python recipes/benchmarks/bench_app.py --model outputs/demo/bundle --clients 4 --seconds 60 \\
        --audio outputs/demo/speech/wavs/LJ001-0001.wav

The server is started as users start it (`s2i app --model ... --port P`, concurrency 1: requests queue), on
127.0.0.1 only; every client alternates a spoken clip (the speech endpoint) and a caption (the text endpoint), two
images each. The run stops by itself after --seconds; requests still queued then are waited for and counted.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import threading
import time
from pathlib import Path

from s2i_hf import benchmarking
from s2i_hf.app import start_server

ROOT = Path(__file__).resolve().parents[2]


def _rss_mb(pid: int) -> float:
    """Resident memory of the process and its children, in MB (Linux /proc)."""
    total = 0
    for task in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{task}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return round(total / 1024, 1)


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def main():
    parser = benchmarking.parser(__doc__)
    parser.add_argument("--model", required=True, help="a speech-to-image bundle")
    parser.add_argument("--audio", required=True, help="a spoken caption (WAV) the speech requests send")
    parser.add_argument("--text", default="a small bird with a red belly and blue wings.")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60.0, help="stop sending new requests after this long")
    parser.add_argument("--concurrency", type=int, default=1, help="the server's --concurrency")
    args = parser.parse_args()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False")
    server, url = start_server(args.model, port, "--concurrency", str(args.concurrency), "--queue_size",
                               str(4 * args.clients), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    rss_before = _rss_mb(server.pid)

    from gradio_client import Client, handle_file

    latencies: dict[str, list[float]] = {"speech": [], "text": []}
    failures: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + args.seconds

    def client(index: int):
        c = Client(url, verbose=False, analytics_enabled=False)
        k = 0
        while time.monotonic() < stop_at:
            kind = "speech" if (index + k) % 2 == 0 else "text"
            started = time.perf_counter()
            try:
                if kind == "speech":
                    c.predict(handle_file(args.audio), 2, k, api_name="/speech")
                else:
                    c.predict(args.text, 2, k, api_name="/text")
                with lock:
                    latencies[kind].append(time.perf_counter() - started)
            except Exception as e:  # noqa: BLE001  (counted and reported)
                with lock:
                    failures.append(f"{kind}: {type(e).__name__}: {str(e)[:200]}")
            k += 1

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    rss_after = _rss_mb(server.pid)
    server.terminate()
    server.wait(timeout=30)

    def quantiles(values):
        if not values:
            return None
        q = statistics.quantiles(values, n=20) if len(values) > 1 else [values[0]] * 19
        return {"p50_s": round(statistics.median(values), 3), "p95_s": round(q[18], 3), "n": len(values)}

    answered = sum(len(v) for v in latencies.values())
    benchmarking.emit({"clients": args.clients, "seconds": round(elapsed, 1), "server_concurrency": args.concurrency,
                      "answered": answered, "failed": len(failures), "failures": failures[:5],
                      "requests_per_s": round(answered / elapsed, 3),
                      "latency": {k: quantiles(v) for k, v in latencies.items()},
                      "server_rss_mb": {"before": rss_before, "after": rss_after}})


if __name__ == "__main__":
    main()
