"""Webhook turns per second: an inbound Messenger / Telegram webhook answered and its reply sent to a fake
platform, next to an empty FastAPI POST handler measured in the same run (the ceiling).

Everything runs on 127.0.0.1 in this process (uvicorn servers in threads, one httpx client), with bounded
request counts. Each turn is a greeting (no bank call): what is measured is the channel path — size check,
signature, parsing, idempotency key, conversation, rendering, the Send API call.

    .venv/bin/python bench/webhook.py [--requests 400] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fake platform lives with the tests

from tests.channels.fake_platform import FakePlatform

from sarraf.channels.ratelimit import RateLimiter
from sarraf.channels.signatures import hub_signature
from sarraf.config import load_settings
from sarraf.web import routes_channels
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread

SECRET = "bench-secret"
TG_SECRET = "bench-telegram-secret"


def empty_app() -> FastAPI:
    app = FastAPI()

    @app.post("/")
    async def empty() -> dict[str, str]:
        return {}

    return app


async def run(send: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]], requests: int,
              concurrency: int) -> tuple[float, float, float]:
    latencies: list[float] = []
    counter = iter(range(requests))
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=concurrency)) as http:
        await send(http, 10_000_000)  # warm-up (connections, first-turn imports)

        async def worker() -> None:
            for i in counter:
                start = time.perf_counter()
                response = await send(http, i)
                latencies.append(time.perf_counter() - start)
                assert response.status_code == 200, response.text

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return requests / elapsed, statistics.median(latencies) * 1000, latencies[int(len(latencies) * 0.99) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    fake = FakePlatform()
    with serve_in_thread(fake.app()) as platform_url, tempfile.TemporaryDirectory() as home:
        port = free_port()
        os.environ.update({
            "SARRAF_HOME": home, "SARRAF_PORT": str(port), "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "SARRAF_DATABASE_URL": f"sqlite+aiosqlite:///{Path(home) / 'sarraf.db'}",
            "SARRAF_MESSENGER_APP_SECRET": SECRET, "SARRAF_MESSENGER_VERIFY_TOKEN": "v",
            "SARRAF_MESSENGER_PAGE_TOKEN": "p", "SARRAF_MESSENGER_API_URL": platform_url,
            "SARRAF_TELEGRAM_BOT_TOKEN": "1:B", "SARRAF_TELEGRAM_SECRET_TOKEN": TG_SECRET,
            "SARRAF_TELEGRAM_API_URL": platform_url,
        })
        app = create_app(load_settings())
        if not any(getattr(r, "path", "") == "/channels/alexa" for r in app.routes):
            app.include_router(routes_channels.router)
        with serve_in_thread(app, port=port) as gateway, serve_in_thread(empty_app()) as empty:
            def messenger(http: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
                raw = json.dumps({"object": "page", "entry": [{"id": "P", "time": 1, "messaging": [{
                    "sender": {"id": str(10_000 + i)}, "recipient": {"id": "P"}, "timestamp": 1,
                    "message": {"mid": f"m_bench_{i}", "text": "hello"}}]}]}).encode()
                return http.post(f"{gateway}/channels/messenger/webhook", content=raw,
                                 headers={"X-Hub-Signature-256": hub_signature(SECRET, raw)})

            def telegram(http: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
                body = {"update_id": i, "message": {"message_id": i, "date": 1, "text": "hello",
                                                    "chat": {"id": 50_000 + i, "type": "private"},
                                                    "from": {"id": 50_000 + i, "is_bot": False, "first_name": "B"}}}
                return http.post(f"{gateway}/channels/telegram/webhook", json=body,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})

            def ceiling(http: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
                return http.post(f"{empty}/", json={"i": i})

            rows = [("empty FastAPI POST (ceiling)", asyncio.run(run(ceiling, args.requests, args.concurrency)))]
            rows.append(("messenger webhook → Send API", asyncio.run(run(messenger, args.requests, args.concurrency))))
            rows.append(("telegram webhook → sendMessage (30/s bot rule)",
                         asyncio.run(run(telegram, min(args.requests, 150), args.concurrency))))
            channel = app.state.container.channels.channels["telegram"]
            channel._per_bot = RateLimiter(1e6, burst=1_000_000)  # lift the platform's rule: the gateway's own pace
            rows.append(("telegram webhook → sendMessage (rule lifted)",
                         asyncio.run(run(lambda h, i: telegram(h, i + 1_000_000), args.requests, args.concurrency))))
    top = rows[0][1][0]
    print(f"{'path':<48} {'turns/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'of ceiling':>10}")
    for name, (rate, p50, p99) in rows:
        print(f"{name:<48} {rate:>9.0f} {p50:>8.1f} {p99:>8.1f} {rate / top:>10.1%}")
    print(f"({args.requests} requests, {args.concurrency} concurrent, platform calls recorded: {len(fake.calls)})")
    rate, p50, p99 = rows[1][1]  # the Messenger webhook, against the empty handler in the same run
    print(f"RESULT messenger_turns_per_s={rate:.0f} p50_ms={p50:.1f} p99_ms={p99:.1f} ceiling_req_per_s={top:.0f} "
          f"ratio={rate / top:.3f}")


if __name__ == "__main__":
    main()
