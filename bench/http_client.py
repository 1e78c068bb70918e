"""CPU per outbound request of the gateway's HTTP client (sarraf/http_client.py: httpx over aiohttp's pool,
http_transport.py) against httpx's own transport (the reference, same run, same limits), to an empty FastAPI
handler in a process of its own, with 1 and 64 requests in flight (64: bench/chat.py's customers in flight).
Each request is a GET and a JSON POST, as a turn's bank call and Send API call; client CPU is this process's.

    .venv/bin/python bench/http_client.py              # ~20 s
    .venv/bin/python bench/http_client.py --requests 6000
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import httpx  # noqa: E402
import uvloop  # noqa: E402
from tests.support import chat_load  # noqa: E402

from sarraf.http_client import HTTP_LIMITS, outbound_client  # noqa: E402


def httpx_own() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0), limits=HTTP_LIMITS)


async def measure(make: Callable[[], httpx.AsyncClient], url: str, in_flight: int, requests: int
                  ) -> tuple[float, float]:
    """(client CPU µs per request, requests per second), after one warm-up round that opens the connections."""
    http = make()
    each = max(1, requests // (2 * in_flight))

    async def customer() -> None:
        for _ in range(each):
            (await http.get(f"{url}/_ready")).raise_for_status()
            (await http.post(f"{url}/channels/messenger/webhook",
                             json={"recipient": {"id": "1"}, "message": {"text": "hello"}})).raise_for_status()

    try:
        await asyncio.gather(*(customer() for _ in range(in_flight)))
        cpu, began = time.process_time(), time.perf_counter()
        await asyncio.gather(*(customer() for _ in range(in_flight)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - began
    finally:
        await http.aclose()
    done = 2 * each * in_flight
    return cpu / done * 1e6, done / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="requests per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; the median is reported")
    args = parser.parse_args()
    clients = {"httpx transport (reference)": httpx_own, "sarraf outbound (aiohttp pool)": outbound_client}
    found: dict[tuple[str, int], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        empty = chat_load.start_helper("empty", Path(tmp))
        try:
            for _ in range(args.rounds):
                for in_flight in (1, 64):
                    for name, make in clients.items():
                        found.setdefault((name, in_flight), []).append(
                            uvloop.run(measure(make, empty.url, in_flight, args.requests)))
        finally:
            empty.stop()
    median = {key: sorted(runs)[len(runs) // 2] for key, runs in found.items()}
    print(f"{'client':<32}{'in flight':>10}{'µs CPU/request':>16}{'requests/s':>12}")
    for (name, in_flight), (us, rate) in median.items():
        print(f"{name:<32}{in_flight:>10}{us:>16.0f}{rate:>12.0f}")
    ref, ours = list(clients)
    ratio_1 = median[(ours, 1)][0] / median[(ref, 1)][0]
    ratio_64 = median[(ours, 64)][0] / median[(ref, 64)][0]
    print(f"RESULT us_per_request_1={median[(ours, 1)][0]:.0f} us_per_request_64={median[(ours, 64)][0]:.0f} "
          f"reference_us_1={median[(ref, 1)][0]:.0f} reference_us_64={median[(ref, 64)][0]:.0f} "
          f"ratio_1={ratio_1:.2f} ratio_64={ratio_64:.2f}")


if __name__ == "__main__":
    main()
