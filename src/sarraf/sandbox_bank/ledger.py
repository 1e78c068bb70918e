"""The sandbox's payment side: domestic-payment consents, payments, OB idempotency and a double-entry ledger.

Every payment books two postings that sum to zero: a debit on the payer's account and a credit on the payee's
account when the payee banks here (a seeded account with that identification), else on the bank's outbound
clearing account for the scheme. Balances and transaction lists are the seeded ledger plus these postings, so
money is conserved and a payment shows up exactly once on each side.

One payment per consent (a UNIQUE column): a second submission on a used consent is refused whatever its
idempotency key, and the same key with the same body answers the stored response (OB: keys live 24 hours).
Everything sits in the sandbox's own SQLite file, on the store's connection and lock.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sarraf.sandbox_bank.seed import Entry, SeededAccount, SeededBank
from sarraf.sandbox_bank.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS payment_consents (
    consent_id TEXT PRIMARY KEY, client_id TEXT NOT NULL, status TEXT NOT NULL, body TEXT NOT NULL,
    created_at TEXT NOT NULL, status_updated_at TEXT NOT NULL, customer_id TEXT, debtor_account_id TEXT
);
CREATE TABLE IF NOT EXISTS domestic_payments (
    payment_id TEXT PRIMARY KEY, consent_id TEXT NOT NULL UNIQUE, status TEXT NOT NULL, reason TEXT,
    created_at TEXT NOT NULL, body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    client_id TEXT NOT NULL, endpoint TEXT NOT NULL, idem_key TEXT NOT NULL, body_hash TEXT NOT NULL,
    response TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (client_id, endpoint, idem_key)
);
CREATE TABLE IF NOT EXISTS postings (
    posting_id INTEGER PRIMARY KEY AUTOINCREMENT, payment_id TEXT NOT NULL, account_id TEXT NOT NULL,
    amount TEXT NOT NULL, currency TEXT NOT NULL, booked_at TEXT NOT NULL, information TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_postings_account ON postings (account_id);
CREATE TABLE IF NOT EXISTS settlements (
    payment_id TEXT PRIMARY KEY, due_at TEXT NOT NULL, settled_at TEXT
);
"""
IDEMPOTENCY_TTL = timedelta(hours=24)
CLEARING = "clearing:"  # the bank's own account for payments leaving it, per scheme


class IdempotencyConflict(Exception):
    """The same x-idempotency-key came with a different body."""


class PaymentRefused(Exception):
    """The payment cannot be made on this consent (already used, not authorised, unknown)."""


@dataclass(frozen=True, slots=True)
class PaymentConsent:
    consent_id: str
    client_id: str
    status: str  # AWAU | AUTH | RJCT
    body: dict[str, Any]  # the Data.Initiation (and Risk) as the TPP sent them
    created_at: datetime
    status_updated_at: datetime
    customer_id: str | None
    debtor_account_id: str | None

    @property
    def initiation(self) -> dict[str, Any]:
        found: dict[str, Any] = self.body["Data"]["Initiation"]
        return found


