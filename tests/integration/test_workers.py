"""Several gateway processes on one database behave as one gateway, over real HTTP on 127.0.0.1.

- two `sarraf serve` processes addressed one by one (the test plays the load balancer): two messages of one
  customer reaching the two processes are answered in the order they came (the per-conversation turn lock,
  store/turn_locks.py), and one message delivered to both at once is answered once (the idempotency key);
- `sarraf serve --workers 2`: two worker processes on one port; a load of linked customers is answered exactly
  once, every reply inside its own message's time in flight, and the ordering holds through the shared port.

On SQLite (one machine) and on PostgreSQL. The fake platform can hold a Send API call back (`/_delay`): the
first message's reply is then still going out when the second message arrives at the other process.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support import chat_load as load
from tests.support.postgres import temporary_database

pytestmark = pytest.mark.slow
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@dataclass
class Deployment:
    gateways: list[load.Proc]
    platform: load.Proc
    customers: list[load.Customer]
    shared: dict[str, str]

    def urls(self) -> list[str]:
        return [g.url for g in self.gateways]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    return str(request.param), tmp_path_factory.mktemp(f"workers-{request.param}")


def _deploy(backend: str, root: Path, workers: int, processes: int) -> Iterator[Deployment]:
    root.mkdir(parents=True, exist_ok=True)
    started: list[load.Proc] = []
    with ExitStack() as stack:
        url = (stack.enter_context(temporary_database("sarraf_workers")) if backend == "postgresql"
               else f"sqlite+aiosqlite:///{root / 'sarraf.db'}")
        try:
            bank = load.start_bank(root)
            started.append(bank)
            platform = load.start_helper("platform", root)
            started.append(platform)
            front = load.free_port()
            shared = load.gateway_env(root, url, bank.url, platform.url, f"http://127.0.0.1:{front}")
            gateways = []
            for n in range(processes):  # one after the other: the first creates the schema and the keys
                gateway = load.start_gateway(f"gateway-{n}", shared, root, port=front if n == 0 else None,
                                             workers=workers)
                started.append(gateway)
                gateways.append(gateway)
            customers = load.make_customers(12, webchat_share=0.3)
            asyncio.run(load.link_all(gateways[0].url, platform.url, customers, concurrency=4))
            yield Deployment(gateways, platform, customers, shared)
        finally:
            for proc in reversed(started):
                proc.stop()


@pytest.fixture(scope="module")
def two_processes(backend: tuple[str, Path]) -> Iterator[Deployment]:
    yield from _deploy(backend[0], backend[1] / "pair", workers=1, processes=2)


@pytest.fixture(scope="module")
def two_workers(backend: tuple[str, Path]) -> Iterator[Deployment]:
    yield from _deploy(backend[0], backend[1] / "workers", workers=2, processes=1)


def _messenger(deployment: Deployment, lang: str = "en") -> load.Customer:
    return next(c for c in deployment.customers if c.kind == "messenger" and c.lang == lang)


async def _send(http: httpx.AsyncClient, base: str, who: load.Customer, text: str, mid: str) -> None:
    raw = load.webhook_body(who.sender, text, mid)
    answer = await http.post(f"{base}/channels/messenger/webhook", content=raw, headers=load.signed(raw))
    assert answer.status_code == 200, answer.text


async def _calls_to(deployment: Deployment, who: load.Customer) -> list[str]:
    calls = await load.platform_calls(deployment.platform.url)
    return [body for recipient, _, body in calls if recipient == who.sender]


async def _in_order(deployment: Deployment, first: str, second: str, run: str) -> list[str]:
    """A balance question at `first`, then (0.2 s later, its reply still held back by the platform) "thanks"
    at `second`; returns the Send API bodies of both turns, in the order the platform finished them."""
    who = _messenger(deployment)
    before = len(await _calls_to(deployment, who))
    async with httpx.AsyncClient(timeout=60) as http:
        await http.post(f"{deployment.platform.url}/_delay/{who.sender}", params={"seconds": 0.8})
        balance = asyncio.create_task(_send(http, first, who, "what's my balance?", f"{run}-1"))
        await asyncio.sleep(0.2)
        await _send(http, second, who, "thanks", f"{run}-2")
        await balance
    return (await _calls_to(deployment, who))[before:]


def _balance_then_thanks(bodies: list[str]) -> None:
    """The balance answer (a template or text naming the accounts) goes out entirely before "You're welcome"."""
    thanks = ["You're welcome" in json.loads(b)["message"].get("text", "") for b in bodies]
    assert thanks.count(True) == 1 and len(thanks) >= 2, bodies
    assert thanks[-1], f"the answer to the second message went out before the first's: {bodies}"


@pytest.mark.parametrize("run", ["a-then-b", "b-then-a"])
async def test_two_messages_at_two_processes_are_answered_in_order(two_processes: Deployment, run: str) -> None:
    a, b = two_processes.urls()
    first, second = (a, b) if run == "a-then-b" else (b, a)
    _balance_then_thanks(await _in_order(two_processes, first, second, f"order-{run}"))


async def test_one_message_delivered_to_both_processes_at_once_is_answered_once(two_processes: Deployment) -> None:
    who = _messenger(two_processes, "pl")
    a, b = two_processes.urls()
    async with httpx.AsyncClient(timeout=60) as http:
        before = len(await _calls_to(two_processes, who))
        await _send(http, a, who, "dzięki", "once-reference")
        one_answer = len(await _calls_to(two_processes, who)) - before
        assert one_answer >= 1
        await http.post(f"{two_processes.platform.url}/_delay/{who.sender}", params={"seconds": 0.5})
        before = len(await _calls_to(two_processes, who))
        await asyncio.gather(*(_send(http, url, who, "dzięki", "once-both") for url in (a, b, a, b)))
    assert len(await _calls_to(two_processes, who)) - before == one_answer


def _children(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(proc.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _serves(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


async def test_serve_with_two_workers_answers_every_message_once_in_order(two_workers: Deployment) -> None:
    (gateway,) = two_workers.gateways
    workers = [pid for pid in _children(gateway.popen.pid) if _serves(pid)]
    assert len(workers) == 2, f"worker processes of `sarraf serve --workers 2`: {workers}"
    offset = len(await load.platform_calls(two_workers.platform.url))
    plan = load.make_plan(two_workers.customers, 48, "workers", redeliver=0.1)
    result = await load.drive([gateway.url], two_workers.customers, plan, concurrency=8)
    calls = await load.platform_calls(two_workers.platform.url, offset)
    counted = load.tally(two_workers.customers, result, calls, plan)
    assert (counted.turns, counted.lost, counted.dup, counted.failed) == (48, 0, 0, 0)
    audit = load.audit_verify(two_workers.shared)  # both workers appended to one Merkle log
    assert audit.returncode == 0 and "OK" in audit.stdout, audit.stdout + audit.stderr
    for run in range(3):  # through the one port: whichever worker takes each message
        _balance_then_thanks(await _in_order(two_workers, gateway.url, gateway.url, f"shared-port-{run}"))
