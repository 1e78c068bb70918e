"""Decision throughput: cedarpy on every call (policy set parsed once) against the cached hot path.

    .venv/bin/python bench/policy.py

`run_decision_bench()` returns rows so another bench (the audit log's) can print them in the same table.
Last line: `RESULT cedar_per_s=… cached_per_s=… reference_per_s=… ratio=…`, ratio = the cached decision's rate over
a decider that returns at once, timed in the same loop and run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sarraf.domain.disclosure import DisclosureRequest
from sarraf.policy.agreement import DEFAULT_AGREEMENT, load_agreement
from sarraf.policy.consent_grant import ALL_SCOPES, ConsentGrant, Scope
from sarraf.policy.decision_cache import CachedDecider
from sarraf.policy.decisions import CedarDecider

BALANCE = "user.financial.bank_account.balance"
TRANSACTIONS = "user.financial.bank_account.transactions"
PURCHASES = "user.behavior.purchase_history"
IDENTIFIERS = "user.financial.bank_account.identifiers"
SUPPORT = "essential.service.operations.support"

# (weight, purpose, categories, recipient): roughly what a day of chat traffic asks.
MIX: tuple[tuple[int, str, tuple[str, ...], str], ...] = (
    (30, SUPPORT, (BALANCE,), "webchat"),
    (15, SUPPORT, (TRANSACTIONS, PURCHASES), "webchat"),
    (12, SUPPORT, (BALANCE,), "messenger"),
    (10, SUPPORT, (TRANSACTIONS,), "whatsapp"),
    (8, SUPPORT, (BALANCE, IDENTIFIERS), "telegram"),
    (8, "essential.service.notifications", (TRANSACTIONS,), "telegram"),
    (5, "essential.service.notifications", (BALANCE,), "alexa"),
    (4, "essential.fraud_detection", (TRANSACTIONS, IDENTIFIERS), "agent_console"),
    (3, SUPPORT, (TRANSACTIONS, PURCHASES), "export"),
    (3, "marketing.advertising.first_party.targeted", (PURCHASES,), "messenger"),
    (2, "analytics.reporting", (TRANSACTIONS,), "webchat"),
)


@dataclass(frozen=True, slots=True)
class BenchRow:
    name: str
    per_second: float
    micros: float
    note: str = ""


def realistic_requests(count: int = 1000) -> list[DisclosureRequest]:
    pattern = [
        DisclosureRequest("sandbox", f"customer-{i % 50}", purpose, categories, recipient)
        for i, (weight, purpose, categories, recipient) in enumerate(MIX)
        for _ in range(weight)
    ]
    return [pattern[(i * 37) % len(pattern)] for i in range(count)]  # interleaved, deterministic


def _time(decide: Callable[[DisclosureRequest, ConsentGrant], object],
          requests: Sequence[DisclosureRequest], grants: dict[str, ConsentGrant], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        for request in requests:
            decide(request, grants[request.customer_id])
    return (time.perf_counter() - start) / (repeat * len(requests))


def run_decision_bench(requests: int = 1000, cached_repeat: int = 200) -> list[BenchRow]:
    agreement = load_agreement(DEFAULT_AGREEMENT)
    mix = realistic_requests(requests)
    grants = {f"customer-{i}": ConsentGrant("sandbox", f"customer-{i}",
                                            ALL_SCOPES if i % 5 else frozenset({Scope.BALANCES}))
              for i in range(50)}
    cedar = CedarDecider(agreement)
    cached = CachedDecider(agreement)
    _time(cached.decide, mix, grants, 1)  # first sight of each key asks Cedar; measure the steady state
    uncached_s = _time(cedar.decide, mix, grants, 1)
    cached_s = _time(cached.decide, mix, grants, cached_repeat)
    # The floor in the same run: the same loop calling a decider that returns at once, so the machine's speed
    # and the loop's own cost are measured with it and the cached figure can be read as a ratio.
    reference_s = _time(_answer_at_once, mix, grants, cached_repeat)
    ratio = uncached_s / cached_s
    return [
        BenchRow("decision, cedarpy (policy set parsed once)", 1 / uncached_s, uncached_s * 1e6),
        BenchRow("decision, cached (dict + consent check)", 1 / cached_s, cached_s * 1e6, f"{ratio:,.0f}x faster"),
        BenchRow("reference: a decider that returns at once", 1 / reference_s, reference_s * 1e6,
                 f"cached = {reference_s / cached_s:.2f} of the reference's rate"),
    ]


def _answer_at_once(request: DisclosureRequest, grant: ConsentGrant) -> object:
    return None


def result_line(rows: Sequence[BenchRow]) -> str:
    cedar, cached, reference = rows
    return (f"RESULT cedar_per_s={cedar.per_second:.0f} cached_per_s={cached.per_second:.0f} "
            f"reference_per_s={reference.per_second:.0f} ratio={cached.per_second / reference.per_second:.3f}")


def print_table(rows: Sequence[BenchRow]) -> None:
    width = max(len(row.name) for row in rows)
    print(f"{'measure':<{width}}  {'per second':>12}  {'µs each':>9}  note")
    for row in rows:
        print(f"{row.name:<{width}}  {row.per_second:>12,.0f}  {row.micros:>9.2f}  {row.note}")


def main() -> None:
    """Decisions first, then the audit log (appends/s, verify time) and redaction, as the issue asks."""
    import argparse
    import sys
    from pathlib import Path

    parser = argparse.ArgumentParser(description="Policy decisions and audit log throughput.")
    parser.add_argument("--entries", type=int, default=1_000_000, help="audit log size for the verify timing")
    parser.add_argument("--skip-audit", action="store_true")
    args = parser.parse_args()
    decisions = run_decision_bench()
    print_table(decisions)
    if args.skip_audit:
        print(result_line(decisions))
        return
    sys.path.insert(0, str(Path(__file__).parent))
    from audit_log import run_audit_bench

    rows, audit_result = run_audit_bench(args.entries)
    width = max(len(name) for name, _ in rows)
    print()
    print(f"{'measure':<{width}}  value")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(audit_result.replace("RESULT ", "audit: ", 1))
    print(result_line(decisions))


if __name__ == "__main__":
    main()
