"""The payment status follower (alerts/payment_follow.py) under replicas: PAYMENTS payments left pending at the bank,
REPLICAS followers (one engine each, as separate gateways) running their rounds concurrently on one database. The
bank answers PDNG to the first look at each payment and ACSC afterwards. Measured: bank status reads per payment
(must be exactly 2: one pending look, one settled look — never two replicas at once), customer messages (must be
exactly PAYMENTS), and the wall time of the two passes. Fake bank, real store and outbox.

Reference, in the same run and on the same database: the least any design must do per payment, one customer
message written to the outbox by one writer (no claim, no bank read, no state change). The ratio is the follower's
busy time (its wall time less the deliberate back-off waits) over the reference's: what following costs beyond
telling. Machines differ 2-3x; the ratio much less.
Run: PYTHONPATH=src:. .venv/bin/python bench/payment_follow.py [payments] [replicas] [postgresql]"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.support.postgres import temporary_database

from sarraf.alerts.payment_follow import Backoff, PaymentFollower, outcome_id
from sarraf.alerts.ports import Routed
from sarraf.config import Settings
from sarraf.conversation.payment_runs import PaymentRuns
from sarraf.domain.payments import BankPayment, Payee, Payment, PaymentState, SourceAccount
from sarraf.policy.crypto.keys import KeyProvider
from sarraf.store.address_sealing import Addresses
from sarraf.store.alerts_outbox import SqlAlertOutbox
from sarraf.store.database import make_engine, migrate
from sarraf.store.identity_sealing import IdentityCodec
from sarraf.store.key_store import open_envelope_cipher
from sarraf.store.payment_follow import SqlPaymentFollow
from sarraf.store.payments import SqlPayments
from sarraf.store.sealing import JsonSealer
from sarraf.store.tables.alerts import alert_outbox

START = datetime.now(UTC) - timedelta(hours=1)


class Bank:
    def __init__(self) -> None:
        self.reads: Counter[str] = Counter()

    async def status(self, tenant: str, bank_payment_id: str, *, international: bool = False) -> BankPayment:
        self.reads[bank_payment_id] += 1
        await asyncio.sleep(0.002)  # a round trip to the bank
        return BankPayment(bank_payment_id, "PDNG" if self.reads[bank_payment_id] == 1 else "ACSC")


def outbox_of(engine: AsyncEngine, keys: KeyProvider) -> SqlAlertOutbox:
    return SqlAlertOutbox(engine, JsonSealer(keys), Addresses(IdentityCodec(keys)))


def pending(n: int) -> Payment:
    return Payment(payment_id=f"pay-{n:06d}", tenant="sandbox", customer_id=f"cust-{n % 50}", channel="webchat",
                   sender=f"s-{n}", lang="en", state=PaymentState.SUBMITTED, created_at=START,
                   expires_at=START + timedelta(minutes=15), consent_key="c" * 32, payment_key="p" * 32,
                   amount_minor=15000, currency="GBP", payee=Payee("Alice Smith", "UK.OBIE.IBAN", "GB29NWBK6016"),
                   source=SourceAccount("a", "UK.OBIE.IBAN", "GB11", "GBP", "Everyday"),
                   bank_payment_id=f"dp-{n:06d}", bank_status="PDNG")


@contextmanager
def database(kind: str, home: Path) -> Iterator[str]:
    if kind == "postgresql":
        with temporary_database("sarraf_bench") as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{home / 'bench.db'}"


WAITS_S = 4 * 0.6  # the deliberate sleeps between passes below, not work


async def reference(payments: int, url: str, home: Path) -> float:
    """One writer telling each customer once: the outbox write every follower design ends in."""
    await migrate(url)
    settings = Settings(data_dir=home, database_url="sqlite://", banks_file=home / "banks.yaml", public_url="http://x")
    engine = make_engine(url)
    outbox = outbox_of(engine, open_envelope_cipher(settings, engine).keys)
    started = time.perf_counter()
    for n in range(payments):
        p = pending(n)
        routed = Routed(0, "ready", p.customer_id, p.channel, p.sender, "[]")
        await outbox.enqueue(p.tenant, "ref-" + outcome_id(p.payment_id), "payment_outcome", routed,
                             {"payment_id": p.payment_id, "state": "completed"})
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return elapsed


async def run(payments: int, replicas: int, url: str, home: Path) -> dict[str, float]:
    await migrate(url)
    settings = Settings(data_dir=home, database_url="sqlite://", banks_file=home / "banks.yaml", public_url="http://x")
    bank = Bank()
    engines = [make_engine(url) for _ in range(replicas)]
    followers = []
    for engine in engines:
        cipher = open_envelope_cipher(settings, engine)
        repo = SqlPayments(engine, cipher, Addresses(IdentityCodec(cipher.keys)))
        followers.append(PaymentFollower(SqlPaymentFollow(engine, repo), PaymentRuns(bank, repo),  # type: ignore[arg-type]
                                         outbox_of(engine, cipher.keys), {"sandbox": "Bank"},
                                         backoff=Backoff(0.5, 0.5), batch=100))
    seed_cipher = open_envelope_cipher(settings, engines[0])
    seed = SqlPayments(engines[0], seed_cipher, Addresses(IdentityCodec(seed_cipher.keys)))
    for n in range(payments):
        await seed.create(pending(n))
    started = time.perf_counter()
    told = 0
    while len(bank.reads) < payments:  # the pending pass: every payment looked at once (a slow pass may settle some)
        told += sum(await asyncio.gather(*(f.round() for f in followers)))
    await asyncio.sleep(0.6)  # the back-off
    while told < payments:  # the settled pass: each customer told
        told += sum(await asyncio.gather(*(f.round() for f in followers)))
    for _ in range(3):  # and nothing more, however often the replicas look again
        await asyncio.sleep(0.6)
        told += sum(await asyncio.gather(*(f.round() for f in followers)))
    elapsed = time.perf_counter() - started
    async with engines[0].connect() as conn:
        messages = (await conn.execute(select(func.count()).select_from(alert_outbox))).scalar_one()
    reads = Counter(bank.reads.values())
    for engine in engines:
        await engine.dispose()
    return {"elapsed_s": elapsed, "busy_s": elapsed - WAITS_S, "told": told, "messages": messages,
            "reads_per_payment": max(reads) if len(reads) == 1 else -1}


def main() -> None:
    payments = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    replicas = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    kind = sys.argv[3] if len(sys.argv) > 3 else "sqlite"
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as url:
        got = asyncio.run(run(payments, replicas, url, Path(tmp)))
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as url:
        ref_s = asyncio.run(reference(payments, url, Path(tmp)))
    table = Table(title=f"Payment follower: {payments} pending payments, {replicas} replicas, {kind}")
    for column in ("run", "wall s", "busy s", "payments/s", "bank reads / payment", "messages"):
        table.add_column(column, justify="right")
    table.add_row("follower", f"{got['elapsed_s']:.2f}", f"{got['busy_s']:.2f}", f"{payments / got['busy_s']:.0f}",
                  str(got["reads_per_payment"]), str(got["messages"]))
    table.add_row("reference: outbox writes only", f"{ref_s:.2f}", f"{ref_s:.2f}", f"{payments / ref_s:.0f}", "0",
                  str(payments))
    Console().print(table)
    ratio = got["busy_s"] / ref_s
    print(f"RESULT payments={payments} replicas={replicas} db={kind} payments_per_s={payments / got['busy_s']:.0f} "
          f"reference_per_s={payments / ref_s:.0f} cost_ratio={ratio:.2f} "
          f"reads_per_payment={got['reads_per_payment']} told={got['told']:.0f} messages={got['messages']:.0f} "
          f"double={max(0, int(got['messages']) - payments)} lost={max(0, payments - int(got['messages']))}")


if __name__ == "__main__":
    main()
