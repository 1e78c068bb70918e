"""Log lines of a real gateway (`sarraf serve` subprocess, PostgreSQL) during a database outage.

The gateway runs on a temporary PostgreSQL database; for `--seconds` its database refuses connections
(ALLOW_CONNECTIONS false, sessions killed by pg_terminate_backend) while a web chat customer writes once a
second; the lines and tracebacks the process wrote to stderr in that window are counted. The reference is the
same window with the database up, in the same run. `--src` runs another source tree on the same venv:

    .venv/bin/python bench/outage_logs.py
    git archive b726505 src | tar -x -C /tmp/before && .venv/bin/python bench/outage_logs.py --src /tmp/before/src
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.postgres import temporary_database  # noqa: E402

from sarraf.web.threaded_server import free_port  # noqa: E402

PG_ADMIN = os.environ.get("SARRAF_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SESSION = "bench-outage-session-01234"


def _window(log: Path, start: int) -> tuple[int, int, list[str]]:
    """Lines, tracebacks, and the distinct error lines (first line of each, without time) in the window."""
    text = log.read_bytes()[start:].decode("utf-8", "replace")
    errors = sorted({line.split(" ", 2)[-1][:150] for line in text.splitlines()
                     if line.startswith(("ERROR", "WARNING")) or " ERROR " in line or " WARNING " in line})
    return len(text.splitlines()), text.count("Traceback (most recent call last)"), errors


async def _chat(url: str, seconds: float) -> list[int]:
    statuses = []
    async with httpx.AsyncClient(timeout=10) as http:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                statuses.append((await http.post(f"{url}/webchat/api/messages",
                                                 json={"session": SESSION, "text": "what's my balance?"})).status_code)
            except httpx.HTTPError:
                statuses.append(0)
            await asyncio.sleep(1.0)
    return statuses


async def _outage(name: str, down: bool) -> None:
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"false" if down else "true"}')
        if down:
            await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = $1 AND pid <> pg_backend_pid()", name)
    finally:
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--src", type=Path, default=Path(__file__).resolve().parents[1] / "src")
    args = parser.parse_args()
    port = free_port()
    rows = []
    with temporary_database("sarraf_bench_outage") as url, tempfile.TemporaryDirectory() as home:
        log = Path(home) / "serve.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SARRAF_")}
        env |= {"PYTHONPATH": str(args.src), "SARRAF_HOME": home, "SARRAF_DATABASE_URL": url}
        with log.open("wb") as sink:
            server = subprocess.Popen([sys.executable, "-m", "sarraf", "serve", "--port", str(port)], env=env,
                                      stdout=sink, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            name = url.rsplit("/", 1)[-1]
            for label, down in (("reference: database up", False), ("database refusing connections", True)):
                start = len(log.read_bytes())
                if down:
                    asyncio.run(_outage(name, True))
                statuses = asyncio.run(_chat(base, args.seconds))
                lines, tracebacks, errors = _window(log, start)
                if down:
                    print("\n".join(["error lines in the outage window:", *errors]))
                if down:
                    asyncio.run(_outage(name, False))
                rows.append((label, lines, tracebacks, sorted(set(statuses))))
        finally:
            server.terminate()
            server.wait(30)
    print(f"source: {args.src}")
    print(f"{'window of ' + str(args.seconds) + ' s':<34} {'log lines':>9} {'tracebacks':>10}  chat answers")
    for label, lines, tracebacks, statuses in rows:
        print(f"{label:<34} {lines:>9} {tracebacks:>10}  {statuses}")
    (_, ref_lines, _, _), (_, lines, tracebacks, statuses) = rows
    print(f"RESULT seconds={args.seconds:.0f} outage_lines={lines} outage_tracebacks={tracebacks} "
          f"reference_lines={ref_lines} ratio_vs_reference={lines / max(ref_lines, 1):.1f} "
          f"chat_statuses={'/'.join(str(s) for s in statuses)}")


if __name__ == "__main__":
    main()
