"""Chat turns at load, as separate processes on 127.0.0.1: used by bench/chat.py and the multi-process tests.

- the sandbox bank (`python -m sarraf.sandbox_bank`), the gateway (`python -m sarraf serve`), a fake chat
  platform recording every Send API call (`python -m tests.support.chat_load platform`), and an empty FastAPI
  handler (`... empty`), each a process of its own;
- linked customers over en/pl/ar on Messenger (signed webhooks) and the web chat API, linked through the real
  bank login before the load starts;
- the load generator (`... load`): a process of its own driving `concurrency` customers at a time, one message
  in flight per customer, re-delivering a share of messages as Meta does (same mid: must not be answered);
- the accounting: every message answered exactly once, counted from what the platform received.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict, deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

ROOT = Path(__file__).resolve().parents[2]
SECRET = "chat-load-secret"
START_SECONDS = 60.0
PHRASES: dict[str, dict[str, list[str]]] = {
    "en": {"balance": ["what's my balance?", "how much money do I have", "balance please"],
           "transactions": ["show my recent transactions", "what did I buy recently"],
           "spending": ["how much did I spend last month?", "how much did I spend on restaurants last month?",
                        "how much did I spend on transport this month?"],
           "small_talk": ["hi there", "thanks", "what can you do?"]},
    "pl": {"balance": ["ile mam na koncie?", "jaki mam stan konta"],
           "transactions": ["pokaż ostatnie transakcje", "co ostatnio kupiłem"],
           "spending": ["ile wydałem w zeszłym miesiącu", "ile wydałem na transport w zeszłym miesiącu?",
                        "ile wydałem na zakupy w zeszłym miesiącu?"],
           "small_talk": ["dzień dobry", "co potrafisz?", "dzięki"]},
    "ar": {"balance": ["كم رصيدي؟"],
           "transactions": ["اعرض آخر المعاملات"],
           "spending": ["كم صرفت الشهر الماضي؟", "كم صرفت على المواصلات الشهر الماضي؟",
                        "كم صرفت على المطاعم الشهر الماضي؟"],
           "small_talk": ["مرحبا", "صباح الخير", "شكرا", "ماذا تستطيع أن تفعل؟"]},
}
# what customers of a bank's chat ask most: their balance, then what moved, then where it went; a quarter is talk
MIX = (("balance", 0.35), ("transactions", 0.25), ("spending", 0.15), ("small_talk", 0.25))
BANK_USERS = {"en": ["sandbox-en-1", "sandbox-en-2"], "pl": ["sandbox-pl-1"], "ar": ["sandbox-ar-1"]}


@dataclass
class Customer:
    idx: int
    kind: str  # "messenger" or "webchat"
    sender: str  # the PSID, or the web chat session
    lang: str
    bank_user: str


@dataclass
class Message:
    customer: int
    text: str
    key: str  # the mid (Messenger) or message_id (web chat): the idempotency key
    redeliver: bool = False  # sent a second time right after its answer, as a platform re-delivers


def make_customers(count: int, seed: int = 7, webchat_share: float = 1 / 3) -> list[Customer]:
    rng = random.Random(seed)
    found = []
    for i in range(count):
        lang = ("en", "pl", "ar")[i % 3]
        kind = "webchat" if rng.random() < webchat_share else "messenger"
        sender = secrets.token_urlsafe(18) if kind == "webchat" else str(7_000_000 + i)
        found.append(Customer(i, kind, sender, lang, rng.choice(BANK_USERS[lang])))
    return found


def make_plan(customers: list[Customer], turns: int, run: str, seed: int = 11, redeliver: float = 0.03
              ) -> list[Message]:
    rng = random.Random(seed)
    kinds, weights = zip(*MIX, strict=True)
    plan = []
    for n in range(turns):
        who = customers[n % len(customers)]
        kind = rng.choices(kinds, weights)[0]
        plan.append(Message(who.idx, rng.choice(PHRASES[who.lang][kind]), f"m_{run}_{n}", rng.random() < redeliver))
    return plan


# ---- processes -------------------------------------------------------------------------------------------

@dataclass
class Proc:
    name: str
    url: str
    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)


def free_port() -> int:
    from sarraf.web.threaded_server import free_port as free

    return free()


def spawn(name: str, argv: list[str], env: dict[str, str], logs: Path, port: int) -> Proc:
    log = logs / f"{name.replace(' ', '-')}.log"
    with log.open("ab") as sink:
        popen = subprocess.Popen([sys.executable, *argv], env=env, stdout=sink, stderr=subprocess.STDOUT,
                                 cwd=ROOT, start_new_session=True)
    return Proc(name, f"http://127.0.0.1:{port}", popen, log)


def wait_ready(proc: Proc, path: str, seconds: float = START_SECONDS) -> float:
    """Seconds until `path` answered 200."""
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.output()[-4000:]}")
        try:
            if httpx.get(proc.url + path, timeout=1.0).status_code == 200:
                return time.monotonic() - began
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{proc.name} did not answer {path} within {seconds}s:\n{proc.output()[-4000:]}")


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SARRAF_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def start_bank(logs: Path) -> Proc:
    port = free_port()
    bank = spawn("sandbox bank", ["-m", "sarraf.sandbox_bank", "--port", str(port), "--state",
                                  str(logs / "bank.db")], base_env(), logs, port)
    wait_ready(bank, "/sarraf/v1/jwks.json")
    return bank


def start_helper(role: str, logs: Path) -> Proc:
    """The fake platform or the empty handler."""
    port = free_port()
    proc = spawn(role, ["-m", "tests.support.chat_load", role, "--port", str(port)], base_env(), logs, port)
    wait_ready(proc, "/_ready")
    return proc


def gateway_env(root: Path, database_url: str, bank_url: str, platform_url: str, public_url: str,
                nats_url: str | None = None) -> dict[str, str]:
    """What every gateway process of one deployment shares."""
    import sarraf

    agreement = Path(sarraf.__file__).parent / "policy" / "agreements" / "default.cedar"
    banks_file = root / "banks.yaml"
    banks_file.write_text(
        "banks:\n  - id: sandbox\n    name: Sarraf Sandbox Bank\n"
        f"    base_url: {bank_url}\n    client_id: sarraf\n    client_secret: sandbox-secret\n"
        f"    agreement: {agreement}\n", encoding="utf-8")
    env = {"SARRAF_DATABASE_URL": database_url, "SARRAF_BANKS_FILE": str(banks_file),
           "SARRAF_HOME": str(root / "state"), "SARRAF_PUBLIC_URL": public_url,
           "SARRAF_MESSENGER_APP_SECRET": SECRET, "SARRAF_MESSENGER_VERIFY_TOKEN": "verify",
           "SARRAF_MESSENGER_PAGE_TOKEN": "page-token", "SARRAF_MESSENGER_API_URL": platform_url}
    if nats_url:
        env["SARRAF_NATS_URL"] = nats_url
    return env


def start_gateway(name: str, shared: dict[str, str], logs: Path, port: int | None = None, workers: int = 1,
                  wait: bool = True) -> Proc:
    port = port or free_port()
    args = ["-m", "sarraf", "serve", "--port", str(port)] + (["--workers", str(workers)] if workers > 1 else [])
    proc = spawn(name, args, {**base_env(), **shared}, logs, port)
    if wait:
        wait_ready(proc, "/healthz")
    return proc


# ---- the fake platform and the empty handler (their own processes) -----------------------------------------

def platform_app() -> FastAPI:
    app = FastAPI()
    calls: list[tuple[str, float, str]] = []

    @app.get("/_ready")
    async def ready() -> dict[str, int]:
        return {"calls": len(calls)}

    @app.get("/_calls")
    async def recorded(after: int = 0) -> list[tuple[str, float, str]]:
        return calls[after:]

    delays: dict[str, list[float]] = defaultdict(list)

    @app.post("/_delay/{recipient}")
    async def delay(recipient: str, seconds: float) -> dict[str, int]:
        """The next Send API call to `recipient` is answered `seconds` late (and recorded when answered)."""
        delays[recipient].append(seconds)
        return {"pending": len(delays[recipient])}

    @app.post("/{path:path}")
    async def record(path: str, request: Request) -> JSONResponse:
        raw = await request.body()
        body = json.loads(raw)
        recipient = str(body.get("recipient", {}).get("id", ""))
        if delays.get(recipient):
            await asyncio.sleep(delays[recipient].pop(0))
        calls.append((recipient, time.time(), raw.decode()))
        return JSONResponse({"recipient_id": "x", "message_id": f"m_{len(calls)}"})

    return app


def empty_app() -> FastAPI:
    app = FastAPI()

    @app.get("/_ready")
    async def ready() -> dict[str, str]:
        return {}

    @app.post("/channels/messenger/webhook")
    async def empty(request: Request) -> dict[str, str]:
        await request.body()
        return {"status": "ok"}

    return app


# ---- linking -------------------------------------------------------------------------------------------------

def webhook_body(psid: str, text: str, mid: str) -> bytes:
    return json.dumps({"object": "page", "entry": [{"id": "P", "time": int(time.time() * 1000), "messaging": [{
        "sender": {"id": psid}, "recipient": {"id": "P"}, "timestamp": int(time.time() * 1000),
        "message": {"mid": mid, "text": text}}]}]}).encode()


def signed(raw: bytes) -> dict[str, str]:
    from sarraf.channels.signatures import hub_signature

    return {"X-Hub-Signature-256": hub_signature(SECRET, raw), "Content-Type": "application/json"}


async def platform_calls(platform_url: str, after: int = 0) -> list[tuple[str, float, str]]:
    async with httpx.AsyncClient(timeout=30) as http:
        return [tuple(c) for c in (await http.get(f"{platform_url}/_calls", params={"after": after})).json()]


def _login_url(node: Any) -> str | None:
    """The bank-login URL anywhere in a Send API body (an account_link or web_url button)."""
    if isinstance(node, dict):
        url = node.get("url")
        if isinstance(url, str) and "/link/" in url:
            return url
        node = list(node.values())
    if isinstance(node, list):
        for item in node:
            if (found := _login_url(item)) is not None:
                return found
    return None


async def link_customer(gateway_url: str, platform_url: str, who: Customer) -> None:
    from sarraf.banks.sandbox_login import complete_sandbox_login

    ask = PHRASES[who.lang]["balance"][0]
    async with httpx.AsyncClient(timeout=30) as http:  # a browser of its own: the login is bound to it
        if who.kind == "webchat":
            answer = await http.post(f"{gateway_url}/webchat/api/messages",
                                     json={"session": who.sender, "text": ask})
            url = next(b["url"] for r in answer.json()["replies"] for b in r["buttons"] if b["url"])
        else:
            raw = webhook_body(who.sender, ask, f"link_{who.sender}_{secrets.token_hex(4)}")
            assert (await http.post(f"{gateway_url}/channels/messenger/webhook", content=raw,
                                    headers=signed(raw))).status_code == 200
            found = [_login_url(json.loads(c[2])) for c in await platform_calls(platform_url) if c[0] == who.sender]
            url = next(u for u in reversed(found) if u)
        redirect = await complete_sandbox_login(http, url, username=who.bank_user)
        callback = await http.get(redirect, follow_redirects=False)
        assert callback.status_code in (200, 303), callback.text


async def link_all(gateway_url: str, platform_url: str, customers: list[Customer], concurrency: int = 8) -> None:
    queue = deque(customers)

    async def linker() -> None:
        while queue:
            await link_customer(gateway_url, platform_url, queue.popleft())

    await asyncio.gather(*(linker() for _ in range(concurrency)))


# ---- the load generator (its own process) ---------------------------------------------------------------

@dataclass
class Sent:
    customer: int
    key: str
    start: float
    end: float
    status: int  # HTTP status; 0: no answer at all from any gateway
    replies: int  # web chat: replies in the answer; Messenger: -1 (counted at the platform)
    redelivery: bool
    url: str = ""
    attempts: int = 1  # deliveries it took (a gateway that died or did not answer: delivered again elsewhere)


@dataclass
class LoadResult:
    sent: list[Sent] = field(default_factory=list)
    cpu_s: float = 0.0
    wall_s: float = 0.0


class Connection:
    """A keep-alive HTTP/1.1 connection with as little client work as possible: httpx's pool costs ~8 ms of
    CPU per request at 64 connections here, which would make the generator, not the gateway, the limit."""

    def __init__(self, base: str) -> None:
        parts = httpx.URL(base)
        self.host, self.port = parts.host, parts.port or 80
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n"
                     f"{head}\r\n".encode() + body)
        try:
            status_line = await reader.readuntil(b"\r\n")
            length, close = 0, False
            while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "connection" and "close" in value.lower():
                    close = True
            content = await reader.readexactly(length)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            self.close()
            raise httpx.RemoteProtocolError(str(exc)) from exc
        if close:
            self.close()
        return int(status_line.split()[1]), content

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def drive(gateways: list[str], customers: list[Customer], plan: list[Message], concurrency: int,
                path_of_empty: bool = False, retry_seconds: float = 30.0) -> LoadResult:
    """Every message of `plan`, customers' messages in order, `concurrency` customers at a time. Requests go
    round-robin over `gateways` (a load balancer); a request that gets no answer (a gateway died) is
    delivered again, to the next gateway, as the platform re-delivers an unacknowledged webhook."""
    pending: dict[int, deque[Message]] = defaultdict(deque)
    for message in plan:
        pending[message.customer].append(message)
    ready = deque(pending)
    result = LoadResult()
    turn = [0]

    async def post(conns: dict[str, Connection], who: Customer, message: Message) -> tuple[int, int, str, int]:
        deadline = time.monotonic() + retry_seconds
        attempts = 0
        while True:
            attempts += 1
            turn[0] += 1
            base = gateways[turn[0] % len(gateways)]
            conn = conns.setdefault(base, Connection(base))
            try:
                if path_of_empty or who.kind == "messenger":
                    raw = webhook_body(who.sender, message.text, message.key)
                    status, content = await asyncio.wait_for(
                        conn.post("/channels/messenger/webhook", raw, signed(raw)), 60)
                    replies = -1
                else:
                    raw = json.dumps({"session": who.sender, "text": message.text,
                                      "message_id": message.key}).encode()
                    status, content = await asyncio.wait_for(conn.post(
                        "/webchat/api/messages", raw, {"Content-Type": "application/json"}), 60)
                    replies = len(json.loads(content)["replies"]) if status == 200 else 0
                if status == 200 or time.monotonic() > deadline:
                    return status, replies, base, attempts
            except (TimeoutError, httpx.HTTPError, OSError):
                conn.close()
                if time.monotonic() > deadline:
                    return 0, 0, base, attempts
            await asyncio.sleep(0.05)

    async def worker() -> None:
        conns: dict[str, Connection] = {}
        while ready:
            idx = ready.popleft()
            who, message = customers[idx], pending[idx].popleft()
            for again in (False, True) if message.redeliver else (False,):
                start = time.time()
                status, replies, base, attempts = await post(conns, who, message)
                result.sent.append(Sent(idx, message.key, start, time.time(), status, replies, again, base,
                                        attempts))
            if pending[idx]:
                ready.append(idx)
        for conn in conns.values():
            conn.close()

    cpu, began = time.process_time(), time.time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.cpu_s, result.wall_s = time.process_time() - cpu, time.time() - began
    return result


def run_load_process(gateways: list[str], customers: list[Customer], plan: list[Message], concurrency: int,
                     work: Path, empty: bool = False) -> LoadResult:
    """The generator in a process of its own (so it does not share the gateway's or the caller's CPU)."""
    return collect_load(*start_load_process(gateways, customers, plan, concurrency, work, empty))


def start_load_process(gateways: list[str], customers: list[Customer], plan: list[Message], concurrency: int,
                       work: Path, empty: bool = False) -> tuple[subprocess.Popen[bytes], Path]:
    spec = work / f"load-{secrets.token_hex(4)}.json"
    spec.write_text(json.dumps({"gateways": gateways, "customers": [asdict(c) for c in customers],
                                "plan": [asdict(m) for m in plan], "concurrency": concurrency, "empty": empty}))
    out = spec.with_suffix(".out.json")
    popen = subprocess.Popen([sys.executable, "-m", "tests.support.chat_load", "load", str(spec), str(out)],
                             cwd=ROOT, env=base_env())
    return popen, out


def collect_load(popen: subprocess.Popen[bytes], out: Path, timeout: float = 600) -> LoadResult:
    if popen.wait(timeout=timeout) != 0:
        raise RuntimeError(f"the load generator failed ({popen.returncode})")
    found = json.loads(out.read_text())
    return LoadResult([Sent(**s) for s in found["sent"]], found["cpu_s"], found["wall_s"])


def audit_verify(shared: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`sarraf audit verify` (no new checkpoint) against the deployment's database and state folder."""
    return subprocess.run([sys.executable, "-m", "sarraf", "audit", "verify", "--no-checkpoint"], cwd=ROOT,
                          env={**base_env(), **shared}, capture_output=True, text=True, timeout=120, check=False)


