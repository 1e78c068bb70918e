"""How long a fresh `sarraf serve` takes to answer its first web chat message (cold start), and `sarraf say`.

Usage: python bench/cold_start.py [--runs 3]
Each run uses a new data directory, so migrations, key creation and model loading are all included.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

from sarraf.web.threaded_server import free_port


def serve_first_reply() -> tuple[float, float]:
    port = free_port()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "SARRAF_HOME": home}
        env.pop("SARRAF_DATABASE_URL", None)
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "sarraf", "serve", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.02)
                if time.perf_counter() - started > 60:
                    raise RuntimeError("server did not start")
            ready = time.perf_counter() - started
            body = {"session": secrets.token_urlsafe(18), "text": "what's my balance?"}
            reply = httpx.post(f"{url}/webchat/api/messages", json=body, timeout=30)
            reply.raise_for_status()
            return ready, time.perf_counter() - started
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def say_once() -> float:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "SARRAF_HOME": home}
        env.pop("SARRAF_DATABASE_URL", None)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sarraf", "say", "--as", "sandbox-pl-1", "ile mam na koncie?"],
                       env=env, check=True, capture_output=True, timeout=120)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ready, first = zip(*(serve_first_reply() for _ in range(args.runs)), strict=True)
    says = [say_once() for _ in range(args.runs)]
    rows = [
        ("serve: healthz answers", statistics.median(ready)),
        ("serve: first web chat reply", statistics.median(first)),
        ("say: link + answer (new data dir)", statistics.median(says)),
    ]
    print(f"{'measure (median of ' + str(args.runs) + ' runs)':<42} {'seconds':>8}")
    for name, seconds in rows:
        print(f"{name:<42} {seconds:>8.2f}")


if __name__ == "__main__":
    main()
