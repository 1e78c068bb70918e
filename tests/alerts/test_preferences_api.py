"""The alert preferences API validates at the edge (issue #22, finding 1): a threshold is a finite, bounded
amount; opted_in and timezone are never null; the zone is a real IANA zone; the channel is one configured for
the bank; the bank exists. Every refusal is a 4xx with a reason and changes nothing. Over HTTP on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, update

from sarraf.store.tables.alerts import alert_preferences
from tests.alerts.conftest import AlertGateway

TOKEN = "alerts-api-test-token"
CUSTOMER = "sandbox-en-1"


@pytest.fixture
def api(gateway: AlertGateway, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SARRAF_ALERTS_API_TOKEN", TOKEN)
    return f"{gateway.url}/alerts/api/preferences/sandbox/{CUSTOMER}"


AUTH = {"Authorization": f"Bearer {TOKEN}"}
REFUSED: list[tuple[dict[str, Any], str]] = [
    ({"large_from": "NaN"}, "large_from"), ({"large_from": "1E+999999"}, "large_from"),
    ({"large_from": "-Infinity"}, "large_from"), ({"low_balance_below": "Infinity"}, "low_balance_below"),
    ({"low_balance_below": "-5"}, "low_balance_below"), ({"large_from": "12.34567"}, "large_from"),
    ({"large_from": 1e300}, "large_from"), ({"large_from": "twelve"}, "large_from"),
    ({"opted_in": None}, "opted_in"), ({"timezone": None}, "timezone"), ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "../../etc/passwd"}, "timezone"), ({"quiet_start": "25:00"}, "quiet_start"),
    ({"disabled": ["no-such-group"]}, "disabled"), ({"surprise": 1}, "surprise"),
]


@pytest.mark.parametrize(("body", "field"), REFUSED)
async def test_bad_values_are_refused_with_a_reason(api: str, http: httpx.AsyncClient, body: dict[str, Any],
                                                    field: str) -> None:
    before = (await http.get(api, headers=AUTH)).json()
    response = await http.put(api, headers=AUTH, json=body)
    assert response.status_code == 422, response.text
    assert any(field in reason for reason in response.json()["reasons"]), response.text
    assert (await http.get(api, headers=AUTH)).json() == before


async def test_channels_must_be_configured_for_the_bank(api: str, http: httpx.AsyncClient) -> None:
    for channel in ("messenger", "pigeon"):  # messenger has no secrets here: disabled
        response = await http.put(api, headers=AUTH, json={"channel": channel})
        assert response.status_code == 422 and "not configured" in response.json()["detail"], response.text
    assert (await http.put(api, headers=AUTH, json={"channel": "webchat"})).json()["channel"] == "webchat"


async def test_an_unknown_bank_is_404(gateway: AlertGateway, api: str, http: httpx.AsyncClient) -> None:
    response = await http.put(f"{gateway.url}/alerts/api/preferences/nobank/x", headers=AUTH, json={"opted_in": True})
    assert response.status_code == 404


async def test_good_values_are_kept(api: str, http: httpx.AsyncClient) -> None:
    body = {"opted_in": True, "large_from": "250.5", "low_balance_below": 100, "timezone": "Asia/Riyadh",
            "quiet_start": "22:00", "quiet_end": "07:00"}
    response = await http.put(api, headers=AUTH, json=body)
    assert response.status_code == 200, response.text
    kept = (await http.get(api, headers=AUTH)).json()
    assert (kept["large_from"], kept["low_balance_below"], kept["timezone"]) == ("250.5", "100", "Asia/Riyadh")


async def test_a_record_poisoned_past_the_api_is_reported_and_repaired(gateway: AlertGateway, api: str,
                                                                       http: httpx.AsyncClient) -> None:
    assert (await http.put(api, headers=AUTH, json={"opted_in": True})).status_code == 200
    engine = create_engine(f"sqlite:///{gateway.settings.data_dir / 'sarraf.db'}")
    with engine.begin() as conn:
        conn.execute(update(alert_preferences).where(alert_preferences.c.customer_id == CUSTOMER)
                     .values(large_from="NaN"))
    engine.dispose()
    reported = await http.get(api, headers=AUTH)
    assert reported.status_code == 409 and "large_from 'NaN'" in reported.json()["detail"]
    repaired = await http.put(api, headers=AUTH, json={"opted_in": True, "large_from": "500"})
    assert repaired.status_code == 200
    assert (await http.get(api, headers=AUTH)).json()["large_from"] == "500"
