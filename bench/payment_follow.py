"""The payment status follower (alerts/payment_follow.py) under replicas: PAYMENTS payments left pending at the bank,
REPLICAS followers (one engine each, as separate gateways) running their rounds concurrently on one database. The
bank answers PDNG to the first look at each payment and ACSC afterwards. Measured: bank status reads per payment
(must be exactly 2: one pending look, one settled look — never two replicas at once), customer messages (must be
exactly PAYMENTS), and the wall time of the two passes. Fake bank, real store and outbox.
Run: PYTHONPATH=src .venv/bin/python bench/payment_follow.py [payments] [replicas] [postgresql]"""

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

from sqlalchemy import func, select
from tests.support.postgres import temporary_database

from sarraf.alerts.payment_follow import Backoff, PaymentFollower
from sarraf.config import Settings
from sarraf.conversation.payment_runs import PaymentRuns
from sarraf.domain.payments import BankPayment, Payee, Payment, PaymentState, SourceAccount
from sarraf.store.alerts_outbox import SqlAlertOutbox
from sarraf.store.database import make_engine, migrate
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


async def run(payments: int, replicas: int, url: str, home: Path) -> None:
    await migrate(url)
    settings = Settings(data_dir=home, database_url="sqlite://", banks_file=home / "banks.yaml", public_url="http://x")
    bank = Bank()
    engines = [make_engine(url) for _ in range(replicas)]
    followers = []
    for engine in engines:
        cipher = open_envelope_cipher(settings, engine)
        repo = SqlPayments(engine, cipher)
        followers.append(PaymentFollower(SqlPaymentFollow(engine, repo), PaymentRuns(bank, repo),  # type: ignore[arg-type]
                                         SqlAlertOutbox(engine, JsonSealer(cipher.keys)), {"sandbox": "Bank"},
                                         backoff=Backoff(0.5, 0.5), batch=100))
    seed = SqlPayments(engines[0], open_envelope_cipher(settings, engines[0]))
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
    print(f"{payments} payments, {replicas} replicas ({url.split(':')[0]}): bank reads per payment {dict(reads)}, "
          f"told {told}, outbox messages {messages}, {elapsed:.2f} s (incl. 2.4 s of waiting)")
    for engine in engines:
        await engine.dispose()


def main() -> None:
    payments = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    replicas = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    kind = sys.argv[3] if len(sys.argv) > 3 else "sqlite"
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as url:
        asyncio.run(run(payments, replicas, url, Path(tmp)))


if __name__ == "__main__":
    main()
