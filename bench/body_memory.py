"""Memory of a real gateway (uvicorn subprocess on 127.0.0.1, SQLite) under a huge chunked request body.

For each route the gateway's resident memory is read from /proc before the request, its peak during it
(VmHWM, reset through /proc/<pid>/clear_refs before each request) and after it; the reference is a small valid
web chat message to the same server in the same run, so the table says what the huge body cost over an
ordinary request. `--src` runs another source tree (e.g. the code before the body limit) on the same venv:

    .venv/bin/python bench/body_memory.py                       # this tree, 300 MB bodies
    git archive b726505 src | tar -x -C /tmp/before && .venv/bin/python bench/body_memory.py --src /tmp/before/src
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from sarraf.web.threaded_server import free_port

CHUNK = 1_000_000
ROUTES = (("/webchat/api/messages", "application/json"), ("/banks/sandbox/events", "application/secevent+jwt"))
SMALL = b'{"session": "bench-session-0123456789ab", "text": "hello"}'
SERVE = ("import sys, uvicorn; from sarraf.config import load_settings; from sarraf.web.app import create_app; "
         "uvicorn.run(create_app(load_settings()), host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')")


def _kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux >= 4.0)


def _body(total_mb: int) -> Iterator[bytes]:
    chunk = b"x" * CHUNK
    for _ in range(total_mb):
        yield chunk


def _measure(pid: int, url: str, content_type: str, body: Iterator[bytes] | bytes) -> tuple[int, int, int, int, float]:
    before = _kb(pid, "VmRSS")
    _reset_peak(pid)
    started = time.perf_counter()
    try:
        status = httpx.post(url, content=body, headers={"content-type": content_type}, timeout=600).status_code
    except httpx.HTTPError:
        status = 0  # the server hung up
    seconds = time.perf_counter() - started
    return status, before, _kb(pid, "VmHWM"), _kb(pid, "VmRSS"), seconds


@contextmanager
def _gateway(src: Path) -> Iterator[tuple[int, str]]:
    """A fresh gateway process (pid, base URL) on its own data folder."""
    port = free_port()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PYTHONPATH": str(src), "SARRAF_HOME": home, "SARRAF_PORT": str(port),
               "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}"}
        env.pop("SARRAF_DATABASE_URL", None)
        server = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            yield server.pid, base
        finally:
            server.terminate()
            server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=300, help="size of the huge body in MB")
    parser.add_argument("--src", type=Path, default=Path(__file__).resolve().parents[1] / "src")
    args = parser.parse_args()
    rows = []
    for path, ctype in ROUTES:  # a fresh process each, so one huge body's leftovers do not hide the next's
        with _gateway(args.src) as (pid, base):
            rows.append(("reference: small message", *_measure(pid, base + "/webchat/api/messages",
                                                                "application/json", SMALL)))
            rows.append((f"{args.mb} MB chunked {path}", *_measure(pid, base + path, ctype, _body(args.mb))))
    print(f"source: {args.src}")
    print(f"{'request':<48} {'status':>6} {'RSS before MB':>13} {'peak MB':>8} {'after MB':>8} {'seconds':>8}")
    for name, status, before, peak, after, seconds in rows:
        print(f"{name:<48} {status:>6} {before / 1024:>13.0f} {peak / 1024:>8.0f} {after / 1024:>8.0f} {seconds:>8.2f}")
    ref_growth = max(max(row[3] - row[2] for row in rows[0::2]), 1)
    huge = rows[1::2]
    figures = " ".join(f"{path.strip('/').replace('/', '_')}_status={row[1]} "
                       f"{path.strip('/').replace('/', '_')}_peak_growth_mb={(row[3] - row[2]) / 1024:.0f}"
                       for (path, _), row in zip(ROUTES, huge, strict=True))
    worst = max(row[3] - row[2] for row in huge)
    print(f"RESULT mb={args.mb} {figures} reference_peak_growth_mb={ref_growth / 1024:.1f} "
          f"growth_ratio_vs_reference={worst / ref_growth:.1f}")


if __name__ == "__main__":
    main()
