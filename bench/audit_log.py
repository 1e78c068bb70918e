"""Audit-log and redaction throughput: batched appends/s (SQLite file), verify time, redaction µs/line.

    .venv/bin/python bench/audit_log.py [--entries 1000000] [--batch 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from sarraf.config import load_settings
from sarraf.domain.disclosure import Decision, DisclosureRequest, Minimisation, Outcome
from sarraf.policy.redaction import redact
from sarraf.store.audit_store import create_audit_tables, open_audit_log
from sarraf.store.database import make_engine

LINES = [
    "2026-11-01 12:00:00 INFO sarraf.web request handled path=/webhook/messenger status=200 duration_ms=12.5",
    "customer asked for balance of PL61 1090 1014 0000 0712 1981 2874, reply sent to +48 600 700 800",
    "bank call failed: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig card 4111 1111 1111 1111",
    "تم تحويل ١٥٠٠ ريال إلى الحساب SA0380000000608010167519 يوم ٢٠٢٦-١١-٠١",
]


async def _audit(entries: int, batch: int) -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as home:
        settings = load_settings(Path(home))
        engine = make_engine(settings.database_url)
        await create_audit_tables(engine)
        log = await open_audit_log(settings, engine, checkpoint_every=100_000)
        pairs = [
            (DisclosureRequest("bank-a", f"customer-{i}", "essential.service.operations.support",
                               ("user.financial.bank_account.balance",), "webchat"),
             Decision(Outcome.ALLOW, Minimisation.MASKED, "balance-masked"))
            for i in range(batch)
        ]
        started = time.perf_counter()
        while log.size < entries:
            await log.record_many(pairs[: min(batch, entries - log.size)])
        append_s = time.perf_counter() - started
        await log.close()
        started = time.perf_counter()
        report = await log.verify()
        verify_s = time.perf_counter() - started
        await engine.dispose()
        if not report.ok:
            raise SystemExit(f"bench log did not verify: {report.problems}")
    return [
        ("audit appends/s (batched, SQLite file)", f"{entries / append_s:,.0f}  (batch {batch})"),
        (f"audit verify {entries:,} entries", f"{verify_s:.2f} s"),
    ]


def _redaction(rounds: int = 5_000) -> list[tuple[str, str]]:
    rows = []
    for name, line in zip(("plain", "IBAN+phone", "token+card", "Arabic+IBAN"), LINES, strict=True):
        started = time.perf_counter()
        for _ in range(rounds):
            redact(line)
        rows.append((f"redaction µs/line ({name})", f"{(time.perf_counter() - started) / rounds * 1e6:.1f}"))
    return rows


def run_audit_bench(entries: int = 1_000_000, batch: int = 5_000) -> list[tuple[str, str]]:
    return asyncio.run(_audit(entries, batch)) + _redaction()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args()
    rows = run_audit_bench(args.entries, args.batch)
    width = max(len(name) for name, _ in rows)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 24}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
