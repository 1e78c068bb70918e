"""Payments in chat end to end: a real gateway with the sandbox bank on 127.0.0.1 (SQLite), driven over HTTP.

Each payment: "send £0.01 to Alice Smith" in the web chat → the confirmation → CONFIRMS concurrent taps of Confirm
(duplicates: exactly one bank consent may come of them) → the sandbox's SCA page (login + one-time code) →
/pay/callback, replayed once. Reference, same run, same server: the same payment made directly against the
sandbox's OB API (consent, SCA, token, payment) with no gateway. Afterwards the bank's own API is asked: the
payer's balance must have moved by exactly the payments made (double=0, lost=0) and the ledger must sum to zero.
International round (same shape): "wyślij 1 zł siostrze w Niemczech" as sandbox-pl-1 — an OB international consent
quoted before the confirmation (rate, what the payee receives, expiry), the duplicate confirmations, SCA, callback;
its reference is the same international payment straight at the sandbox's OB API.
Run: PYTHONPATH=src .venv/bin/python bench/payments.py [payments]"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from tests.integration.helpers import ChatClient, bank_balances

from sarraf.banks.openbanking import OpenBankingConnector
from sarraf.banks.sandbox_login import complete_sandbox_sca
from sarraf.config import Settings
from sarraf.domain.payments import Payee, PaymentOrder, SourceAccount
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread

CONFIRMS = 50
AMOUNT = Decimal("0.01")
ALICE = {"SchemeName": "UK.OBIE.SortCodeAccountNumber", "Identification": "40127644501733", "Name": "Alice Smith"}


async def balance(http: httpx.AsyncClient, url: str) -> Decimal:
    found = await bank_balances(http, f"{url}/bank", "sandbox-en-1", f"{url}/link/callback")
    return next(b.amount.amount for b in found["Everyday"] if b.balance_type == "InterimAvailable")


async def via_gateway(http: httpx.AsyncClient, chat: ChatClient) -> tuple[float, int]:
    """One payment through the chat; returns (ms, bank consents the duplicate confirmations produced)."""
    start = time.perf_counter()
    summary = await chat.say("send £0.01 to Alice Smith for bench")
    confirm = next(q["payload"] for r in summary for q in r["quick_replies"]
                   if (q["payload"] or "").startswith("pay:confirm:"))
    answers = await asyncio.gather(*(chat.say(payload=confirm) for _ in range(CONFIRMS)))
    starts = {b["url"] for replies in answers for r in replies for b in r["buttons"]
              if b["url"] and "/pay/start/" in b["url"]}
    redirect = await complete_sandbox_sca(http, next(iter(starts)), username="sandbox-en-1")
    done = await http.get(redirect)
    assert done.status_code == 200, done.text
    await http.get(redirect)  # the callback replayed
    return (time.perf_counter() - start) * 1000, len(starts)


async def direct(http: httpx.AsyncClient, url: str) -> float:
    """The reference: the same payment straight at the sandbox's OB v4.0 PIS, no gateway."""
    bank = OpenBankingConnector(http, base_url=f"{url}/bank", client_id="sarraf", client_secret="sandbox-secret",
                                financial_id="0015800001041RHAAY", tenant="sandbox")
    start = time.perf_counter()
    order = PaymentOrder(uuid.uuid4().hex[:35], AMOUNT, "GBP", Payee(ALICE["Name"], ALICE["SchemeName"],
                                                                      ALICE["Identification"]),
                         SourceAccount("sandbox-en-1-current", "UK.OBIE.SortCodeAccountNumber", "40127631926819",
                                       "GBP", "Everyday"), "reference")
    consent = await bank.create_payment_consent(order, uuid.uuid4().hex)
    redirect_uri = f"{url}/pay/callback"
    auth_url, _, verifier = await bank.payment_authorisation(consent.consent_id, redirect_uri, "en")
    redirect = await complete_sandbox_sca(http, auth_url, username="sandbox-en-1")
    tokens = await bank.payment_token(httpx.URL(redirect).params["code"], verifier, redirect_uri)
    paid = await bank.submit_payment(tokens, consent.consent_id, order, uuid.uuid4().hex)
    assert paid.status == "ACSC", paid
    return (time.perf_counter() - start) * 1000