def _load_main(spec_path: str, out_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    customers = [Customer(**c) for c in spec["customers"]]
    plan = [Message(**m) for m in spec["plan"]]
    import uvloop

    result = uvloop.run(drive(spec["gateways"], customers, plan, spec["concurrency"], spec["empty"]))
    Path(out_path).write_text(json.dumps(asdict(result)))


# ---- accounting ------------------------------------------------------------------------------------------

@dataclass
class Tally:
    turns: int
    lost: int
    dup: int
    failed: int  # answered with a status other than 200
    latencies_ms: list[float]

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else 0.0


def tally(customers: list[Customer], result: LoadResult, calls: list[tuple[str, float, str]],
          plan: list[Message] | None = None) -> Tally:
    """A first delivery is lost when nothing reached the customer while it was in flight (the webhook's 200
    comes after the Send API calls); a re-delivery is a duplicate when anything did. A Send API call outside
    every message's time in flight is a duplicate too (answered twice, late). With `plan`, a message that took
    several deliveries (a gateway died under it) is a duplicate when it got more Send API calls than the same
    customer's language got for the same text when delivered once (the most common count)."""
    by_sender: dict[str, list[float]] = defaultdict(list)
    for recipient, at, _ in calls:
        by_sender[recipient].append(at)
    lost = dup = failed = 0
    latencies = []
    claimed: set[tuple[str, float]] = set()
    answers: dict[str, int] = {}
    for sent in result.sent:
        who = customers[sent.customer]
        if sent.status != 200:
            failed += 1
        if who.kind == "webchat":
            answered = sent.replies
        else:
            inside = [at for at in by_sender[who.sender] if sent.start <= at <= sent.end]
            claimed.update((who.sender, at) for at in inside)
            answered = len(inside)
        if sent.redelivery:
            dup += 1 if answered else 0
        else:
            lost += 0 if answered else 1
            latencies.append((sent.end - sent.start) * 1000)
            answers[sent.key] = answered
    messenger = {c.sender for c in customers if c.kind == "messenger"}
    dup += sum(1 for recipient, at, _ in calls if recipient in messenger and (recipient, at) not in claimed)
    if plan is not None:
        text_of = {m.key: (customers[m.customer].lang, m.text) for m in plan}
        usual: dict[tuple[str, str], Counter[int]] = defaultdict(Counter)
        for sent in result.sent:
            if not sent.redelivery and sent.attempts == 1:
                usual[text_of[sent.key]][answers[sent.key]] += 1
        for sent in result.sent:
            if not sent.redelivery and sent.attempts > 1 and usual[text_of[sent.key]]:
                dup += answers[sent.key] > usual[text_of[sent.key]].most_common(1)[0][0]
    return Tally(sum(1 for s in result.sent if not s.redelivery), lost, dup, failed, latencies)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process and all its descendants (uvicorn's workers), from /proc."""
    children: dict[int, list[int]] = defaultdict(list)
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                children[int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])].append(int(proc.name))
            except (OSError, IndexError, ValueError):
                continue
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            continue
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=("platform", "empty", "load"))
    parser.add_argument("args", nargs="*")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.role == "load":
        _load_main(*args.args)
        return
    import uvicorn

    app = platform_app() if args.role == "platform" else empty_app()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
