"""Standard-events mode of the admin API's simulate (activity.py): the event put on the account instead."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from sarraf.sandbox_bank.activity import Activity
from sarraf.sandbox_bank.cards import CardBook
from sarraf.sandbox_bank.context import Sandbox
from sarraf.sandbox_bank.errors import OBError
from sarraf.sandbox_bank.events import Simulation
from sarraf.sandbox_bank.seed import SeededAccount


def record_activity(sim: Simulation, sb: Sandbox, activity: Activity, cards: CardBook) -> dict[str, Any]:
    """Standard-events mode: what the event stands for, put on the account as AIS will list it."""
    if sim.event in ("resource-update", "consent-revoked"):
        return {}
    if sim.event == "booking":
        booked = activity.book(sim.transaction_id or "", sim.new_transaction_id)
        if booked is None:
            raise OBError(404, "U005", f"no pending transaction {sim.transaction_id}", "transaction_id")
        return {"transaction_id": booked.transaction_id, "status": booked.status}
    account = next(a for a in sb.bank.accounts_of(sim.customer) if a.spec.kind == "current")
    now = sb.now()
    if sim.event == "low-balance":  # a transfer out leaves the balance at `amount`
        current = activity.merged(replace_entries(account, sb)).balance
        target = sim.amount if sim.amount is not None else Decimal("42.17")
        entry = activity.add(account.account_id, amount=max(Decimal("0.01"), current - target), credit=False,
                             merchant="Transfer to savings", code="Transfer", at=now)
    elif sim.event == "transaction":
        entry = activity.add(account.account_id, amount=sim.amount or Decimal("30.00"), credit=sim.credit,
                             merchant=sim.merchant or "Netflix", code=sim.code or "DirectDebit", at=now,
                             status=sim.txn_status, transaction_id=sim.transaction_id)
    else:
        card = cards.get(sim.card or f"{sim.customer}-debit") or cards.of(sim.customer)[0]
        fraud = sim.event == "suspected-fraud"
        country = (sim.country or ("BR" if fraud else "FR" if sim.event == "foreign-purchase" else "GB")).upper()
        default = {"suspected-fraud": "749.99", "large-purchase": "1499.00"}.get(sim.event, "23.40")
        entry = activity.add(card.account_id or account.account_id,
                             amount=sim.amount if sim.amount is not None else Decimal(default), credit=False,
                             merchant=sim.merchant or ("ELECTRO SHOP SAO PAULO" if fraud else "Tesco"),
                             code="CardPayment", at=now, status=sim.txn_status, country=country,
                             card_last4=card.last4, card_present=sim.card_present, transaction_id=sim.transaction_id)
    return {"transaction_id": entry.transaction_id, "status": entry.status, "account_id": entry.account_id}


def replace_entries(account: SeededAccount, sb: Sandbox) -> SeededAccount:
    """The account with the payments booked since it was seeded (as AIS shows it)."""
    return account if sb.ledger is None else replace(account, entries=sb.ledger.entries(account))

