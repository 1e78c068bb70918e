"""Upkeep: consent-expiry reminders in the customer's language, agreement reloads, stale logins."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sarraf.bootstrap import build
from sarraf.config import Settings
from sarraf.domain.consent import BankLink, ConsentStatus, Tokens
from sarraf.housekeeping import Housekeeping
from sarraf.policy.point import SERVICE_SUPPORT
from sarraf.web.console.services import staff_store

ROOT = Path(__file__).resolve().parents[2]
AGREEMENT = ROOT / "src/sarraf/policy/agreements/default.cedar"


def _settings(home: Path) -> Settings:
    shutil.copy(AGREEMENT, home / "agreement.cedar")
    (home / "banks.yaml").write_text(
        "banks:\n  - id: sandbox\n    name: Test Bank\n    base_url: embedded\n    client_id: sarraf\n"
        "    client_secret: s\n    agreement: agreement.cedar\n",
        encoding="utf-8",
    )
    return Settings(
        data_dir=home,
        database_url=f"sqlite+aiosqlite:///{home / 'db.sqlite'}",
        banks_file=home / "banks.yaml",
        public_url="http://127.0.0.1:9",
    )


async def test_customer_is_reminded_once_before_the_consent_ends(tmp_path: Path) -> None:
    gateway = await build(_settings(tmp_path), bank_urls={"sandbox": "http://127.0.0.1:9/bank"})
    container = gateway.web
    try:
        customer = await container.customers.identify("sandbox", "webchat", "session-reminder-0001")
        await container.customers.set_lang(customer.id, "pl")
        now = datetime.now(UTC)
        await container.links.save(
            BankLink(
                "sandbox",
                customer.id,
                "aac-1",
                ConsentStatus.AUTHORISED,
                ("ReadBalances",),
                expires_at=now + timedelta(days=2, hours=1),
                tokens=Tokens("access", "refresh", now + timedelta(minutes=5)),
            )
        )
        # Both runs at the instant the link was written: "in 3 days" never depends on how long the test took.
        first = await Housekeeping(container, clock=lambda: now).run_once()
        second = await Housekeeping(container, clock=lambda: now).run_once()
        pushed, _ = await container.message_log.collect("webchat", "session-reminder-0001")
    finally:
        await gateway.aclose()
    assert first.reminders_sent == 1 and second.reminders_sent == 0
    (message,) = [payload for _, payload in pushed]
    assert message["lang"] == "pl"
    assert "wygasa za 3 dni" in message["text"]
    assert message["quick_replies"][0]["payload"] == "intent:link_account"


async def test_an_edited_agreement_takes_effect_and_a_broken_one_does_not(tmp_path: Path) -> None:
    from sarraf.domain.disclosure import DisclosureRequest
    from sarraf.policy.consent_grant import ConsentGrant, Scope

    settings = _settings(tmp_path)
    gateway = await build(settings, bank_urls={"sandbox": "http://127.0.0.1:9/bank"})
    container = gateway.web
    request = DisclosureRequest("sandbox", "c1", SERVICE_SUPPORT, ("user.financial.bank_account.balance",), "webchat")
    grant = ConsentGrant("sandbox", "c1", frozenset({Scope.BALANCES}))
    try:
        assert container.deciders["sandbox"].decide(request, grant).allowed
        path = tmp_path / "agreement.cedar"
        original = path.read_text(encoding="utf-8")
        path.write_text(
            original + '\n@id("no-webchat")\nforbid (principal == Recipient::"webchat", action, resource);\n',
            encoding="utf-8",
        )
        assert (await Housekeeping(container).run_once()).agreements_reloaded == 1
        denied = container.deciders["sandbox"].decide(request, grant)
        assert not denied.allowed and denied.policy_id == "no-webchat"
        path.write_text(original + "\nforbid (principal, action, resource", encoding="utf-8")
        assert (await Housekeeping(container).run_once()).agreements_reloaded == 0
        assert container.deciders["sandbox"].decide(request, grant).policy_id == "no-webchat"
    finally:
        await gateway.aclose()


async def test_ended_staff_sessions_are_deleted(tmp_path: Path) -> None:
    gateway = await build(_settings(tmp_path), bank_urls={"sandbox": "http://127.0.0.1:9/bank"})
    container = gateway.web
    try:
        staff = staff_store(container)
        now = datetime.now(UTC)
        await staff.add("sandbox", "agent@bank.test", "agent", "argon2-hash-not-checked-here", "JBSWY3DPEHPK3PXP")
        account = await staff.find("sandbox", "agent@bank.test")
        assert account is not None
        ended, _ = await staff.open_session(account, now - timedelta(hours=9), timedelta(hours=8))
        live, _ = await staff.open_session(account, now, timedelta(hours=8))
        report = await Housekeeping(container, clock=lambda: now).run_once()
        assert report.staff_sessions_forgotten == 1
        assert await staff.session(live, now) is not None
        assert await staff.session(ended, now - timedelta(hours=8, minutes=30)) is None  # its row is gone
    finally:
        await gateway.aclose()