PLN_ONE = Decimal("1.00")
MAGDA = ("Magdalena Kowalska", "UK.OBIE.IBAN", "DE89370400440532013000")


async def pln_balance(http: httpx.AsyncClient, url: str) -> Decimal:
    found = await bank_balances(http, f"{url}/bank", "sandbox-pl-1", f"{url}/link/callback")
    return next(b.amount.amount for b in found["Konto osobiste"] if b.balance_type == "InterimAvailable")


async def abroad_via_gateway(http: httpx.AsyncClient, chat: ChatClient) -> tuple[float, int]:
    start = time.perf_counter()
    summary = await chat.say("wyślij 1 zł siostrze w Niemczech")
    assert "UTC" in summary[-1]["text"], summary  # the quote, with its expiry, is in the confirmation
    confirm = next(q["payload"] for r in summary for q in r["quick_replies"]
                   if (q["payload"] or "").startswith("pay:confirm:"))
    answers = await asyncio.gather(*(chat.say(payload=confirm) for _ in range(CONFIRMS)))
    starts = {b["url"] for replies in answers for r in replies for b in r["buttons"]
              if b["url"] and "/pay/start/" in b["url"]}
    redirect = await complete_sandbox_sca(http, next(iter(starts)), username="sandbox-pl-1")
    assert (await http.get(redirect)).status_code == 200
    await http.get(redirect)
    return (time.perf_counter() - start) * 1000, len(starts)


async def abroad_direct(http: httpx.AsyncClient, url: str, source_id: str) -> float:
    bank = OpenBankingConnector(http, base_url=f"{url}/bank", client_id="sarraf", client_secret="sandbox-secret",
                                financial_id="0015800001041RHAAY", tenant="sandbox")
    start = time.perf_counter()
    order = PaymentOrder(uuid.uuid4().hex[:35], PLN_ONE, "PLN", Payee(*MAGDA),
                         SourceAccount("sandbox-pl-1-current", "UK.OBIE.IBAN", source_id, "PLN", "Konto"),
                         "bench", currency_of_transfer="EUR")
    consent = await bank.create_payment_consent(order, uuid.uuid4().hex)
    redirect_uri = f"{url}/pay/callback"
    auth_url, _, verifier = await bank.payment_authorisation(consent.consent_id, redirect_uri, "pl")
    redirect = await complete_sandbox_sca(http, auth_url, username="sandbox-pl-1")
    tokens = await bank.payment_token(httpx.URL(redirect).params["code"], verifier, redirect_uri)
    paid = await bank.submit_payment(tokens, consent.consent_id, order, uuid.uuid4().hex)
    assert paid.status == "ACSC", paid
    return (time.perf_counter() - start) * 1000


async def run_abroad(url: str, n: int) -> dict[str, Any]:
    from sarraf.sandbox_bank.profiles import PROFILES

    profile = next(p for p in PROFILES if p.customer_id == "sandbox-pl-1")
    source_id = next(a.identification for a in profile.accounts if a.suffix == "current")
    async with httpx.AsyncClient(timeout=60) as http:
        chat = ChatClient(http, url)
        await chat.link(await chat.say("ile mam na koncie?"), "sandbox-pl-1")
        before = await pln_balance(http, url)
        gateway_ms, consents = [], []
        began = time.perf_counter()
        for _ in range(n):
            ms, made = await abroad_via_gateway(http, chat)
            gateway_ms.append(ms)
            consents.append(made)
        gateway_s = time.perf_counter() - began
        after_gateway = await pln_balance(http, url)
        direct_ms = []
        began = time.perf_counter()
        for _ in range(n):
            direct_ms.append(await abroad_direct(http, url, source_id))
        direct_s = time.perf_counter() - began
    paid = int((before - after_gateway) / PLN_ONE)
    return {"gateway_ms": gateway_ms, "direct_ms": direct_ms, "gateway_s": gateway_s, "direct_s": direct_s,
            "double": max(0, paid - n) + sum(1 for c in consents if c != 1), "lost": max(0, n - paid)}


