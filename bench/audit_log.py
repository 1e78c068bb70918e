"""Audit-log and redaction throughput: batched appends/s (SQLite file), verify time, redaction µs/line.

    .venv/bin/python bench/audit_log.py [--entries 1000000] [--batch 5000]

Each figure has a reference measured in the same run, so machines of different speed compare by the ratio:
appends against plain sqlite3 inserts of rows of the same shape (index, the same JSON text, a 32-byte hash) in
one transaction per batch, with no hashing and no tree; verify against reading those rows back and hashing each
once; redaction against one compiled regular expression over the same lines. Last line:
`RESULT appends_per_s=… reference_appends_per_s=… append_ratio=… verify_s=… reference_verify_s=… verify_ratio=…
redact_us=… reference_redact_us=…`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import sqlite3
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


Figures = dict[str, float]


def _reference_store(entries: int, batch: int) -> Figures:
    """What SQLite alone costs for the same rows: the floor the audit log's appends and verify stand on."""
    data = json.dumps({"bank": "bank-a", "customer": "customer-0", "purpose": "essential.service.operations.support",
                       "categories": ["user.financial.bank_account.balance"], "recipient": "webchat",
                       "outcome": "allow", "minimisation": "masked", "rule": "balance-masked"})
    leaf = hashlib.sha256(data.encode()).digest()
    with tempfile.TemporaryDirectory() as home:
        db = sqlite3.connect(Path(home) / "reference.db")
        db.execute("CREATE TABLE leaves (idx INTEGER PRIMARY KEY, data TEXT NOT NULL, leaf_hash BLOB NOT NULL)")
        started = time.perf_counter()
        for first in range(0, entries, batch):
            with db:
                db.executemany("INSERT INTO leaves VALUES (?, ?, ?)",
                               ((i, data, leaf) for i in range(first, min(entries, first + batch))))
        append_s = time.perf_counter() - started
        started = time.perf_counter()
        for _idx, text, _hash in db.execute("SELECT idx, data, leaf_hash FROM leaves ORDER BY idx"):
            hashlib.sha256(b"\x00" + text.encode()).digest()
        verify_s = time.perf_counter() - started
        db.close()
    return {"appends_per_s": entries / append_s, "verify_s": verify_s}


async def _audit(entries: int, batch: int) -> Figures:
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
    return {"appends_per_s": entries / append_s, "verify_s": verify_s}


DIGITS = re.compile(r"\d{4,}")  # the reference: one plain pattern over the same lines


def _redaction(rounds: int = 5_000) -> tuple[list[tuple[str, str]], Figures]:
    rows = []
    total = reference_total = 0.0
    for name, line in zip(("plain", "IBAN+phone", "token+card", "Arabic+IBAN"), LINES, strict=True):
        started = time.perf_counter()
        for _ in range(rounds):
            redact(line)
        each = (time.perf_counter() - started) / rounds * 1e6
        started = time.perf_counter()
        for _ in range(rounds):
            DIGITS.sub("#", line)
        reference = (time.perf_counter() - started) / rounds * 1e6
        total, reference_total = total + each, reference_total + reference
        rows.append((f"redaction µs/line ({name})", f"{each:.1f}  (reference {reference:.1f})"))
    count = len(LINES)
    return rows, {"redact_us": total / count, "reference_redact_us": reference_total / count}


def run_audit_bench(entries: int = 1_000_000, batch: int = 5_000) -> tuple[list[tuple[str, str]], str]:
    """The table's rows and the RESULT line."""
    audit = asyncio.run(_audit(entries, batch))
    reference = _reference_store(entries, batch)
    redaction_rows, redaction = _redaction()
    rows = [
        ("audit appends/s (batched, SQLite file)", f"{audit['appends_per_s']:,.0f}  (batch {batch})"),
        ("reference: sqlite3 inserts of the same rows", f"{reference['appends_per_s']:,.0f}"),
        (f"audit verify {entries:,} entries", f"{audit['verify_s']:.2f} s"),
        ("reference: read back and hash each row once", f"{reference['verify_s']:.2f} s"),
        *redaction_rows,
    ]
    result = (f"RESULT appends_per_s={audit['appends_per_s']:.0f} "
              f"reference_appends_per_s={reference['appends_per_s']:.0f} "
              f"append_ratio={audit['appends_per_s'] / reference['appends_per_s']:.3f} "
              f"verify_s={audit['verify_s']:.2f} reference_verify_s={reference['verify_s']:.2f} "
              f"verify_ratio={reference['verify_s'] / audit['verify_s']:.3f} "
              f"redact_us={redaction['redact_us']:.1f} reference_redact_us={redaction['reference_redact_us']:.1f}")
    return rows, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args()
    rows, result = run_audit_bench(args.entries, args.batch)
    width = max(len(name) for name, _ in rows)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 24}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(result)


if __name__ == "__main__":
    main()
