"""The policy point decrypts a customer's bank tokens only when a decision lets data flow from the bank."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from sarraf.config import load_settings
from sarraf.domain.banking import Account, CreditDebit, Transaction
from sarraf.domain.consent import BankLink, ConsentStatus, Tokens
from sarraf.domain.disclosure import Decision, DisclosureRequest, Minimisation, Outcome
from sarraf.domain.events import CardAction
from sarraf.domain.money import Money
from sarraf.policy.actions import CardActionPoint
from sarraf.policy.consent_grant import ConsentGrant, GrantStatus
from sarraf.policy.grants import grant_from_link
from sarraf.policy.point import BankDataPoint, Subject
from sarraf.store.database import make_engine, migrate
from sarraf.store.key_store import open_envelope_cipher
from sarraf.store.links import SqlLinkRepository

NOW = datetime.now(UTC)
TOKENS = Tokens("access-secret", "refresh-secret", NOW + timedelta(hours=1))
LINK = BankLink("bank", "cust-1", "consent-1", ConsentStatus.AUTHORISED, ("ReadBalances",), None, TOKENS)


class Links:
    """A link store that counts how often the tokens were unsealed."""

    def __init__(self, link: BankLink | None = LINK) -> None:
        self.link = link
        self.unsealed = 0

    async def get(self, tenant: str, customer_id: str, *, unseal: bool = True) -> BankLink | None:
        if self.link is None:
            return None
        if unseal:
            self.unsealed += 1
            return self.link
        return replace(self.link, tokens=None, tokens_withheld=self.link.tokens is not None)

    async def save(self, link: BankLink) -> None:
        self.link = link

    async def delete(self, tenant: str, customer_id: str) -> None:
        self.link = None


class FixedDecider:
    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        self.grants: list[ConsentGrant] = []

    def decide(self, request: DisclosureRequest, grant: ConsentGrant) -> Decision:
        self.grants.append(grant)
        return self.decision


class Audit:
    def __init__(self) -> None:
        self.records: list[Decision] = []

    async def record(self, request: DisclosureRequest, decision: Decision) -> object:
        self.records.append(decision)
        return None


class Bank:
    def __init__(self) -> None:
        self.tokens_seen: list[Tokens] = []

    async def accounts(self, tokens: Tokens) -> list[object]:
        self.tokens_seen.append(tokens)
        return []

    async def cards(self, tokens: Tokens) -> list[object]:
        self.tokens_seen.append(tokens)
        return []


DENY = Decision(Outcome.DENY, None, "default-deny")
LINK_ONLY = Decision(Outcome.ALLOW, Minimisation.LINK_ONLY, "p")
FULL = Decision(Outcome.ALLOW, Minimisation.FULL, "p")
SUBJECT = Subject("bank", "cust-1", "messenger")


@pytest.mark.parametrize("decision", [DENY, LINK_ONLY])
async def test_a_disclosure_that_does_not_read_the_bank_never_unseals_tokens(decision: Decision) -> None:
    links, bank, audit = Links(), Bank(), Audit()
    point = BankDataPoint(FixedDecider(decision), audit, links, {"bank": bank})  # type: ignore[dict-item]
    disclosure = await point.balances(SUBJECT)
    assert disclosure.data is None
    assert links.unsealed == 0
    assert bank.tokens_seen == []
    assert audit.records == [decision]


async def test_an_allowed_disclosure_unseals_once_and_reads_with_the_real_tokens() -> None:
    links, bank = Links(), Bank()
    point = BankDataPoint(FixedDecider(FULL), Audit(), links, {"bank": bank})  # type: ignore[dict-item]
    disclosure = await point.balances(SUBJECT)
    assert disclosure.data == []
    assert links.unsealed == 1
    assert bank.tokens_seen == [TOKENS]


async def test_the_decider_sees_a_withheld_token_as_a_live_grant() -> None:
    decider = FixedDecider(DENY)
    await BankDataPoint(decider, Audit(), Links(), {}).balances(SUBJECT)
    assert decider.grants[0].status is GrantStatus.ACTIVE
    withheld = replace(LINK, tokens=None, tokens_withheld=True)
    assert grant_from_link(withheld) == grant_from_link(LINK)
    assert grant_from_link(replace(LINK, tokens=None)).status is GrantStatus.REVOKED


async def test_a_denied_card_action_never_unseals_tokens() -> None:
    links, bank = Links(), Bank()
    actions = CardActionPoint(FixedDecider(DENY), Audit(), links, {"bank": bank})  # type: ignore[dict-item]
    outcome = await actions.act(SUBJECT, CardAction.FREEZE)
    assert not outcome.allowed
    assert links.unsealed == 0
    assert bank.tokens_seen == []


async def test_a_link_read_without_tokens_cannot_be_saved_over_the_stored_ones(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    await migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    repo = SqlLinkRepository(engine, open_envelope_cipher(settings, engine))
    await repo.save(LINK)
    withheld = await repo.get("bank", "cust-1", unseal=False)
    assert withheld is not None and withheld.tokens is None and withheld.tokens_withheld and withheld.usable()
    with pytest.raises(ValueError):
        await repo.save(withheld)
    assert (await repo.get("bank", "cust-1")) == LINK
    await engine.dispose()


class Statement(Bank):
    """One account with a payment at Tesco and one at a café."""

    async def accounts(self, tokens: Tokens) -> list[object]:
        return [Account("a1", "GBP", "Everyday", "Personal/CurrentAccount", "40000012345678")]

    async def transactions(self, tokens: Tokens, account_id: str, since: object, until: object) -> list[object]:
        def paid(tid: str, merchant: str, amount: str) -> Transaction:
            return Transaction(tid, account_id, NOW, Money(Decimal(amount), "GBP"), CreditDebit.DEBIT, merchant,
                               merchant_name=merchant, category="groceries")
        return [paid("t1", "Tesco Metro", "23.47"), paid("t2", "Café Nero", "4.10")]


async def test_a_merchant_filter_runs_inside_the_point_before_names_are_masked() -> None:
    masked = Decision(Outcome.ALLOW, Minimisation.MASKED, "p")
    point = BankDataPoint(FixedDecider(masked), Audit(), Links(), {"bank": Statement()})  # type: ignore[dict-item]
    kept = await point.transactions(SUBJECT, None, None, lambda t: (t.merchant_name or "").startswith("Tesco"))
    assert kept.data is not None and [t.transaction_id for t in kept.data] == ["t1"]
    assert kept.data[0].merchant_name is None and kept.data[0].amount.amount == Decimal(20)  # then minimised
    everything = await point.transactions(SUBJECT, None, None)
    assert everything.data is not None and len(everything.data) == 2
