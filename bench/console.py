"""The console's live queue under 500 waiting conversations: page render time and update latency.

A real gateway on 127.0.0.1 (SQLite), 500 hand-off requests written into its queue, an agent logged in (password +
TOTP). Measured over HTTP: GET /console (the whole queue rendered) against GET /healthz (an almost empty handler,
the reference, same server, same run), and the time from a new hand-off being written to the agent's SSE stream
delivering the fragment that shows it (written by another process, as by another replica: the stream sees it at its
next 1 s poll; changes made in the same process wake it at once).
Run: PYTHONPATH=src .venv/bin/python bench/console.py"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from sarraf.config import Settings
from sarraf.console.staff import hash_password, new_totp_secret
from sarraf.policy.crypto.envelope import EnvelopeCipher
from sarraf.store.console_staff import SqlStaff
from sarraf.store.database import make_engine
from sarraf.store.key_store import SqlDataKeyStore, key_provider
from sarraf.store.tables.core import handoff_requests
from sarraf.web.app import create_app
from sarraf.web.console.auth import SESSION_COOKIE
from sarraf.web.threaded_server import free_port, serve_in_thread

WAITING, ROUNDS, UPDATES = 500, 40, 10


def _time(client: httpx.Client, path: str) -> list[float]:
    out = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        response = client.get(path)
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return out


async def _seed(settings: Settings, secret: str) -> str:
    engine = make_engine(settings.database_url)
    async with engine.begin() as conn:
        await conn.execute(insert(handoff_requests), [
            {"tenant": "sandbox", "customer_id": f"c{i}", "channel": "webchat", "sender": f"s{i}",
             "reason": "asked", "created_at": datetime.now(UTC)} for i in range(WAITING)])
    staff = SqlStaff(engine, EnvelopeCipher(key_provider(settings), SqlDataKeyStore(engine)))
    staff_id = await staff.add("sandbox", "bench@bank.test", "agent", hash_password("bench password long"), secret)
    account = await staff.get(staff_id)
    assert account is not None
    token, _ = await staff.open_session(account, datetime.now(UTC), timedelta(hours=1))
    await engine.dispose()
    return token


async def _write(settings: Settings, n: int) -> None:
    """A hand-off written by another process (this one): the stream sees it on its next poll."""
    engine = make_engine(settings.database_url)
    async with engine.begin() as conn:
        await conn.execute(insert(handoff_requests).values(
            tenant="sandbox", customer_id=f"new{n}", channel="webchat", sender=f"new{n}", reason="asked",
            created_at=datetime.now(UTC)))
    await engine.dispose()


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="bench-console-"))
    port = free_port()
    settings = Settings(data_dir=home, database_url=f"sqlite+aiosqlite:///{home / 'db.sqlite'}",
                        banks_file=Path(__file__).resolve().parents[1] / "src/sarraf/banks.yaml",
                        public_url=f"http://127.0.0.1:{port}", port=port)
    secret = new_totp_secret()
    app = create_app(settings)
    with serve_in_thread(app, port=port, startup_timeout=90, log_level="error") as url:
        token = asyncio.run(_seed(settings, secret))  # after start-up: the gateway made its keys and tables
        client = httpx.Client(base_url=url, cookies={SESSION_COOKIE: token}, timeout=30)
        page = _time(client, "/console")
        reference = _time(client, "/healthz")
        latencies = []
        with client.stream("GET", "/console/stream/queue") as stream:
            lines = stream.iter_lines()
            for line in lines:  # the first fragment
                if f"{WAITING}</span>" in line:
                    break
            for n in range(UPDATES):
                start = time.perf_counter()
                asyncio.run(_write(settings, n))
                for line in lines:
                    if f"{WAITING + n + 1}</span>" in line:
                        break
                latencies.append((time.perf_counter() - start) * 1000)
    p50, ref50, upd50 = statistics.median(page), statistics.median(reference), statistics.median(latencies)
    print(f"{'what':<34}{'p50 ms':>10}{'max ms':>10}")
    print(f"{'GET /console, 500 waiting':<34}{p50:>10.1f}{max(page):>10.1f}")
    print(f"{'GET /healthz (reference)':<34}{ref50:>10.1f}{max(reference):>10.1f}")
    print(f"{'new hand-off -> SSE fragment':<34}{upd50:>10.1f}{max(latencies):>10.1f}")
    print(f"RESULT waiting={WAITING} render_p50_ms={p50:.1f} reference_p50_ms={ref50:.1f} "
          f"ratio={p50 / ref50:.1f} update_p50_ms={upd50:.1f} update_max_ms={max(latencies):.1f}")


if __name__ == "__main__":
    main()