def body_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class PaymentLedger:
    def __init__(self, store: Store, bank: SeededBank) -> None:
        self.fail_next = 0  # a test fault (admin API): the next N payment submissions find the bank down
        self._store = store
        self._bank = bank
        self._by_identification = {(a.spec.scheme, a.spec.identification): a.account_id
                                    for a in bank.accounts.values()}
        store.ensure_schema(SCHEMA)

    # which account an identification names
    def account_by_identification(self, scheme: str, identification: str) -> str | None:
        return self._by_identification.get((scheme, identification.replace(" ", "").upper()))

    # idempotency (OB: the same key and body answer the same; another body is an error)
    def remembered(self, client_id: str, endpoint: str, key: str, body: Any, now: datetime) -> dict[str, Any] | None:
        with self._store.transaction() as db:
            db.execute("DELETE FROM idempotency WHERE created_at < ?", ((now - IDEMPOTENCY_TTL).isoformat(),))
            row = db.execute("SELECT body_hash, response FROM idempotency WHERE client_id = ? AND endpoint = ?"
                             " AND idem_key = ?", (client_id, endpoint, key)).fetchone()
        if row is None:
            return None
        if row["body_hash"] != body_hash(body):
            raise IdempotencyConflict(key)
        found: dict[str, Any] = json.loads(row["response"])
        return found

    def remember(self, client_id: str, endpoint: str, key: str, body: Any, response: dict[str, Any],
                 now: datetime) -> dict[str, Any]:
        """Keep the response for the key; when a concurrent request kept one first, that one is the answer."""
        with self._store.transaction() as db:
            db.execute("INSERT OR IGNORE INTO idempotency VALUES (?,?,?,?,?,?)",
                       (client_id, endpoint, key, body_hash(body), json.dumps(response), now.isoformat()))
            row = db.execute("SELECT body_hash, response FROM idempotency WHERE client_id = ? AND endpoint = ?"
                             " AND idem_key = ?", (client_id, endpoint, key)).fetchone()
        if row["body_hash"] != body_hash(body):
            raise IdempotencyConflict(key)
        kept: dict[str, Any] = json.loads(row["response"])
        return kept

    # consents
    def add_consent(self, c: PaymentConsent) -> None:
        with self._store.transaction() as db:
            db.execute("INSERT INTO payment_consents VALUES (?,?,?,?,?,?,?,?)",
                       (c.consent_id, c.client_id, c.status, json.dumps(c.body), c.created_at.isoformat(),
                        c.status_updated_at.isoformat(), c.customer_id, c.debtor_account_id))

    def consent(self, consent_id: str) -> PaymentConsent | None:
        with self._store.transaction() as db:
            row = db.execute("SELECT * FROM payment_consents WHERE consent_id = ?", (consent_id,)).fetchone()
        if row is None:
            return None
        return PaymentConsent(row["consent_id"], row["client_id"], row["status"], json.loads(row["body"]),
                              datetime.fromisoformat(row["created_at"]),
                              datetime.fromisoformat(row["status_updated_at"]), row["customer_id"],
                              row["debtor_account_id"])

    def authorise(self, consent_id: str, customer_id: str, debtor_account_id: str, at: datetime) -> bool:
        with self._store.transaction() as db:
            cur = db.execute("UPDATE payment_consents SET status = 'AUTH', status_updated_at = ?, customer_id = ?,"
                             " debtor_account_id = ? WHERE consent_id = ? AND status = 'AWAU'",
                             (at.isoformat(), customer_id, debtor_account_id, consent_id))
            return cur.rowcount == 1

    def reject(self, consent_id: str, at: datetime) -> None:
        with self._store.transaction() as db:
            db.execute("UPDATE payment_consents SET status = 'RJCT', status_updated_at = ? WHERE consent_id = ?"
                       " AND status = 'AWAU'", (at.isoformat(), consent_id))

    # payments
    def trip(self) -> bool:
        """True when this submission is to fail as if the bank were down (and one fewer will)."""
        with self._store.transaction():
            if self.fail_next > 0:
                self.fail_next -= 1
                return True
        return False

    def pay(self, payment_id: str, consent: PaymentConsent, at: datetime,
            settle_at: datetime | None = None) -> dict[str, Any]:
        """Make the consent's payment, once: debit and credit in one transaction, or RJCT for want of funds.
        With `settle_at` the payment is accepted as PDNG and settled later (settle()): the funds are checked
        and both sides booked then. Raises PaymentRefused when the consent already carries a payment."""
        initiation = consent.initiation
        amount = Decimal(initiation["InstructedAmount"]["Amount"])
        currency = initiation["InstructedAmount"]["Currency"]
        payer = self._bank.accounts[consent.debtor_account_id or ""]
        creditor = initiation["CreditorAccount"]
        payee = self.account_by_identification(creditor["SchemeName"], creditor["Identification"])
        with self._store.transaction() as db:
            if db.execute("SELECT 1 FROM domestic_payments WHERE consent_id = ?", (consent.consent_id,)).fetchone():
                raise PaymentRefused("this consent has already been used for a payment")
            available = self._balance(db, payer)
            status, reason = "ACSC", None
            if currency != payer.currency or (payee is not None and self._bank.accounts[payee].currency != currency):
                status, reason = "RJCT", "AM03"  # not allowed currency
            elif settle_at is not None:
                status = "PDNG"  # accepted; funds checked and booked at settlement
            elif amount > available:
                status, reason = "RJCT", "AM04"  # insufficient funds
            db.execute("INSERT INTO domestic_payments VALUES (?,?,?,?,?,?)",
                       (payment_id, consent.consent_id, status, reason, at.isoformat(), json.dumps(initiation)))
            if status == "PDNG" and settle_at is not None:
                db.execute("INSERT INTO settlements (payment_id, due_at) VALUES (?,?)",
                           (payment_id, settle_at.isoformat()))
            if status == "ACSC":
                self._book(db, payment_id, initiation, payer, payee, at)
        return {"payment_id": payment_id, "status": status, "reason": reason}

    def _book(self, db: Any, payment_id: str, initiation: dict[str, Any], payer: SeededAccount, payee: str | None,
              at: datetime) -> None:
        amount = Decimal(initiation["InstructedAmount"]["Amount"])
        currency = initiation["InstructedAmount"]["Currency"]
        creditor = initiation["CreditorAccount"]
        reference = _reference(initiation)
        to_payee = f"{creditor.get('Name', '')} {reference}".strip()
        from_payer = f"{payer.owner} {reference}".strip()
        credit_to = payee or CLEARING + creditor["SchemeName"]
        db.executemany("INSERT INTO postings (payment_id, account_id, amount, currency, booked_at, information)"
                       " VALUES (?,?,?,?,?,?)",
                       [(payment_id, payer.account_id, str(-amount), currency, at.isoformat(), to_payee),
                        (payment_id, credit_to, str(amount), currency, at.isoformat(), from_payer)])

    def settle(self, at: datetime, *, payment_id: str | None = None, due_only: bool = True) -> list[dict[str, Any]]:
        """Settle pending payments (those due by `at`, or every one with due_only=False; one with `payment_id`):
        booked on both sides (ACSC) when the payer's account still holds the amount, else RJCT AM04. Each is
        settled once: the status moves from PDNG in the same transaction that books it."""
        query = "SELECT s.payment_id FROM settlements s WHERE s.settled_at IS NULL"
        args: list[str] = []
        if due_only:
            query += " AND s.due_at <= ?"
            args.append(at.isoformat())
        if payment_id is not None:
            query += " AND s.payment_id = ?"
            args.append(payment_id)
        settled = []
        with self._store.transaction() as db:
            for (found,) in db.execute(query + " ORDER BY s.due_at, s.payment_id", args).fetchall():
                row = db.execute("SELECT * FROM domestic_payments WHERE payment_id = ? AND status = 'PDNG'",
                                 (found,)).fetchone()
                db.execute("UPDATE settlements SET settled_at = ? WHERE payment_id = ?", (at.isoformat(), found))
                if row is None:
                    continue
                debtor = db.execute("SELECT debtor_account_id FROM payment_consents WHERE consent_id = ?",
                                    (row["consent_id"],)).fetchone()
                initiation = json.loads(row["body"])
                payer = self._bank.accounts[debtor["debtor_account_id"] or ""]
                creditor = initiation["CreditorAccount"]
                payee = self.account_by_identification(creditor["SchemeName"], creditor["Identification"])
                status, reason = "ACSC", None
                if Decimal(initiation["InstructedAmount"]["Amount"]) > self._balance(db, payer):
                    status, reason = "RJCT", "AM04"  # the money left the account before settlement
                db.execute("UPDATE domestic_payments SET status = ?, reason = ? WHERE payment_id = ? AND status = "
                           "'PDNG'", (status, reason, found))
                if status == "ACSC":
                    self._book(db, found, initiation, payer, payee, at)
                settled.append({"payment_id": found, "status": status, "reason": reason})
        return settled

    def withdraw(self, account: SeededAccount, amount: Decimal, at: datetime, information: str) -> str:
        """Money leaving the account outside the API (cash, a card): a debit and the bank's matching credit."""
        posting = f"wd-{account.account_id}-{at.timestamp():.6f}"
        with self._store.transaction() as db:
            db.executemany("INSERT INTO postings (payment_id, account_id, amount, currency, booked_at, information)"
                           " VALUES (?,?,?,?,?,?)",
                           [(posting, account.account_id, str(-amount), account.currency, at.isoformat(), information),
                            (posting, CLEARING + "cash", str(amount), account.currency, at.isoformat(),
                             information)])
        return posting

    def settled_at(self, payment_id: str) -> datetime | None:
        with self._store.transaction() as db:
            row = db.execute("SELECT settled_at FROM settlements WHERE payment_id = ?", (payment_id,)).fetchone()
        return datetime.fromisoformat(row["settled_at"]) if row is not None and row["settled_at"] else None

    def payment(self, payment_id: str) -> dict[str, Any] | None:
        with self._store.transaction() as db:
            row = db.execute("SELECT * FROM domestic_payments WHERE payment_id = ?", (payment_id,)).fetchone()
        return dict(row) if row is not None else None

    # what account information shows
    def _balance(self, db: Any, account: SeededAccount) -> Decimal:
        rows = db.execute("SELECT amount FROM postings WHERE account_id = ?", (account.account_id,)).fetchall()
        return account.balance + sum((Decimal(r["amount"]) for r in rows), Decimal(0))

    def balance(self, account: SeededAccount) -> Decimal:
        with self._store.transaction() as db:
            return self._balance(db, account)

    def entries(self, account: SeededAccount) -> tuple[Entry, ...]:
        """The seeded entries followed by the payments booked since, with running balances."""
        with self._store.transaction() as db:
            rows = db.execute("SELECT * FROM postings WHERE account_id = ? ORDER BY posting_id",
                              (account.account_id,)).fetchall()
        booked = list(account.entries)
        running = account.balance
        for n, row in enumerate(rows, start=1):
            signed = Decimal(row["amount"])
            running += signed
            booked.append(Entry(
                transaction_id=f"{account.account_id}-pay-{n:04d}-{row['payment_id'][-8:]}",
                account_id=account.account_id, booked_at=datetime.fromisoformat(row["booked_at"]),
                amount=abs(signed), credit=signed > 0, information=row["information"][:500],
                code="Transfer", merchant=None, card_last4=None, balance_after=running))
        return tuple(booked)

    def totals(self) -> dict[str, Decimal]:
        """Sum of every posting per currency: zero when money is conserved."""
        with self._store.transaction() as db:
            rows = db.execute("SELECT amount, currency FROM postings").fetchall()
        sums: dict[str, Decimal] = {}
        for r in rows:
            sums[r["currency"]] = sums.get(r["currency"], Decimal(0)) + Decimal(r["amount"])
        return sums


def _reference(initiation: dict[str, Any]) -> str:
    lines = (initiation.get("RemittanceInformation") or {}).get("Unstructured") or []
    return str(lines[0]) if lines else ""