async def run(url: str, n: int, ledger: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=60) as http:
        chat = ChatClient(http, url)
        await chat.link(await chat.say("what's my balance?"), "sandbox-en-1")
        before = await balance(http, url)
        gateway_ms, consents = [], []
        began = time.perf_counter()
        for _ in range(n):
            ms, made = await via_gateway(http, chat)
            gateway_ms.append(ms)
            consents.append(made)
        gateway_s = time.perf_counter() - began
        after_gateway = await balance(http, url)
        direct_ms = []
        began = time.perf_counter()
        for _ in range(n):
            direct_ms.append(await direct(http, url))
        direct_s = time.perf_counter() - began
        after = await balance(http, url)
    paid_gateway = (before - after_gateway) / AMOUNT
    return {"gateway_ms": gateway_ms, "direct_ms": direct_ms, "gateway_s": gateway_s, "direct_s": direct_s,
            "double": max(0, int(paid_gateway) - n) + sum(1 for c in consents if c != 1),
            "lost": max(0, n - int(paid_gateway)),
            "direct_paid": int((after_gateway - after) / AMOUNT),
            "conserved": all(total == 0 for total in ledger.totals().values())}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    home = Path(tempfile.mkdtemp(prefix="bench-payments-"))
    port = free_port()
    settings = Settings(data_dir=home, database_url=f"sqlite+aiosqlite:///{home / 'db.sqlite'}",
                        banks_file=Path(__file__).resolve().parents[1] / "src/sarraf/banks.yaml",
                        public_url=f"http://127.0.0.1:{port}", port=port)
    app = create_app(settings)
    with serve_in_thread(app, port=port, startup_timeout=90, log_level="error") as url:
        sandbox = next(r.app for r in app.routes if getattr(r, "path", "") == "/bank")  # type: ignore[attr-defined]
        r = asyncio.run(run(url, n, sandbox.state.sandbox.ledger))
        a = asyncio.run(run_abroad(url, n))
        r["conserved"] = r["conserved"] and all(total == 0 for total in sandbox.state.sandbox.ledger.totals().values())
    g, d = r["gateway_ms"], r["direct_ms"]
    ag, ad = a["gateway_ms"], a["direct_ms"]
    abroad_per_s, abroad_ref_per_s = n / a["gateway_s"], n / a["direct_s"]
    per_s, ref_per_s = n / r["gateway_s"], n / r["direct_s"]
    print(f"{'path':<34}{'payments':>9}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    print(f"{'chat (+' + str(CONFIRMS) + ' dup. confirms, replay)':<34}{n:>9}{per_s:>9.2f}"
          f"{statistics.median(g):>9.1f}{pct(g, 0.99):>9.1f}")
    print(f"{'reference: OB PIS direct':<34}{n:>9}{ref_per_s:>9.2f}{statistics.median(d):>9.1f}{pct(d, 0.99):>9.1f}")
    print(f"{'chat abroad (quote, dup. confirms)':<34}{n:>9}{abroad_per_s:>9.2f}"
          f"{statistics.median(ag):>9.1f}{pct(ag, 0.99):>9.1f}")
    print(f"{'reference: OB international direct':<34}{n:>9}{abroad_ref_per_s:>9.2f}"
          f"{statistics.median(ad):>9.1f}{pct(ad, 0.99):>9.1f}")
    print(f"paid through chat once each: double={r['double']} lost={r['lost']}; direct paid {r['direct_paid']}/{n}; "
          f"abroad double={a['double']} lost={a['lost']}")
    print(f"RESULT payments_per_s={per_s:.2f} p50_ms={statistics.median(g):.1f} p99_ms={pct(g, 0.99):.1f} "
          f"reference_per_s={ref_per_s:.2f} ratio={per_s / ref_per_s:.2f} double={r['double']} lost={r['lost']} "
          f"conserved={'true' if r['conserved'] else 'false'} abroad_per_s={abroad_per_s:.2f} "
          f"abroad_p50_ms={statistics.median(ag):.1f} abroad_reference_per_s={abroad_ref_per_s:.2f} "
          f"abroad_double={a['double']} abroad_lost={a['lost']}")


if __name__ == "__main__":
    main()
