"""Back-office tokens are scoped per bank (issue #22, finding 5): with two banks configured, every cross-bank
read and change of consents (operator API) and alert preferences (alerts API) is refused; the explicit
all-banks administrator token reaches both; each bank's own token reaches its own bank. Real gateway over
HTTP on 127.0.0.1 (SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, insert, select

from sarraf.config import DEFAULT_BANKS_FILE, load_settings
from sarraf.store.tables.alerts import alert_preferences
from sarraf.store.tables.core import bank_links
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread

ADMIN, SANDBOX_OPS, ACME_OPS = "all-banks-admin", "sandbox-back-office", "acme-back-office"
ALERTS_ADMIN, SANDBOX_ALERTS, ACME_ALERTS = "all-banks-alerts", "sandbox-alerts", "acme-alerts"
BANKS = f"""
banks:
  - id: sandbox
    name: Sarraf Sandbox Bank
    base_url: embedded
    client_id: sarraf
    client_secret: sandbox-secret
    agreement: {DEFAULT_BANKS_FILE.parent / 'policy/agreements/default.cedar'}
    alerts_api_token: {SANDBOX_ALERTS}
  - id: acme
    name: ACME Bank
    base_url: embedded
    client_id: sarraf
    client_secret: sandbox-secret
    agreement: {DEFAULT_BANKS_FILE.parent / 'policy/agreements/default.cedar'}
    operator_token: ${{ACME_OPERATOR_TOKEN}}
"""


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def two_banks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home: Path = tmp_path_factory.mktemp("home")
    (home / "banks.yaml").write_text(BANKS)
    port = free_port()
    env = {"SARRAF_HOME": str(home), "SARRAF_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'sarraf.db'}",
           "SARRAF_PORT": str(port), "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "SARRAF_BANKS_FILE": str(home / "banks.yaml"), "SARRAF_OPERATOR_TOKEN": ADMIN,
           "SARRAF_OPERATOR_TOKEN_SANDBOX": SANDBOX_OPS, "ACME_OPERATOR_TOKEN": ACME_OPS,
           "SARRAF_ALERTS_API_TOKEN": ALERTS_ADMIN, "SARRAF_ALERTS_API_TOKEN_ACME": ACME_ALERTS}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        settings = load_settings()
        app = create_app(settings)
        with serve_in_thread(app, port=port) as url:
            engine = create_engine(f"sqlite:///{home / 'sarraf.db'}")
            now = datetime.now(UTC)
            with engine.begin() as conn:  # one linked customer at each bank, with a preference
                for bank in ("sandbox", "acme"):
                    conn.execute(insert(bank_links).values(
                        tenant=bank, customer_id=f"{bank}-customer", consent_id=f"{bank}-consent", status="AUTH",
                        permissions=["ReadBalances"], expires_at=None, tokens_sealed=None, updated_at=now))
                    conn.execute(insert(alert_preferences).values(
                        tenant=bank, customer_id=f"{bank}-customer", opted_in=True, disabled=[], timezone="UTC",
                        updated_at=now))
            yield url
            with engine.connect() as conn:  # nothing any refused call tried has changed
                assert conn.execute(select(bank_links.c.tenant, bank_links.c.status)).all() == [
                    ("sandbox", "AUTH"), ("acme", "AUTH")]
            engine.dispose()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


@pytest.mark.parametrize(("token", "own", "other"), [(SANDBOX_OPS, "sandbox", "acme"), (ACME_OPS, "acme", "sandbox")])
async def test_a_bank_operator_token_reaches_its_own_bank_only(two_banks: str, http: httpx.AsyncClient, token: str,
                                                               own: str, other: str) -> None:
    mine = await http.get(f"{two_banks}/api/banks/{own}/consents/{own}-consent", headers=_bearer(token))
    assert mine.status_code == 200 and mine.json()["bank"] == own
    for consent in (f"{other}-consent", f"{own}-consent", "unknown"):  # the other bank's, whatever the id
        url = f"{two_banks}/api/banks/{other}/consents/{consent}"
        assert (await http.get(url, headers=_bearer(token))).status_code == 403
        assert (await http.delete(url, headers=_bearer(token))).status_code == 403
    # An unknown bank is not reachable with a bank's token either (and says nothing about what exists).
    assert (await http.get(f"{two_banks}/api/banks/nope/consents/x", headers=_bearer(token))).status_code == 403


async def test_the_all_banks_operator_token_reaches_every_bank(two_banks: str, http: httpx.AsyncClient) -> None:
    for bank in ("sandbox", "acme"):
        found = await http.get(f"{two_banks}/api/banks/{bank}/consents/{bank}-consent", headers=_bearer(ADMIN))
        assert found.status_code == 200 and found.json()["bank"] == bank
    assert (await http.get(f"{two_banks}/api/banks/nope/consents/x", headers=_bearer(ADMIN))).status_code == 404


async def test_wrong_or_missing_operator_tokens_are_refused(two_banks: str, http: httpx.AsyncClient) -> None:
    url = f"{two_banks}/api/banks/acme/consents/acme-consent"
    for headers in ({}, _bearer("wrong"), {"Authorization": f"Basic {ACME_OPS}"}, _bearer(ACME_ALERTS)):
        assert (await http.get(url, headers=headers)).status_code == 401
        assert (await http.delete(url, headers=headers)).status_code == 401


@pytest.mark.parametrize(("token", "own", "other"), [(SANDBOX_ALERTS, "sandbox", "acme"),
                                                     (ACME_ALERTS, "acme", "sandbox")])
async def test_a_bank_alerts_token_reaches_its_own_customers_only(two_banks: str, http: httpx.AsyncClient, token: str,
                                                                  own: str, other: str) -> None:
    mine = f"{two_banks}/alerts/api/preferences/{own}/{own}-customer"
    assert (await http.get(mine, headers=_bearer(token))).json()["opted_in"] is True
    theirs = f"{two_banks}/alerts/api/preferences/{other}/{other}-customer"
    assert (await http.get(theirs, headers=_bearer(token))).status_code == 403
    assert (await http.put(theirs, headers=_bearer(token), json={"opted_in": False})).status_code == 403
    assert (await http.get(theirs, headers=_bearer(ALERTS_ADMIN))).json()["opted_in"] is True  # unchanged
    assert (await http.get(theirs, headers=_bearer(SANDBOX_OPS))).status_code == 401  # operator ≠ alerts API


async def test_the_all_banks_alerts_token_reaches_every_bank(two_banks: str, http: httpx.AsyncClient) -> None:
    for bank in ("sandbox", "acme"):
        url = f"{two_banks}/alerts/api/preferences/{bank}/{bank}-customer"
        assert (await http.get(url, headers=_bearer(ALERTS_ADMIN))).status_code == 200
    assert (await http.get(f"{two_banks}/alerts/api/preferences/nope/x",
                           headers=_bearer(ALERTS_ADMIN))).status_code == 404
